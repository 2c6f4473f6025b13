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
	  "POSTROUTING -o %W -j MASQUERADE\n",
	  "", NULL },
	{ "symmetric", "sym", { LAB_MAP_APD, LAB_FILT_APD }, LAB_NAT_PORTS_RANDOM,
	  "POSTROUTING -o %W -j MASQUERADE --random-fully\n",
	  "", NULL },
	{ "full-cone", "fc", { LAB_MAP_EI, LAB_FILT_EI }, LAB_NAT_PORTS_PRESERVE,
	  "POSTROUTING -o %W -j MASQUERADE\n",
	  "FORWARD -i %W -o %L -m conntrack --ctstate DNAT -j ACCEPT\n", &full_cone },
	{ "restricted-cone", "rc", { LAB_MAP_EI, LAB_FILT_AD }, LAB_NAT_PORTS_PRESERVE,
	  "POSTROUTING -o %W -j MASQUERADE\n",
	  "FORWARD -i %W -o %L -m conntrack --ctstate DNAT -j ACCEPT\n", &restricted_cone },
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

static int expand_rules(struct out *o, const char *tmpl, const struct lab_nat_params *prm)
{
	return expand(o, tmpl, prm, NULL, "-A ");
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
	"POSTROUTING -o %W -s %H -p udp --sport %P -j SNAT --to-source %A:%P\n"
	"POSTROUTING -o %W -s %G -p udp --sport %P -j SNAT --to-source %A:%Q\n"
	"POSTROUTING -o %W -j MASQUERADE\n";
static const char hairpin_nat_rules[] =
	"PREROUTING -i %L -d %A -p udp --dport %Q -j DNAT --to-destination %G:%P\n"
	"PREROUTING -i %M -d %A -p udp --dport %P -j DNAT --to-destination %H:%P\n"
	"POSTROUTING -o %M -s %H -p udp --sport %P -m conntrack --ctstate DNAT "
	"-j SNAT --to-source %A:%P\n"
	"POSTROUTING -o %L -s %G -p udp --sport %P -m conntrack --ctstate DNAT "
	"-j SNAT --to-source %A:%Q\n";

/*
 * The glass box's observation points (trace.h, docs/explain.md): every UDP
 * datagram, and every ICMP error that tells a datagram died (destination
 * unreachable, time exceeded: RFC 792), logged as it arrives (mangle
 * PREROUTING: before DNAT) and as it leaves (mangle POSTROUTING: before
 * SNAT; mangle's priority -150 runs ahead of nat's in both hooks). With
 * nobody bound to the group, NFLOG costs a lookup: nfnetlink_log finds no
 * instance and returns.
 */
static const struct {
	const char *chain;
	enum lab_tr_at at;
} watch_hooks[] = {
	{ "PREROUTING", LAB_AT_IN },
	{ "POSTROUTING", LAB_AT_OUT },
};

static const char *const watch_matches[] = {
	"-p udp",
	"-p icmp --icmp-type destination-unreachable",
	"-p icmp --icmp-type time-exceeded",
};

static void out_nflog(struct out *o, const char *prefix)
{
	char tail[96];

	snprintf(tail, sizeof(tail), " -j NFLOG --nflog-group %u --nflog-prefix %s --nflog-size %u\n",
		 LAB_NFLOG_GROUP, prefix, LAB_NFLOG_RANGE);
	out_str(o, tail);
}

static void watch_rules(struct out *o)
{
	out_str(o, "*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
		    ":OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n");
	for (size_t h = 0; h < sizeof(watch_hooks) / sizeof(watch_hooks[0]); h++)
		for (size_t m = 0; m < sizeof(watch_matches) / sizeof(watch_matches[0]); m++) {
			out_str(o, "-A ");
			out_str(o, watch_hooks[h].chain);
			out_str(o, " ");
			out_str(o, watch_matches[m]);
			out_nflog(o, lab_trace_at_name(watch_hooks[h].at));
		}
	out_str(o, "COMMIT\n");
}

/* A drop rule: the same match twice, first logged with the rule's name
 * (the trace tells which rule dropped what), then dropped. */
static int drop_rule(struct out *o, const struct lab_nat_params *prm, enum lab_tr_rule rule,
		     const char *match)
{
	int ret = expand_rules(o, match, prm);

	out_nflog(o, lab_trace_rule_name(rule));
	if (!ret)
		ret = expand_rules(o, match, prm);
	out_str(o, " -j DROP\n");
	return ret;
}

/*
 * A small router's session table (--nat-sessions): a new outbound flow
 * beyond N live conntrack entries is refused. nf_conntrack_max cannot do
 * it: outside the initial namespace it is read-only (it is the host's
 * limit), so the cap counts with connlimit (iptables-extensions(8): it
 * counts the live conntrack entries of a group, UDP ones too; mask 0 puts
 * every lan host in one group, the router's table). The refused datagram
 * never gets an entry, so it takes none of the N.
 */
static int session_rules(struct out *o, const struct lab_nat_params *prm, bool same)
{
	char match[160];
	int ret;

	if (!prm->sessions)
		return 0;
	snprintf(match, sizeof(match), "FORWARD -i %%L -o %%W -m conntrack --ctstate NEW "
		 "-m connlimit --connlimit-above %u --connlimit-mask 0", prm->sessions);
	ret = drop_rule(o, prm, LAB_RULE_SESSIONS, match);
	if (!ret && same) {
		snprintf(match, sizeof(match), "FORWARD -i %%M -o %%W -m conntrack --ctstate NEW "
			 "-m connlimit --connlimit-above %u --connlimit-mask 0", prm->sessions);
		ret = drop_rule(o, prm, LAB_RULE_SESSIONS, match);
	}
	return ret;
}

/* The firewall's and the isolation's drops, in the order they apply. */
static int drop_rules(struct out *o, const struct lab_nat_params *prm, bool same)
{
	int ret = 0;

	if (!prm->no_firewall) {
		ret = drop_rule(o, prm, LAB_RULE_FW_FORWARD, "FORWARD -i %W -o %L");
		if (!ret && same)
			ret = drop_rule(o, prm, LAB_RULE_FW_FORWARD, "FORWARD -i %W -o %M");
	}
	/* isolated lans: only a hairpinned flow (it was DNATed) may cross */
	if (!ret && same && prm->hairpin)
		ret = expand_rules(o, "FORWARD -i %L -o %M -m conntrack --ctstate DNAT -j ACCEPT\n"
				      "FORWARD -i %M -o %L -m conntrack --ctstate DNAT -j ACCEPT\n",
				   prm);
	if (!ret && same)
		ret = drop_rule(o, prm, LAB_RULE_ISOLATION, "FORWARD -i %L -o %M");
	if (!ret && same)
		ret = drop_rule(o, prm, LAB_RULE_ISOLATION, "FORWARD -i %M -o %L");
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
	out_str(&o, "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n"
		    ":OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n");
	if (prm->masq_port && !same) {
		char rule[96];

		/* ahead of the personality's rules: the first matching SNAT wins */
		snprintf(rule, sizeof(rule), "POSTROUTING -o %%W -p udp -j MASQUERADE --to-ports %u\n",
			 prm->masq_port);
		if (expand_rules(&o, rule, prm) < 0)
			return -EINVAL;
	}
	ret = expand_rules(&o, same ? same_nat_rules : p->nat_rules, prm);
	if (!ret && same && prm->hairpin)
		ret = expand_rules(&o, hairpin_nat_rules, prm);
	if (ret < 0)
		return ret;
	out_str(&o, "COMMIT\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
		    ":OUTPUT ACCEPT [0:0]\n");
	/* A home router's stateful firewall: nothing unsolicited gets in.
	 * Without the INPUT rule an early punch confirms a conntrack entry
	 * that forces MASQUERADE onto another port (docs/nat-types.md,
	 * "--no-firewall: bare MASQUERADE"). */
	ret = session_rules(&o, prm, same);
	if (!ret && !prm->no_firewall)
		ret = drop_rule(&o, prm, LAB_RULE_FW_INPUT, "INPUT -i %W -m conntrack --ctstate NEW") ?:
		      expand_rules(&o, "FORWARD -i %W -o %L -m conntrack --ctstate ESTABLISHED,RELATED "
				       "-j ACCEPT\n", prm);
	if (!ret && !prm->no_firewall && same)
		ret = expand_rules(&o, "FORWARD -i %W -o %M -m conntrack --ctstate ESTABLISHED,RELATED "
				       "-j ACCEPT\n", prm);
	if (!ret && !same)
		ret = expand_rules(&o, p->forward_rules, prm);
	if (!ret)
		ret = drop_rules(&o, prm, same);
	if (ret < 0)
		return ret;
	out_str(&o, "COMMIT\n");
	watch_rules(&o);
	return o.full ? -ENOSPC : (int)o.len;
}

/*
 * A cone in nftables, beside the iptables tables (its own table; nft(8)
 * loads it). MASQUERADE still makes every mapping; this only decides
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
 * host endpoint of its public port; FORWARD accepts --ctstate DNAT.
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
