// SPDX-License-Identifier: MIT
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "parse.h"

static void test_parse_accepts_plain_decimal_in_range(void **state)
{
	unsigned long v = 0;

	(void)state;
	assert_int_equal(hp_parse_ulong("0", 0, 65535, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(hp_parse_ulong("65535", 0, 65535, &v), 0);
	assert_int_equal(v, 65535);
	assert_int_equal(hp_parse_ulong("007", 1, 10, &v), 0);
	assert_int_equal(v, 7);
}

static void test_parse_rejects_out_of_range(void **state)
{
	unsigned long v = 42;

	(void)state;
	assert_int_equal(hp_parse_ulong("65536", 0, 65535, &v), -EINVAL);
	assert_int_equal(hp_parse_ulong("0", 1, 10, &v), -EINVAL);
	assert_int_equal(hp_parse_ulong("99999999999999999999999", 0, ~0ul, &v), -EINVAL);
	assert_int_equal(v, 42); /* untouched on error */
}

static void test_parse_rejects_signs_spaces_junk(void **state)
{
	static const char *const bad[] = { "", "-1", "+1", " 1", "1 ", "1x", "0x10", "1.5", "abc" };
	unsigned long v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(hp_parse_ulong(bad[i], 0, 100, &v), -EINVAL);
	assert_int_equal(hp_parse_ulong(NULL, 0, 100, &v), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_accepts_plain_decimal_in_range),
		cmocka_unit_test(test_parse_rejects_out_of_range),
		cmocka_unit_test(test_parse_rejects_signs_spaces_junk),
	};

	return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
