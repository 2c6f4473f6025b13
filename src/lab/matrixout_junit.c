// SPDX-License-Identifier: MIT
/*
 * The matrix as JUnit XML (--junit FILE): one testsuite, one testcase per
 * cell (classname hplab.matrix, the cell's label as its name, its run's
 * seconds), a wrong cell a <failure> whose message is its reason, a cell
 * that never ran <skipped/>. The schema is the de facto one of Ant's JUnit
 * task, which CI systems read.
 */
#include <inttypes.h>
#include <string.h>

#include "escape.h"
#include "matrix.h"
#include "matrixout_int.h"

static double cell_seconds(const struct lab_cell *c)
{
	return c->wall_ms < 0 ? 0.0 : (double)c->wall_ms / 1000.0;
}

/* A wrong cell's message: its run's first failure, else what differs. */
static void junit_failure(FILE *f, const struct lab_cell *c)
{
	char why[sizeof(c->reason)], text[128];

	if (c->reason[0])
		snprintf(why, sizeof(why), "%s", c->reason);
	else if (!lab_cell_as_predicted(c))
		snprintf(why, sizeof(why), "observed %s, theory predicts %s", c->observed,
			 c->expected);
	else
		snprintf(why, sizeof(why), "a probe misjudged its router");
	fputs("    <failure type=\"mismatch\" message=\"", f);
	lab_xml_write(f, why, true);
	fputs("\">expected ", f);
	lab_xml_write(f, lab_cell_theory_text(c, text, sizeof(text)), false);
	if (lab_cell_trials_text(c, text, sizeof(text))[0]) {
		fputs(" (", f);
		lab_xml_write(f, text, false);
		fputc(')', f);
	}
	fputs(", observed ", f);
	lab_xml_write(f, c->observed, false);
	fputs("; probe A ", f);
	lab_xml_write(f, c->probe_a[0] ? c->probe_a : "(none)", false);
	fprintf(f, "%s, probe B ", c->probe_a_ok ? "" : " (wrong)");
	lab_xml_write(f, c->probe_b[0] ? c->probe_b : "(none)", false);
	fprintf(f, "%s</failure>\n", c->probe_b_ok ? "" : " (wrong)");
}

static void junit_cell(FILE *f, const struct lab_cell *c, const char *sig)
{
	char label[80];

	fputs("  <testcase classname=\"hplab.matrix\" name=\"", f);
	lab_xml_write(f, lab_cell_label(c, label, sizeof(label)), true);
	fprintf(f, "\" time=\"%.3f\">\n", cell_seconds(c));
	switch (lab_cell_verdict(c)) {
	case LAB_CELL_OK:
		break;
	case LAB_CELL_WRONG:
		junit_failure(f, c);
		break;
	case LAB_CELL_NOT_RUN:
		fputs("    <skipped message=\"", f);
		lab_xml_write(f, c->reason[0] ? c->reason : "not run", true);
		if (sig[0] && !c->reason[0]) {
			fputs(": the matrix was interrupted by ", f);
			lab_xml_write(f, sig, true);
		}
		fputs("\"/>\n", f);
		break;
	case LAB_CELL_VERDICTS:
		break;
	}
	if (c->prefix[0]) {
		fputs("    <system-out>namespaces ", f);
		lab_xml_write(f, c->prefix, false);
		fputs("-*</system-out>\n", f);
	}
	fputs("  </testcase>\n", f);
}

static void junit_finish(FILE *f, const struct lab_matrix_result *m)
{
	struct lab_matrix_counts k;
	char sig[16];
	size_t i;

	lab_matrix_count(m, &k);
	lab_matrix_signal(m, sig, sizeof(sig));
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
	fprintf(f, "<testsuite name=\"hplab matrix\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
		   "skipped=\"%zu\" time=\"%.3f\">\n",
		m->n, k.verdict[LAB_CELL_WRONG], k.verdict[LAB_CELL_NOT_RUN], m->seconds);
	fprintf(f, "  <properties>\n    <property name=\"jobs\" value=\"%u\"/>\n", m->jobs);
	if (sig[0]) { /* only when it was: a property has no null */
		fputs("    <property name=\"interrupted_by\" value=\"", f);
		lab_xml_write(f, sig, true);
		fputs("\"/>\n", f);
	}
	fputs("  </properties>\n", f);
	for (i = 0; i < m->n; i++)
		junit_cell(f, &m->cells[i], sig);
	fputs("</testsuite>\n", f);
}

const struct lab_matrix_writer lab_matrix_junit = {
	.finish = junit_finish,
};
