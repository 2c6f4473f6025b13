// SPDX-License-Identifier: MIT
/*
 * The HTML pages (--html): the run's page and the matrix's, on a
 * synthetic trace (a few datagrams, each fate, mappings made and gone):
 * well-formed (python3's xml.etree parses them when there is one),
 * hostile strings escaped, one arrow per hop of each datagram, the
 * grid's cells each with a verdict class and a link to a section that
 * exists.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "xmlcheck.h"

#include "lab/matrix.h"
#include "lab/plan.h"
#include "lab/report.h"

#define EVIL "<script>alert(1)</script>&"
#define EVIL_NICK "<i>b&</i>" /* fits a nick */

static struct lab_ct_tuple tup(const char *s, unsigned sp, const char *d, unsigned dp)
{
	struct lab_ct_tuple t = { .sport = (uint16_t)sp, .dport = (uint16_t)dp };

	assert_int_equal(inet_pton(AF_INET, s, &t.src), 1);
	assert_int_equal(inet_pton(AF_INET, d, &t.dst), 1);
	return t;
}

static void client(struct lab_report *r, uint64_t us, unsigned side, enum lab_tr_client what,
		   const char *text)
{
	struct lab_tr_ev e = { .us = us, .kind = LAB_TR_CLIENT, .what = (uint8_t)what,
			       .side = (uint8_t)side,
			       .node = side ? LAB_NODE_HB : LAB_NODE_HA, .ttl = 2 };

	e.a = tup(side ? "10.0.2.2" : "10.0.1.2", 4000, side ? "198.51.100.10" : "203.0.113.10",
		  4000);
	snprintf(e.text, sizeof(e.text), "%s", text);
	lab_trace_add(&r->trace, &e);
}

static void map(struct lab_report *r, uint64_t us, enum lab_node node, enum lab_ct_ev_type what,
		uint32_t id, struct lab_ct_tuple a, struct lab_ct_tuple b)
{
	struct lab_tr_ev e = { .us = us, .kind = LAB_TR_MAP, .node = node,
			       .what = (uint8_t)what, .ct_id = id, .a = a, .b = b };

	lab_trace_add(&r->trace, &e);
}

/* A datagram at a NAT, as lab_trace_resolve() leaves it. */
static struct lab_tr_ev *pkt(struct lab_report *r, uint64_t us, enum lab_node node,
			     uint32_t dgram, uint8_t hp_type, enum lab_tr_fate fate,
			     struct lab_ct_tuple a, struct lab_ct_tuple b)
{
	struct lab_tr_ev e = { .us = us, .kind = LAB_TR_PKT, .node = node, .dgram = dgram,
			       .what = (uint8_t)fate, .proto = IPPROTO_UDP, .hp_type = hp_type,
			       .ttl = 64, .a = a, .b = b, .side = LAB_TR_NOBODY };

	lab_trace_add(&r->trace, &e);
	return &r->trace.ev[r->trace.n - 1];
}

/*
 * The fixture, and the hops each datagram makes in the home topology:
 *   1 register  hA>rA rA>core core>srv           3
 *   2 punch     hA>rA rA>core (ttl ran out)      2
 *   3 icmp      core>rA rA>hA                    2
 *   4 punch     hB>rB rB>core core>rA rA>hA      4
 *   5 punch     hA>rA rA>core core>rB (dropped)  3
 */
