// SPDX-License-Identifier: MIT
/*
 * The sequence diagram of a run (html.h): inline SVG, one lifeline per
 * node of the topology (host A, its router(s), the core, the server, host
 * B's), time going down. Each datagram of the trace is one group of
 * arrows, one arrow per hop (link) it crossed, coloured and dashed by
 * what became of it: the hops come from the NATs that logged it (each PKT
 * event says where it arrived and how it left) and the plan's links
 * between them; its first hop starts at the node owning its source
 * address, its last ends where its fate says (a cross at the router that
 * dropped it, in the core where its TTL ran out). Client events and the
 * NATs' mappings are marks on their node's lifeline. Rows are in the
 * trace's order, evenly spaced: the time column gives the clock.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "html.h"
#include "pktdec.h"
#include "plan.h"
#include "proto.h"
#include "report.h"

#define COL_W 150   /* between lifelines */
#define LEFT 90     /* the time column */
#define TOP 46      /* the lifelines' names */
#define ROW_H 20

/* One row per fate: how the page draws it. The dash tells the fates apart
 * on a grey print. Class names are lab_trace_fate_name()'s. */
static const struct fate_style {
	const char *colour;
	const char *dash;
	const char *legend;
} fate_styles[LAB_FATE_COUNT] = {
	[LAB_FATE_FORWARDED] = { "#1b7f3b", "none", "forwarded by the NAT (translated)" },
	[LAB_FATE_DROPPED] = { "#c0392b", "6 3", "dropped by a rule of the NAT: a cross, the rule's name" },
	[LAB_FATE_LOCAL] = { "#8e44ad", "2 2", "addressed to the NAT itself, no mapping: nobody listens" },
	[LAB_FATE_EXPIRED] = { "#d35400", "8 2 2 2", "its TTL ran out beyond the NAT: it ends in the core" },
	[LAB_FATE_UNROUTABLE] = { "#7f6000", "1 3", "no route beyond the NAT (ICMP unreachable came back)" },
	[LAB_FATE_UNKNOWN] = { "#5f6b6d", "4 4", "seen at the NAT, nothing more known" },
};

/* Left to right: A's side, the middle, B's side (absent nodes skipped). */
static const enum lab_node lifelines[] = {
	LAB_NODE_HA, LAB_NODE_RA, LAB_NODE_CA, LAB_NODE_CORE,
	LAB_NODE_SRV, LAB_NODE_CB, LAB_NODE_RB, LAB_NODE_HB,
};
#define NLIFELINES (sizeof(lifelines) / sizeof(lifelines[0]))

struct seq {
	FILE *f;                      /* the rows, before the <svg> knows its height */
	const struct lab_trace *t;
	const struct lab_plan *p;
	int col[LAB_NODE_COUNT];      /* lifeline index; -1: not in the plan */
	unsigned ncols;
	unsigned row;                 /* the next free row */
};

static enum lab_tr_fate fate_of(const struct lab_tr_ev *e)
{
	return e->what < LAB_FATE_COUNT ? (enum lab_tr_fate)e->what : LAB_FATE_UNKNOWN;
}

void lab_html_seq_style(FILE *f)
{
	for (int i = 0; i < LAB_FATE_COUNT; i++) {
		const char *n = lab_trace_fate_name((enum lab_tr_fate)i);

		fprintf(f, ".fate-%s .arrow{stroke:%s;stroke-dasharray:%s}"
			   ".fate-%s .lbl,.fate-%s .why,.fate-%s .end{fill:%s}\n",
			n, fate_styles[i].colour, fate_styles[i].dash, n, n, n, fate_styles[i].colour);
	}
}

void lab_html_seq_defs(FILE *f)
{
	fputs("<svg class=\"defs\" width=\"0\" height=\"0\" aria-hidden=\"true\"><defs>\n", f);
	for (int i = 0; i < LAB_FATE_COUNT; i++)
		fprintf(f, "<marker id=\"ah-%s\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" "
			   "markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">"
			   "<path d=\"M0,0 L10,5 L0,10 z\" fill=\"%s\"/></marker>\n",
			lab_trace_fate_name((enum lab_tr_fate)i), fate_styles[i].colour);
	fputs("</defs></svg>\n", f);
}

