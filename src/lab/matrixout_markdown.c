// SPDX-License-Identifier: MIT
/*
 * The matrix as markdown (--markdown FILE), for a CI step summary page
 * such as GitHub's $GITHUB_STEP_SUMMARY: a heading with the verdict, the
 * grid of personality pairs, and a table of the cells (GitHub-flavoured
 * markdown tables). Every value goes through lab_md_write.
 */
#include <inttypes.h>
#include <string.h>

#include "escape.h"
#include "matrix.h"
#include "matrixout_int.h"

static void md_grid_cell(FILE *f, const struct lab_cell *c)
{
	char text[64];

	if (lab_cell_verdict(c) == LAB_CELL_NOT_RUN)
		snprintf(text, sizeof(text), "not run");
	else if (lab_cell_as_predicted(c) && c->connect_ms >= 0)
		snprintf(text, sizeof(text), "%s %" PRId64 " ms", c->observed, c->connect_ms);
	else if (lab_cell_as_predicted(c))
		snprintf(text, sizeof(text), "%s", c->observed);
	else
		snprintf(text, sizeof(text), "**%s** (theory: %s)", c->observed, c->expected);
	fputs(" ", f);
	fputs(text, f); /* names from nat.c and theory.c: nothing to escape */
	fputs(" |", f);
}

/* Rows: A's personality; columns: B's, in the cells' order. */
static void md_grid(FILE *f, const struct lab_matrix_result *m)
{
	const struct lab_cell *cells = m->cells;
	size_t i, cols = 0;

	while (cols < m->n && !cells[cols].same_nat && !strcmp(cells[cols].nat_a, cells[0].nat_a))
		cols++;
	if (!cols)
		return;
	fputs("Observed path, A's router per row, B's per column (theory's when it differs):\n\n"
	      "| A \\\\ B |", f);
	for (i = 0; i < cols; i++) {
		fputc(' ', f);
		lab_md_write(f, cells[i].nat_b);
		fputs(" |", f);
	}
	fputs("\n|---|", f);
	for (i = 0; i < cols; i++)
		fputs("---|", f);
	for (i = 0; i < m->n && !cells[i].same_nat; i++) {
		if (i % cols == 0) {
			fputs("\n| ", f);
			lab_md_write(f, cells[i].nat_a);
			fputs(" |", f);
		}
		md_grid_cell(f, &cells[i]);
	}
	fputs("\n\n", f);
}

static void md_cells(FILE *f, const struct lab_matrix_result *m)
{
	static const char *const marks[LAB_CELL_VERDICTS] = {
		[LAB_CELL_OK] = "ok", [LAB_CELL_WRONG] = "**wrong**",
		[LAB_CELL_NOT_RUN] = "not run",
	};
	char label[80], text[128];
	size_t i;

	fputs("| # | cell | expected | observed | connect ms | probe A | probe B | ok | why |\n"
	      "|---:|---|---|---|---:|---|---|---|---|\n", f);
	for (i = 0; i < m->n; i++) {
		const struct lab_cell *c = &m->cells[i];
		enum lab_cell_verdict v = lab_cell_verdict(c);

		fprintf(f, "| %zu | ", i + 1);
		lab_md_write(f, lab_cell_label(c, label, sizeof(label)));
		fputs(" | ", f);
		lab_md_write(f, lab_cell_theory_text(c, text, sizeof(text)));
		fputs(" | ", f);
		lab_md_write(f, c->observed);
		if (lab_cell_trials_text(c, text, sizeof(text))[0]) {
			fputs(": ", f);
			lab_md_write(f, text);
		}
		if (c->connect_ms >= 0)
			fprintf(f, " | %" PRId64 " | ", c->connect_ms);
		else
			fputs(" | - | ", f);
		lab_md_write(f, c->probe_a[0] ? c->probe_a : "-");
		fputs(c->probe_a_ok ? " | " : " (wrong) | ", f);
		lab_md_write(f, c->probe_b[0] ? c->probe_b : "-");
		fprintf(f, "%s | %s | ", c->probe_b_ok ? "" : " (wrong)", marks[v]);
		lab_md_write(f, v == LAB_CELL_OK || !c->reason[0] ? "" : c->reason);
		fputs(" |\n", f);
	}
}

static void md_finish(FILE *f, const struct lab_matrix_result *m)
{
	struct lab_matrix_counts k;
	char sig[16];

	lab_matrix_count(m, &k);
	lab_matrix_signal(m, sig, sizeof(sig));
	fprintf(f, "### hplab matrix: %s: %zu of %zu cells as theory predicts\n\n",
		k.passed ? "PASS" : "FAIL",
		k.verdict[LAB_CELL_OK], m->n);
	fprintf(f, "%zu ok, %zu wrong, %zu not run; %zu of %zu probes right; %.1f s, %u at a "
		   "time.", k.verdict[LAB_CELL_OK], k.verdict[LAB_CELL_WRONG],
		k.verdict[LAB_CELL_NOT_RUN], k.probes_ok, 2 * m->n, m->seconds, m->jobs);
	if (sig[0])
		fprintf(f, " **Interrupted by %s.**", sig);
	fputs("\n\n", f);
	if (m->pairs)
		md_grid(f, m);
	md_cells(f, m);
	fputc('\n', f);
}

const struct lab_matrix_writer lab_matrix_markdown = {
	.finish = md_finish,
};
