// SPDX-License-Identifier: MIT
/*
 * The matrix's writers, one per output format (format.h), all from the
 * same cells: for people a header, one line per cell, a grid and the
 * verdict; for machines one JSON object (the file formats have their own
 * files, matrixout_*.c). And the progress line of each finished cell.
 */
#include <inttypes.h>
#include <string.h>

#include "jsonw.h"
#include "matrix.h"
#include "matrixout_int.h"
#include "sig.h"

static void probe_text(char *buf, size_t len, const char *verdict, bool ok)
{
	snprintf(buf, len, "%s%s", verdict[0] ? verdict : "(none)", ok ? "" : " WRONG");
}

static void print_grid(FILE *f, const struct lab_cell *cells, size_t n)
{
	size_t i;

	fprintf(f, "\nobserved path (theory's in brackets when it differs), A row x B column:\n");
	fprintf(f, "%-17s", "A \\ B");
	for (i = 0; i < n && !cells[i].same_nat && !strcmp(cells[i].nat_a, cells[0].nat_a); i++)
		fprintf(f, " %-23s", cells[i].nat_b);
	for (i = 0; i < n && !cells[i].same_nat; i++) {
		char text[48];

		if (i == 0 || strcmp(cells[i].nat_a, cells[i - 1].nat_a))
			fprintf(f, "\n%-17s", cells[i].nat_a);
		if (lab_cell_verdict(&cells[i]) == LAB_CELL_NOT_RUN)
			snprintf(text, sizeof(text), "not run");
		else if (lab_cell_as_predicted(&cells[i]))
			snprintf(text, sizeof(text), "%s %" PRId64 " ms", cells[i].observed,
				 cells[i].connect_ms);
		else
			snprintf(text, sizeof(text), "%s [%s]!", cells[i].observed, cells[i].expected);
		fprintf(f, " %-23s", text);
	}
	fputc('\n', f);
}

static void text_begin(FILE *f, const struct lab_matrix_result *m)
{
	fprintf(f, "matrix: %zu cells (%zu personality pairs, %zu same-NAT), %u at a time", m->n,
		m->pairs, m->n - m->pairs, m->jobs);
	if (m->trials > 1)
		fprintf(f, ", %u trials each", m->trials);
	fputc('\n', f);
	fflush(f);
}

/* Where the spray decides, theory's word is a chance, not a path. */
static const char *expected_text(const struct lab_cell *c, char *buf, size_t len)
{
	if (!c->spray)
		return c->expected;
	snprintf(buf, len, "%.0f%% dir", 100 * c->p_direct);
	return buf;
}

static void text_cell(FILE *f, const struct lab_cell *c, size_t i)
{
	static const char *const marks[LAB_CELL_VERDICTS] = {
		[LAB_CELL_OK] = "ok", [LAB_CELL_WRONG] = "MISMATCH", [LAB_CELL_NOT_RUN] = "not run",
	};
	enum lab_cell_verdict v = lab_cell_verdict(c);
	char label[80], pa[40], pb[40], ms[24], ex[16];

	probe_text(pa, sizeof(pa), c->probe_a, c->probe_a_ok);
	probe_text(pb, sizeof(pb), c->probe_b, c->probe_b_ok);
	if (c->connect_ms >= 0)
		snprintf(ms, sizeof(ms), "%" PRId64 " ms", c->connect_ms);
	else
		snprintf(ms, sizeof(ms), "-");
	fprintf(f, " %2zu  %-46s %-8s %-8s %8s  %-22s %-22s %s\n", i + 1,
		lab_cell_label(c, label, sizeof(label)), expected_text(c, ex, sizeof(ex)), c->observed,
		ms, pa, pb,
		marks[v]);
	if (c->spray || c->hard_hard || c->trials > 1) {
		char th[96], tr[128];

		lab_cell_trials_text(c, tr, sizeof(tr));
		fprintf(f, "      theory: %s%s%s\n", lab_cell_theory_text(c, th, sizeof(th)),
			tr[0] ? "; " : "", tr);
	}
	if (v != LAB_CELL_OK && c->reason[0])
		fprintf(f, "      why: %s\n", c->reason);
}

static void text_finish(FILE *f, const struct lab_matrix_result *m)
{
	struct lab_matrix_counts k;
	size_t i;

	lab_matrix_count(m, &k);
	fprintf(f, "\n %2s  %-46s %-8s %-8s %8s  %-22s %-22s %s\n", "#", "cell", "expected",
		"observed", "connect", "probe A", "probe B", "");
	for (i = 0; i < m->n; i++)
		text_cell(f, &m->cells[i], i);
	if (m->pairs)
		print_grid(f, m->cells, m->n);
	fprintf(f, "\n%zu of %zu cells as theory predicts", k.verdict[LAB_CELL_OK], m->n);
	if (k.verdict[LAB_CELL_NOT_RUN])
		fprintf(f, " (%zu not run)", k.verdict[LAB_CELL_NOT_RUN]);
	fprintf(f, ", %zu of %zu probes right, %.1f s (%u at a time)\n", k.probes_ok, 2 * m->n,
		m->seconds, m->jobs);
	if (m->signo)
		fprintf(f, "FAIL: interrupted by %s\n", lab_sig_name(m->signo));
	else
		fputs(k.passed ? "PASS\n" :
		      "FAIL: some cells are not as theory predicts (see above)\n", f);
}

