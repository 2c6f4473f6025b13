// SPDX-License-Identifier: MIT
/*
 * `lab watch`'s view (watch.h), pure: the NATs' tables kept from their
 * conntrack events, the drop counts from what their rules logged, and the
 * text of every line and of the screen. No socket, no clock: watch.c
 * passes the time in.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/netfilter/nf_conntrack_common.h>

#include "pktdec.h"
#include "watch.h"

#define SHOW_ENTRIES 12 /* rows per NAT on the screen */

void lab_watch_view_init(struct lab_watch_view *v)
{
	memset(v, 0, sizeof(*v));
}

int lab_watch_view_add(struct lab_watch_view *v, const char *name)
{
	if (v->nnat >= LAB_WATCH_NATS)
		return -ENOSPC;
	snprintf(v->nat[v->nnat].name, sizeof(v->nat[v->nnat].name), "%s", name);
	return (int)v->nnat++;
}

void lab_watch_load(struct lab_watch_nat *nat, const struct lab_ct_entry *e, size_t n,
		    size_t total)
{
	if (n > LAB_WATCH_ENTRIES)
		n = LAB_WATCH_ENTRIES;
	memcpy(nat->e, e, n * sizeof(*e));
	nat->n = n;
	nat->more = total > n ? total - n : 0;
}

static bool same_tuple(const struct lab_ct_tuple *a, const struct lab_ct_tuple *b)
{
	return a->src.s_addr == b->src.s_addr && a->dst.s_addr == b->dst.s_addr &&
	       a->sport == b->sport && a->dport == b->dport;
}

/* The held entry ev names: by id when the kernel gave one (CTA_ID),
 * else by its original tuple; -1 if none. */
static int find_entry(const struct lab_watch_nat *nat, const struct lab_ct_entry *e)
{
	size_t i;

	for (i = 0; i < nat->n; i++)
		if (e->id ? nat->e[i].id == e->id : same_tuple(&nat->e[i].orig, &e->orig))
			return (int)i;
	return -1;
}

/* Entry e as it is now: replaces the held one (index i), else is added. A
 * NEW for a held entry is the dump and the event racing. */
static void put_entry(struct lab_watch_nat *nat, int i, const struct lab_ct_entry *e)
{
	if (i >= 0)
		nat->e[i] = *e;
	else if (nat->n < LAB_WATCH_ENTRIES)
		nat->e[nat->n++] = *e;
	else
		nat->more++;
}

bool lab_watch_ct_apply(struct lab_watch_nat *nat, const struct lab_ct_event *ev)
{
	int i;

	if (ev->e.l4proto != IPPROTO_UDP)
		return false;
	i = find_entry(nat, &ev->e);
	switch ((enum lab_ct_ev_type)ev->type) {
	case LAB_CT_EV_NEW:
		nat->made += i < 0;
		put_entry(nat, i, &ev->e);
		break;
	case LAB_CT_EV_UPDATE:
		put_entry(nat, i, &ev->e);
		break;
	case LAB_CT_EV_DESTROY:
		if (i >= 0)
			nat->e[i] = nat->e[--nat->n];
		else if (nat->more)
			nat->more--;
		break;
	}
	return true;
}

bool lab_watch_pkt_apply(struct lab_watch_nat *nat, const struct lab_nflog_pkt *pkt)
{
	enum lab_tr_rule r;
	enum lab_tr_at at = lab_trace_at_find(pkt->prefix, &r);

	if (at == LAB_AT_DROP && r != LAB_RULE_NONE && r < LAB_RULE_COUNT)
		nat->drops[r]++;
	else if (at < LAB_AT_COUNT)
		nat->seen[at]++;
	else
		nat->logged_other++;
	return at == LAB_AT_DROP;
}

void lab_watch_recent(struct lab_watch_view *v, const char *line)
{
	snprintf(v->recent[v->nrecent % LAB_WATCH_RECENT], LAB_WATCH_LINE, "%s", line);
	v->nrecent++;
}

/* "a.b.c.d:port" (the port left out when 0: not UDP) */
static const char *ep(char *buf, size_t cap, struct in_addr a, uint16_t port)
{
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, ip, sizeof(ip));
	if (port)
		snprintf(buf, cap, "%s:%u", ip, port);
	else
		snprintf(buf, cap, "%s", ip);
	return buf;
}

