// SPDX-License-Identifier: MIT
/*
 * A run's story as HTML (html.h): the page's frame and style, the result,
 * the topology with its addresses and mappings, the NAT tables over time
 * and the steps; the sequence diagram is html_seq.c's.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <string.h>

#include "escape.h"
#include "html.h"
#include "plan.h"
#include "report.h"

static const char *const style =
	"body{font-family:sans-serif;margin:1.5em;color:#111;max-width:96em}\n"
	"h1{font-size:1.5em}h2{font-size:1.25em;margin-top:1.6em}h3{font-size:1.1em}\n"
	"table{border-collapse:collapse;margin:.5em 0}\n"
	"td,th{border:1px solid #999;padding:.2em .5em;text-align:left;vertical-align:top}\n"
	"code,.addr{font-family:monospace}\n"
	".result-pass{color:#1b7f3b}.result-fail,.result-error{color:#c0392b}\n"
	".seq{overflow-x:auto}svg.sequence text{font-size:10px;font-family:monospace}\n"
	"svg.sequence .node{font-size:13px;font-weight:bold;text-anchor:middle}\n"
	"svg.sequence .role{text-anchor:middle;fill:#444}\n"
	".lifeline line{stroke:#aaa;stroke-width:1}\n"
	".arrow{stroke-width:1.6;fill:none}.cross{stroke-width:2.5;stroke-dasharray:none}\n"
	".mark-dot{fill:#2c3e50}.mark text{fill:#2c3e50}.t{fill:#666}.end{stroke:none}\n"
	".legend{list-style:none;padding:0}.legend li{margin:.2em 0}\n"
	"svg.defs{position:absolute}\n"
	".cell-ok{background:#d5f5d5}.cell-wrong{background:#f8d0cc}"
	".cell-not_run{background:#e4e4e4}\n"
	"td.cell a{color:inherit;display:block}\n"
	".bar{fill:#5b8fd6}.bar-gone{fill:#b9c9e0}\n"
	"@media print{body{margin:0;font-size:10pt}.seq{overflow:visible}"
	"svg.sequence{max-width:100%;height:auto}section{break-inside:auto}"
	"a{color:inherit;text-decoration:none}}\n";

void lab_html_begin(FILE *f, const char *title)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
	      "<title>", f);
	lab_xml_write(f, title, false);
	fprintf(f, "</title>\n<style>\n%s", style);
	lab_html_seq_style(f);
	fputs("</style>\n</head>\n<body>\n", f);
	lab_html_seq_defs(f);
	fputs("<h1>", f);
	lab_xml_write(f, title, false);
	fputs("</h1>\n", f);
}

void lab_html_end(FILE *f)
{
	fputs("</body>\n</html>\n", f);
}

static void td(FILE *f, const char *s)
{
	fputs("<td>", f);
	lab_xml_write(f, s[0] ? s : "-", false);
	fputs("</td>", f);
}

static void th_row(FILE *f, const char *const *cols, size_t n)
{
	fputs("<tr>", f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "<th>%s</th>", cols[i]);
	fputs("</tr>\n", f);
}

static void ms_text(char *buf, size_t len, int64_t ms)
{
	if (ms < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%" PRId64 " ms", ms);
}

static void story_result(FILE *f, const struct lab_report *r)
{
	static const char *const results[] = { "pass", "fail", "error" };
	char text[160];

	fprintf(f, "<p class=\"result result-%s\"><b>%s</b>", results[r->result],
		r->result == LAB_RESULT_PASS ? "PASS" : r->result == LAB_RESULT_FAIL ? "FAIL" :
										 "ERROR");
	if (r->reason[0]) {
		fputs(": ", f);
		lab_xml_write(f, r->reason, false);
	}
	fputs("</p>\n<table class=\"facts\">\n", f);
	fputs("<tr><th>path</th>", f);
	td(f, r->path);
	fputs("</tr>\n<tr><th>theory</th>", f);
	td(f, r->expected[0] ? r->expected : "(not built)");
	fputs("</tr>\n<tr><th>topology</th>", f);
	td(f, r->topology);
	fputs("</tr>\n<tr><th>connect</th>", f);
	ms_text(text, sizeof(text), r->connect_ms);
	td(f, text);
	snprintf(text, sizeof(text), "%s %u/%u, %s %u/%u", r->a.nick, r->a.delivered, r->messages,
		 r->b.nick, r->b.delivered, r->messages);
	fputs("</tr>\n<tr><th>lines delivered</th>", f);
	td(f, text);
	if (r->fault[0]) {
		fputs("</tr>\n<tr><th>fault</th>", f);
		td(f, r->fault);
	}
	fputs("</tr>\n<tr><th>namespaces</th>", f);
	td(f, r->prefix);
	fputs("</tr>\n</table>\n", f);
}

static void tuple_text(char *buf, size_t len, struct in_addr a, uint16_t port)
{
	char s[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, s, sizeof(s));
	snprintf(buf, len, "%s:%u", s, port);
}

/* A mapping as NAT node n made it: "10.0.1.2:4000 -> 198.51.100.10:4000
 * (for 192.0.2.10:3478)": the original source, its translation (the reply
 * direction's destination), and the peer it was made for. */
