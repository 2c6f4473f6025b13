// SPDX-License-Identifier: MIT
/*
 * The glass box's one event list (trace.h): adding to it, the names it is
 * told with, and lab_trace_resolve(), which turns the raw records into
 * datagrams with fates. The sentences are in trace_say.c.
 *
 * What the raw records are (nat.c's log rules, NFLOG; glass.c's readers):
 *   - "in" at priority mangle in prerouting: a datagram arriving, before DNAT;
 *   - "out" at priority mangle in postrouting: leaving, before SNAT (mangle
 *     runs before nat in both hooks: NF_IP_PRI_MANGLE is -150 in every hook,
 *     NF_IP_PRI_NAT_DST -100 and NF_IP_PRI_NAT_SRC 100,
 *     linux/netfilter_ipv4.h);
 *   - a drop rule's record, logged by the rule as it drops;
 *   - the conntrack entries (MAP): made, refreshed, destroyed.
 */
#include <arpa/inet.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "proto.h"
#include "trace.h"

void lab_trace_add(struct lab_trace *t, const struct lab_tr_ev *e)
{
	if (t->n >= LAB_TRACE_MAX) {
		t->lost++;
		return;
	}
	t->ev[t->n++] = *e;
}

static void name_add(struct lab_trace *t, const char *addr, unsigned port, unsigned node,
		     unsigned side)
{
	struct lab_tr_name *nm;

	if (t->nnames >= LAB_TRACE_NAMES || !addr)
		return;
	nm = &t->names[t->nnames];
	if (inet_pton(AF_INET, addr, &nm->addr) != 1)
		return;
	nm->port = (uint16_t)port;
	nm->node = (uint8_t)node;
	nm->side = (uint8_t)side;
	t->nnames++;
}

void lab_trace_side(struct lab_trace *t, unsigned side, const char *nick, const char *addr,
		    unsigned port)
{
	if (side >= LAB_TRACE_SIDES)
		return;
	snprintf(t->nick[side], sizeof(t->nick[side]), "%s", nick);
	name_add(t, addr, port, LAB_NODE_COUNT, side);
}

void lab_trace_node_addr(struct lab_trace *t, unsigned node, const char *addr)
{
	name_add(t, addr, 0, node, LAB_TR_NOBODY);
}

/* ---- tuples ---- */

static bool tup_eq(const struct lab_ct_tuple *x, const struct lab_ct_tuple *y)
{
	return x->src.s_addr == y->src.s_addr && x->dst.s_addr == y->dst.s_addr &&
	       x->sport == y->sport && x->dport == y->dport;
}

static struct lab_ct_tuple tup_inv(const struct lab_ct_tuple *x)
{
	return (struct lab_ct_tuple){ .src = x->dst, .dst = x->src, .sport = x->dport,
				      .dport = x->sport };
}

/* Does the entry's NAT change anything (a mapping), or only track? */
static bool entry_translates(const struct lab_tr_ev *m)
{
	struct lab_ct_tuple inv = tup_inv(&m->b);

	return !tup_eq(&m->a, &inv);
}

/* ---- conntrack entries ---- */

static bool destroyed_before(const struct lab_trace *t, uint8_t node, uint32_t id, uint64_t us)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct lab_tr_ev *d = &t->ev[i];

		if (d->us >= us)
			break;
		if (d->kind == LAB_TR_MAP && d->node == node && d->what == LAB_CT_EV_DESTROY &&
		    d->ct_id == id)
			return true;
	}
	return false;
}

/* Does a direction of entry m carry tuple x? dir: 0 original, 1 reply;
 * quoted: x is the datagram an ICMP error quotes, as it went out (after
 * the NAT), so a direction matches in its translated form. */
static int entry_dir(const struct lab_tr_ev *m, const struct lab_ct_tuple *x, bool quoted)
{
	struct lab_ct_tuple o = quoted ? tup_inv(&m->b) : m->a;
	struct lab_ct_tuple r = quoted ? tup_inv(&m->a) : m->b;

	if (tup_eq(&o, x))
		return 0;
	if (tup_eq(&r, x))
		return 1;
	return -1;
}

