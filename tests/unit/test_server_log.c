// SPDX-License-Identifier: MIT
/* The server's -v log (src/server/log.c): format and verbosity gate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "server/log.h"

/* Logs one line at the given verbosity; returns what was written. */
static char *log_at(int verbosity)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct server_log l = { .verbosity = verbosity, .f = f };

	assert_non_null(f);
	server_log(&l, "register room \"%s\" from %u", "lobby", 7u);
	fclose(f);
	return text;
}

static void test_verbose_writes_one_prefixed_line(void **state)
{
	char *text = log_at(SERVER_VERBOSE);

	(void)state;
	assert_string_equal(text, "hpserver: register room \"lobby\" from 7\n");
	free(text);
}

static void test_normal_and_quiet_write_nothing(void **state)
{
	char *text = log_at(SERVER_NORMAL);

	(void)state;
	assert_string_equal(text, "");
	free(text);
	text = log_at(SERVER_QUIET);
	assert_string_equal(text, "");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verbose_writes_one_prefixed_line),
		cmocka_unit_test(test_normal_and_quiet_write_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
