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
static int saved_fd = -1, cap_fd = -1;

/* Captures fd (stderr: status lines; stdout: JSON events). */
static void cap_begin_fd(int fd)
{
	fflush(stdout);
	fflush(stderr);
	cap_file = tmpfile();
	assert_non_null(cap_file);
	cap_fd = fd;
	saved_fd = dup(fd);
	assert_true(saved_fd >= 0);
	assert_true(dup2(fileno(cap_file), fd) >= 0);
}

static void cap_begin(void)
{
	cap_begin_fd(STDERR_FILENO);
}

/* Restores the fd; returns what was written to it in between. */
static size_t cap_end(char *buf, size_t cap)
{
	size_t n;

	fflush(stdout);
	fflush(stderr);
	assert_true(dup2(saved_fd, cap_fd) >= 0);
	close(saved_fd);
	saved_fd = -1;
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

/* The stats event: the old fields first, then one count per drop reason. */
static void test_stats_drops(void **state)
{
	struct out_stats st = { .sent = 3, .delivered = 2, .retransmitted = 1, .duplicates = 4,
				.drop = { [CLIENT_DROP_AUTH_FAILED] = 5, [CLIENT_DROP_REPLAYED] = 6,
					  [CLIENT_DROP_STRAY] = 7, [CLIENT_DROP_BAD_RELAY] = 8,
					  [CLIENT_DROP_STASH_FULL] = 9 } };
	struct output json = { .json = true }, human = { .verbose = true };
	char buf[1024];

	(void)state;
	cap_begin_fd(STDOUT_FILENO);
	out_stats(&json, &st);
	cap_end(buf, sizeof(buf));
	assert_string_equal(buf, "{\"event\":\"stats\",\"sent\":3,\"delivered\":2,"
			    "\"retransmitted\":1,\"duplicates\":4,\"auth_failed\":5,"
			    "\"replayed\":6,\"stray\":7,\"bad_relay\":8,\"stash_full\":9}\n");
	cap_begin();
	out_stats(&human, &st);
	out_drops(&human, st.drop);
	human.verbose = false;
	out_drops(&human, st.drop); /* -v only */
	cap_end(buf, sizeof(buf));
	assert_string_equal(buf, "hpclient: stats: 3 sent, 2 delivered, 1 retransmitted, "
			    "4 duplicates, 5 failed authentication\n"
			    "hpclient: dropped: 5 unauthenticated, 6 replayed, 7 stray, "
			    "8 bad relay frames, 9 early beyond the stash\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_reason_filtered),
		cmocka_unit_test(test_status_and_lost_filtered),
		cmocka_unit_test(test_json_error_stderr_filtered),
		cmocka_unit_test(test_stats_drops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
