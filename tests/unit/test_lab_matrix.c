// SPDX-License-Identifier: MIT
#include <signal.h>
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

#include "lab/matrix.h"
#include "lab/nat.h"

static void test_cells_cover_every_pair_and_same_nat(void **state)
{
	struct lab_cell cells[LAB_MATRIX_MAX_CELLS];
	size_t n = lab_matrix_cells(cells, LAB_MATRIX_MAX_CELLS, NULL), i, j, same = 0, same_lan = 0, cgnat = 0, cgnat_same = 0;

	(void)state;
	assert_int_equal(n, 24);
	for (i = 0; i < n; i++) {
		assert_non_null(lab_nat_find(cells[i].nat_a));
		assert_non_null(lab_nat_find(cells[i].nat_b));
		if (cells[i].same_nat) {
			same++;
			assert_int_equal(cells[i].topology, LAB_TOPOLOGY_HOME);
			assert_true(cells[i].hairpin == 0 || cells[i].hairpin == 1);
			continue;
		}
		if (cells[i].topology == LAB_TOPOLOGY_CGNAT_SAME) {
			cgnat_same++;
			/* one CGN for both homes: like one router, hairpin or relay */
			assert_string_equal(cells[i].expected, cells[i].hairpin ? "direct" : "relay");
			continue;
		}
		if (cells[i].topology == LAB_TOPOLOGY_CGNAT) {
			cgnat++;
			assert_int_equal(cells[i].hairpin, -1);
			assert_non_null(lab_nat_find(cells[i].nat_cgn));
			/* port-restricted CGNs keep EIM: direct; symmetric: relay */
			assert_string_equal(cells[i].expected,
					    strcmp(cells[i].nat_cgn, "symmetric") ? "direct" : "relay");
			continue;
		}
		if (cells[i].topology == LAB_TOPOLOGY_SAME_LAN) {
			same_lan++;
			assert_true(cells[i].hairpin == 0 || cells[i].hairpin == 1);
			/* one LAN switch: the host candidates meet, no NAT between */
			assert_string_equal(cells[i].expected, "direct");
			continue;
		}
		assert_int_equal(cells[i].hairpin, -1);
		for (j = 0; j < i; j++)
			assert_false(!cells[j].same_nat && !strcmp(cells[i].nat_a, cells[j].nat_a) &&
				     !strcmp(cells[i].nat_b, cells[j].nat_b));
	}
	assert_int_equal(same, 2);
	assert_int_equal(same_lan, 2);
	assert_int_equal(cgnat, 2);
	assert_int_equal(cgnat_same, 2);
	assert_true(cells[22].hairpin != cells[23].hairpin);
	assert_true(cells[16].hairpin != cells[17].hairpin);
	assert_true(cells[18].hairpin != cells[19].hairpin);
	/* before anything runs: theory's prediction, nothing observed */
	for (i = 0; i < n; i++) {
		assert_true(!strcmp(cells[i].expected, "direct") ||
			    !strcmp(cells[i].expected, "relay"));
		assert_string_equal(cells[i].observed, "not_run");
		assert_int_equal(lab_cell_verdict(&cells[i]), LAB_CELL_NOT_RUN);
		assert_int_equal(cells[i].wall_ms, -1);
		assert_int_equal(cells[i].connect_ms, -1);
	}
	/* symmetric on both sides cannot punch (RFC 4787 s.4.1), hairpin on
	 * loops back directly, hairpin off has only the relay */
	assert_string_equal(cells[15].nat_a, "symmetric");
	assert_string_equal(cells[15].nat_b, "symmetric");
	assert_string_equal(cells[15].expected, "relay");
	assert_string_equal(cells[0].expected, "direct");
	assert_string_equal(cells[16].expected, cells[16].hairpin ? "direct" : "relay");
	assert_string_equal(cells[17].expected, cells[17].hairpin ? "direct" : "relay");
	/* a short table is cut, not overrun */
	assert_int_equal(lab_matrix_cells(cells, 5, NULL), 5);
}

/* (not inlined: gcc 12 then takes the stream's buffer for a local) */
static __attribute__((noinline)) char *print(enum lab_format fmt, const struct lab_matrix_result *m)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	lab_matrix_print(f, fmt, m);
	fclose(f);
	return text;
}

