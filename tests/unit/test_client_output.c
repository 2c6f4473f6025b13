// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "client/output.h"

/* A nick or a server's ERROR reason holding an escape sequence. */
static const char hostile[] = "ev\x1b]0;owned\x07il\x1b[2J";

static FILE *cap_file;
static int saved_stderr = -1;

static void cap_begin(void)
{
	fflush(stderr);
	cap_file = tmpfile();
	assert_non_null(cap_file);
	saved_stderr = dup(STDERR_FILENO);
	assert_true(saved_stderr >= 0);
	assert_true(dup2(fileno(cap_file), STDERR_FILENO) >= 0);
}

/* Restores stderr; returns what was written to it in between. */
static size_t cap_end(char *buf, size_t cap)
{
	size_t n;

	fflush(stderr);
	assert_true(dup2(saved_stderr, STDERR_FILENO) >= 0);
	close(saved_stderr);
	saved_stderr = -1;
	rewind(cap_file);
	n = fread(buf, 1, cap - 1, cap_file);
	buf[n] = '\0';
	fclose(cap_file);
	cap_file = NULL;
	return n;
}

static void assert_no_controls(const char *buf, size_t n)
{
	size_t i;

	assert_true(n > 0);
	for (i = 0; i < n; i++)
		if (buf[i] != '\n')
			assert_false((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f);
}

static void test_error_reason_filtered(void **state)
{
	struct output o = { .json = false };
	char buf[1024];
	size_t n;

	(void)state;
	cap_begin();
	out_error(&o, "server refused: %s (code %u)", hostile, 2u);
	out_warning(&o, "%s has said bye", hostile);
	n = cap_end(buf, sizeof(buf));
	assert_no_controls(buf, n);
	assert_non_null(strstr(buf, "ev?]0;owned?il?[2J"));
}

static void test_status_and_lost_filtered(void **state)
{
	struct output o = { .json = false, .verbose = true };
	char buf[1024];
	size_t n;

	(void)state;
	cap_begin();
	out_reconnecting(&o, "no answer from %s", hostile);
	out_debug(&o, "peer %s", hostile);
	out_peer_lost(&o, hostile);
	n = cap_end(buf, sizeof(buf));
	assert_no_controls(buf, n);
	assert_non_null(strstr(buf, "peer lost: ev?"));
}

/* JSON mode still prints fatal errors on stderr: filtered there too. */
static void test_json_error_stderr_filtered(void **state)
{
	struct output o = { .json = true };
	char buf[1024];
	size_t n;

	(void)state;
	cap_begin();
	out_error(&o, "cannot derive keys with peer \"%s\"", hostile);
	n = cap_end(buf, sizeof(buf));
	assert_no_controls(buf, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_reason_filtered),
		cmocka_unit_test(test_status_and_lost_filtered),
		cmocka_unit_test(test_json_error_stderr_filtered),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
