// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "nat.h"
#include "trace.h"

/* The cones' filter keys (struct lab_nat_cone): per mapping (the public
 * port stands for its host endpoint, EIM), and for the restricted cone
 * per remote address too. Port-restricted needs none: conntrack admits
 * replies only, which is address and port-dependent filtering. */
static const struct lab_nat_cone full_cone = { "inet_service", "udp sport", "udp dport" };
static const struct lab_nat_cone restricted_cone = { "ipv4_addr . inet_service",
						     "ip daddr . udp sport",
						     "ip saddr . udp dport" };

static const struct lab_nat_personality personalities[] = {
	{ "port-restricted", "prc", { LAB_MAP_EI, LAB_FILT_APD }, LAB_NAT_PORTS_PRESERVE,
	  /* Linux keeps the source port when it can: the default behaviour */
	  "oifname \"%W\" masquerade\n",
	  "", NULL },
	{ "symmetric", "sym", { LAB_MAP_APD, LAB_FILT_APD }, LAB_NAT_PORTS_RANDOM,
	  "oifname \"%W\" masquerade fully-random\n",
	  "", NULL },
	{ "full-cone", "fc", { LAB_MAP_EI, LAB_FILT_EI }, LAB_NAT_PORTS_PRESERVE,
	  "oifname \"%W\" masquerade\n",
	  "iifname \"%W\" oifname \"%L\" ct status dnat accept\n", &full_cone },
	{ "restricted-cone", "rc", { LAB_MAP_EI, LAB_FILT_AD }, LAB_NAT_PORTS_PRESERVE,
	  "oifname \"%W\" masquerade\n",
	  "iifname \"%W\" oifname \"%L\" ct status dnat accept\n", &restricted_cone },
};

#define N_PERS (sizeof(personalities) / sizeof(personalities[0]))

const struct lab_nat_personality *lab_nat_find(const char *name)
{
	size_t i;

	for (i = 0; i < N_PERS; i++)
		if (!strcmp(name, personalities[i].name) || !strcmp(name, personalities[i].alias))
			return &personalities[i];
	return NULL;
}

const struct lab_nat_personality *lab_nat_find_props(const struct lab_nat_props *props)
{
	size_t i;

	for (i = 0; i < N_PERS; i++)
		if (personalities[i].props.mapping == props->mapping &&
		    personalities[i].props.filtering == props->filtering)
			return &personalities[i];
	return NULL;
}

size_t lab_nat_count(void)
{
	return N_PERS;
}

const struct lab_nat_personality *lab_nat_at(size_t i)
{
	return i < N_PERS ? &personalities[i] : NULL;
}

/* Is row x more open than row y? RFC 4787 mapping behaviour first, then
 * filtering (theory.h's enums run from open to strict); rows that tie keep
 * the table's order. */
static bool more_open(size_t x, size_t y)
{
	const struct lab_nat_props *px = &personalities[x].props, *py = &personalities[y].props;

	if (px->mapping != py->mapping)
		return px->mapping < py->mapping;
	if (px->filtering != py->filtering)
		return px->filtering < py->filtering;
	return x < y;
}

const struct lab_nat_personality *lab_nat_by_openness(size_t rank)
{
	size_t i, j, above;

	for (i = 0; i < N_PERS; i++) {
		for (above = 0, j = 0; j < N_PERS; j++)
			above += j != i && more_open(j, i);
		if (above == rank)
			return &personalities[i];
	}
	return NULL;
}

const char *lab_nat_names(void)
{
	static char names[N_PERS * 40];
	size_t i, n = 0;

	if (names[0])
		return names;
	for (i = 0; i < N_PERS && n < sizeof(names); i++)
		n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s (%s)", i ? ", " : "",
				      personalities[i].name, personalities[i].alias);
	return names;
}

struct out {
	char *buf;
	size_t cap, len;
	bool full;
};

static void out_mem(struct out *o, const char *s, size_t n)
{
	if (o->len + n >= o->cap) {
		o->full = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void out_str(struct out *o, const char *s)
{
	out_mem(o, s, strlen(s));
}

/* Interface names and addresses go into a line-based format: refuse
 * anything that could smuggle in another rule. */
static bool token_safe(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == ':' || *s == '_' || *s == '-'))
			return false;
	return true;
}