void lab_html_seq_legend(FILE *f)
{
	fputs("<ul class=\"legend\">\n", f);
	for (int i = 0; i < LAB_FATE_COUNT; i++) {
		const char *n = lab_trace_fate_name((enum lab_tr_fate)i);

		fprintf(f, "<li><svg width=\"44\" height=\"12\"><g class=\"fate-%s\">"
			   "<line class=\"arrow\" x1=\"2\" y1=\"6\" x2=\"40\" y2=\"6\" "
			   "marker-end=\"url(#ah-%s)\"/></g></svg> <b>%s</b>: %s</li>\n",
			n, n, n, fate_styles[i].legend);
	}
	fputs("<li><svg width=\"44\" height=\"12\"><circle class=\"mark-dot\" cx=\"22\" cy=\"6\" "
	      "r=\"3\"/></svg> an event of a client, or a NAT's mapping made or gone</li>\n</ul>\n",
	      f);
}

/* Which node of p answers on address a: LAB_NODE_COUNT if none. */
static enum lab_node owner(const struct lab_plan *p, struct in_addr a)
{
	struct in_addr x;
	size_t i;

	for (i = 0; i < p->nlinks; i++) {
		const struct lab_iface *e[2] = { &p->links[i].a, &p->links[i].b };

		for (int k = 0; k < 2; k++)
			if (e[k]->addr && inet_pton(AF_INET, e[k]->addr, &x) == 1 &&
			    x.s_addr == a.s_addr)
				return e[k]->node;
	}
	for (i = 0; i < p->nbridges; i++)
		if (inet_pton(AF_INET, p->bridges[i].addr, &x) == 1 && x.s_addr == a.s_addr)
			return p->bridges[i].node;
	if (inet_pton(AF_INET, lab_plan_server_alt_addr(), &x) == 1 && x.s_addr == a.s_addr)
		return LAB_NODE_SRV;
	return LAB_NODE_COUNT;
}

/* The nodes from `from` (excluded) to `to` (included) over p's links,
 * fewest hops first (breadth first); 0 if there is no way. */
static size_t route(const struct lab_plan *p, enum lab_node from, enum lab_node to,
		    enum lab_node path[LAB_NODE_COUNT])
{
	int prev[LAB_NODE_COUNT];
	enum lab_node q[LAB_NODE_COUNT];
	size_t head = 0, tail = 0, n = 0, k;
	int v;

	for (k = 0; k < LAB_NODE_COUNT; k++)
		prev[k] = -1;
	prev[from] = (int)from;
	q[tail++] = from;
	while (head < tail && prev[to] < 0) {
		enum lab_node u = q[head++];

		for (k = 0; k < p->nlinks; k++) {
			const struct lab_link *l = &p->links[k];
			enum lab_node w = l->a.node == u ? l->b.node : l->b.node == u ? l->a.node : u;

			if (w != u && prev[w] < 0) {
				prev[w] = (int)u;
				q[tail++] = w;
			}
		}
	}
	if (prev[to] < 0 || from == to)
		return 0;
	for (v = (int)to; v != (int)from; v = prev[v])
		n++;
	k = n;
	for (v = (int)to; v != (int)from; v = prev[v])
		path[--k] = (enum lab_node)v;
	return n;
}

static void tuple_text(char *buf, size_t len, const struct lab_ct_tuple *t)
{
	char s[INET_ADDRSTRLEN], d[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &t->src, s, sizeof(s));
	inet_ntop(AF_INET, &t->dst, d, sizeof(d));
	snprintf(buf, len, "%s:%u \u2192 %s:%u", s, t->sport, d, t->dport);
}

/* What the datagram carries, as a word for its label and class. */
static const char *msg_name(uint8_t hp_type)
{
	if (hp_type == LAB_PKT_STUN)
		return "stun";
	if (hp_type == LAB_PKT_NOT_HP)
		return "udp";
	return hp_type_name(hp_type);
}

static int col_x(const struct seq *s, enum lab_node n)
{
	return LEFT + COL_W / 2 + s->col[n] * COL_W;
}

static int row_y(unsigned row)
{
	return TOP + (int)row * ROW_H + ROW_H / 2;
}