/* The first 10 cells as they would come back: 8 as predicted, one wrong
 * (with a hostile reason), one interrupted; the other 14 never started. */
static size_t interrupted_matrix(struct lab_cell *cells, struct lab_matrix_result *m)
{
	size_t n = lab_matrix_cells(cells, LAB_MATRIX_MAX_CELLS, NULL), i;

	for (i = 0; i < 10; i++) {
		struct lab_cell *c = &cells[i];

		snprintf(c->observed, sizeof(c->observed), "%s", c->expected);
		c->connect_ms = 30 + (int64_t)i;
		c->wall_ms = 400;
		c->ok = c->probe_a_ok = c->probe_b_ok = true;
		snprintf(c->probe_a, sizeof(c->probe_a), "%s", c->nat_a);
		snprintf(c->probe_b, sizeof(c->probe_b), "%s", c->nat_b);
		snprintf(c->prefix, sizeof(c->prefix), "hpl%zu", 100 + i);
	}
	snprintf(cells[3].observed, sizeof(cells[3].observed), "failed");
	cells[3].ok = false;
	cells[3].connect_ms = -1;
	snprintf(cells[3].reason, sizeof(cells[3].reason), "a <\"quoted\"> | reason & \x01\n\xff");
	snprintf(cells[9].observed, sizeof(cells[9].observed), "not_run");
	cells[9].ok = false;
	snprintf(cells[9].reason, sizeof(cells[9].reason), "interrupted by SIGINT");
	*m = (struct lab_matrix_result){ .cells = cells, .n = n, .pairs = 16, .seconds = 4.25,
					 .jobs = 6, .signo = SIGINT };
	return n;
}

/* Relayed cells (the longest: they wait --relay-after) start first, then
 * the rest; each cell once, each group in table order. */
static void test_start_order_relay_first(void **state)
{
	struct lab_cell cells[LAB_MATRIX_MAX_CELLS];
	size_t order[LAB_MATRIX_MAX_CELLS], n = lab_matrix_cells(cells, LAB_MATRIX_MAX_CELLS, NULL);
	size_t i, relays = 0;
	bool seen[LAB_MATRIX_MAX_CELLS] = { false };

	(void)state;
	lab_matrix_start_order(cells, n, order);
	for (i = 0; i < n; i++)
		relays += !strcmp(cells[i].expected, "relay");
	assert_true(relays > 0 && relays < n);
	for (i = 0; i < n; i++) {
		assert_true(order[i] < n);
		assert_false(seen[order[i]]);
		seen[order[i]] = true;
		assert_int_equal(!strcmp(cells[order[i]].expected, "relay"), i < relays);
		if (i + 1 != relays && i + 1 < n)
			assert_true(order[i] < order[i + 1]);
	}
}

static void test_json_shape(void **state)
{
	struct lab_cell cells[LAB_MATRIX_MAX_CELLS];
	size_t n = lab_matrix_cells(cells, LAB_MATRIX_MAX_CELLS, NULL);
	struct lab_matrix_result m = { .cells = cells, .n = n, .pairs = 16, .seconds = 4.25,
				       .jobs = 6 };
	char *text;

	(void)state;
	snprintf(cells[3].reason, sizeof(cells[3].reason), "a \"quoted\" reason");
	text = print(LAB_FORMAT_JSON, &m);
	assert_non_null(strstr(text, "{\"schema_version\":1,\"result\":\"fail\","
				     "\"interrupted\":false,\"interrupted_by\":null,"
				     "\"trials\":1,\"seconds\":4.250,\"jobs\":6,\"counts\":{\"cells\":24,"
				     "\"ok\":0,\"wrong\":0,\"not_run\":24,\"probes_ok\":0},"
				     "\"cells\":[{"));
	assert_non_null(strstr(text, "\"nat_a\":\"full-cone\",\"nat_b\":\"symmetric\","
				     "\"same_nat\":false,\"hairpin\":null,"
				     "\"label\":\"full-cone x symmetric\","));
	assert_non_null(strstr(text, "\"same_nat\":true,\"hairpin\":false,"));
	assert_non_null(strstr(text, "{\"topology\":\"home\",\"nat_a\":\"full-cone\","));
	assert_non_null(strstr(text, "{\"topology\":\"same-lan\",\"nat_a\":\"port-restricted\","
				     "\"nat_b\":\"port-restricted\",\"same_nat\":false,"
				     "\"hairpin\":true,\"label\":\"same LAN (port-restricted), "
				     "hairpin on\",\"expected\":\"direct\","));
	assert_non_null(strstr(text, "a \\\"quoted\\\" reason"));
	/* a cell that never ran: theory's prediction, and null for what it did not get */
	assert_non_null(strstr(text, "\"expected\":\"relay\",\"observed\":\"not_run\","
				     "\"connect_ms\":null,\"probe_a\":null,\"probe_b\":null,"
				     "\"probe_a_ok\":false,\"probe_b_ok\":false,\"ok\":false,"
				     "\"wall_ms\":null,\"reason\":null,\"prefix\":null,"));
	/* the spray cell's probability and what it assumed */
	assert_non_null(strstr(text, "\"p_direct\":0.983498,\"spray\":true,\"spray_ports\":256,"
				     "\"spray_probes\":1024,\"trials\":0,\"directs\":0,"));
	assert_non_null(strstr(text, "\"median_direct_ms\":null}"));
	assert_null(strstr(text, "-1"));
	assert_null(strstr(text, "\"\""));
	assert_null(strstr(text, "\"?\""));
	assert_int_equal(text[strlen(text) - 1], '\n');
	free(text);
}

