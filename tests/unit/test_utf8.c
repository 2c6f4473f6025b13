// SPDX-License-Identifier: MIT
/* The one UTF-8 decoder (utf8.c): every valid length, every invalid form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "utf8.h"

static size_t dec(const char *s, size_t left, uint32_t *cp)
{
	return hp_utf8_decode((const unsigned char *)s, left, cp);
}

static void test_valid(void **state)
{
	uint32_t cp = 0;

	(void)state;
	assert_int_equal(dec("a", 1, &cp), 1);
	assert_int_equal(cp, 'a');
	assert_int_equal(dec("\xc3\xa9", 2, &cp), 2); /* e acute */
	assert_int_equal(cp, 0xe9);
	assert_int_equal(dec("\xe2\x80\xae", 3, &cp), 3); /* U+202E */
	assert_int_equal(cp, 0x202e);
	assert_int_equal(dec("\xf0\x9f\x98\x80", 4, &cp), 4); /* U+1F600 */
	assert_int_equal(cp, 0x1f600);
	assert_int_equal(dec("\xf4\x8f\xbf\xbf", 4, &cp), 4); /* U+10FFFF */
	assert_int_equal(cp, 0x10ffff);
}

static void test_invalid(void **state)
{
	uint32_t cp = 0;

	(void)state;
	assert_int_equal(dec("\x80", 1, &cp), 0);             /* stray continuation */
	assert_int_equal(dec("\xc0\xaf", 2, &cp), 0);         /* overlong '/' */
	assert_int_equal(dec("\xe0\x80\xaf", 3, &cp), 0);     /* overlong, 3 bytes */
	assert_int_equal(dec("\xf0\x80\x80\xaf", 4, &cp), 0); /* overlong, 4 bytes */
	assert_int_equal(dec("\xed\xa0\x80", 3, &cp), 0);     /* surrogate U+D800 */
	assert_int_equal(dec("\xf4\x90\x80\x80", 4, &cp), 0); /* U+110000 */
	assert_int_equal(dec("\xf8\x88\x80\x80\x80", 5, &cp), 0); /* 5-byte form */
	assert_int_equal(dec("", 0, &cp), 0);                 /* nothing left */
}

/* Cut short by `left`, or by a NUL: never a read past either. */
static void test_cut_short(void **state)
{
	uint32_t cp = 0;

	(void)state;
	assert_int_equal(dec("\xe2\x80\xae", 2, &cp), 0);
	assert_int_equal(dec("\xf0\x9f\x98\x80", 3, &cp), 0);
	assert_int_equal(dec("\xe2\x80", 4, &cp), 0); /* the NUL stops it */
	assert_int_equal(dec("\xc3", 4, &cp), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_cut_short),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
