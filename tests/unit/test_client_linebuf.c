// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "client/linebuf.h"

struct got {
	unsigned n;
	size_t len[8];
	unsigned part[8];
	char text[8][HP_CHAT_MAX + 1];
};

static int collect(void *ctx, const char *text, size_t len, unsigned part)
{
	struct got *g = ctx;

	assert_true(g->n < 8);
	assert_true(len <= HP_CHAT_MAX);
	memcpy(g->text[g->n], text, len);
	g->text[g->n][len] = '\0';
	g->len[g->n] = len;
	g->part[g->n] = part;
	g->n++;
	return 0;
}

static void test_lines_split_on_newline(void **state)
{
	static struct got g;
	struct linebuf lb;

	(void)state;
	memset(&g, 0, sizeof(g));
	linebuf_init(&lb);
	assert_int_equal(linebuf_feed(&lb, "one\ntw", 6, collect, &g), 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(linebuf_feed(&lb, "o\n\nlast", 7, collect, &g), 0);
	assert_int_equal(g.n, 3);
	assert_int_equal(linebuf_finish(&lb, collect, &g), 0);
	assert_int_equal(g.n, 4);
	assert_string_equal(g.text[0], "one");
	assert_string_equal(g.text[1], "two");
	assert_string_equal(g.text[2], "");
	assert_string_equal(g.text[3], "last");
	assert_int_equal(g.part[3], 0);
}

static void test_long_line_split_not_truncated(void **state)
{
	static struct got g;
	static char line[2600];
	struct linebuf lb;

	(void)state;
	memset(&g, 0, sizeof(g));
	memset(line, 'x', 2500);
	line[2500] = '\n';
	linebuf_init(&lb);
	assert_int_equal(linebuf_feed(&lb, line, 2501, collect, &g), 0);
	assert_int_equal(g.n, 3);
	assert_int_equal(g.len[0] + g.len[1] + g.len[2], 2500);
	assert_int_equal(g.part[0], 1);
	assert_int_equal(g.part[1], 2);
	assert_int_equal(g.part[2], 3);
}

static void test_split_keeps_utf8_whole(void **state)
{
	static struct got g;
	static char line[1100];
	struct linebuf lb;
	size_t i;

	(void)state;
	memset(&g, 0, sizeof(g));
	/* 999 ASCII bytes then a 3-byte character straddling the limit */
	memset(line, 'a', 999);
	memcpy(line + 999, "\xe2\x82\xac", 3);
	line[1002] = '\n';
	linebuf_init(&lb);
	assert_int_equal(linebuf_feed(&lb, line, 1003, collect, &g), 0);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.len[0], 999);
	assert_string_equal(g.text[1], "\xe2\x82\xac");
	for (i = 0; i < g.len[0]; i++)
		assert_int_equal(g.text[0][i], 'a');
}

static void test_exact_limit_is_one_message(void **state)
{
	static struct got g;
	static char line[HP_CHAT_MAX + 1];
	struct linebuf lb;

	(void)state;
	memset(&g, 0, sizeof(g));
	memset(line, 'z', HP_CHAT_MAX);
	line[HP_CHAT_MAX] = '\n';
	linebuf_init(&lb);
	assert_int_equal(linebuf_feed(&lb, line, sizeof(line), collect, &g), 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.len[0], HP_CHAT_MAX);
	assert_int_equal(g.part[0], 0);
}

static void test_nul_dropped_and_counted(void **state)
{
	static struct got g;
	struct linebuf lb;

	(void)state;
	memset(&g, 0, sizeof(g));
	linebuf_init(&lb);
	assert_int_equal(linebuf_feed(&lb, "a\0b\n", 4, collect, &g), 0);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.text[0], "ab");
	assert_int_equal(lb.nuls, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_split_on_newline),
		cmocka_unit_test(test_long_line_split_not_truncated),
		cmocka_unit_test(test_split_keeps_utf8_whole),
		cmocka_unit_test(test_exact_limit_is_one_message),
		cmocka_unit_test(test_nul_dropped_and_counted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
