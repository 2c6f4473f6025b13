// SPDX-License-Identifier: MIT
/*
 * State records (state.c): parsing a record's text, and the prefix rule
 * that keeps a record's name a plain file name. No file is written: the
 * records' directory is the live /run/hplab.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lab/args.h"
#include "state.h"

static void test_state_record(void **state)
{
	const char *text = "prefix=hpl42\nkind=run\npid=42\nstarttime=1234\nserver_pid=0\n"
			   "server_starttime=0\ncapture_pid=77\ncapture_starttime=5678\nfuture=1\n";
	static const char *const bad[] = {
		"prefix=hpl42\nkind=run\n",                  /* no pid */
		"prefix=../x\npid=1\n",                      /* bad prefix */
		"prefix=a\npid=1\nkind=maybe\n",
		"prefix=a\npid=-1\n",
		"prefix=a\npid=99999999999\n",
		"prefix=a\npid=1",                           /* no final newline */
		"prefix=a\npid\n",
		"prefix=a\npid=1\ncapture_pid=x\n",
		"prefix=a\npid=1\ncapture_starttime=-5\n",
	};
	struct lab_state st;
	size_t i;

	(void)state;
	assert_int_equal(lab_state_parse(&st, (const uint8_t *)text, strlen(text)), 0);
	assert_string_equal(st.prefix, "hpl42");
	assert_int_equal(st.kind, LAB_STATE_RUN);
	assert_int_equal(st.pid, 42);
	assert_int_equal(st.starttime, 1234);
	assert_int_equal(st.capture_pid, 77);
	assert_int_equal(st.capture_starttime, 5678);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (lab_state_parse(&st, (const uint8_t *)bad[i], strlen(bad[i])) == 0)
			fail_msg("accepted: %s", bad[i]);
}

/* The records apply the rule --prefix does (args.c), without its header. */
static void test_prefix_rule_matches_args(void **state)
{
	static const char *const names[] = {
		"hplab", "a", "hpl12345_x", "abcdefghijklmnopqrstuvwx", "abcdefghijklmnopqrstuvwxy",
		"", "1abc", "a-b", "a/b", "../x", "a b", "_a", "Z9", "a.state",
	};
	char path[128];

	(void)state;
	assert_int_equal(LAB_STATE_PREFIX_MAX, LAB_PREFIX_MAX);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_int_equal(lab_state_prefix_valid(names[i]), lab_args_prefix_valid(names[i]));
	assert_int_equal(lab_state_path(path, sizeof(path), "hpl42"), 0);
	assert_string_equal(path, LAB_STATE_DIR "/hpl42.state");
	assert_int_equal(lab_state_path(path, sizeof(path), "../x"), -EINVAL);
	assert_int_equal(lab_state_path(path, 8, "hpl42"), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_record),
		cmocka_unit_test(test_prefix_rule_matches_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