static void fixture(struct lab_report *r)
{
	struct lab_tr_ev *e;

	lab_report_init(r, LAB_FORMAT_TEXT, NULL, 0);
	snprintf(r->nat_a, sizeof(r->nat_a), "port-restricted");
	snprintf(r->nat_b, sizeof(r->nat_b), "port-restricted");
	snprintf(r->a.nick, sizeof(r->a.nick), "alice");
	snprintf(r->b.nick, sizeof(r->b.nick), EVIL_NICK);
	snprintf(r->a.private_ep, sizeof(r->a.private_ep), "10.0.1.2:4000");
	snprintf(r->a.public_ep, sizeof(r->a.public_ep), "198.51.100.10:4000");
	snprintf(r->expected, sizeof(r->expected), "direct");
	snprintf(r->path, sizeof(r->path), "direct");
	lab_report_step(r, "the step says " EVIL);
	lab_report_fail(r, LAB_RESULT_FAIL, "the reason says " EVIL);
	r->trace.on = true;
	lab_trace_side(&r->trace, 0, "alice", "10.0.1.2", 4000);
	lab_trace_side(&r->trace, 1, EVIL_NICK, "10.0.2.2", 4000);
	lab_trace_node_addr(&r->trace, LAB_NODE_RA, "198.51.100.10");
	lab_trace_node_addr(&r->trace, LAB_NODE_RB, "203.0.113.10");
	lab_trace_node_addr(&r->trace, LAB_NODE_SRV, "192.0.2.10");

	client(r, 1000, 0, LAB_TRC_REGISTERED, "");
	pkt(r, 1100, LAB_NODE_RA, 1, 0x01, LAB_FATE_FORWARDED,
	    tup("10.0.1.2", 4000, "192.0.2.10", 3478), tup("198.51.100.10", 4000, "192.0.2.10", 3478));
	map(r, 1200, LAB_NODE_RA, LAB_CT_EV_NEW, 1, tup("10.0.1.2", 4000, "192.0.2.10", 3478),
	    tup("192.0.2.10", 3478, "198.51.100.10", 4000));
	client(r, 2000, 0, LAB_TRC_PUNCH, "srflx " EVIL);
	e = pkt(r, 2100, LAB_NODE_RA, 2, 0x10, LAB_FATE_EXPIRED,
		tup("10.0.1.2", 4000, "203.0.113.10", 4000),
		tup("198.51.100.10", 4000, "203.0.113.10", 4000));
	e->ttl = 2;
	e->icmp_type = 11;
	inet_pton(AF_INET, "198.51.100.1", &e->from);
	e = pkt(r, 2300, LAB_NODE_RA, 3, 0x10, LAB_FATE_FORWARDED,
		tup("198.51.100.10", 4000, "203.0.113.10", 4000),
		tup("10.0.1.2", 4000, "203.0.113.10", 4000));
	e->proto = IPPROTO_ICMP;
	e->icmp_type = 11;
	inet_pton(AF_INET, "198.51.100.1", &e->from);
	client(r, 2400, 0, LAB_TRC_ICMP, "time exceeded");
	client(r, 3000, 1, LAB_TRC_PUNCH, "srflx");
	pkt(r, 3100, LAB_NODE_RB, 4, 0x10, LAB_FATE_FORWARDED,
	    tup("10.0.2.2", 4000, "198.51.100.10", 4000), tup("203.0.113.10", 4000, "198.51.100.10", 4000));
	pkt(r, 3200, LAB_NODE_RA, 4, 0x10, LAB_FATE_FORWARDED,
	    tup("203.0.113.10", 4000, "198.51.100.10", 4000), tup("203.0.113.10", 4000, "10.0.1.2", 4000));
	client(r, 4000, 0, LAB_TRC_PUNCH, "srflx");
	pkt(r, 4100, LAB_NODE_RA, 5, 0x10, LAB_FATE_FORWARDED,
	    tup("10.0.1.2", 4000, "203.0.113.10", 4000), tup("198.51.100.10", 4000, "203.0.113.10", 4000));
	e = pkt(r, 4200, LAB_NODE_RB, 5, 0x10, LAB_FATE_DROPPED,
		tup("198.51.100.10", 4000, "203.0.113.10", 4000),
		tup("198.51.100.10", 4000, "203.0.113.10", 4000));
	e->rule = LAB_RULE_FW_INPUT;
	map(r, 9000, LAB_NODE_RA, LAB_CT_EV_DESTROY, 1, tup("10.0.1.2", 4000, "192.0.2.10", 3478),
	    tup("192.0.2.10", 3478, "198.51.100.10", 4000));
	r->trace.nat[LAB_NODE_RA].maps = 1;
	r->trace.nat[LAB_NODE_RB].drops[LAB_RULE_FW_INPUT] = 1;
}

static char *run_page(const struct lab_report *r)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	lab_report_write(r, LAB_FORMAT_HTML, f);
	fclose(f);
	return text;
}

static void check(const char *doc, const char *py)
{
	int ok = xml_check(doc, py);

	if (ok < 0)
		fprintf(stderr, "(no python3: HTML not parsed)\n");
	else
		assert_int_equal(ok, 0);
}

/* The page's one sequence diagram, as seq, for the checks below. */
#define SEQ "seq = [s for s in d.iter(\"svg\") if s.get(\"class\") == \"sequence\"]\n"