/* The entry of node whose tuple is x, alive at us; else the first one
 * made after us: the first datagram of a flow is logged before the entry
 * is confirmed (confirmation is the last thing POSTROUTING does). */
static const struct lab_tr_ev *entry_for(const struct lab_trace *t, uint8_t node,
					 const struct lab_ct_tuple *x, uint64_t us, bool quoted,
					 int *dir)
{
	const struct lab_tr_ev *alive = NULL, *later = NULL;
	int alive_dir = -1, later_dir = -1;

	for (size_t i = 0; i < t->n; i++) {
		const struct lab_tr_ev *m = &t->ev[i];
		int d;

		if (m->kind != LAB_TR_MAP || m->node != node || m->what == LAB_CT_EV_DESTROY)
			continue;
		d = entry_dir(m, x, quoted);
		if (d < 0)
			continue;
		if (m->us <= us && !destroyed_before(t, node, m->ct_id, us)) {
			alive = m;
			alive_dir = d;
		} else if (m->us > us && !later) {
			later = m;
			later_dir = d;
		}
	}
	*dir = alive ? alive_dir : later_dir;
	return alive ? alive : later;
}

/* What the NAT made of the datagram e (as it arrived): each direction of
 * an entry, translated, is the other direction inverted. An ICMP error
 * carries the datagram it quotes the other way: back to its untranslated
 * form. false: no entry says. */
static bool translate(const struct lab_trace *t, const struct lab_tr_ev *e,
		      struct lab_ct_tuple *out)
{
	bool quoted = e->proto == IPPROTO_ICMP;
	int dir;
	const struct lab_tr_ev *m = entry_for(t, e->node, &e->a, e->us, quoted, &dir);

	if (!m)
		return false;
	if (quoted)
		*out = dir == 0 ? m->a : m->b;
	else
		*out = dir == 0 ? tup_inv(&m->b) : tup_inv(&m->a);
	return true;
}

/* ---- resolve ---- */

/* A stable sort: equal times keep the order they were added in (a
 * record's "in" before its "out"). */
static void sort_stable(struct lab_trace *t)
{
	struct lab_tr_ev tmp;
	size_t i, j;

	for (i = 1; i < t->n; i++) {
		if (t->ev[i - 1].us <= t->ev[i].us)
			continue;
		tmp = t->ev[i];
		for (j = i; j > 0 && t->ev[j - 1].us > tmp.us; j--)
			t->ev[j] = t->ev[j - 1];
		t->ev[j] = tmp;
	}
}

static bool same_dgram_key(const struct lab_tr_ev *x, const struct lab_tr_ev *y)
{
	return x->proto == y->proto && x->fp == y->fp && x->hp_type == y->hp_type &&
	       x->icmp_type == y->icmp_type && x->icmp_code == y->icmp_code;
}

/* The "in" record of the same datagram as e ("out" or a drop) at its NAT:
 * nothing between PREROUTING and POSTROUTING changes a UDP datagram's
 * source (SNAT comes after mangle), nor the quoted datagram's destination
 * in an ICMP error. */
static struct lab_tr_ev *arrival_of(struct lab_trace *t, size_t at, bool *paired)
{
	const struct lab_tr_ev *e = &t->ev[at];

	for (size_t i = at; i-- > 0;) {
		struct lab_tr_ev *in = &t->ev[i];
		bool same;

		if (in->kind != LAB_TR_PKT || in->node != e->node || in->at != LAB_AT_IN ||
		    paired[i] || !same_dgram_key(in, e))
			continue;
		if (e->proto == IPPROTO_ICMP)
			same = in->a.dst.s_addr == e->a.dst.s_addr && in->a.dport == e->a.dport;
		else
			same = in->a.src.s_addr == e->a.src.s_addr && in->a.sport == e->a.sport;
		if (same) {
			paired[i] = true;
			return in;
		}
	}
	return NULL;
}