/* One arrow from node a to node b on the next row, labelled. */
static void arrow(struct seq *s, enum lab_node a, enum lab_node b, enum lab_tr_fate fate,
		  const char *label)
{
	int x1 = col_x(s, a), x2 = col_x(s, b), y = row_y(s->row++);

	x2 += x2 > x1 ? -3 : 3; /* the head stops short of the lifeline */
	fprintf(s->f, "<line class=\"arrow\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
		      "marker-end=\"url(#ah-%s)\"/>", x1, y, x2, y, lab_trace_fate_name(fate));
	if (label && label[0]) {
		fprintf(s->f, "<text class=\"lbl\" x=\"%d\" y=\"%d\">", (x1 < x2 ? x1 : x2) + 6,
			y - 4);
		lab_xml_write(s->f, label, false);
		fputs("</text>", s->f);
	}
	fputc('\n', s->f);
}

/* The hops from a to b over the plan's links, the first labelled; with
 * stop_core the way ends in the core if it crosses it. Returns the last
 * node reached. */
static enum lab_node hops(struct seq *s, enum lab_node a, enum lab_node b,
			  enum lab_tr_fate fate, const char *label, bool stop_core)
{
	enum lab_node path[LAB_NODE_COUNT];
	size_t n = route(s->p, a, b, path);

	for (size_t i = 0; i < n; i++) {
		if (s->col[path[i]] < 0)
			break;
		arrow(s, a, path[i], fate, i ? NULL : label);
		a = path[i];
		if (stop_core && a == LAB_NODE_CORE)
			break;
	}
	return a;
}

static void hop_label(char *buf, size_t len, const struct lab_tr_ev *e, const struct lab_ct_tuple *t)
{
	char tup[2 * INET_ADDRSTRLEN + 24];

	tuple_text(tup, sizeof(tup), t);
	if (e->proto == IPPROTO_ICMP) /* t is the quoted datagram's (trace.h) */
		snprintf(buf, len, "icmp %u/%u about %s %s", e->icmp_type, e->icmp_code,
			 msg_name(e->hp_type), tup);
	else if (e->ttl)
		snprintf(buf, len, "%s %s ttl %u", msg_name(e->hp_type), tup, e->ttl);
	else
		snprintf(buf, len, "%s %s", msg_name(e->hp_type), tup);
}

/* Where a datagram goes after node n: for an ICMP error (whose tuples
 * are those of the datagram it quotes, trace.h) back to that datagram's
 * source, else to its destination as it left. */
static enum lab_node next_node(const struct seq *s, const struct lab_tr_ev *e)
{
	if (e->proto == IPPROTO_ICMP)
		return owner(s->p, e->b.src);
	return owner(s->p, e->b.dst);
}

/* Where the datagram's story ends, at node n (the last NAT that saw it,
 * or past it), drawn by its fate: forwarded on to its destination; an
 * expired or unroutable one to the node whose ICMP error told (its
 * `from`), or else as far as the core; a cross at the dropping NAT. */