/* Each template line becomes "<lead><line>" with its tokens expanded. */
static int expand(struct out *o, const char *tmpl, const struct lab_nat_params *prm,
		  const struct lab_nat_cone *cone, const char *lead)
{
	char port[12], port2[12];
	const char *p;

	snprintf(port, sizeof(port), "%u", prm->port);
	snprintf(port2, sizeof(port2), "%u", prm->port + 1);
	for (p = tmpl; *p;) {
		if (p == tmpl || p[-1] == '\n')
			out_str(o, lead);
		if (*p != '%') {
			out_mem(o, p, 1);
			p++;
			continue;
		}
		switch (p[1]) {
		case 'W': out_str(o, prm->wan); break;
		case 'L': out_str(o, prm->lan); break;
		case 'H': out_str(o, prm->host); break;
		case 'P': out_str(o, port); break;
		/* same NAT only (checked by the caller) */
		case 'M': out_str(o, prm->lan2); break;
		case 'G': out_str(o, prm->host2); break;
		case 'A': out_str(o, prm->public_addr); break;
		case 'Q': out_str(o, port2); break;
		/* cone filters only */
		case 'Y': if (!cone) return -EINVAL; out_str(o, cone->type); break;
		case 'O': if (!cone) return -EINVAL; out_str(o, cone->learn); break;
		case 'I': if (!cone) return -EINVAL; out_str(o, cone->admit); break;
		default: return -EINVAL;
		}
		p += 2;
	}
	return 0;
}

/* A rule line inside a chain of the table. */
static int expand_rules(struct out *o, const char *tmpl, const struct lab_nat_params *prm)
{
	return expand(o, tmpl, prm, NULL, "\t\t");
}

/*
 * The router's base chains, all in one table, at the hooks and priorities
 * of the iptables tables they replace (nft(8), "CHAINS": dstnat -100,
 * srcnat 100, filter 0, mangle -150). The nat chains are there even when
 * empty: a nat chain registers the hook that translates the replies and
 * the ICMP errors of a mapped flow, as iptables' nat table did.
 */
enum nat_chain {
	CHAIN_NAT_IN,
	CHAIN_NAT_OUT,
	CHAIN_INPUT,
	CHAIN_FORWARD,
	CHAIN_WATCH_IN,
	CHAIN_WATCH_OUT,
};

static const struct {
	const char *name, *type, *hook, *prio;
} chains[] = {
	[CHAIN_NAT_IN] = { "nat_in", "nat", "prerouting", "dstnat" },
	[CHAIN_NAT_OUT] = { "nat_out", "nat", "postrouting", "srcnat" },
	[CHAIN_INPUT] = { "input", "filter", "input", "filter" },
	[CHAIN_FORWARD] = { "forward", "filter", "forward", "filter" },
	/* mangle's place: before DNAT on the way in, before SNAT on the way out */
	[CHAIN_WATCH_IN] = { "watch_in", "filter", "prerouting", "mangle" },
	[CHAIN_WATCH_OUT] = { "watch_out", "filter", "postrouting", "mangle" },
};

static void chain_open(struct out *o, enum nat_chain c)
{
	char head[160];

	snprintf(head, sizeof(head), "\tchain %s {\n\t\ttype %s hook %s priority %s; policy accept;\n",
		 chains[c].name, chains[c].type, chains[c].hook, chains[c].prio);
	out_str(o, head);
}

static void chain_close(struct out *o)
{
	out_str(o, "\t}\n");
}

/*
 * One router for both hosts, each on its own lan port, like two customers
 * of one carrier-grade NAT or a guest network with client isolation: the
 * lans cannot reach each other, so private addresses are no way through.
 * The mappings are pinned (EIM, ports PORT and PORT+1) so that hairpinning
 * (RFC 4787 REQ-9) can be written down: a datagram from a lan to the
 * router's public address and a host's mapped port is sent to that host,
 * with the sender's own mapping as its source, as if it had gone out and
 * come back. Linux has no generic hairpinning of dynamic mappings; this is
 * what routers do for their port forwards ("NAT loopback").
 */
static const char same_nat_rules[] =
	"oifname \"%W\" ip saddr %H udp sport %P snat ip to %A:%P\n"
	"oifname \"%W\" ip saddr %G udp sport %P snat ip to %A:%Q\n"
	"oifname \"%W\" masquerade\n";
static const char hairpin_dnat_rules[] =
	"iifname \"%L\" ip daddr %A udp dport %Q dnat ip to %G:%P\n"
	"iifname \"%M\" ip daddr %A udp dport %P dnat ip to %H:%P\n";