/* Each datagram at each NAT becomes one event: its arrival, with what
 * became of it (forwarded as b, dropped by a rule) from the later record,
 * which goes. What leaves without arriving was made by the NAT itself. */
static void merge_records(struct lab_trace *t, bool *paired, bool *gone)
{
	for (size_t i = 0; i < t->n; i++) {
		struct lab_tr_ev *e = &t->ev[i], *in;

		if (e->kind != LAB_TR_PKT)
			continue;
		if (e->at == LAB_AT_IN) {
			e->what = LAB_FATE_UNKNOWN;
			e->b = e->a;
			continue;
		}
		in = arrival_of(t, i, paired);
		if (!in) {
			e->what = LAB_FATE_FORWARDED;
			if (!translate(t, e, &e->b))
				e->b = e->a;
			continue;
		}
		gone[i] = true;
		if (e->at == LAB_AT_DROP) {
			in->what = LAB_FATE_DROPPED;
			in->rule = e->rule;
			continue;
		}
		in->what = LAB_FATE_FORWARDED;
		if (!translate(t, in, &in->b))
			in->b = e->a;
	}
}

static void compact(struct lab_trace *t, const bool *gone)
{
	size_t i, n = 0;

	for (i = 0; i < t->n; i++)
		if (!gone[i])
			t->ev[n++] = t->ev[i];
	t->n = n;
}

static uint8_t side_at(const struct lab_trace *t, const struct lab_ct_tuple *x)
{
	for (size_t i = 0; i < t->nnames; i++) {
		const struct lab_tr_name *nm = &t->names[i];

		if (nm->side != LAB_TR_NOBODY && nm->addr.s_addr == x->src.s_addr &&
		    nm->port == x->sport)
			return nm->side;
	}
	return LAB_TR_NOBODY;
}

/* The record of the hop before e: what another NAT forwarded as b and e
 * arrived as (a), with the same payload, nearest in time. The records are
 * timed when read, and the NATs' sockets are read one after the other,
 * so the hop before may carry a slightly later time. */
#define HOP_WINDOW_US 200000
static ptrdiff_t hop_before(const struct lab_trace *t, size_t i, const bool *continued)
{
	const struct lab_tr_ev *e = &t->ev[i];
	ptrdiff_t best = -1;
	uint64_t best_d = HOP_WINDOW_US + 1;

	for (size_t j = 0; j < t->n; j++) {
		const struct lab_tr_ev *p = &t->ev[j];
		uint64_t d = p->us > e->us ? p->us - e->us : e->us - p->us;

		if (j == i || p->kind != LAB_TR_PKT || p->node == e->node || continued[j] ||
		    p->what != LAB_FATE_FORWARDED || !same_dgram_key(p, e) || !tup_eq(&p->b, &e->a))
			continue;
		if (d < best_d) {
			best = (ptrdiff_t)j;
			best_d = d;
		}
	}
	return best;
}

/* The same datagram has one number at every hop. A hop that seems to
 * come before the one it follows is moved just after it. */
static void number(struct lab_trace *t, bool *continued)
{
	ptrdiff_t *pred = malloc((t->n + 1) * sizeof(*pred));
	uint32_t next = 0;
	size_t i;

	if (!pred)
		return;
	for (i = 0; i < t->n; i++) {
		pred[i] = t->ev[i].kind == LAB_TR_PKT ? hop_before(t, i, continued) : -1;
		if (pred[i] >= 0)
			continued[pred[i]] = true;
	}
	/* a chain is as long as the NATs on the way: a few passes settle it */
	for (int pass = 0; pass < LAB_NODE_COUNT; pass++)
		for (i = 0; i < t->n; i++) {
			struct lab_tr_ev *e = &t->ev[i];

			if (e->kind != LAB_TR_PKT || e->dgram)
				continue;
			if (pred[i] < 0) {
				e->dgram = ++next;
				e->side = side_at(t, &e->a);
				if (e->side == LAB_TR_NOBODY && e->proto == IPPROTO_ICMP)
					e->side = side_at(t, &e->b);
			} else if (t->ev[pred[i]].dgram) {
				e->dgram = t->ev[pred[i]].dgram;
				e->side = t->ev[pred[i]].side;
				if (e->us <= t->ev[pred[i]].us)
					e->us = t->ev[pred[i]].us + 1;
			}
		}
	free(pred);
}