static void mapping_text(char *buf, size_t len, const struct lab_tr_ev *e)
{
	char o[32], x[32], d[32];

	tuple_text(o, sizeof(o), e->a.src, e->a.sport);
	tuple_text(x, sizeof(x), e->b.dst, e->b.dport);
	tuple_text(d, sizeof(d), e->a.dst, e->a.dport);
	snprintf(buf, len, "%s \u2192 %s (for %s)", o, x, d);
}

/* Node n's addresses, in the plan and as the run saw them. */
static void node_addrs(FILE *f, const struct lab_plan *p, const struct lab_report *r,
		       enum lab_node n)
{
	char text[256];

	fputs("<td class=\"addr\">", f);
	for (size_t i = 0; i < p->nlinks; i++) {
		const struct lab_iface *e[2] = { &p->links[i].a, &p->links[i].b };

		for (int k = 0; k < 2; k++)
			if (e[k]->node == n && e[k]->addr)
				fprintf(f, "%s %s/%u<br/>", e[k]->name, e[k]->addr, e[k]->prefixlen);
	}
	for (size_t i = 0; i < p->nbridges; i++)
		if (p->bridges[i].node == n)
			fprintf(f, "%s %s/%u (bridge)<br/>", p->bridges[i].name,
				p->bridges[i].addr, p->bridges[i].prefixlen);
	if (n == LAB_NODE_HA || n == LAB_NODE_HB) {
		const struct lab_report_side *s = n == LAB_NODE_HA ? &r->a : &r->b;

		snprintf(text, sizeof(text), "%s: private %s, public %s", s->nick,
			 s->private_ep[0] ? s->private_ep : "-", s->public_ep[0] ? s->public_ep : "-");
		lab_xml_write(f, text, false);
	}
	fputs("</td>", f);
}

static void node_mappings(FILE *f, const struct lab_trace *t, enum lab_node n)
{
	char text[160];
	bool any = false;

	fputs("<td class=\"addr\">", f);
	for (size_t i = 0; i < t->n && i < LAB_TRACE_MAX; i++) {
		const struct lab_tr_ev *e = &t->ev[i];

		if (e->kind != LAB_TR_MAP || e->node != n || e->what != LAB_CT_EV_NEW)
			continue;
		mapping_text(text, sizeof(text), e);
		lab_xml_write(f, text, false);
		fputs("<br/>", f);
		any = true;
	}
	fputs(any ? "</td>" : "-</td>", f);
}