static void fate_end(struct seq *s, const struct lab_tr_ev *e, enum lab_node n)
{
	enum lab_tr_fate fate = fate_of(e);
	int x = col_x(s, n), y = row_y(s->row ? s->row - 1 : 0);
	enum lab_node to = next_node(s, e);
	char label[160];

	switch (fate) {
	case LAB_FATE_FORWARDED:
	case LAB_FATE_EXPIRED:
	case LAB_FATE_UNROUTABLE:
		hop_label(label, sizeof(label), e, &e->b);
		if (fate != LAB_FATE_FORWARDED && e->from.s_addr && owner(s->p, e->from) < LAB_NODE_COUNT)
			to = owner(s->p, e->from);
		if (to < LAB_NODE_COUNT)
			n = hops(s, n, to, fate, label, fate != LAB_FATE_FORWARDED);
		if (fate == LAB_FATE_FORWARDED)
			return;
		x = col_x(s, n);
		y = row_y(s->row ? s->row - 1 : 0);
		fprintf(s->f, "<circle class=\"end\" cx=\"%d\" cy=\"%d\" r=\"4\"/>"
			      "<text class=\"why\" x=\"%d\" y=\"%d\">%s</text>\n", x, y, x + 7, y + 4,
			fate == LAB_FATE_EXPIRED ? "TTL ran out" : "no route");
		return;
	case LAB_FATE_DROPPED:
		fprintf(s->f, "<path class=\"arrow cross\" d=\"M%d,%d L%d,%d M%d,%d L%d,%d\"/>"
			      "<text class=\"why rule\" x=\"%d\" y=\"%d\">dropped: %s</text>\n",
			x - 5, y - 5, x + 5, y + 5, x - 5, y + 5, x + 5, y - 5, x + 8, y + 4,
			lab_trace_rule_name((enum lab_tr_rule)e->rule));
		return;
	case LAB_FATE_LOCAL:
		fprintf(s->f, "<circle class=\"end\" cx=\"%d\" cy=\"%d\" r=\"4\"/>"
			      "<text class=\"why\" x=\"%d\" y=\"%d\">to the NAT itself: nobody "
			      "listens</text>\n", x, y, x + 7, y + 4);
		return;
	case LAB_FATE_UNKNOWN:
		fprintf(s->f, "<text class=\"why\" x=\"%d\" y=\"%d\">?</text>\n", x + 5, y + 4);
		return;
	case LAB_FATE_COUNT:
		return;
	}
}

static void group_title(struct seq *s, const size_t *idx, size_t k)
{
	char line[256];

	fputs("<title>", s->f);
	for (size_t i = 0; i < k; i++) {
		lab_trace_describe(s->t, idx[i], line, sizeof(line));
		lab_xml_write(s->f, line, false);
		if (i + 1 < k)
			fputc('\n', s->f);
	}
	fputs("</title>", s->f);
}

static void time_label(struct seq *s, uint64_t us)
{
	fprintf(s->f, "<text class=\"t\" x=\"4\" y=\"%d\">+%" PRIu64 ".%03u ms</text>",
		row_y(s->row) + 4, us / 1000, (unsigned)(us % 1000));
}

/* One datagram: its events at each NAT (idx, k of them, in time order). */
static void draw_dgram(struct seq *s, const size_t *idx, size_t k)
{
	const struct lab_tr_ev *first = &s->t->ev[idx[0]], *last = &s->t->ev[idx[k - 1]];
	/* an ICMP error comes from its sender, not the quoted source */
	enum lab_node cur = owner(s->p, first->proto == IPPROTO_ICMP ? first->from : first->a.src);
	char label[160];

	fprintf(s->f, "<g class=\"dgram fate-%s msg-%s\" data-dgram=\"%" PRIu32 "\">",
		lab_trace_fate_name(fate_of(last)),
		first->proto == IPPROTO_ICMP ? "icmp" : msg_name(first->hp_type), first->dgram);
	group_title(s, idx, k);
	time_label(s, first->us);
	if (cur < LAB_NODE_COUNT && s->col[cur] < 0)
		cur = LAB_NODE_COUNT;
	for (size_t i = 0; i < k; i++) {
		const struct lab_tr_ev *e = &s->t->ev[idx[i]];

		if (e->node >= LAB_NODE_COUNT || s->col[e->node] < 0)
			continue;
		if (cur < LAB_NODE_COUNT && cur != e->node) {
			hop_label(label, sizeof(label), e, &e->a);
			hops(s, cur, e->node, fate_of(last), label, false);
		}
		cur = e->node;
	}
	if (cur < LAB_NODE_COUNT)
		fate_end(s, last, cur);
	fputs("</g>\n", s->f);
}

/* A client's event or a NAT's mapping: a dot on its node's lifeline. */
static void draw_mark(struct seq *s, size_t i)
{
	const struct lab_tr_ev *e = &s->t->ev[i];
	const char *cls = e->kind == LAB_TR_CLIENT ?
		lab_trace_client_name(e->what < LAB_TRC_COUNT ? (enum lab_tr_client)e->what :
							     LAB_TRC_OTHER) :
		lab_trace_map_name(e->what <= LAB_CT_EV_DESTROY ? (enum lab_ct_ev_type)e->what :
								   LAB_CT_EV_UPDATE);
	char line[256];
	int x, y;

	if (e->node >= LAB_NODE_COUNT || s->col[e->node] < 0)
		return;
	x = col_x(s, e->node);
	time_label(s, e->us);
	y = row_y(s->row++);
	lab_trace_describe(s->t, i, line, sizeof(line));
	fprintf(s->f, "<g class=\"mark %s-%s\"><circle class=\"mark-dot\" cx=\"%d\" cy=\"%d\" "
		      "r=\"3\"/><text x=\"%d\" y=\"%d\">",
		e->kind == LAB_TR_CLIENT ? "client" : "map", cls, x, y, x + 6, y + 4);
	lab_xml_write(s->f, line, false);
	fputs("</text></g>\n", s->f);
}