static bool addr_of_node(const struct lab_trace *t, struct in_addr a, uint8_t node)
{
	for (size_t i = 0; i < t->nnames; i++)
		if (t->names[i].node == node && !t->names[i].port &&
		    t->names[i].addr.s_addr == a.s_addr)
			return true;
	return false;
}

/* The fate an ICMP error tells (RFC 792): time exceeded, or no route
 * (net, host unreachable: RFC 1812 s.5.2.7.1); port unreachable only at
 * the NAT that sent it (nobody listened there). */
static int icmp_fate(const struct lab_tr_ev *icmp, bool local)
{
	if (icmp->icmp_type == 11)
		return LAB_FATE_EXPIRED;
	if (icmp->icmp_type != 3)
		return -1;
	if (icmp->icmp_code == 3)
		return local ? LAB_FATE_LOCAL : -1;
	return icmp->icmp_code == 0 || icmp->icmp_code == 1 ? LAB_FATE_UNROUTABLE : -1;
}

/* The datagram the ICMP error at index k is about, at the same NAT: one
 * the NAT took for itself (an error it sent: the quoted datagram as it
 * arrived), or one it forwarded last (an error from beyond: quoted as it
 * left), the lowest TTL first for time exceeded. */
static struct lab_tr_ev *quoted_of(struct lab_trace *t, size_t k, const bool *continued)
{
	const struct lab_tr_ev *icmp = &t->ev[k];
	bool local = icmp->at == LAB_AT_OUT;
	struct lab_tr_ev *best = NULL;

	for (size_t i = 0; i < k; i++) {
		struct lab_tr_ev *d = &t->ev[i];

		if (d->kind != LAB_TR_PKT || d->node != icmp->node || d->proto != IPPROTO_UDP ||
		    (icmp->fp && d->fp != icmp->fp))
			continue;
		if (local ? d->what != LAB_FATE_UNKNOWN || !tup_eq(&d->a, &icmp->a) :
			    d->what != LAB_FATE_FORWARDED || continued[i] || !tup_eq(&d->b, &icmp->a))
			continue;
		if (!best || icmp->icmp_type != 11 || d->ttl <= best->ttl)
			best = d;
	}
	return best;
}

static void icmp_fates(struct lab_trace *t, const bool *continued)
{
	for (size_t k = 0; k < t->n; k++) {
		const struct lab_tr_ev *icmp = &t->ev[k];
		struct lab_tr_ev *d;
		int fate;

		if (icmp->kind != LAB_TR_PKT || icmp->proto != IPPROTO_ICMP)
			continue;
		if (icmp->icmp_type != 3 && icmp->icmp_type != 11)
			continue;
		d = quoted_of(t, k, continued);
		if (!d)
			continue;
		/* the error is about someone's datagram: theirs to be told */
		if (icmp->side == LAB_TR_NOBODY)
			t->ev[k].side = d->side;
		fate = icmp_fate(icmp, icmp->at == LAB_AT_OUT);
		if (fate < 0)
			continue;
		d->what = (uint8_t)fate;
		d->from = icmp->from;
		d->icmp_type = icmp->icmp_type;
		d->icmp_code = icmp->icmp_code;
	}
	/* to the NAT's own address, not translated, not dropped, not answered
	 * (ICMP errors are rate-limited): taken by the NAT itself */
	for (size_t i = 0; i < t->n; i++) {
		struct lab_tr_ev *d = &t->ev[i];

		if (d->kind == LAB_TR_PKT && d->proto == IPPROTO_UDP &&
		    d->what == LAB_FATE_UNKNOWN && addr_of_node(t, d->a.dst, d->node))
			d->what = LAB_FATE_LOCAL;
	}
}

