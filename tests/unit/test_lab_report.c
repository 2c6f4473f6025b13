// SPDX-License-Identifier: MIT
/*
 * The run's report writers: JSON's null convention and schema_version,
 * the error object, JUnit (well-formed whatever the reason holds, checked
 * with python3's xml.etree when there is one) and markdown.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "xmlcheck.h"

#include "lab/report.h"

/* A reason no document can take as it is: markup, quotes, a pipe, line
 * breaks, a terminal escape, a NUL-free control byte, broken UTF-8. */
#define HOSTILE "bob said <b>\"hi\" & 'bye'</b> | ]]> \n\x1b[31m\x01 \xff\xc3("

static char *write_fmt(const struct lab_report *r, enum lab_format fmt)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	lab_report_write(r, fmt, f);
	fclose(f);
	return text;
}

static char *error_fmt(enum lab_format fmt, const char *cmd, const char *reason)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	lab_report_error(f, fmt, cmd, reason);
	fclose(f);
	return text;
}

static void fill_failed(struct lab_report *r)
{
	lab_report_init(r, LAB_FORMAT_JSON, NULL, 0);
	snprintf(r->nat_a, sizeof(r->nat_a), "full-cone");
	snprintf(r->nat_b, sizeof(r->nat_b), "symmetric");
	snprintf(r->a.nick, sizeof(r->a.nick), "alice");
	snprintf(r->b.nick, sizeof(r->b.nick), "bob");
	snprintf(r->expected, sizeof(r->expected), "relay");
	r->messages = 3;
	r->wall_ms = 1234;
	lab_report_step(r, "step with %s", HOSTILE);
	lab_report_fail(r, LAB_RESULT_FAIL, "%s", HOSTILE);
	snprintf(r->last_words[1], sizeof(r->last_words[1]), "%s", HOSTILE);
}

/* Nothing ran: every value it would have had is null, not -1 or "". */
static void test_json_nulls(void **state)
{
	static struct lab_report r;
	char *t;

	(void)state;
	lab_report_init(&r, LAB_FORMAT_JSON, NULL, 0);
	t = write_fmt(&r, LAB_FORMAT_JSON);
	assert_non_null(strstr(t, "{\"schema_version\":1,\"result\":\"pass\",\"reason\":null,"
				  "\"interrupted_by\":null,\"path\":\"none\",\"connect_ms\":null,"
				  "\"direct_ms\":null,\"setup_ms\":null,\"teardown_ms\":null,\"wall_ms\":null,"));
	assert_non_null(strstr(t, "\"expected\":null,"));
	assert_non_null(strstr(t, "\"hairpin\":null,"));
	assert_non_null(strstr(t, "\"topology\":\"home\",\"nat\":{"));
	assert_non_null(strstr(t, "\"udp_timeout\":null,"));
	assert_non_null(strstr(t, "\"fault\":null,"));
	assert_non_null(strstr(t, "\"public\":null,\"peer\":null,\"path\":null,\"connect_ms\":null,"));
	assert_non_null(strstr(t, "\"exit\":null,"));
	assert_non_null(strstr(t, "\"probe\":null,\"probe_error\":null}"));
	assert_null(strstr(t, "-1"));
	assert_null(strstr(t, "\"\""));
	free(t);
}

static void test_json_values(void **state)
{
	static struct lab_report r;
	char *t;

	(void)state;
	fill_failed(&r);
	r.udp_timeout = 5;
	r.a.exit_code = 0;
	r.connect_ms = 0;
	snprintf(r.interrupted_by, sizeof(r.interrupted_by), "SIGINT");
	snprintf(r.fault, sizeof(r.fault), "idle");
	t = write_fmt(&r, LAB_FORMAT_JSON);
	assert_non_null(strstr(t, "\"interrupted_by\":\"SIGINT\","));
	assert_non_null(strstr(t, "\"connect_ms\":0,"));
	assert_non_null(strstr(t, "\"udp_timeout\":5,"));
	assert_non_null(strstr(t, "\"exit\":0,"));
	assert_non_null(strstr(t, "\"fault\":{\"name\":\"idle\",\"injected_ms\":null,\"ok\":false,"
				  "\"detail\":null}"));
	assert_non_null(strstr(t, "\"reason\":\"bob said <b>\\\"hi\\\" & 'bye'</b> | ]]> \\n"
				  "\\u001b[31m\\u0001 \\ufffd\\ufffd(\""));
	free(t);
}