static void test_interrupted_counts(void **state)
{
	struct lab_cell cells[LAB_MATRIX_MAX_CELLS];
	struct lab_matrix_result m;
	struct lab_matrix_counts k;
	char *text, sig[16];

	(void)state;
	interrupted_matrix(cells, &m);
	lab_matrix_count(&m, &k);
	assert_int_equal(k.verdict[LAB_CELL_OK], 8);
	assert_int_equal(k.verdict[LAB_CELL_WRONG], 1);
	assert_int_equal(k.verdict[LAB_CELL_NOT_RUN], 15);
	assert_int_equal(k.probes_ok, 20);
	assert_string_equal(lab_matrix_signal(&m, sig, sizeof(sig)), "SIGINT");
	text = print(LAB_FORMAT_JSON, &m);
	assert_non_null(strstr(text, "\"result\":\"fail\",\"interrupted\":true,"
				     "\"interrupted_by\":\"SIGINT\","));
	assert_non_null(strstr(text, "\"counts\":{\"cells\":24,\"ok\":8,\"wrong\":1,"
				     "\"not_run\":15,\"probes_ok\":20}"));
	free(text);
	/* the narrative: a not-run cell is not a mismatch */
	text = print(LAB_FORMAT_TEXT, &m);
	assert_non_null(strstr(text, "8 of 24 cells as theory predicts (15 not run), 20 of 48 "
				     "probes right, 4.2 s (6 at a time)\nFAIL: interrupted by "
				     "SIGINT\n"));
	assert_non_null(strstr(text, " not run\n      why: interrupted by SIGINT\n"));
	assert_non_null(strstr(text, "MISMATCH\n      why: a <\"quoted\">"));
	free(text);
}

static void test_progress_line(void **state)
{
	struct lab_cell cells[LAB_MATRIX_MAX_CELLS];
	struct lab_matrix_result m;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	interrupted_matrix(cells, &m);
	assert_non_null(f);
	lab_matrix_print_progress(f, &cells[1], 3, 18);
	lab_matrix_print_progress(f, &cells[3], 4, 18);
	lab_matrix_print_progress(f, &cells[9], 5, 18);
	lab_matrix_print_progress(f, &cells[17], 6, 18);
	fclose(f);
	assert_string_equal(text,
		"matrix: 3/18 full-cone x restricted-cone: direct (as predicted) 31 ms\n"
		"matrix: 4/18 full-cone x symmetric: failed (predicted direct) MISMATCH: "
		"a <\"quoted\"> | reason &   \xff\n"
		"matrix: 5/18 port-restricted x restricted-cone: not run 39 ms: interrupted by SIGINT\n"
		"matrix: 6/18 same NAT (port-restricted), hairpin off: not run\n");
	free(text);
}

