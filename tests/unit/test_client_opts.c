// SPDX-License-Identifier: MIT
/*
 * The client's option table (src/client/opts.c): what --version and
 * --help print and return, and that they leave usage errors alone.
 */
#include <ctype.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "client/opts.h"

static char out[8192];

/* client_opts_parse() on argv, with stdout captured into out[]. */
static int parse_captured(struct client_opts *o, char **argv, FILE *err)
{
	int argc = 0, saved, ret;
	FILE *cap = tmpfile();
	size_t n;

	while (argv[argc])
		argc++;
	assert_non_null(cap);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(cap), STDOUT_FILENO) >= 0);
	ret = client_opts_parse(o, argc, argv, err);
	fflush(stdout);
	assert_true(dup2(saved, STDOUT_FILENO) >= 0);
	close(saved);
	rewind(cap);
	n = fread(out, 1, sizeof(out) - 1, cap);
	out[n] = '\0';
	fclose(cap);
	return ret;
}

static void test_version(void **state)
{
	char *argv[] = { "hpclient", "--version", NULL };
	struct client_opts o;
	const char *v;

	(void)state;
	assert_int_equal(parse_captured(&o, argv, stderr), 1);
	/* "hpclient X.Y.Z\n": one line, the name, a number */
	assert_memory_equal(out, "hpclient ", 9);
	v = out + 9;
	assert_true(isdigit((unsigned char)v[0]));
	assert_non_null(strchr(v, '.'));
	assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);
}

/* --version wins over missing positionals, like --help. */
static void test_version_alone(void **state)
{
	char *argv[] = { "hpclient", "--room", "r", "--version", "4000", NULL };
	struct client_opts o;

	(void)state;
	assert_int_equal(parse_captured(&o, argv, stderr), 1);
	assert_memory_equal(out, "hpclient ", 9);
}

static void test_help_lists_version(void **state)
{
	char *argv[] = { "hpclient", "--help", NULL };
	struct client_opts o;

	(void)state;
	assert_int_equal(parse_captured(&o, argv, stderr), 1);
	assert_non_null(strstr(out, "usage: hpclient"));
	assert_non_null(strstr(out, "  --version "));
}

static void test_run_and_usage_error(void **state)
{
	char *run[] = { "hpclient", "--room", "r1", "0", "127.0.0.1", "3478", NULL };
	char *bad[] = { "hpclient", "--version=1", "0", "127.0.0.1", "3478", NULL };
	FILE *err = tmpfile();
	struct client_opts o;

	(void)state;
	assert_non_null(err);
	assert_int_equal(parse_captured(&o, run, err), 0);
	assert_string_equal(out, "");
	assert_string_equal(o.room, "r1");
	assert_int_equal(o.server_port, 3478);
	/* --version takes no argument: a usage error, nothing on stdout */
	assert_int_equal(parse_captured(&o, bad, err), -EINVAL);
	assert_string_equal(out, "");
	fclose(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_version_alone),
		cmocka_unit_test(test_help_lists_version),
		cmocka_unit_test(test_run_and_usage_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