static void story_topology(FILE *f, const struct lab_report *r, const struct lab_plan *p)
{
	static const char *const cols[] = { "node", "role", "addresses", "mappings made" };
	static const enum lab_node order[] = { LAB_NODE_HA, LAB_NODE_RA, LAB_NODE_CA,
					       LAB_NODE_CORE, LAB_NODE_SRV, LAB_NODE_CB,
					       LAB_NODE_RB, LAB_NODE_HB };

	fputs("<table class=\"topology\">\n", f);
	th_row(f, cols, 4);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		enum lab_node n = order[i];
		const char *nat = n == LAB_NODE_RA ? r->nat_a : n == LAB_NODE_RB ? r->nat_b : "";
		char role[96];

		if (!lab_plan_has_node(p, n))
			continue;
		snprintf(role, sizeof(role), "%s%s%s%s", lab_plan_nodes[n].role, nat[0] ? " (" : "",
			 nat, nat[0] ? ")" : "");
		fprintf(f, "<tr class=\"node-%s\"><th>%s</th>", lab_plan_nodes[n].suffix,
			lab_plan_nodes[n].suffix);
		td(f, role);
		node_addrs(f, p, r, n);
		if (lab_plan_nodes[n].nat)
			node_mappings(f, &r->trace, n);
		else
			fputs("<td></td>", f);
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

/* When the entry with event i's id (or tuple, without an id) went away,
 * after i; -1 if it outlived the run's trace. */
static int64_t gone_us(const struct lab_trace *t, size_t i)
{
	const struct lab_tr_ev *e = &t->ev[i];

	for (size_t j = i + 1; j < t->n && j < LAB_TRACE_MAX; j++) {
		const struct lab_tr_ev *g = &t->ev[j];

		if (g->kind != LAB_TR_MAP || g->node != e->node || g->what != LAB_CT_EV_DESTROY)
			continue;
		if (e->ct_id ? g->ct_id == e->ct_id : !memcmp(&g->a, &e->a, sizeof(e->a)))
			return (int64_t)g->us;
	}
	return -1;
}

static uint64_t trace_end(const struct lab_report *r)
{
	const struct lab_trace *t = &r->trace;
	uint64_t end = t->n ? t->ev[(t->n < LAB_TRACE_MAX ? t->n : LAB_TRACE_MAX) - 1].us : 0;

	if (r->wall_ms > 0 && (uint64_t)r->wall_ms * 1000 > end)
		end = (uint64_t)r->wall_ms * 1000;
	return end ? end : 1;
}

/* One mapping's life as a bar over the run's time (200 units wide). */
static void life_bar(FILE *f, uint64_t made, int64_t gone, uint64_t end)
{
	uint64_t stop = gone < 0 ? end : (uint64_t)gone;
	unsigned x = (unsigned)(made * 200 / end), w = (unsigned)((stop - made) * 200 / end);

	fprintf(f, "<td><svg class=\"life\" width=\"204\" height=\"10\"><rect class=\"bar%s\" "
		   "x=\"%u\" y=\"1\" width=\"%u\" height=\"8\"/></svg></td>",
		gone < 0 ? "" : " bar-gone", x > 200 ? 200 : x, w < 2 ? 2 : w > 200 ? 200 : w);
}

static void nat_table(FILE *f, const struct lab_report *r, enum lab_node n, int h)
{
	static const char *const cols[] = { "made", "mapping", "original", "reply", "gone",
					    "life" };
	const struct lab_trace *t = &r->trace;
	const struct lab_tr_nat *k = &t->nat[n];
	char text[160], a[32], b[32];
	uint64_t end = trace_end(r);

	fprintf(f, "<h%d>%s</h%d>\n<p>%u mappings made, %u datagrams forwarded", h + 1,
		lab_plan_nodes[n].suffix, h + 1, k->maps, k->forwarded);
	for (int i = LAB_RULE_NONE + 1; i < LAB_RULE_COUNT; i++)
		fprintf(f, ", %u dropped by %s", k->drops[i], lab_trace_rule_name((enum lab_tr_rule)i));
	fprintf(f, ".</p>\n<table class=\"nat nat-%s\">\n", lab_plan_nodes[n].suffix);
	th_row(f, cols, 6);
	for (size_t i = 0; i < t->n && i < LAB_TRACE_MAX; i++) {
		const struct lab_tr_ev *e = &t->ev[i];
		int64_t gone;

		if (e->kind != LAB_TR_MAP || e->node != n || e->what != LAB_CT_EV_NEW)
			continue;
		gone = gone_us(t, i);
		snprintf(text, sizeof(text), "+%.3f ms", (double)e->us / 1000.0);
		fputs("<tr class=\"mapping\">", f);
		td(f, text);
		mapping_text(text, sizeof(text), e);
		td(f, text);
		tuple_text(a, sizeof(a), e->a.src, e->a.sport);
		tuple_text(b, sizeof(b), e->a.dst, e->a.dport);
		snprintf(text, sizeof(text), "%s \u2192 %s", a, b);
		td(f, text);
		tuple_text(a, sizeof(a), e->b.src, e->b.sport);
		tuple_text(b, sizeof(b), e->b.dst, e->b.dport);
		snprintf(text, sizeof(text), "%s \u2192 %s", a, b);
		td(f, text);
		if (gone < 0)
			snprintf(text, sizeof(text), "(still there)");
		else
			snprintf(text, sizeof(text), "+%.3f ms", (double)gone / 1000.0);
		td(f, text);
		life_bar(f, e->us, gone, end);
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void story_steps(FILE *f, const struct lab_report *r)
{
	char line[256];

	fputs("<ol class=\"steps\">\n", f);
	for (size_t i = 0; i < r->nsteps && i < LAB_REPORT_STEPS; i++) {
		fprintf(f, "<li><span class=\"t\">[%6" PRIu64 " ms]</span> ", r->steps[i].ms);
		lab_xml_write(f, r->steps[i].text, false);
		fputs("</li>\n", f);
	}
	fputs("</ol>\n", f);
	if (!r->trace.n)
		return;
	fputs("<ol class=\"explained\">\n", f);
	for (size_t i = 0; i < r->trace.n && i < LAB_TRACE_MAX; i++) {
		lab_trace_describe(&r->trace, i, line, sizeof(line));
		fprintf(f, "<li><span class=\"t\">+%.3f ms</span> ", (double)r->trace.ev[i].us / 1000.0);
		lab_xml_write(f, line, false);
		fputs("</li>\n", f);
	}
	fputs("</ol>\n", f);
}

void lab_html_story(FILE *f, const struct lab_report *r, int h)
{
	const struct lab_plan *p = lab_plan_get(lab_topology_find(r->topology), r->same_nat);

	story_result(f, r);
	fprintf(f, "<h%d>Topology</h%d>\n", h, h);
	story_topology(f, r, p);
	fprintf(f, "<h%d>Sequence</h%d>\n", h, h);
	if (!r->trace.on)
		fputs("<p class=\"none\">(no trace was collected)</p>\n", f);
	else if (r->trace.lost)
		fprintf(f, "<p>%" PRIu32 " events did not fit or were lost.</p>\n", r->trace.lost);
	lab_html_sequence(f, r);
	fprintf(f, "<h%d>NAT tables</h%d>\n", h, h);
	for (int n = 0; n < LAB_NODE_COUNT; n++)
		if (lab_plan_nodes[n].nat && lab_plan_has_node(p, (enum lab_node)n))
			nat_table(f, r, (enum lab_node)n, h);
	fprintf(f, "<h%d>Steps</h%d>\n", h, h);
	story_steps(f, r);
}
