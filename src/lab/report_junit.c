// SPDX-License-Identifier: MIT
/*
 * The JUnit XML writer of a run's report (--junit FILE): one testsuite
 * with one testcase, as CI systems read it (the de facto schema of Ant's
 * JUnit task: testsuite tests/failures/errors/skipped/time, testcase
 * classname/name/time, failure or error with a message). A failed run is
 * a <failure>, a setup error an <error>; the narrative is its system-out.
 */
#include <inttypes.h>
#include <string.h>

#include "escape.h"
#include "report.h"
#include "report_int.h"

static double run_seconds(const struct lab_report *r)
{
	return r->wall_ms < 0 ? 0.0 : (double)r->wall_ms / 1000.0;
}

static void junit_outcome(const struct lab_report *r, FILE *f)
{
	const char *tag = r->result == LAB_RESULT_ERROR ? "error" : "failure";

	if (r->result == LAB_RESULT_PASS)
		return;
	fprintf(f, "    <%s message=\"", tag);
	lab_xml_write(f, r->reason[0] ? r->reason : "unknown", true);
	fprintf(f, "\" type=\"%s\">", r->interrupted_by[0] ? "interrupted" : tag);
	fputs("path ", f);
	lab_xml_write(f, r->path, false);
	fputs(", expected ", f);
	lab_xml_write(f, r->expected[0] ? r->expected : "(no theory: not built)", false);
	fprintf(f, "</%s>\n", tag);
}

static void junit_output(const struct lab_report *r, FILE *f)
{
	size_t i;

	fputs("    <system-out>", f);
	for (i = 0; i < r->nsteps; i++) {
		fprintf(f, "[%6" PRIu64 " ms] ", r->steps[i].ms);
		lab_xml_write(f, r->steps[i].text, false);
		fputc('\n', f);
	}
	fputs("</system-out>\n", f);
	if (!r->last_words[0][0] && !r->last_words[1][0])
		return;
	fputs("    <system-err>", f);
	for (i = 0; i < 2; i++) {
		if (!r->last_words[i][0])
			continue;
		fputs("--- ", f);
		lab_xml_write(f, i ? r->b.nick : r->a.nick, false);
		fputs("'s last words:\n", f);
		lab_xml_write(f, r->last_words[i], false);
		fputc('\n', f);
	}
	fputs("</system-err>\n", f);
}

static void junit_finish(const struct lab_report *r, FILE *f)
{
	char title[160];

	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
	fprintf(f, "<testsuite name=\"hplab run\" tests=\"1\" failures=\"%d\" errors=\"%d\" "
		   "skipped=\"0\" time=\"%.3f\">\n",
		r->result == LAB_RESULT_FAIL, r->result == LAB_RESULT_ERROR, run_seconds(r));
	fputs("  <testcase classname=\"hplab.run\" name=\"", f);
	lab_xml_write(f, lab_report_title(r, title, sizeof(title)), true);
	fprintf(f, "\" time=\"%.3f\">\n", run_seconds(r));
	junit_outcome(r, f);
	junit_output(r, f);
	fputs("  </testcase>\n</testsuite>\n", f);
}

const struct lab_report_writer lab_report_junit = {
	.finish = junit_finish,
};