static const char hairpin_snat_rules[] =
	"oifname \"%M\" ip saddr %H udp sport %P ct status dnat snat ip to %A:%P\n"
	"oifname \"%L\" ip saddr %G udp sport %P ct status dnat snat ip to %A:%Q\n";

/*
 * The glass box's observation points (trace.h, docs/explain.md): every UDP
 * datagram, and every ICMP error that tells a datagram died (destination
 * unreachable, time exceeded: RFC 792), logged as it arrives (watch_in:
 * before DNAT) and as it leaves (watch_out: before SNAT; priority mangle,
 * -150, runs ahead of dstnat and srcnat in both hooks). With nobody bound
 * to the group, the log statement costs a lookup: nfnetlink_log finds no
 * instance and returns.
 */
static const struct {
	enum nat_chain chain;
	enum lab_tr_at at;
} watch_hooks[] = {
	{ CHAIN_WATCH_IN, LAB_AT_IN },
	{ CHAIN_WATCH_OUT, LAB_AT_OUT },
};

static const char *const watch_matches[] = {
	"meta l4proto udp",
	"icmp type destination-unreachable",
	"icmp type time-exceeded",
};

/* nft(8) "LOG STATEMENT": with a group it is NFLOG (nfnetlink_log), the
 * prefix its NFULA_PREFIX, snaplen how much of the packet is copied. */
static void out_nflog(struct out *o, const char *prefix)
{
	char tail[96];

	snprintf(tail, sizeof(tail), " log prefix \"%s\" group %u snaplen %u", prefix,
		 LAB_NFLOG_GROUP, LAB_NFLOG_RANGE);
	out_str(o, tail);
}

static void watch_rules(struct out *o)
{
	for (size_t h = 0; h < sizeof(watch_hooks) / sizeof(watch_hooks[0]); h++) {
		chain_open(o, watch_hooks[h].chain);
		for (size_t m = 0; m < sizeof(watch_matches) / sizeof(watch_matches[0]); m++) {
			out_str(o, "\t\t");
			out_str(o, watch_matches[m]);
			out_nflog(o, lab_trace_at_name(watch_hooks[h].at));
			out_str(o, "\n");
		}
		chain_close(o);
	}
}

/* A drop rule: counted (`nft list ruleset` shows how many), logged with
 * the rule's name (the trace tells which rule dropped what), dropped. */
static int drop_rule(struct out *o, const struct lab_nat_params *prm, enum lab_tr_rule rule,
		     const char *match)
{
	int ret = expand_rules(o, match, prm);

	out_str(o, " counter");
	out_nflog(o, lab_trace_rule_name(rule));
	out_str(o, " drop\n");
	return ret;
}

/*
 * A small router's session table (--nat-sessions): a new outbound flow
 * beyond N live conntrack entries is refused. nf_conntrack_max cannot do
 * it: outside the initial namespace it is read-only (it is the host's
 * limit), so the cap counts with "ct count" (nft(8), "CT EXPRESSION";
 * nf_conncount keeps the live conntrack entries of every flow that passed
 * the rule, UDP ones too). Without a key it is one count for the rule,
 * so every lan host is in one group: the router's table. The refused
 * datagram never gets an entry (its unconfirmed one dies with it), so it
 * takes none of the N. With a second lan each lan port has its own rule
 * and count, as each had its own connlimit rule before.
 */
static int session_rules(struct out *o, const struct lab_nat_params *prm, bool same)
{
	char match[120];
	int ret;

	if (!prm->sessions)
		return 0;
	snprintf(match, sizeof(match), "iifname \"%%L\" oifname \"%%W\" ct state new ct count over %u",
		 prm->sessions);
	ret = drop_rule(o, prm, LAB_RULE_SESSIONS, match);
	if (!ret && same) {
		snprintf(match, sizeof(match),
			 "iifname \"%%M\" oifname \"%%W\" ct state new ct count over %u", prm->sessions);
		ret = drop_rule(o, prm, LAB_RULE_SESSIONS, match);
	}
	return ret;
}