/* Was datagram d (not 0) already drawn, with an event before i? */
static bool drawn_before(const struct lab_trace *t, size_t i, uint32_t d)
{
	for (size_t j = 0; j < i; j++)
		if (t->ev[j].kind == LAB_TR_PKT && t->ev[j].dgram == d)
			return true;
	return false;
}

static void draw_events(struct seq *s, size_t *idx)
{
	const struct lab_trace *t = s->t;
	size_t n = t->n < LAB_TRACE_MAX ? t->n : LAB_TRACE_MAX;

	for (size_t i = 0; i < n; i++) {
		const struct lab_tr_ev *e = &t->ev[i];
		size_t k = 0;

		if (e->kind != LAB_TR_PKT) {
			if (e->kind < LAB_TR_KIND_COUNT)
				draw_mark(s, i);
			continue;
		}
		if (e->dgram && drawn_before(t, i, e->dgram))
			continue;
		idx[k++] = i;
		for (size_t j = i + 1; e->dgram && j < n; j++)
			if (t->ev[j].kind == LAB_TR_PKT && t->ev[j].dgram == e->dgram)
				idx[k++] = j;
		draw_dgram(s, idx, k);
	}
}

static void lifeline_heads(FILE *f, const struct seq *s, const struct lab_report *r,
			   int height)
{
	for (size_t i = 0; i < NLIFELINES; i++) {
		enum lab_node n = lifelines[i];
		const char *who = n == LAB_NODE_HA ? r->a.nick : n == LAB_NODE_HB ? r->b.nick : "";
		int x;

		if (s->col[n] < 0)
			continue;
		x = col_x(s, n);
		fprintf(f, "<g class=\"lifeline\"><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
			   "<text class=\"node\" x=\"%d\" y=\"16\">%s</text><text class=\"role\" "
			   "x=\"%d\" y=\"32\">", x, TOP - 8, x, height - 4, x,
			lab_plan_nodes[n].suffix, x);
		lab_xml_write(f, who[0] ? who : lab_plan_nodes[n].role, false);
		fputs("</text></g>\n", f);
	}
}

void lab_html_sequence(FILE *f, const struct lab_report *r)
{
	struct seq s = { .t = &r->trace };
	char *body = NULL;
	size_t len = 0, *idx = malloc(LAB_TRACE_MAX * sizeof(*idx));
	int width, height;

	s.p = lab_plan_get(lab_topology_find(r->topology), r->same_nat);
	for (size_t i = 0; i < LAB_NODE_COUNT; i++)
		s.col[i] = -1;
	for (size_t i = 0; i < NLIFELINES; i++)
		if (lab_plan_has_node(s.p, lifelines[i]))
			s.col[lifelines[i]] = (int)s.ncols++;
	s.f = idx ? open_memstream(&body, &len) : NULL;
	if (!s.f) {
		fputs("<p class=\"none\">(no diagram: out of memory)</p>\n", f);
		free(idx);
		return;
	}
	draw_events(&s, idx);
	fclose(s.f);
	free(idx);
	width = LEFT + (int)s.ncols * COL_W + 420; /* the last lifeline's marks run right */
	height = TOP + (int)(s.row + 1) * ROW_H;
	fprintf(f, "<div class=\"seq\"><svg class=\"sequence\" width=\"%d\" height=\"%d\" "
		   "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"sequence diagram\">\n",
		width, height, width, height);
	lifeline_heads(f, &s, r, height);
	fwrite(body, 1, len, f);
	fputs("</svg></div>\n", f);
	free(body);
}
