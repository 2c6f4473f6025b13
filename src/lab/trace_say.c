// SPDX-License-Identifier: MIT
/*
 * The trace's events in sentences for people (lab_trace_describe): the
 * narrative of --explain and the HTML page both tell them this way.
 * Pure: a resolved list in, text out.
 */
#include <arpa/inet.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "plan.h"
#include "proto.h"
#include "pktdec.h"
#include "theory.h"
#include "trace.h"

struct say {
	char *buf;
	size_t cap, len;
};

static void say(struct say *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct say *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (s->len + 1 >= s->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(s->buf + s->len, s->cap - s->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		s->len = s->len + (size_t)n >= s->cap ? s->cap - 1 : s->len + (size_t)n;
}

static const char *node_name(unsigned node)
{
	return node < LAB_NODE_COUNT ? lab_plan_nodes[node].suffix : "?";
}

static void say_ep(struct say *s, struct in_addr a, uint16_t port)
{
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, ip, sizeof(ip));
	if (port)
		say(s, "%s:%u", ip, port);
	else
		say(s, "%s", ip);
}

static void say_tuple(struct say *s, const struct lab_ct_tuple *x)
{
	say_ep(s, x->src, x->sport);
	say(s, " -> ");
	say_ep(s, x->dst, x->dport);
}

/* The node an address belongs to, LAB_NODE_COUNT if none we know. */
static unsigned node_at(const struct lab_trace *t, struct in_addr a)
{
	for (unsigned n = 0; n < LAB_NODE_COUNT; n++)
		if (lab_trace_is_node_addr(t, a, n))
			return n;
	return LAB_NODE_COUNT;
}

/* What the datagram is: hplab's type (proto.h), STUN, or a datagram. */
static void say_what(struct say *s, uint8_t hp_type)
{
	const char *n;

	if (hp_type == LAB_PKT_NOT_HP) {
		say(s, "datagram");
		return;
	}
	if (hp_type == LAB_PKT_STUN) {
		say(s, "STUN message");
		return;
	}
	for (n = hp_type_name(hp_type); *n; n++)
		say(s, "%c", *n == '_' ? ' ' : *n);
}

/* "alice's punch", "the server's intro", "a datagram" */
static void say_whose(struct say *s, const struct lab_trace *t, const struct lab_tr_ev *e)
{
	const char *who = lab_trace_who(t, e);

	if (who)
		say(s, "%s's ", who);
	else
		say(s, e->hp_type == HP_ACK ? "an " : "a ");
	say_what(s, e->hp_type);
}

/* RFC 792 types, RFC 1122 s.3.2.2.1 codes: the words hpclient uses too. */
static const char *icmp_words(uint8_t type, uint8_t code)
{
	static const struct {
		uint8_t type;
		int code; /* -1: any */
		const char *words;
	} rows[] = {
		{ 11, -1, "time exceeded" },   { 3, 0, "net unreachable" },
		{ 3, 1, "host unreachable" },  { 3, 3, "port unreachable" },
		{ 3, 13, "admin prohibited" }, { 3, -1, "unreachable" },
		{ 12, -1, "parameter problem" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (rows[i].type == type && (rows[i].code < 0 || rows[i].code == code))
			return rows[i].words;
	return "error";
}

static const char *side_nick(const struct lab_trace *t, unsigned side)
{
	return side < LAB_TRACE_SIDES && t->nick[side][0] ? t->nick[side] : "a client";
}

static const char *hardness_words(uint8_t h)
{
	static const char *const words[LAB_TRH_COUNT] = {
		[LAB_TRH_UNKNOWN] = "of an unknown kind",
		[LAB_TRH_EASY] = "easy (endpoint-independent)",
		[LAB_TRH_HARD] = "hard (endpoint-dependent)",
	};

	return h < LAB_TRH_COUNT ? words[h] : words[LAB_TRH_UNKNOWN];
}

/* Why the spray stopped (hpclient's spray_end "why"), in words. */
static void say_spray_end(struct say *s, const struct lab_trace *t, const struct lab_tr_ev *e,
			  const char *nick)
{
	struct lab_spray d = lab_spray_defaults();
	unsigned n = t->spray_probes ? t->spray_probes : d.probes;

	if (!strcmp(e->text, "hard-hard"))
		/* the forced figure: docs/nat-types.md, "Hard NATs" */
		say(s, "both NATs are hard: no spray (%u probes would succeed with probability "
		       "%.2f %%): relayed", n, 100 * hp_spray_p_hard_hard(n, d.range));
	else if (!strcmp(e->text, "hit"))
		say(s, "%s stops spraying: a probe hit, after %u", nick, e->count);
	else if (!strcmp(e->text, "budget"))
		say(s, "%s's spray missed: all %u probes went to closed ports", nick, e->count);
	else if (!strcmp(e->text, "connected"))
		say(s, "%s stops spraying after %u probes: connected by other means", nick,
		    e->count);
	else if (!strcmp(e->text, "no-spray"))
		say(s, "%s does not spray (told not to)", nick);
	else
		say(s, "%s stops spraying (%s) after %u probes", nick, e->text, e->count);
}

/* The birthday spray's events (docs/nat-types.md, "Hard NATs"). */
static void say_spray(struct say *s, const struct lab_trace *t, const struct lab_tr_ev *e)
{
	const char *nick = side_nick(t, e->side), *peer = side_nick(t, e->side ^ 1u);

	switch ((enum lab_tr_client)e->what) {
	case LAB_TRC_NAT:
		say(s, "%s's NAT is %s, %s's %s", nick, hardness_words(e->role), peer,
		    hardness_words(e->peer_role));
		return;
	case LAB_TRC_SPRAY:
		if (e->role == LAB_TRH_HARD) {
			say(s, "%s opens %u sockets toward %s's mapping ", nick, e->count, peer);
			say_ep(s, e->a.dst, e->a.dport);
		} else {
			say(s, "%s probes %u random ports of ", nick, e->count);
			say_ep(s, e->a.dst, 0);
			say(s, " at %u/s", e->rate);
		}
		return;
	case LAB_TRC_SPRAY_HIT:
		if (e->role == LAB_TRH_HARD)
			say(s, "%s's sprayed port %u got %s's probe after %u ms (%u sockets)", nick,
			    e->a.dport, peer, e->ms, e->count);
		else
			say(s, "%s's probe %u hit port %u after %u ms", nick, e->count, e->a.dport,
			    e->ms);
		return;
	case LAB_TRC_SPRAY_END:
		say_spray_end(s, t, e, nick);
		return;
	case LAB_TRC_REGISTERED:
	case LAB_TRC_INTRODUCED:
	case LAB_TRC_PUNCH:
	case LAB_TRC_ICMP:
	case LAB_TRC_PATH:
	case LAB_TRC_CONNECTED:
	case LAB_TRC_OTHER:
	case LAB_TRC_COUNT:
		break;
	}
}

static void say_client(struct say *s, const struct lab_trace *t, const struct lab_tr_ev *e)
{
	const char *nick = e->side < LAB_TRACE_SIDES && t->nick[e->side][0] ? t->nick[e->side] :
									       "a client";

	switch ((enum lab_tr_client)e->what) {
	case LAB_TRC_REGISTERED:
		say(s, "%s registered: the server sees it at %s", nick, e->text);
		return;
	case LAB_TRC_INTRODUCED:
		say(s, "%s is introduced to %s", nick, e->text);
		return;
	case LAB_TRC_PUNCH:
		say(s, "%s sends a punch to ", nick);
		say_ep(s, e->a.dst, e->a.dport);
		say(s, " (%s, ttl %u)", e->text, e->ttl);
		return;
	case LAB_TRC_ICMP:
		say(s, "%s gets ICMP %s from ", nick, e->text);
		if (e->a.src.s_addr)
			say_ep(s, e->a.src, 0);
		else
			say(s, "an unknown sender");
		say(s, " about ");
		say_ep(s, e->a.dst, e->a.dport);
		return;
	case LAB_TRC_PATH:
		say(s, "%s's path: %s", nick, e->text);
		return;
	case LAB_TRC_CONNECTED:
		say(s, "%s is connected: %s", nick, e->text);
		return;
	case LAB_TRC_NAT:
	case LAB_TRC_SPRAY:
	case LAB_TRC_SPRAY_HIT:
	case LAB_TRC_SPRAY_END:
		say_spray(s, t, e);
		return;
	case LAB_TRC_OTHER:
	case LAB_TRC_COUNT:
		break;
	}
	say(s, "%s: %s", nick, e->text);
}

static void say_map(struct say *s, const struct lab_trace *t, const struct lab_tr_ev *e)
{
	const char *nat = node_name(e->node);
	bool maps = lab_trace_translates(e);

	switch ((enum lab_ct_ev_type)e->what) {
	case LAB_CT_EV_NEW:
		say(s, "%s %s ", nat, maps ? "maps" : "tracks");
		break;
	case LAB_CT_EV_UPDATE:
		say(s, "%s's %s ", nat, maps ? "mapping" : "entry");
		break;
	case LAB_CT_EV_DESTROY:
		say(s, "%s forgets ", nat);
		break;
	}
	if (maps) {
		/* the inside endpoint, the public one it got, the remote one */
		say_ep(s, e->a.src, e->a.sport);
		say(s, " -> ");
		say_ep(s, e->b.dst, e->b.dport);
		say(s, " (for ");
		say_ep(s, e->a.dst, e->a.dport);
		say(s, ")");
	} else {
		say_tuple(s, &e->a);
		if (lab_trace_is_node_addr(t, e->a.dst, e->node))
			say(s, " (to %s itself)", nat);
		else
			say(s, " (not translated)");
	}
	if (e->what == LAB_CT_EV_UPDATE)
		say(s, e->ct_status & IPS_ASSURED ? " is assured" :
		       e->ct_status & IPS_SEEN_REPLY ? " sees a reply" : " changes");
}

/* "as 198.51.100.10:4000", "to 10.0.2.2:4000": what the NAT rewrote. */
static void say_rewrite(struct say *s, const struct lab_tr_ev *e)
{
	if (e->b.src.s_addr != e->a.src.s_addr || e->b.sport != e->a.sport) {
		say(s, " as ");
		say_ep(s, e->b.src, e->b.sport);
	}
	if (e->b.dst.s_addr != e->a.dst.s_addr || e->b.dport != e->a.dport) {
		say(s, " to ");
		say_ep(s, e->b.dst, e->b.dport);
	}
}

/* Where an ICMP error came from: "in the core", "at rB", "beyond rA". */
static void say_where(struct say *s, const struct lab_trace *t, const struct lab_tr_ev *e)
{
	unsigned n = node_at(t, e->from);

	if (n == LAB_NODE_CORE)
		say(s, "in the core");
	else if (n < LAB_NODE_COUNT)
		say(s, "at %s", node_name(n));
	else
		say(s, "beyond %s", node_name(e->node));
}

static void say_icmp_pkt(struct say *s, const struct lab_trace *t, const struct lab_tr_ev *e)
{
	const char *nat = node_name(e->node);

	if (e->at == LAB_AT_OUT)
		say(s, "%s answers ", nat);
	else if (e->what == LAB_FATE_FORWARDED)
		say(s, "%s passes back ", nat);
	else
		say(s, "%s %s ", nat, e->what == LAB_FATE_DROPPED ? "drops" : "sees");
	say(s, "ICMP %s from ", icmp_words(e->icmp_type, e->icmp_code));
	say_ep(s, e->from, 0);
	say(s, " about ");
	say_whose(s, t, e);
	say(s, " ");
	say_tuple(s, &e->a);
	if (e->what == LAB_FATE_FORWARDED && e->at != LAB_AT_OUT)
		say_rewrite(s, e);
}

/* The TTL a datagram had at its first NAT: as its sender set it (the
 * hop from a host to its router does not count it down). */
static unsigned first_ttl(const struct lab_trace *t, const struct lab_tr_ev *e)
{
	for (size_t i = 0; i < t->n && e->dgram; i++)
		if (t->ev[i].kind == LAB_TR_PKT && t->ev[i].dgram == e->dgram)
			return t->ev[i].ttl;
	return e->ttl;
}

static void say_pkt(struct say *s, const struct lab_trace *t, const struct lab_tr_ev *e)
{
	const char *nat = node_name(e->node);

	if (e->proto == IPPROTO_ICMP) {
		say_icmp_pkt(s, t, e);
		return;
	}
	switch ((enum lab_tr_fate)e->what) {
	case LAB_FATE_FORWARDED:
		say(s, "%s forwards ", nat);
		say_whose(s, t, e);
		say(s, " (ttl %u) ", e->ttl);
		say_tuple(s, &e->a);
		say_rewrite(s, e);
		return;
	case LAB_FATE_DROPPED:
		if (e->rule == LAB_RULE_SESSIONS) {
			say(s, "%s's session table is full", nat);
			if (t->sessions)
				say(s, " (%u %s)", t->sessions, t->sessions == 1 ? "entry" : "entries");
			say(s, ": refused ");
			say_whose(s, t, e);
			say(s, " to ");
			say_ep(s, e->a.dst, e->a.dport);
			return;
		}
		say(s, "%s drops ", nat);
		say_whose(s, t, e);
		say(s, " from ");
		say_ep(s, e->a.src, e->a.sport);
		say(s, " (rule %s: %s)", lab_trace_rule_name(e->rule), lab_trace_rule_why(e->rule));
		return;
	case LAB_FATE_LOCAL:
		say(s, "%s takes ", nat);
		say_whose(s, t, e);
		say(s, " from ");
		say_ep(s, e->a.src, e->a.sport);
		say(s, " for itself: no mapping, nobody listens there");
		if (e->icmp_type)
			say(s, " (ICMP %s)", icmp_words(e->icmp_type, e->icmp_code));
		return;
	case LAB_FATE_EXPIRED:
	case LAB_FATE_UNROUTABLE:
		say_whose(s, t, e);
		say(s, " (ttl %u) left %s", first_ttl(t, e), nat);
		say_rewrite(s, e);
		say(s, e->what == LAB_FATE_EXPIRED ? " and expired " : " and found no route ");
		say_where(s, t, e);
		say(s, ": ICMP %s from ", icmp_words(e->icmp_type, e->icmp_code));
		say_ep(s, e->from, 0);
		return;
	case LAB_FATE_UNKNOWN:
	case LAB_FATE_COUNT:
		break;
	}
	say(s, "%s sees ", nat);
	say_whose(s, t, e);
	say(s, " ");
	say_tuple(s, &e->a);
}

int lab_trace_describe(const struct lab_trace *t, size_t i, char *buf, size_t cap)
{
	struct say s = { buf, cap, 0 };
	const struct lab_tr_ev *e;

	if (!cap)
		return 0;
	buf[0] = '\0';
	if (i >= t->n)
		return 0;
	e = &t->ev[i];
	switch ((enum lab_tr_kind)e->kind) {
	case LAB_TR_CLIENT:
		say_client(&s, t, e);
		break;
	case LAB_TR_MAP:
		say_map(&s, t, e);
		break;
	case LAB_TR_PKT:
		say_pkt(&s, t, e);
		break;
	case LAB_TR_KIND_COUNT:
		break;
	}
	return (int)s.len;
}