/* The firewall's and the isolation's drops, in the order they apply. */
static int drop_rules(struct out *o, const struct lab_nat_params *prm, bool same)
{
	int ret = 0;

	if (!prm->no_firewall) {
		ret = drop_rule(o, prm, LAB_RULE_FW_FORWARD, "iifname \"%W\" oifname \"%L\"");
		if (!ret && same)
			ret = drop_rule(o, prm, LAB_RULE_FW_FORWARD, "iifname \"%W\" oifname \"%M\"");
	}
	/* isolated lans: only a hairpinned flow (it was DNATed) may cross */
	if (!ret && same && prm->hairpin)
		ret = expand_rules(o, "iifname \"%L\" oifname \"%M\" ct status dnat accept\n"
				      "iifname \"%M\" oifname \"%L\" ct status dnat accept\n",
				   prm);
	if (!ret && same)
		ret = drop_rule(o, prm, LAB_RULE_ISOLATION, "iifname \"%L\" oifname \"%M\"");
	if (!ret && same)
		ret = drop_rule(o, prm, LAB_RULE_ISOLATION, "iifname \"%M\" oifname \"%L\"");
	return ret;
}

static int check_params(const struct lab_nat_personality *p, const struct lab_nat_params *prm)
{
	if (!p || !token_safe(prm->wan) || !token_safe(prm->lan) || !token_safe(prm->host) ||
	    prm->port == 0 || prm->port > 65534 || prm->masq_port > 65535)
		return -EINVAL;
	if (prm->lan2 && (!token_safe(prm->lan2) || !token_safe(prm->host2) ||
			  !token_safe(prm->public_addr) || p->props.mapping != LAB_MAP_EI ||
			  p->props.filtering != LAB_FILT_APD))
		return -EINVAL;
	return 0;
}

/* The nat chains: the hairpin's DNAT on the way in; on the way out the
 * rebind's port, then the personality's (or the pinned) mappings. */
static int nat_rules(struct out *o, const struct lab_nat_personality *p,
		     const struct lab_nat_params *prm, bool same)
{
	int ret = 0;

	chain_open(o, CHAIN_NAT_IN);
	if (same && prm->hairpin)
		ret = expand_rules(o, hairpin_dnat_rules, prm);
	chain_close(o);
	chain_open(o, CHAIN_NAT_OUT);
	if (!ret && prm->masq_port && !same) {
		char rule[64];

		/* ahead of the personality's rules: the first matching SNAT wins */
		snprintf(rule, sizeof(rule), "oifname \"%%W\" meta l4proto udp masquerade to :%u\n",
			 prm->masq_port);
		ret = expand_rules(o, rule, prm);
	}
	if (!ret)
		ret = expand_rules(o, same ? same_nat_rules : p->nat_rules, prm);
	if (!ret && same && prm->hairpin)
		ret = expand_rules(o, hairpin_snat_rules, prm);
	chain_close(o);
	return ret;
}

/* A home router's stateful firewall: nothing unsolicited gets in. Without
 * the input rule an early punch confirms a conntrack entry that forces
 * MASQUERADE onto another port (docs/nat-types.md, "--no-firewall: bare
 * MASQUERADE"). */
static int filter_rules(struct out *o, const struct lab_nat_personality *p,
			const struct lab_nat_params *prm, bool same)
{
	int ret = 0;

	chain_open(o, CHAIN_INPUT);
	if (!prm->no_firewall)
		ret = drop_rule(o, prm, LAB_RULE_FW_INPUT, "iifname \"%W\" ct state new");
	chain_close(o);
	chain_open(o, CHAIN_FORWARD);
	if (!ret)
		ret = session_rules(o, prm, same);
	if (!ret && !prm->no_firewall)
		ret = expand_rules(o, "iifname \"%W\" oifname \"%L\" ct state established,related "
				      "accept\n", prm);
	if (!ret && !prm->no_firewall && same)
		ret = expand_rules(o, "iifname \"%W\" oifname \"%M\" ct state established,related "
				      "accept\n", prm);
	if (!ret && !same)
		ret = expand_rules(o, p->forward_rules, prm);
	if (!ret)
		ret = drop_rules(o, prm, same);
	chain_close(o);
	return ret;
}

/* "add" then "delete": whatever table the router had goes, in the same
 * transaction as the new one comes (nft 1.0.6 has no "destroy", and a
 * plain "delete" of a missing table fails the whole load). */
#define NAT_TABLE_HEAD "add table ip " LAB_NAT_TABLE "\ndelete table ip " LAB_NAT_TABLE "\n" \
	"table ip " LAB_NAT_TABLE " {\n"