static void test_junit(void **state)
{
	struct lab_cell cells[LAB_MATRIX_MAX_CELLS];
	struct lab_matrix_result m;
	char *text;
	int ok;

	(void)state;
	interrupted_matrix(cells, &m);
	text = print(LAB_FORMAT_JUNIT, &m);
	assert_non_null(strstr(text, "<testsuite name=\"hplab matrix\" tests=\"24\" "
				     "failures=\"1\" errors=\"0\" skipped=\"15\" time=\"4.250\">"));
	assert_non_null(strstr(text, "<testcase classname=\"hplab.matrix\" "
				     "name=\"full-cone x symmetric\" time=\"0.400\">\n"
				     "    <failure type=\"mismatch\" message=\"a &lt;&quot;quoted"
				     "&quot;&gt; | reason &amp; \\x01&#10;\xef\xbf\xbd\">"));
	assert_non_null(strstr(text, "name=\"same NAT (port-restricted), hairpin off\" "
				     "time=\"0.000\">\n    <skipped message=\"not run: the matrix "
				     "was interrupted by SIGINT\"/>"));
	assert_non_null(strstr(text, "<skipped message=\"interrupted by SIGINT\"/>"));
	ok = xml_check(text, "c = d.findall(\"testcase\")\n"
				"assert d.tag == \"testsuite\" and len(c) == 24, len(c)\n"
				"assert len(d.findall(\"testcase/failure\")) == 1\n"
				"assert len(d.findall(\"testcase/skipped\")) == 15\n"
				"m = d.find(\"testcase/failure\").get(\"message\")\n"
				"assert m.startswith(\"a <\\\"quoted\\\"> | reason &\"), m");
	if (ok < 0)
		fprintf(stderr, "(no python3: XML not parsed)\n");
	else
		assert_int_equal(ok, 0);
	free(text);
}

static void test_markdown(void **state)
{
	struct lab_cell cells[LAB_MATRIX_MAX_CELLS];
	struct lab_matrix_result m;
	char *text, *p;
	size_t rows = 0;

	(void)state;
	interrupted_matrix(cells, &m);
	text = print(LAB_FORMAT_MARKDOWN, &m);
	assert_non_null(strstr(text, "### hplab matrix: FAIL: 8 of 24 cells as theory predicts\n\n"
				     "8 ok, 1 wrong, 15 not run; 20 of 48 probes right; 4.2 s, 6 at a "
				     "time. **Interrupted by SIGINT.**\n"));
	assert_non_null(strstr(text, "| A \\\\ B | full-cone | restricted-cone | "
				     "port-restricted | symmetric |\n|---|---|---|---|---|\n"
				     "| full-cone | direct 30 ms | direct 31 ms | direct 32 ms | "
				     "**failed** (theory: direct) |\n"));
	p = strstr(text, "| # | cell | expected | observed | connect ms | probe A | probe B | ok | "
			 "why |\n|---:|");
	assert_non_null(p);
	assert_non_null(strstr(p, "| 4 | full-cone x symmetric | direct | failed | - | full-cone "
				  "| symmetric | **wrong** | a \\<\"quoted\"\\> \\| reason \\& "
				  "\\x01 \xef\xbf\xbd |\n"));
	assert_non_null(strstr(p, "| 18 | same NAT (port-restricted), hairpin off | relay | "
				  "not\\_run | - | - (wrong) | - (wrong) | not run |  |\n"));
	/* one row per cell under the header and its rule */
	for (p = strchr(p, '\n') + 1; (p = strchr(p, '\n')) && p[1] == '|'; p++)
		rows++;
	assert_int_equal(rows, 24);
	free(text);
}

/* Wilson's interval at its known points (95 %): 0 of 10 is [0, 27.8 %],
 * 10 of 10 [72.2 %, 1], 20 of 40 [35.2 %, 64.8 %]. */
static void test_wilson(void **state)
{
	double lo, hi;

	(void)state;
	lab_wilson(0, 10, &lo, &hi);
	assert_true(lo == 0.0 && hi > 0.277 && hi < 0.279);
	lab_wilson(10, 10, &lo, &hi);
	assert_true(hi == 1.0 && lo > 0.721 && lo < 0.723);
	lab_wilson(20, 40, &lo, &hi);
	assert_true(lo > 0.351 && lo < 0.353 && hi > 0.647 && hi < 0.649);
	lab_wilson(0, 1, &lo, &hi);
	assert_true(lo == 0.0 && hi > 0.79 && hi < 0.80);
}

