// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lab/escape.h"

/* What lab_xml_write / lab_md_write make of s, malloc'ed. */
static char *xml(const char *s, bool attr)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	lab_xml_write(f, s, attr);
	fclose(f);
	return text;
}

static char *md(const char *s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	lab_md_write(f, s);
	fclose(f);
	return text;
}

#define ASSERT_XML(in, attr, want)                  \
	do {                                        \
		char *got_ = xml(in, attr);         \
		assert_string_equal(got_, want);    \
		free(got_);                         \
	} while (0)

#define ASSERT_MD(in, want)                         \
	do {                                        \
		char *got_ = md(in);                \
		assert_string_equal(got_, want);    \
		free(got_);                         \
	} while (0)

static void test_xml_specials(void **state)
{
	(void)state;
	ASSERT_XML("plain text 1.2.3.4:5", true, "plain text 1.2.3.4:5");
	ASSERT_XML("<a href=\"x\">&'</a>", false,
		   "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;");
	/* a CDATA end or a comment cannot survive either */
	ASSERT_XML("]]><!--", false, "]]&gt;&lt;!--");
	ASSERT_XML("", true, "");
}

static void test_xml_whitespace_and_controls(void **state)
{
	(void)state;
	/* attribute values keep their line breaks as references (XML 1.0 s.3.3.3) */
	ASSERT_XML("a\tb\nc\rd", true, "a&#9;b&#10;c&#13;d");
	ASSERT_XML("a\tb\nc\rd", false, "a\tb\nc&#13;d");
	/* characters XML 1.0 s.2.2 does not allow at all, even as references */
	ASSERT_XML("x\x01y\x1b[31mz\x7f", false, "x\\x01y\\x1b[31mz\\x7f");
	ASSERT_XML("\xef\xbf\xbe", false, "\\ufffe"); /* a noncharacter */
}

static void test_xml_invalid_utf8(void **state)
{
	(void)state;
	ASSERT_XML("caf\xc3\xa9 \xe2\x86\x92", false, "caf\xc3\xa9 \xe2\x86\x92");
	ASSERT_XML("\xff", false, "\xef\xbf\xbd");                 /* not a lead byte */
	ASSERT_XML("\xc0\xaf", false, "\xef\xbf\xbd\xef\xbf\xbd"); /* overlong '/' */
	ASSERT_XML("\xed\xa0\x80", false, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* surrogate */
	ASSERT_XML("ab\xe2\x86", false, "ab\xef\xbf\xbd\xef\xbf\xbd"); /* cut short */
	ASSERT_XML("\xf0\x9f\x98\x80", true, "\xf0\x9f\x98\x80");      /* U+1F600 */
}

static void test_md_cell(void **state)
{
	(void)state;
	ASSERT_MD("full-cone x symmetric", "full-cone x symmetric");
	/* a pipe would end the cell, a newline the table */
	ASSERT_MD("a|b\nc\r\td", "a\\|b c  d");
	ASSERT_MD("*x* _y_ `z` [l](u) <b> ~s~ &amp; $m$ \\",
		  "\\*x\\* \\_y\\_ \\`z\\` \\[l\\](u) \\<b\\> \\~s\\~ \\&amp; \\$m\\$ \\\\");
	ASSERT_MD("\x01\x1b[0m\xff", "\\x01\\x1b\\[0m\xef\xbf\xbd");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xml_specials),
		cmocka_unit_test(test_xml_whitespace_and_controls),
		cmocka_unit_test(test_xml_invalid_utf8),
		cmocka_unit_test(test_md_cell),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