static void test_run_page(void **state)
{
	static struct lab_report r;
	char *t;

	(void)state;
	fixture(&r);
	t = run_page(&r);
	assert_true(!strncmp(t, "<!DOCTYPE html>\n<html lang=\"en\">", 31));
	/* no markup from the run gets through, and nothing is fetched */
	assert_null(strstr(t, "<script"));
	assert_non_null(strstr(t, "&lt;script&gt;alert(1)&lt;/script&gt;&amp;"));
	assert_non_null(strstr(t, "&lt;i&gt;b&amp;&lt;/i&gt;"));
	assert_null(strstr(t, "<i>"));
	assert_null(strstr(t, "http:"));
	assert_null(strstr(t, "https:"));
	assert_null(strstr(t, " src="));
	check(t, SEQ "assert len(seq) == 1\n"
		 "want = {\"1\": 3, \"2\": 2, \"3\": 2, \"4\": 4, \"5\": 3}\n"
		 "got = {}\n"
		 "for g in seq[0].iter(\"g\"):\n"
		 "    if \"dgram\" in g.get(\"class\", \"\").split():\n"
		 "        got[g.get(\"data-dgram\")] = len([l for l in g.iter(\"line\") if l.get(\"class\") == \"arrow\"])\n"
		 "assert got == want, got\n"
		 "cls = {g.get(\"data-dgram\"): g.get(\"class\").split() for g in seq[0].iter(\"g\") if g.get(\"data-dgram\")}\n"
		 "assert \"fate-expired\" in cls[\"2\"] and \"msg-punch\" in cls[\"2\"], cls\n"
		 "assert \"fate-dropped\" in cls[\"5\"] and \"msg-register\" in cls[\"1\"], cls\n"
		 "assert \"msg-icmp\" in cls[\"3\"], cls\n");
	check(t, SEQ
		 "txt = \"\".join(seq[0].itertext())\n"
		 "assert \"dropped: fw-input\" in txt and \"TTL ran out\" in txt, txt\n"
		 "marks = [g for g in seq[0].iter(\"g\") if \"client-punch\" in g.get(\"class\", \"\").split()]\n"
		 "assert len(marks) == 3, marks\n"
		 "all = \"\".join(d.itertext())\n"
		 "assert \"<script>alert(1)</script>&\" in all\n");
	check(t,
		 "nat = [t for t in d.iter(\"table\") if t.get(\"class\") == \"nat nat-rA\"]\n"
		 "rows = [tr for tr in nat[0].iter(\"tr\") if tr.get(\"class\") == \"mapping\"]\n"
		 "assert len(rows) == 1, rows\n"
		 "cells = [\"\".join(td.itertext()) for td in rows[0].iter(\"td\")]\n"
		 "assert cells[1].startswith(\"10.0.1.2:4000 \\u2192 198.51.100.10:4000\"), cells\n"
		 "assert cells[4] == \"+9.000 ms\", cells\n"
		 "legend = [l for l in d.iter(\"ul\") if l.get(\"class\") == \"legend\"]\n"
		 "assert len(list(legend[0].iter(\"li\"))) >= 6\n");
	free(t);
}

/* With no trace at all the page still says what happened. */
static void test_run_page_no_trace(void **state)
{
	static struct lab_report r;
	char *t;

	(void)state;
	lab_report_init(&r, LAB_FORMAT_TEXT, NULL, 0);
	t = run_page(&r);
	assert_non_null(strstr(t, "(no trace was collected)"));
	check(t, "assert d.tag == \"html\"\n"
		 "assert not [g for g in d.iter(\"g\") if \"dgram\" in g.get(\"class\", \"\")]\n");
	free(t);
}

static void test_matrix_page(void **state)
{
	static struct lab_report story;
	struct lab_report *stories[LAB_MATRIX_MAX_CELLS] = { NULL };
	struct lab_cell cells[LAB_MATRIX_MAX_CELLS];
	struct lab_matrix_result m = { .cells = cells, .jobs = 2, .seconds = 1.5 };
	char *t = NULL, py[1024];
	size_t len = 0;
	FILE *f;

	(void)state;
	m.n = lab_matrix_cells(cells, LAB_MATRIX_MAX_CELLS, NULL);
	assert_true(m.n > 3);
	snprintf(cells[0].observed, sizeof(cells[0].observed), "%s", cells[0].expected);
	cells[0].ok = true;
	snprintf(cells[1].observed, sizeof(cells[1].observed), "failed");
	snprintf(cells[1].reason, sizeof(cells[1].reason), "%s", EVIL);
	fixture(&story);
	stories[0] = &story;
	m.stories = stories;
	f = open_memstream(&t, &len);
	assert_non_null(f);
	lab_matrix_print(f, LAB_FORMAT_HTML, &m);
	fclose(f);
	assert_null(strstr(t, "<script"));
	snprintf(py, sizeof(py),
		 "tds = [td for td in d.iter(\"td\") if \"cell\" in td.get(\"class\", \"\").split()]\n"
		 "assert len(tds) == %zu, len(tds)\n"
		 "ids = {e.get(\"id\") for e in d.iter() if e.get(\"id\")}\n"
		 "v = [td.get(\"class\").split()[1] for td in tds]\n"
		 "assert v[0] == \"cell-ok\" and v[1] == \"cell-wrong\" and v[2] == \"cell-not_run\", v\n"
		 "assert set(v) <= {\"cell-ok\", \"cell-wrong\", \"cell-not_run\"}\n"
		 "for td in tds:\n"
		 "    a = td.find(\"a\")\n"
		 "    assert a.get(\"href\")[1:] in ids, a.get(\"href\")\n"
		 "seqs = [s for s in d.iter(\"svg\") if s.get(\"class\") == \"sequence\"]\n"
		 "assert len(seqs) == 1, len(seqs)\n"
		 "assert \"<script>alert(1)</script>&\" in \"\".join(d.itertext())\n", m.n);
	check(t, py);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_page),
		cmocka_unit_test(test_run_page_no_trace),
		cmocka_unit_test(test_matrix_page),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