static void test_error_object(void **state)
{
	char *t;

	(void)state;
	t = error_fmt(LAB_FORMAT_JSON, "run", "needs root");
	assert_string_equal(t, "{\"schema_version\":1,\"result\":\"error\",\"command\":\"run\","
			       "\"reason\":\"needs root\"}\n");
	free(t);
	t = error_fmt(LAB_FORMAT_JSON, NULL, "unknown command 'x\"'");
	assert_string_equal(t, "{\"schema_version\":1,\"result\":\"error\",\"command\":null,"
			       "\"reason\":\"unknown command 'x\\\"'\"}\n");
	free(t);
	t = error_fmt(LAB_FORMAT_TEXT, "run", "needs root");
	assert_string_equal(t, "lab: needs root\n"); /* lab_prog_typed() before main() named it */
	free(t);
	/* a file format has no error form: its file is not made */
	t = error_fmt(LAB_FORMAT_JUNIT, "run", "x");
	assert_string_equal(t, "");
	free(t);
	t = error_fmt(LAB_FORMAT_MARKDOWN, "run", "x");
	assert_string_equal(t, "");
	free(t);
}

static void test_junit_failure(void **state)
{
	static struct lab_report r;
	char *t;
	int ok;

	(void)state;
	fill_failed(&r);
	t = write_fmt(&r, LAB_FORMAT_JUNIT);
	assert_non_null(strstr(t, "<testsuite name=\"hplab run\" tests=\"1\" failures=\"1\" "
				  "errors=\"0\" skipped=\"0\" time=\"1.234\">"));
	assert_non_null(strstr(t, "<testcase classname=\"hplab.run\" "
				  "name=\"full-cone x symmetric\" time=\"1.234\">"));
	assert_non_null(strstr(t, "<failure message=\"bob said &lt;b&gt;&quot;hi&quot; &amp; "
				  "&apos;bye&apos;&lt;/b&gt; | ]]&gt; &#10;\\x1b[31m\\x01 "
				  "\xef\xbf\xbd\xef\xbf\xbd(\" type=\"failure\">"));
	ok = xml_check(t, "c = d.findall(\"testcase\")\n"
			     "assert d.tag == \"testsuite\" and len(c) == 1\n"
			     "f = c[0].find(\"failure\")\n"
			     "assert f.get(\"message\").startswith(\"bob said <b>\")\n"
			     "assert \"\\n\" in f.get(\"message\")\n"
			     "assert \"bob\" in c[0].find(\"system-err\").text");
	if (ok < 0)
		fprintf(stderr, "(no python3: XML not parsed)\n");
	else
		assert_int_equal(ok, 0);
	free(t);
}

static void test_junit_pass_and_error(void **state)
{
	static struct lab_report r;
	char *t;

	(void)state;
	lab_report_init(&r, LAB_FORMAT_TEXT, NULL, 0);
	r.same_nat = true;
	r.hairpin = 0;
	snprintf(r.nat_a, sizeof(r.nat_a), "port-restricted");
	t = write_fmt(&r, LAB_FORMAT_JUNIT);
	assert_non_null(strstr(t, "failures=\"0\" errors=\"0\" skipped=\"0\" time=\"0.000\""));
	assert_non_null(strstr(t, "name=\"same NAT (port-restricted), hairpin off\""));
	assert_null(strstr(t, "<failure"));
	assert_null(strstr(t, "<system-err>"));
	free(t);
	lab_report_fail(&r, LAB_RESULT_ERROR, "namespaces hpl1-* exist already");
	snprintf(r.fault, sizeof(r.fault), "rebind");
	t = write_fmt(&r, LAB_FORMAT_JUNIT);
	assert_non_null(strstr(t, "failures=\"0\" errors=\"1\""));
	assert_non_null(strstr(t, "hairpin off, fault rebind\""));
	assert_non_null(strstr(t, "<error message=\"namespaces hpl1-* exist already\" "
				  "type=\"error\">"));
	assert_int_not_equal(xml_check(t, "assert d.find(\"testcase/error\") is not None"), 1);
	free(t);
}

static void test_markdown(void **state)
{
	static struct lab_report r;
	char *t, *row;

	(void)state;
	fill_failed(&r);
	r.a.delivered = 3;
	t = write_fmt(&r, LAB_FORMAT_MARKDOWN);
	assert_non_null(strstr(t, "### hplab run: FAIL: full-cone x symmetric\n\n| | |\n|---|---|\n"));
	assert_non_null(strstr(t, "| result | FAIL |\n"));
	assert_non_null(strstr(t, "| path | none (theory: relay) |\n"));
	assert_non_null(strstr(t, "| connect | - |\n"));
	assert_non_null(strstr(t, "| messages | alice \xe2\x86\x92 bob 3/3, bob \xe2\x86\x92 alice 0/3 |\n"));
	/* the reason stays inside its one row */
	row = strstr(t, "| reason | ");
	assert_non_null(row);
	assert_string_equal(row, "| reason | bob said \\<b\\>\"hi\" \\& 'bye'\\</b\\> \\| \\]\\]\\>  "
				 "\\x1b\\[31m\\x01 \xef\xbf\xbd\xef\xbf\xbd( |\n\n");
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_nulls),
		cmocka_unit_test(test_json_values),
		cmocka_unit_test(test_error_object),
		cmocka_unit_test(test_junit_failure),
		cmocka_unit_test(test_junit_pass_and_error),
		cmocka_unit_test(test_markdown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
