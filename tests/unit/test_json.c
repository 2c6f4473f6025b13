// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "json.h"

/* Runs hp_json_write_string into a memory stream and compares. */
static void assert_json(const char *in, size_t len, const char *want)
{
	char *out = NULL;
	size_t out_len = 0;
	FILE *f = open_memstream(&out, &out_len);

	assert_non_null(f);
	hp_json_write_string(f, in, len);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(out, want);
	free(out);
}

static void test_json_plain_ascii_is_quoted(void **state)
{
	(void)state;
	assert_json("hello", 5, "\"hello\"");
	assert_json("", 0, "\"\"");
}

static void test_json_escapes_quote_backslash_controls(void **state)
{
	(void)state;
	assert_json("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
	assert_json("\n\t\r", 3, "\"\\n\\t\\r\"");
	assert_json("\x01\x1f\x7f", 3, "\"\\u0001\\u001f\\u007f\"");
}

static void test_json_keeps_valid_utf8(void **state)
{
	(void)state;
	assert_json("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14,
		    "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
}

static void test_json_replaces_invalid_utf8(void **state)
{
	(void)state;
	/* lone continuation, overlong '/', truncated 3-byte, surrogate */
	assert_json("\x80", 1, "\"\\ufffd\"");
	assert_json("\xc0\xaf", 2, "\"\\ufffd\\ufffd\"");
	assert_json("\xe2\x82", 2, "\"\\ufffd\\ufffd\"");
	assert_json("\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"");
}

static void test_json_embedded_nul_is_escaped(void **state)
{
	(void)state;
	assert_json("a\0b", 3, "\"a\\u0000b\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_plain_ascii_is_quoted),
		cmocka_unit_test(test_json_escapes_quote_backslash_controls),
		cmocka_unit_test(test_json_keeps_valid_utf8),
		cmocka_unit_test(test_json_replaces_invalid_utf8),
		cmocka_unit_test(test_json_embedded_nul_is_escaped),
	};

	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
