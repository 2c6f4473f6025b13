// SPDX-License-Identifier: MIT
/*
 * The matrix's writers, one per output format (format.h), all from the
 * same cells: for people a header, one line per cell, a grid and the
 * verdict; for machines one JSON object.
 */
#include <inttypes.h>
#include <string.h>

#include "json.h"
#include "matrix.h"

static const char *cell_label(const struct lab_cell *c, char *buf, size_t len)
{
	if (c->same_nat)
		snprintf(buf, len, "same NAT (%s), hairpin %s", c->nat_a, c->hairpin ? "on" : "off");
	else
		snprintf(buf, len, "%s x %s", c->nat_a, c->nat_b);
	return buf;
}

static void probe_text(char *buf, size_t len, const char *verdict, bool ok)
{
	snprintf(buf, len, "%s%s", verdict[0] ? verdict : "(none)", ok ? "" : " WRONG");
}

static void print_grid(FILE *f, const struct lab_cell *cells, size_t n)
{
	size_t i, col = 0;

	fprintf(f, "\nobserved path (theory's in brackets when it differs), A row x B column:\n");
	fprintf(f, "%-17s", "A \\ B");
	for (i = 0; i < n && !cells[i].same_nat && !strcmp(cells[i].nat_a, cells[0].nat_a); i++)
		fprintf(f, " %-23s", cells[i].nat_b);
	for (i = 0; i < n && !cells[i].same_nat; i++) {
		char text[48];

		if (i == 0 || strcmp(cells[i].nat_a, cells[i - 1].nat_a)) {
			fprintf(f, "\n%-17s", cells[i].nat_a);
			col = 0;
		}
		if (!strcmp(cells[i].observed, cells[i].expected))
			snprintf(text, sizeof(text), "%s %" PRId64 " ms", cells[i].observed,
				 cells[i].connect_ms);
		else
			snprintf(text, sizeof(text), "%s [%s]!", cells[i].observed, cells[i].expected);
		fprintf(f, " %-23s", text);
		col++;
	}
	fputc('\n', f);
	(void)col;
}

static void text_begin(FILE *f, size_t n, size_t pairs, unsigned jobs)
{
	fprintf(f, "matrix: %zu cells (%zu personality pairs, %zu same-NAT), %u at a time\n", n,
		pairs, n - pairs, jobs);
	fflush(f);
}

static void text_table(FILE *f, const struct lab_cell *cells, size_t n, double seconds,
		       unsigned jobs)
{
	size_t i, ok = 0, probes_ok = 0;
	char label[80], pa[40], pb[40], ms[24];

	fprintf(f, "\n %2s  %-46s %-8s %-8s %8s  %-22s %-22s %s\n", "#", "cell", "expected",
		"observed", "connect", "probe A", "probe B", "");
	for (i = 0; i < n; i++) {
		const struct lab_cell *c = &cells[i];

		probe_text(pa, sizeof(pa), c->probe_a, c->probe_a_ok);
		probe_text(pb, sizeof(pb), c->probe_b, c->probe_b_ok);
		if (c->connect_ms >= 0)
			snprintf(ms, sizeof(ms), "%" PRId64 " ms", c->connect_ms);
		else
			snprintf(ms, sizeof(ms), "-");
		fprintf(f, " %2zu  %-46s %-8s %-8s %8s  %-22s %-22s %s\n", i + 1,
			cell_label(c, label, sizeof(label)), c->expected, c->observed, ms, pa, pb,
			c->ok ? "ok" : "MISMATCH");
		if (!c->ok && c->reason[0])
			fprintf(f, "      why: %s\n", c->reason);
		ok += c->ok;
		probes_ok += c->probe_a_ok + c->probe_b_ok;
	}
	print_grid(f, cells, n);
	fprintf(f, "\n%zu of %zu cells as theory predicts, %zu of %zu probes right, %.1f s "
		   "(%u at a time)\n", ok, n, probes_ok, 2 * n, seconds, jobs);
}

static void json_str(FILE *f, const char *key, const char *val)
{
	fprintf(f, "\"%s\":", key);
	hp_json_write_string(f, val, strlen(val));
}

static void text_finish(FILE *f, const struct lab_cell *cells, size_t n, double seconds,
			unsigned jobs, int signo)
{
	bool all_ok = true;

	for (size_t i = 0; i < n; i++)
		all_ok = all_ok && cells[i].ok;
	text_table(f, cells, n, seconds, jobs);
	if (signo)
		fprintf(f, "FAIL: interrupted by signal %d\n", signo);
	else
		fputs(all_ok ? "PASS\n" : "FAIL: some cells are not as theory predicts (see above)\n",
		      f);
}

/* The object says pass or fail; an interrupted matrix has failed cells. */
static void json_finish(FILE *f, const struct lab_cell *cells, size_t n, double seconds,
			unsigned jobs, int signo)
{
	size_t i;
	bool all = true;

	(void)signo;
	for (i = 0; i < n; i++)
		all = all && cells[i].ok;
	fprintf(f, "{\"result\":\"%s\",\"seconds\":%.3f,\"jobs\":%u,\"cells\":[",
		all ? "pass" : "fail", seconds, jobs);
	for (i = 0; i < n; i++) {
		const struct lab_cell *c = &cells[i];

		fputs(i ? ",{" : "{", f);
		json_str(f, "nat_a", c->nat_a);
		fputc(',', f);
		json_str(f, "nat_b", c->nat_b);
		fprintf(f, ",\"same_nat\":%s,\"hairpin\":%s,", c->same_nat ? "true" : "false",
			c->hairpin < 0 ? "null" : c->hairpin ? "true" : "false");
		json_str(f, "expected", c->expected);
		fputc(',', f);
		json_str(f, "observed", c->observed);
		fprintf(f, ",\"connect_ms\":%" PRId64 ",", c->connect_ms);
		json_str(f, "probe_a", c->probe_a);
		fputc(',', f);
		json_str(f, "probe_b", c->probe_b);
		fprintf(f, ",\"probe_a_ok\":%s,\"probe_b_ok\":%s,\"ok\":%s,\"wall_ms\":%" PRId64 ",",
			c->probe_a_ok ? "true" : "false", c->probe_b_ok ? "true" : "false",
			c->ok ? "true" : "false", c->wall_ms);
		json_str(f, "reason", c->reason);
		fputc(',', f);
		json_str(f, "prefix", c->prefix);
		fputc('}', f);
	}
	fputs("]}\n", f);
	fflush(f);
}

struct matrix_writer {
	/* Before the cells run (NULL: nothing). */
	void (*begin)(FILE *f, size_t n, size_t pairs, unsigned jobs);
	/* Once they all ran, or a signal (signo) stopped them. */
	void (*finish)(FILE *f, const struct lab_cell *cells, size_t n, double seconds,
		       unsigned jobs, int signo);
};

static const struct matrix_writer writers[LAB_FORMAT_COUNT] = {
	[LAB_FORMAT_TEXT] = { .begin = text_begin, .finish = text_finish },
	[LAB_FORMAT_JSON] = { .finish = json_finish },
};

void lab_matrix_print_begin(FILE *f, enum lab_format fmt, size_t n, size_t pairs, unsigned jobs)
{
	if (writers[fmt].begin)
		writers[fmt].begin(f, n, pairs, jobs);
}

void lab_matrix_print(FILE *f, enum lab_format fmt, const struct lab_cell *cells, size_t n,
		      double seconds, unsigned jobs, int signo)
{
	writers[fmt].finish(f, cells, n, seconds, jobs, signo);
}