static void json_cell(FILE *f, const struct lab_cell *c)
{
	char label[80];

	fputc('{', f);
	lab_jw_str(f, "topology", lab_topologies[c->topology].name);
	fputc(',', f);
	lab_jw_str(f, "nat_a", c->nat_a);
	fputc(',', f);
	lab_jw_str(f, "nat_b", c->nat_b);
	fputc(',', f);
	lab_jw_bool(f, "same_nat", c->same_nat);
	fputc(',', f);
	lab_jw_tristate(f, "hairpin", c->hairpin);
	fputc(',', f);
	lab_jw_str(f, "label", lab_cell_label(c, label, sizeof(label)));
	fputc(',', f);
	lab_jw_str(f, "expected", c->expected);
	fputc(',', f);
	lab_jw_str(f, "observed", c->observed);
	fputc(',', f);
	lab_jw_ms(f, "connect_ms", c->connect_ms);
	fputc(',', f);
	lab_jw_str(f, "probe_a", c->probe_a);
	fputc(',', f);
	lab_jw_str(f, "probe_b", c->probe_b);
	fputc(',', f);
	lab_jw_bool(f, "probe_a_ok", c->probe_a_ok);
	fputc(',', f);
	lab_jw_bool(f, "probe_b_ok", c->probe_b_ok);
	fputc(',', f);
	lab_jw_bool(f, "ok", c->ok);
	fputc(',', f);
	lab_jw_ms(f, "wall_ms", c->wall_ms);
	fputc(',', f);
	lab_jw_str(f, "reason", c->reason);
	fputc(',', f);
	lab_jw_str(f, "prefix", c->prefix);
	fprintf(f, ",\"p_direct\":%.6f,\"spray\":%s,\"spray_ports\":%u,\"spray_probes\":%u,"
		   "\"trials\":%u,\"directs\":%u,\"ci_low\":%.6f,\"ci_high\":%.6f,",
		c->p_direct, c->spray ? "true" : "false", c->spray_k, c->spray_n, c->trials,
		c->directs, c->ci_lo, c->ci_hi);
	lab_jw_ms(f, "median_direct_ms", c->median_ms);
	fputc('}', f);
}

/* The object says pass only if every cell is as predicted; a cell that
 * did not run is counted apart from the wrong ones. */
static void json_finish(FILE *f, const struct lab_matrix_result *m)
{
	struct lab_matrix_counts k;
	char sig[16];
	size_t i;

	lab_matrix_count(m, &k);
	fprintf(f, "{\"schema_version\":%d,\"result\":\"%s\",", LAB_SCHEMA_VERSION,
		k.passed ? "pass" : "fail");
	lab_jw_bool(f, "interrupted", m->signo != 0);
	fputc(',', f);
	lab_jw_str(f, "interrupted_by", lab_matrix_signal(m, sig, sizeof(sig)));
	fprintf(f, ",\"trials\":%u", m->trials ? m->trials : 1);
	fprintf(f, ",\"seconds\":%.3f,\"jobs\":%u,\"counts\":{\"cells\":%zu,\"ok\":%zu,"
		   "\"wrong\":%zu,\"not_run\":%zu,\"probes_ok\":%zu},\"cells\":[",
		m->seconds, m->jobs, m->n, k.verdict[LAB_CELL_OK], k.verdict[LAB_CELL_WRONG],
		k.verdict[LAB_CELL_NOT_RUN], k.probes_ok);
	for (i = 0; i < m->n; i++) {
		if (i)
			fputc(',', f);
		json_cell(f, &m->cells[i]);
	}
	fputs("]}\n", f);
	fflush(f);
}

static const struct lab_matrix_writer text = { .begin = text_begin, .finish = text_finish };
static const struct lab_matrix_writer json = { .finish = json_finish };

static const struct lab_matrix_writer *const writers[LAB_FORMAT_COUNT] = {
	[LAB_FORMAT_TEXT] = &text,
	[LAB_FORMAT_JSON] = &json,
	[LAB_FORMAT_JUNIT] = &lab_matrix_junit,
	[LAB_FORMAT_MARKDOWN] = &lab_matrix_markdown,
	[LAB_FORMAT_HTML] = &lab_matrix_html,
};

void lab_matrix_print_begin(FILE *f, enum lab_format fmt, const struct lab_matrix_result *m)
{
	if (writers[fmt]->begin)
		writers[fmt]->begin(f, m);
}

void lab_matrix_print(FILE *f, enum lab_format fmt, const struct lab_matrix_result *m)
{
	writers[fmt]->finish(f, m);
}

void lab_matrix_print_progress(FILE *f, const struct lab_cell *c, size_t done, size_t n)
{
	char label[80];

	fprintf(f, "matrix: %zu/%zu %s: ", done, n, lab_cell_label(c, label, sizeof(label)));
	switch (lab_cell_verdict(c)) {
	case LAB_CELL_OK:
		fprintf(f, "%s (as predicted)", c->observed);
		break;
	case LAB_CELL_WRONG:
		fprintf(f, "%s (predicted %s) MISMATCH", c->observed, c->expected);
		break;
	case LAB_CELL_NOT_RUN:
		fputs("not run", f);
		break;
	case LAB_CELL_VERDICTS:
		break;
	}
	if (c->connect_ms >= 0)
		fprintf(f, " %" PRId64 " ms", c->connect_ms);
	if (lab_cell_verdict(c) != LAB_CELL_OK && c->reason[0]) {
		/* one line per cell, whatever the reason holds */
		fputs(": ", f);
		for (const char *p = c->reason; *p; p++)
			fputc((unsigned char)*p < 0x20 ? ' ' : *p, f);
	}
	fputc('\n', f);
	fflush(f);
}