/* snprintf's length, held to what was written: the callers chain them */
static size_t held(int n, size_t cap)
{
	if (n < 0)
		return 0;
	return (size_t)n < cap ? (size_t)n : cap ? cap - 1 : 0;
}

int lab_watch_fmt_entry(char *buf, size_t cap, const struct lab_ct_entry *e)
{
	char a[24], b[24], c[24];
	const struct lab_ct_tuple *o = &e->orig, *r = &e->reply;

	/* conntrack's reply tuple is the answer as it arrives: a source
	 * rewritten on the way out (SNAT, MASQUERADE) is its destination, a
	 * destination rewritten on the way in (DNAT) its source */
	if (r->dst.s_addr != o->src.s_addr || r->dport != o->sport)
		return (int)held(snprintf(buf, cap, "%s -> %s (for %s)", ep(a, 24, o->src, o->sport),
					  ep(b, 24, r->dst, r->dport), ep(c, 24, o->dst, o->dport)),
				 cap);
	if (r->src.s_addr != o->dst.s_addr || r->sport != o->dport)
		return (int)held(snprintf(buf, cap, "%s -> %s (to %s)", ep(a, 24, o->src, o->sport),
					  ep(b, 24, o->dst, o->dport), ep(c, 24, r->src, r->sport)),
				 cap);
	return (int)held(snprintf(buf, cap, "%s -> %s", ep(a, 24, o->src, o->sport),
				  ep(b, 24, o->dst, o->dport)), cap);
}

/* What the status bits say of an entry (linux/netfilter/
 * nf_conntrack_common.h): a reply seen, or kept as a stream (assured). */
static const char *entry_state(const struct lab_ct_entry *e)
{
	if (e->status & IPS_ASSURED)
		return "assured";
	return e->status & IPS_SEEN_REPLY ? "replied" : "unreplied";
}

static size_t stamp(char *buf, size_t cap, uint64_t us, const char *nat)
{
	return held(snprintf(buf, cap, "+%llu.%03llu %s ", (unsigned long long)(us / 1000000),
			     (unsigned long long)(us / 1000 % 1000), nat), cap);
}

int lab_watch_fmt_ct(char *buf, size_t cap, uint64_t us, const char *nat,
		     const struct lab_ct_event *ev)
{
	size_t n = stamp(buf, cap, us, nat);

	n += held(snprintf(buf + n, cap - n, "%s ", lab_trace_map_name(ev->type)), cap - n);
	n += held(lab_watch_fmt_entry(buf + n, cap - n, &ev->e), cap - n);
	if (ev->type == LAB_CT_EV_UPDATE)
		n += held(snprintf(buf + n, cap - n, " %s", entry_state(&ev->e)), cap - n);
	return (int)n;
}

int lab_watch_fmt_lost(char *buf, size_t cap, uint64_t us, const char *nat)
{
	size_t n = stamp(buf, cap, us, nat);

	return (int)(n + held(snprintf(buf + n, cap - n, "lost events: the kernel's queue "
				       "overflowed"), cap - n));
}

/* "src -> dst", for an ICMP error also what it quotes */
static size_t fmt_dgram(char *buf, size_t cap, const struct lab_pkt *p)
{
	char a[24], b[24], c[24], d[24];
	const struct lab_ct_tuple *t = &p->ip.t;

	if (p->ip.proto == IPPROTO_UDP)
		return held(snprintf(buf, cap, "%s -> %s", ep(a, 24, t->src, t->sport),
				     ep(b, 24, t->dst, t->dport)), cap);
	if (p->ip.proto == IPPROTO_ICMP && p->has_inner)
		return held(snprintf(buf, cap, "icmp %u/%u %s -> %s (about %s -> %s)", p->icmp_type,
				     p->icmp_code, ep(a, 24, t->src, 0), ep(b, 24, t->dst, 0),
				     ep(c, 24, p->inner.t.src, p->inner.t.sport),
				     ep(d, 24, p->inner.t.dst, p->inner.t.dport)), cap);
	return held(snprintf(buf, cap, "proto %u %s -> %s", p->ip.proto, ep(a, 24, t->src, 0),
			     ep(b, 24, t->dst, 0)), cap);
}