int lab_nat_ruleset(const struct lab_nat_personality *p, const struct lab_nat_params *prm,
		    char *buf, size_t cap)
{
	struct out o = { buf, cap, 0, false };
	bool same = prm->lan2 != NULL;
	int ret;

	ret = check_params(p, prm);
	if (ret < 0)
		return ret;
	if (cap)
		buf[0] = '\0';
	out_str(&o, NAT_TABLE_HEAD);
	ret = nat_rules(&o, p, prm, same);
	if (!ret)
		ret = filter_rules(&o, p, prm, same);
	if (ret < 0)
		return ret;
	watch_rules(&o);
	out_str(&o, "}\n");
	return o.full ? -ENOSPC : (int)o.len;
}

/*
 * A cone's own table, beside the router's (loaded with it, one
 * transaction). MASQUERADE still makes every mapping; this only decides
 * which unsolicited inbound datagrams reach it, and where.
 *
 * After MASQUERADE (postrouting, after srcnat) every outbound UDP datagram
 * of the host teaches two dynamic sets: the map from its public port to
 * its host endpoint, and the filter set with the cone's key. Each element
 * carries "ct count": nf_conncount keeps the conntrack entries that
 * passed it, and the set's garbage collector drops the element once none
 * of them exists any more (expired, or flushed by conntrack -F). So an
 * element lives as long as its mapping's conntrack entries (refreshed by
 * traffic both ways, as conntrack refreshes them) plus at most one gc
 * interval (1 s, the kernel's for a set without timeouts: nf_tables
 * refuses "ct count" in a set with timeouts, and only those take a
 * gc-interval; docs/nat-types.md). "over 0" always holds once the
 * packet's own entry is counted, so the rule never stops early.
 *
 * An inbound datagram that opens a new conntrack entry (replies never
 * reach a nat chain) and whose key is in the filter set is DNATed to the
 * host endpoint of its public port; the forward chain accepts "ct status
 * dnat".
 * Anything else is conntrack's business (replies), or the firewall's.
 */
static const char cone_rules[] =
	"table ip hplab_cone {\n"
	"\tmap mapping {\n"
	"\t\ttype inet_service : ipv4_addr . inet_service\n"
	"\t\tflags dynamic\n"
	"\t}\n"
	"\tset filter {\n"
	"\t\ttype %Y\n"
	"\t\tflags dynamic\n"
	"\t}\n"
	"\tchain learn {\n"
	"\t\ttype filter hook postrouting priority srcnat + 1; policy accept;\n"
	"\t\tiifname \"%L\" oifname \"%W\" meta l4proto udp ct direction original "
	"add @mapping { udp sport ct count over 0 : ct original ip saddr . ct original proto-src }\n"
	"\t\tiifname \"%L\" oifname \"%W\" meta l4proto udp ct direction reply "
	"add @mapping { udp sport ct count over 0 : ct reply ip saddr . ct reply proto-src }\n"
	"\t\tiifname \"%L\" oifname \"%W\" meta l4proto udp add @filter { %O ct count over 0 }\n"
	"\t}\n"
	"\tchain admit {\n"
	"\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
	"\t\tiifname \"%W\" meta l4proto udp %I @filter dnat ip to udp dport map @mapping\n"
	"\t}\n"
	"}\n";

/* Its elements would outlive a flushed conntrack table by up to a gc
 * interval (above), and an inbound datagram in that second is admitted
 * by the old element and makes the old mapping again. */
static const char cone_forget[] = "flush map ip hplab_cone mapping\n"
				  "flush set ip hplab_cone filter\n";

int lab_nat_cone_forget(const struct lab_nat_personality *p, char *buf, size_t cap)
{
	if (!p)
		return -EINVAL;
	if (cap)
		buf[0] = '\0';
	if (!p->cone)
		return 0;
	if (cap < sizeof(cone_forget))
		return -ENOSPC;
	memcpy(buf, cone_forget, sizeof(cone_forget));
	return (int)sizeof(cone_forget) - 1;
}

int lab_nat_cone_ruleset(const struct lab_nat_personality *p, const struct lab_nat_params *prm,
			 char *buf, size_t cap)
{
	struct out o = { buf, cap, 0, false };
	int ret;

	ret = check_params(p, prm);
	if (ret < 0)
		return ret;
	if (cap)
		buf[0] = '\0';
	if (!p->cone || prm->lan2)
		return 0;
	ret = expand(&o, cone_rules, prm, p->cone, "");
	if (ret < 0)
		return ret;
	return o.full ? -ENOSPC : (int)o.len;
}