static size_t find_cell(const struct lab_cell *cells, size_t n, const char *a, const char *b)
{
	for (size_t i = 0; i < n; i++)
		if (cells[i].topology == LAB_TOPOLOGY_HOME && !cells[i].same_nat &&
		    !strcmp(cells[i].nat_a, a) && !strcmp(cells[i].nat_b, b))
			return i;
	fail();
	return 0;
}

/* The spray cells carry their probability; folding trials checks it
 * against the interval, and one trial never fails it. */
static void test_trials_fold(void **state)
{
	struct lab_cell cells[LAB_MATRIX_MAX_CELLS], runs[40];
	size_t n = lab_matrix_cells(cells, LAB_MATRIX_MAX_CELLS, NULL), i, k = 0;
	struct lab_cell *c;

	(void)state;
	for (i = 0; i < n; i++)
		k += cells[i].spray;
	assert_int_equal(k, 2); /* port-restricted x symmetric, both ways */
	c = &cells[find_cell(cells, n, "port-restricted", "symmetric")];
	assert_true(c->spray && c->p_direct > 0.98 && c->p_direct < 0.99);
	assert_string_equal(c->expected, "relay");
	assert_true(lab_cell_path_allowed(c, "direct") && lab_cell_path_allowed(c, "relay"));
	assert_false(cells[find_cell(cells, n, "symmetric", "symmetric")].spray);
	{
		char th[128];

		lab_cell_theory_text(&cells[find_cell(cells, n, "symmetric", "symmetric")], th,
				     sizeof(th));
		assert_string_equal(th, "relay: both NATs hard, no spray (1024 probes would win "
					"0.03 %)");
		lab_cell_theory_text(c, th, sizeof(th));
		assert_string_equal(th, "direct 98.3 % (K 256, N 1024), else relay");
	}
	assert_true(cells[find_cell(cells, n, "symmetric", "symmetric")].p_direct == 0.0);
	assert_true(cells[find_cell(cells, n, "full-cone", "symmetric")].p_direct == 1.0);
	/* one relayed trial: cannot contradict 98 % */
	runs[0] = *c;
	snprintf(runs[0].observed, sizeof(runs[0].observed), "relay");
	runs[0].ok = true;
	lab_cell_fold(c, runs, 1);
	assert_true(c->ok && c->trials == 1 && c->directs == 0);
	/* 39 of 40 direct: 98.3 % is inside [87.1 %, 99.6 %] */
	for (i = 0; i < 40; i++) {
		runs[i] = *c;
		snprintf(runs[i].observed, sizeof(runs[i].observed), "%s", i ? "direct" : "relay");
		/* relayed first, upgraded by the spray: the time to direct counts */
		runs[i].connect_ms = 5;
		runs[i].direct_ms = (int64_t)i * 10;
		runs[i].ok = true;
	}
	lab_cell_fold(c, runs, 40);
	assert_true(c->ok && c->directs == 39 && c->trials == 40);
	assert_true(c->ci_lo < c->p_direct && c->ci_hi > c->p_direct);
	assert_int_equal(c->median_ms, 200); /* of 10..390 */
	assert_string_equal(c->observed, "mixed");
	/* 20 of 40: theory is wrong */
	for (i = 0; i < 20; i++)
		snprintf(runs[i].observed, sizeof(runs[i].observed), "relay");
	lab_cell_fold(c, runs, 40);
	assert_false(c->ok);
	assert_non_null(strstr(c->reason, "20 of 40 trials direct"));
	/* a certain cell: one relayed trial of 40 fails it */
	c = &cells[find_cell(cells, n, "full-cone", "symmetric")];
	for (i = 0; i < 40; i++) {
		runs[i] = *c;
		snprintf(runs[i].observed, sizeof(runs[i].observed), "%s", i ? "direct" : "relay");
		runs[i].ok = true;
	}
	lab_cell_fold(c, runs, 40);
	assert_false(c->ok);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wilson),
		cmocka_unit_test(test_trials_fold),
		cmocka_unit_test(test_cells_cover_every_pair_and_same_nat),
		cmocka_unit_test(test_start_order_relay_first),
		cmocka_unit_test(test_json_shape),
		cmocka_unit_test(test_interrupted_counts),
		cmocka_unit_test(test_progress_line),
		cmocka_unit_test(test_junit),
		cmocka_unit_test(test_markdown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
