// SPDX-License-Identifier: MIT
/*
 * The matrix as one HTML page (--html FILE, html.h): the verdict, the
 * grid of personality pairs (A's router per row, B's per column) and the
 * other topologies' cells, each coloured by its verdict (ok, wrong, not
 * run) and a link to its own story further down: the cell's result and,
 * from the report its worker sent (matrix.c), its topology, sequence
 * diagram and NAT tables.
 */
#include <inttypes.h>
#include <string.h>

#include "escape.h"
#include "html.h"
#include "matrix.h"
#include "matrixout_int.h"
#include "report.h"

/* The class of each verdict ("cell-ok" ...), in enum order. */
static const char *const verdict_class[LAB_CELL_VERDICTS] = {
	[LAB_CELL_OK] = "ok", [LAB_CELL_WRONG] = "wrong", [LAB_CELL_NOT_RUN] = "not_run",
};

/* The personality pairs come first, row by row (lab_matrix_cells). */
static size_t grid_cols(const struct lab_matrix_result *m)
{
	size_t cols = 0;

	while (cols < m->n && m->cells[cols].topology == LAB_TOPOLOGY_HOME &&
	       !m->cells[cols].same_nat && !strcmp(m->cells[cols].nat_a, m->cells[0].nat_a))
		cols++;
	return cols;
}

static void grid_cell(FILE *f, const struct lab_cell *c, size_t i)
{
	enum lab_cell_verdict v = lab_cell_verdict(c);
	char text[64];

	if (v == LAB_CELL_NOT_RUN)
		snprintf(text, sizeof(text), "not run");
	else if (lab_cell_as_predicted(c) && c->connect_ms >= 0)
		snprintf(text, sizeof(text), "%s %" PRId64 " ms", c->observed, c->connect_ms);
	else if (lab_cell_as_predicted(c))
		snprintf(text, sizeof(text), "%s", c->observed);
	else
		snprintf(text, sizeof(text), "%s (theory: %s)", c->observed, c->expected);
	fprintf(f, "<td class=\"cell cell-%s\"><a href=\"#cell-%zu\">", verdict_class[v], i + 1);
	lab_xml_write(f, text, false);
	fputs("</a></td>", f);
}

static void grid(FILE *f, const struct lab_matrix_result *m)
{
	size_t i, cols = m->pairs ? grid_cols(m) : 0, pairs = 0;
	char label[80];

	fputs("<h2 id=\"grid\">Grid</h2>\n", f);
	if (cols) {
		fputs("<table class=\"grid\">\n<tr><th>A \\ B</th>", f);
		for (i = 0; i < cols; i++) {
			fputs("<th>", f);
			lab_xml_write(f, m->cells[i].nat_b, false);
			fputs("</th>", f);
		}
		fputs("</tr>", f);
		for (i = 0; i < m->n && m->cells[i].topology == LAB_TOPOLOGY_HOME &&
			    !m->cells[i].same_nat; i++) {
			if (i % cols == 0) {
				fputs(i ? "</tr>\n<tr><th>" : "\n<tr><th>", f);
				lab_xml_write(f, m->cells[i].nat_a, false);
				fputs("</th>", f);
			}
			grid_cell(f, &m->cells[i], i);
		}
		fputs("</tr>\n</table>\n", f);
		pairs = i;
	}
	if (pairs == m->n)
		return;
	fputs("<table class=\"grid others\">\n<tr><th>other topologies</th><th>observed</th></tr>\n",
	      f);
	for (i = pairs; i < m->n; i++) {
		fputs("<tr><th>", f);
		lab_xml_write(f, lab_cell_label(&m->cells[i], label, sizeof(label)), false);
		fputs("</th>", f);
		grid_cell(f, &m->cells[i], i);
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void fact(FILE *f, const char *key, const char *val)
{
	fprintf(f, "<tr><th>%s</th><td>", key);
	lab_xml_write(f, val[0] ? val : "-", false);
	fputs("</td></tr>\n", f);
}

static void cell_story(FILE *f, const struct lab_matrix_result *m, size_t i)
{
	const struct lab_cell *c = &m->cells[i];
	const struct lab_report *r = m->stories ? m->stories[i] : NULL;
	enum lab_cell_verdict v = lab_cell_verdict(c);
	char label[80], text[128];

	fprintf(f, "<section class=\"story cell-%s\" id=\"cell-%zu\">\n<h2>%zu. ", verdict_class[v],
		i + 1, i + 1);
	lab_xml_write(f, lab_cell_label(c, label, sizeof(label)), false);
	fprintf(f, ": %s</h2>\n<table class=\"facts\">\n", verdict_class[v]);
	fact(f, "expected", lab_cell_theory_text(c, text, sizeof(text)));
	fact(f, "observed", c->observed);
	fact(f, "trials", lab_cell_trials_text(c, text, sizeof(text)));
	snprintf(text, sizeof(text), "%" PRId64 " ms", c->connect_ms);
	fact(f, "connect", c->connect_ms < 0 ? "" : text);
	snprintf(text, sizeof(text), "A %s%s, B %s%s", c->probe_a[0] ? c->probe_a : "(none)",
		 c->probe_a_ok ? "" : " (wrong)", c->probe_b[0] ? c->probe_b : "(none)",
		 c->probe_b_ok ? "" : " (wrong)");
	fact(f, "probes", text);
	fact(f, "reason", c->reason);
	fputs("</table>\n", f);
	if (r)
		lab_html_story(f, r, 3);
	else
		fputs("<p class=\"none\">(no story: the cell sent no report)</p>\n", f);
	fputs("<p><a href=\"#grid\">back to the grid</a></p>\n</section>\n", f);
}

static void html_finish(FILE *f, const struct lab_matrix_result *m)
{
	struct lab_matrix_counts k;
	char sig[16];

	lab_matrix_count(m, &k);
	lab_matrix_signal(m, sig, sizeof(sig));
	lab_html_begin(f, "hplab matrix");
	fprintf(f, "<p class=\"result result-%s\"><b>%s</b>: %zu of %zu cells as theory predicts "
		   "(%zu ok, %zu wrong, %zu not run); %zu of %zu probes right; %.1f s, %u at a "
		   "time.", k.passed ? "pass" : "fail",
		k.passed ? "PASS" : "FAIL",
		k.verdict[LAB_CELL_OK], m->n, k.verdict[LAB_CELL_OK], k.verdict[LAB_CELL_WRONG],
		k.verdict[LAB_CELL_NOT_RUN], k.probes_ok, 2 * m->n, m->seconds, m->jobs);
	if (sig[0])
		fprintf(f, " Interrupted by %s.", sig);
	fputs("</p>\n", f);
	grid(f, m);
	fputs("<h2>Legend</h2>\n", f);
	lab_html_seq_legend(f);
	for (size_t i = 0; i < m->n; i++)
		cell_story(f, m, i);
	lab_html_end(f);
}

const struct lab_matrix_writer lab_matrix_html = {
	.finish = html_finish,
};