/* A client's event is timed when it prints it: a punch after the send,
 * which the NAT may already have forwarded and logged; an ICMP error
 * after the NAT passed it back, but the NAT's record, timed when read,
 * may seem later. Each is moved to its side of the NAT's record. */
#define CLIENT_WINDOW_US 50000
static void client_causal(struct lab_trace *t)
{
	for (size_t i = 0; i < t->n; i++) {
		struct lab_tr_ev *c = &t->ev[i];
		bool punch = c->what == LAB_TRC_PUNCH;

		if (c->kind != LAB_TR_CLIENT || (!punch && c->what != LAB_TRC_ICMP))
			continue;
		for (size_t j = 0; j < t->n; j++) {
			const struct lab_tr_ev *p = &t->ev[j];
			uint64_t d = p->us > c->us ? p->us - c->us : c->us - p->us;

			if (p->kind != LAB_TR_PKT || p->side != c->side || d > CLIENT_WINDOW_US)
				continue;
			if (punch && p->proto == IPPROTO_UDP && p->hp_type == HP_PUNCH &&
			    p->a.dst.s_addr == c->a.dst.s_addr && p->a.dport == c->a.dport &&
			    p->a.src.s_addr == c->a.src.s_addr && p->us <= c->us) {
				c->us = p->us ? p->us - 1 : 0;
				break;
			}
			if (!punch && p->proto == IPPROTO_ICMP && p->icmp_type == c->icmp_type &&
			    p->icmp_code == c->icmp_code && p->b.dst.s_addr == c->a.dst.s_addr &&
			    p->b.dport == c->a.dport && p->us >= c->us) {
				c->us = p->us + 1;
				break;
			}
		}
	}
}

static void count(struct lab_trace *t)
{
	memset(t->nat, 0, sizeof(t->nat));
	for (size_t i = 0; i < t->n; i++) {
		const struct lab_tr_ev *e = &t->ev[i];
		struct lab_tr_nat *c;

		if (e->node >= sizeof(t->nat) / sizeof(t->nat[0]))
			continue;
		c = &t->nat[e->node];
		if (e->kind == LAB_TR_MAP && e->what == LAB_CT_EV_NEW && entry_translates(e))
			c->maps++;
		if (e->kind == LAB_TR_PKT && e->what == LAB_FATE_DROPPED && e->rule < LAB_RULE_COUNT)
			c->drops[e->rule]++;
		if (e->kind == LAB_TR_PKT && e->what == LAB_FATE_FORWARDED)
			c->forwarded++;
	}
}

void lab_trace_resolve(struct lab_trace *t)
{
	bool *flags = calloc(3 * (t->n + 1), sizeof(bool));
	bool *paired, *gone, *continued;

	sort_stable(t);
	if (!flags) {
		count(t);
		return;
	}
	paired = flags;
	gone = flags + t->n + 1;
	merge_records(t, paired, gone);
	compact(t, gone);
	continued = flags + 2 * (t->n + 1);
	memset(continued, 0, t->n + 1);
	number(t, continued);
	icmp_fates(t, continued);
	client_causal(t);
	sort_stable(t);
	count(t);
	free(flags);
}

const char *lab_trace_who(const struct lab_trace *t, const struct lab_tr_ev *e)
{
	if (e->side < LAB_TRACE_SIDES && t->nick[e->side][0])
		return t->nick[e->side];
	if (e->kind == LAB_TR_PKT && addr_of_node(t, e->a.src, LAB_NODE_SRV))
		return "the server";
	return NULL;
}

bool lab_trace_translates(const struct lab_tr_ev *m)
{
	return entry_translates(m);
}

bool lab_trace_is_node_addr(const struct lab_trace *t, struct in_addr a, unsigned node)
{
	return addr_of_node(t, a, (uint8_t)node);
}