int lab_watch_fmt_pkt(char *buf, size_t cap, uint64_t us, const char *nat,
		      const struct lab_nflog_pkt *pkt)
{
	enum lab_tr_rule r;
	enum lab_tr_at at = lab_trace_at_find(pkt->prefix, &r);
	size_t n = stamp(buf, cap, us, nat);
	struct lab_pkt p;

	/* "drop fw-input", "in", "out", or a prefix not the lab's */
	if (at == LAB_AT_DROP)
		n += held(snprintf(buf + n, cap - n, "drop %s ", lab_trace_rule_name(r)), cap - n);
	else if (at < LAB_AT_COUNT)
		n += held(snprintf(buf + n, cap - n, "%s ", lab_trace_at_name(at)), cap - n);
	else
		n += held(snprintf(buf + n, cap - n, "log %.40s ", pkt->prefix[0] ? pkt->prefix : "-"),
			  cap - n);
	if (lab_pkt_decode(pkt->payload, pkt->len, &p) < 0)
		n += held(snprintf(buf + n, cap - n, "(not IPv4, %zu bytes)", pkt->len), cap - n);
	else
		n += fmt_dgram(buf + n, cap - n, &p);
	return (int)n;
}

void lab_watch_print_start(FILE *f, const struct lab_watch_view *v, const char *prefix)
{
	char line[LAB_WATCH_LINE];
	size_t i, k;

	fprintf(f, "lab watch: prefix %s, the tables at the start%s\n", prefix,
		v->log_off ? " (the log group is taken: tables only)" : "");
	for (i = 0; i < v->nnat; i++) {
		const struct lab_watch_nat *nat = &v->nat[i];

		fprintf(f, "+0.000 %s holds %zu UDP entr%s\n", nat->name, nat->n + nat->more,
			nat->n + nat->more == 1 ? "y" : "ies");
		for (k = 0; k < nat->n; k++) {
			lab_watch_fmt_entry(line, sizeof(line), &nat->e[k]);
			fprintf(f, "+0.000 %s has %s %s\n", nat->name, line, entry_state(&nat->e[k]));
		}
	}
}

static void render_nat(FILE *f, const struct lab_watch_nat *nat, bool log_off)
{
	char line[LAB_WATCH_LINE];
	size_t k;
	int r;

	fprintf(f, "%s  %zu UDP entr%s, %u made", nat->name, nat->n + nat->more,
		nat->n + nat->more == 1 ? "y" : "ies", nat->made);
	if (!log_off) {
		fputs("; dropped:", f);
		for (r = LAB_RULE_NONE + 1; r < LAB_RULE_COUNT; r++)
			fprintf(f, " %s %u", lab_trace_rule_name((enum lab_tr_rule)r), nat->drops[r]);
		fputs("; seen:", f);
		for (r = 0; r < LAB_AT_COUNT; r++)
			if (r != LAB_AT_DROP)
				fprintf(f, " %s %u", lab_trace_at_name((enum lab_tr_at)r), nat->seen[r]);
		if (nat->logged_other)
			fprintf(f, " other %u", nat->logged_other);
	}
	fputc('\n', f);
	for (k = 0; k < nat->n && k < SHOW_ENTRIES; k++) {
		lab_watch_fmt_entry(line, sizeof(line), &nat->e[k]);
		fprintf(f, "    %-64s %s\n", line, entry_state(&nat->e[k]));
	}
	if (nat->n + nat->more > k)
		fprintf(f, "    ... %zu more\n", nat->n + nat->more - k);
	fputc('\n', f);
}

void lab_watch_render(FILE *f, const struct lab_watch_view *v, const char *prefix, uint64_t us)
{
	size_t i, first;

	fprintf(f, "lab watch: prefix %s, +%llu s (Ctrl-C ends)%s\n\n", prefix,
		(unsigned long long)(us / 1000000),
		v->log_off ? "; the log group is taken: tables only" : "");
	for (i = 0; i < v->nnat; i++)
		render_nat(f, &v->nat[i], v->log_off);
	if (v->lost)
		fprintf(f, "events lost %llu times (the kernel's queue overflowed)\n\n",
			(unsigned long long)v->lost);
	fputs("recent:\n", f);
	first = v->nrecent > LAB_WATCH_RECENT ? v->nrecent - LAB_WATCH_RECENT : 0;
	for (i = first; i < v->nrecent; i++)
		fprintf(f, "  %s\n", v->recent[i % LAB_WATCH_RECENT]);
}
