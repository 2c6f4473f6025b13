// SPDX-License-Identifier: MIT
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ct.h"
#include "nat.h"
#include "nftload.h"
#include "nl.h"
#include "topo.h"
#include "topo_bridge.h"

#define TOPO_OPER_WAIT_MS 3000

const char *const lab_topo_step_names[LAB_TOPO_STEPS] = {
	[LAB_TOPO_STEP_NETNS] = "namespaces",
	[LAB_TOPO_STEP_NAT_START] = "rules started",
	[LAB_TOPO_STEP_LINKS] = "veths",
	[LAB_TOPO_STEP_CONFIG] = "addresses+routes",
	[LAB_TOPO_STEP_OPER] = "links ready",
	[LAB_TOPO_STEP_NAT_WAIT] = "rules wait",
	[LAB_TOPO_STEP_CT] = "ct timeouts",
};

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int lab_topo_init(struct lab_topo *t, const char *prefix)
{
	int n, ret;

	memset(t, 0, sizeof(*t));
	t->plan = lab_plan_get(LAB_TOPOLOGY_HOME, false);
	if ((size_t)snprintf(t->prefix, sizeof(t->prefix), "%s", prefix) >= sizeof(t->prefix))
		return -ENAMETOOLONG;
	for (n = 0; n < LAB_NODE_COUNT; n++) {
		t->fds[n] = -1;
		ret = lab_plan_ns_name(t->names[n], sizeof(t->names[n]), prefix, (enum lab_node)n);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* Written in a namespace as it is made (lab_netns_create_in). The lab
 * speaks IPv4 only: new devices get no IPv6 (no link-local address,
 * duplicate address detection, router solicitations or MLD reports to
 * make, nor to show up in a capture); lo keeps ::1. */
static const struct lab_netns_sysctl topo_sysctl_no_ipv6 = {
	"net/ipv6/conf/default/disable_ipv6", "1", true /* absent: no IPv6 at all */
};
static const struct lab_netns_sysctl topo_sysctl_forward = { "net/ipv4/ip_forward", "1", false };
/* A bridged frame must not meet the router's ruleset: with br_netfilter
 * loaded, bridge-nf-call-iptables (per namespace, default 1) would send
 * the hosts' own LAN traffic through the forward hook, where the one-router
 * ruleset (nat.c) drops lan-to-lan datagrams that were not hairpinned.
 * Absent without br_netfilter: nothing to stop. */
static const struct lab_netns_sysctl topo_sysctl_bridge_nf = {
	"net/bridge/bridge-nf-call-iptables", "0", true
};

static bool topo_has_bridge(const struct lab_plan *p, enum lab_node node)
{
	size_t i;

	for (i = 0; i < p->nbridges; i++)
		if (p->bridges[i].node == node)
			return true;
	return false;
}

/* The plan's namespaces with a NAT (nats) or without, each with its
 * rtnetlink socket and sysctls made while inside it anyway. */
static int topo_create_namespaces(struct lab_topo *t, bool nats, char *err, size_t errlen)
{
	int n, ret;

	for (n = 0; n < LAB_NODE_COUNT; n++) {
		struct lab_netns_sysctl sc[3] = { topo_sysctl_no_ipv6 };
		struct lab_netns_inside in = { sc, 1, NETLINK_ROUTE, -1, -1 };

		if (!lab_plan_has_node(t->plan, (enum lab_node)n) || !t->nat[n] != !nats)
			continue;
		if (lab_plan_nodes[n].forwarding)
			sc[in.nsysctls++] = topo_sysctl_forward;
		if (topo_has_bridge(t->plan, (enum lab_node)n))
			sc[in.nsysctls++] = topo_sysctl_bridge_nf;
		ret = lab_netns_create_in(t->names[n], &in);
		if (ret < 0) {
			snprintf(err, errlen, "cannot create namespace %s: %s", t->names[n],
				 strerror(-ret));
			return ret;
		}
		t->created[n] = true;
		t->fds[n] = in.ns_fd;
		ret = lab_nl_adopt(&t->nl[n], in.sock);
		if (ret < 0) {
			snprintf(err, errlen, "cannot open rtnetlink in %s: %s", t->names[n],
				 strerror(-ret));
			return ret;
		}
	}
	return 0;
}

static int parse_v4(const char *s, struct in_addr *a)
{
	return inet_pton(AF_INET, s, a) == 1 ? 0 : -EINVAL;
}

/*
 * Every interface of the lab gets its index from the plan, chosen at
 * creation (lab_nl_veth): then no request waits on a lookup. They are
 * distinct across the whole lab, because the core's socket creates every
 * pair and the kernel first looks the index up in the sender's namespace;
 * and they start well above what a fresh namespace holds (lo is 1; the
 * fallback tunnels some modules add, tunl0, sit0..., take the next ones).
 * Link i's ends are base + 2i and base + 2i + 1, then the bridges.
 */
#define TOPO_IFINDEX0 100

static int topo_iface_index(const struct lab_plan *p, const struct lab_iface *f)
{
	size_t i;

	for (i = 0; i < p->nlinks; i++) {
		if (f == &p->links[i].a)
			return TOPO_IFINDEX0 + 2 * (int)i;
		if (f == &p->links[i].b)
			return TOPO_IFINDEX0 + 2 * (int)i + 1;
	}
	return -ENODEV;
}

static int topo_bridge_index(const struct lab_plan *p, size_t bridge)
{
	return TOPO_IFINDEX0 + 2 * (int)p->nlinks + (int)bridge;
}

/* All five veth pairs in one netlink batch, each end born in its own
 * namespace and already up. */
static int topo_create_links(struct lab_topo *t, char *err, size_t errlen)
{
	struct lab_nl_batch batch;
	size_t i;
	int ret;

	lab_nl_batch_init(&batch, &t->nl[LAB_NODE_CORE]);
	for (i = 0; i < t->plan->nlinks; i++) {
		const struct lab_link *l = &t->plan->links[i];

		struct lab_nl_veth v = { l->a.name, t->fds[l->a.node],
					 topo_iface_index(t->plan, &l->a), l->b.name,
					 t->fds[l->b.node], topo_iface_index(t->plan, &l->b), 1 };

		lab_nl_batch_veth_at(&batch, &v);
	}
	ret = lab_nl_batch_commit(&batch);
	if (ret < 0)
		snprintf(err, errlen, "cannot create veth pairs: %s", strerror(-ret));
	return ret;
}

/* The neighbour's interface that owns gw, and our interface facing it. */
static const struct lab_iface *iface_towards(const struct lab_plan *p, enum lab_node node,
					     const char *gw)
{
	size_t i;

	for (i = 0; i < p->nlinks; i++) {
		const struct lab_link *l = &p->links[i];

		const char *ea = lab_plan_iface_addr(p, &l->a), *eb = lab_plan_iface_addr(p, &l->b);

		if (l->a.node == node && eb && !strcmp(eb, gw))
			return &l->a;
		if (l->b.node == node && ea && !strcmp(ea, gw))
			return &l->b;
	}
	return NULL;
}

/* node's bridges (the plan's LAN switches) and each one's address, on
 * node's configuration batch (their sysctl: see topo_sysctl_bridge_nf). */
static int topo_bridges(struct lab_topo *t, enum lab_node node, struct lab_nl_batch *batch,
			char *err, size_t errlen)
{
	struct in_addr a;
	size_t i;

	for (i = 0; i < t->plan->nbridges; i++) {
		const struct lab_bridge *br = &t->plan->bridges[i];
		int idx = topo_bridge_index(t->plan, i);

		if (br->node != node)
			continue;
		if (parse_v4(br->addr, &a) < 0) {
			snprintf(err, errlen, "plan: the bridge %s has no address", br->name);
			return -EINVAL;
		}
		lab_topo_bridge_queue(batch, br, idx);
		lab_nl_batch_addr(batch, idx, AF_INET, &a, br->prefixlen);
	}
	return 0;
}

/* lo up, bridges, links up, addresses, default route: one batch per
 * namespace, sent once, every index known in advance. */
static int topo_configure_node(struct lab_topo *t, enum lab_node node, char *err,
			       size_t errlen)
{
	struct lab_nl_batch batch;
	struct in_addr a, gw;
	size_t i;
	int ret, idx;

	lab_nl_batch_init(&batch, &t->nl[node]);
	lab_nl_batch_link_up(&batch, "lo");
	ret = topo_bridges(t, node, &batch, err, errlen);
	if (ret < 0)
		return ret;
	for (i = 0; i < t->plan->nlinks * 2; i++) {
		const struct lab_iface *f =
			i % 2 ? &t->plan->links[i / 2].b : &t->plan->links[i / 2].a;

		if (f->node != node)
			continue;
		idx = topo_iface_index(t->plan, f);
		if (f->addr && parse_v4(f->addr, &a) < 0) {
			snprintf(err, errlen, "plan: %s has no address", f->name);
			return -EINVAL;
		}
		/* the peer end of a veth cannot be born up (nlmsg.c): IPv4 adds
		 * the prefix route only on an up link, so up goes first */
		lab_nl_batch_link_up(&batch, f->name);
		if (!f->addr)
			continue; /* a bridge port: the bridge has the address */
		lab_nl_batch_addr(&batch, idx, AF_INET, &a, f->prefixlen);
		/* the server's second address, for RFC 5780 NAT discovery */
		if (node == LAB_NODE_SRV && parse_v4(lab_plan_server_alt_addr(), &a) == 0)
			lab_nl_batch_addr(&batch, idx, AF_INET, &a, f->prefixlen);
	}
	for (i = 0; i < t->plan->nroutes; i++) {
		const struct lab_route *r = &t->plan->routes[i];
		const struct lab_iface *f;

		if (r->node != node)
			continue;
		f = iface_towards(t->plan, node, r->gw);
		if (!f || parse_v4(r->gw, &gw) < 0) {
			snprintf(err, errlen, "plan: no interface of %s faces %s",
				 lab_plan_nodes[node].suffix, r->gw);
			return -EINVAL;
		}
		idx = topo_iface_index(t->plan, f);
		lab_nl_batch_route(&batch, AF_INET, NULL, 0, &gw, idx);
	}
	ret = lab_nl_batch_commit(&batch);
	if (ret < 0)
		snprintf(err, errlen, "cannot configure %s: %s", t->names[node], strerror(-ret));
	return ret;
}

/* The NATs, home routers first; a CGN translates its home router's wan. */
static const enum lab_node topo_nats[] = { LAB_NODE_RA, LAB_NODE_RB, LAB_NODE_CA, LAB_NODE_CB };
#define TOPO_NATS (sizeof(topo_nats) / sizeof(topo_nats[0]))

static bool topo_is_cgn(enum lab_node r)
{
	return r == LAB_NODE_CA || r == LAB_NODE_CB;
}

/* The address r's NAT translates: its host's, or a CGN's home router's. */
static const char *topo_inside(const struct lab_topo *t, enum lab_node r)
{
	if (topo_is_cgn(r))
		return lab_plan_inside_addr(t->plan, r, "lan");
	return lab_plan_host_addr_in(t->plan, r == LAB_NODE_RA ? LAB_NODE_HA : LAB_NODE_HB);
}

struct lab_nat_props lab_topo_props(const struct lab_topo *t, enum lab_node host)
{
	enum lab_node r = lab_plan_router_in(t->plan, host);
	enum lab_node c = lab_plan_cgn_of(t->plan, r);

	if (c == LAB_NODE_COUNT)
		return t->nat[r]->props;
	return lab_theory_chain(&t->nat[r]->props, &t->nat[c]->props);
}

/* Which side's impairments a home router has: rA's 0, rB's 1 (topo.h). */
static size_t topo_side(enum lab_node r)
{
	return r == LAB_NODE_RA ? 0 : 1;
}

/* The ruleset of NAT r into buf: its table (nat.c), then its impairments
 * (home routers only) and its cone filter, as asked. */
static int topo_nat_text(struct lab_topo *t, enum lab_node r, unsigned masq_port, bool all,
			 char *buf, size_t cap, char *err, size_t errlen)
{
	struct lab_nat_params prm = { "wan", "lan", topo_inside(t, r), LAB_CLIENT_PORT,
				      t->opts.no_firewall };
	const struct lab_impair *imp = &t->opts.imp[topo_side(r)];
	bool shared = t->plan->one_router || (t->plan->shared_cgn && topo_is_cgn(r));
	int ret, n;

	prm.masq_port = masq_port;
	prm.sessions = t->opts.nat_sessions;
	if (shared) {
		prm.lan2 = t->plan->lan2;
		prm.host2 = t->plan->one_router ? lab_plan_host_addr_in(t->plan, LAB_NODE_HB) :
						  lab_plan_inside_addr(t->plan, r, t->plan->lan2);
		/* a shared CGN's public address is rA's of the home plan */
		prm.public_addr = lab_plan_public_addr(LAB_NODE_RA);
		prm.hairpin = t->opts.hairpin;
	}
	ret = lab_nat_ruleset(t->nat[r], &prm, buf, cap);
	if (ret < 0) {
		snprintf(err, errlen, "cannot write the NAT rules of %s: %s%s", t->names[r],
			 strerror(-ret),
			 t->plan->one_router ? " (the one router of both hosts is port-restricted)" : "");
		return ret;
	}
	if (all && !topo_is_cgn(r) && lab_impair_active(imp)) {
		struct lab_impair_hook hooks[3];
		struct lab_impair_rules_cfg cfg = { .imp = imp, .hooks = hooks, .n_hooks = 2,
						    .queue_num = LAB_TOPO_NFQ(topo_side(r)),
						    .proto = "udp" };

		lab_impair_router_hooks(hooks, "wan", "lan");
		if (t->plan->one_router && strcmp(t->plan->lan2, "lan")) {
			/* the second host's lan port goes out through the same wan */
			hooks[2] = (struct lab_impair_hook){ "lan2", true };
			cfg.n_hooks = 3;
		}
		n = lab_impair_rules(buf + ret, cap - (size_t)ret, &cfg);
		if (n < 0) {
			snprintf(err, errlen, "cannot write the impairment rules of %s: %s",
				 t->names[r], strerror(-n));
			return n;
		}
		ret += n;
	}
	if (all && !shared) {
		n = lab_nat_cone_ruleset(t->nat[r], &prm, buf + ret, cap - (size_t)ret);
		if (n < 0) {
			snprintf(err, errlen, "cannot write the cone filter of %s: %s", t->names[r],
				 strerror(-n));
			return n;
		}
		ret += n;
	}
	return ret;
}

/* One load per router, its tables in one transaction. */
static int topo_nat_start(struct lab_topo *t, struct lab_nft_job *job, char *err,
			  size_t errlen)
{
	char text[TOPO_NATS][8192];
	struct lab_nft_load loads[TOPO_NATS];
	int ret;
	size_t i, n = 0;

	for (i = 0; i < TOPO_NATS; i++) {
		enum lab_node r = topo_nats[i];

		if (!lab_plan_has_node(t->plan, r))
			continue;
		ret = topo_nat_text(t, r, 0, true, text[i], sizeof(text[i]), err, errlen);
		if (ret < 0)
			return ret;
		loads[n] = (struct lab_nft_load){ t->fds[r], t->names[r], text[i] };
		if (!topo_is_cgn(r) && lab_impair_needs_queue(&t->opts.imp[topo_side(r)])) {
			/* after the text, by netlink (impair.h says why) */
			loads[n].queue_table = LAB_IMPAIR_TABLE;
			loads[n].queue_chain = LAB_IMPAIR_CHAIN;
			loads[n].queue_num = LAB_TOPO_NFQ(topo_side(r));
		}
		n++;
	}
	ret = lab_nft_start(job, loads, n);
	if (ret < 0)
		snprintf(err, errlen, "NAT rules: %s", job->err);
	return ret;
}

/* A home router of this plan with a NAT: what a reload may touch. */
static bool topo_nat_router(const struct lab_topo *t, enum lab_node router)
{
	return (router == LAB_NODE_RA || router == LAB_NODE_RB) && t->plan &&
	       lab_plan_has_node(t->plan, router) && t->nat[router];
}

/* Only the router's own table is replaced (nat.c: in one transaction):
 * the impairments stay, and so does the cone filter, which learns from
 * whatever mappings masquerade makes, the new port's too. */
int lab_topo_nat_reapply(struct lab_topo *t, enum lab_node router, unsigned masq_port,
			 char *err, size_t errlen)
{
	char text[8192];
	struct lab_nft_load load;
	int ret;

	if (!topo_nat_router(t, router))
		return -EINVAL;
	load = (struct lab_nft_load){ t->fds[router], t->names[router], text };
	ret = topo_nat_text(t, router, masq_port, false, text, sizeof(text), err, errlen);
	return ret < 0 ? ret : lab_nft_load(&load, err, errlen);
}

int lab_topo_nat_forget(struct lab_topo *t, enum lab_node router, char *err, size_t errlen)
{
	char text[128];
	struct lab_nft_load load;
	int ret;

	if (!topo_nat_router(t, router))
		return -EINVAL;
	load = (struct lab_nft_load){ t->fds[router], t->names[router], text };
	ret = lab_nat_cone_forget(t->nat[router], text, sizeof(text));
	return ret <= 0 ? ret : lab_nft_load(&load, err, errlen);
}

/* conntrack's sysctls exist in a namespace only once something there
 * uses conntrack, i.e. once the router's ruleset is loaded. */
static int topo_set_udp_timeouts(struct lab_topo *t, char *err, size_t errlen)
{
	const enum lab_node *routers = topo_nats;
	size_t i;
	int ret;

	for (i = 0; i < TOPO_NATS; i++) {
		if (!lab_plan_has_node(t->plan, routers[i]))
			continue;
		ret = lab_ct_set_udp_timeouts(t->fds[routers[i]], t->opts.udp_timeout,
					      t->opts.udp_timeout);
		if (ret < 0) {
			snprintf(err, errlen, "%s: cannot set the conntrack UDP timeouts: %s",
				 t->names[routers[i]], strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* Every veth must be operationally up before anything is sent through it:
 * until the kernel's linkwatch activates a device, it drops what it is
 * given (see lab_nl_wait_ready). Usually already true; under load, when
 * many labs start at once, it can take up to a second. */
static int topo_wait_links(struct lab_topo *t, char *err, size_t errlen)
{
	int n, ret;

	for (n = 0; n < LAB_NODE_COUNT; n++) {
		const char *names[16];
		size_t i, k = 0;

		if (!lab_plan_has_node(t->plan, (enum lab_node)n))
			continue;
		for (i = 0; i < t->plan->nlinks * 2 && k < 16; i++) {
			const struct lab_iface *f =
				i % 2 ? &t->plan->links[i / 2].b : &t->plan->links[i / 2].a;

			if (f->node == (enum lab_node)n)
				names[k++] = f->name;
		}
		for (i = 0; i < t->plan->nbridges && k < 16; i++)
			if (t->plan->bridges[i].node == (enum lab_node)n)
				names[k++] = t->plan->bridges[i].name;
		/* one look first: usually they are; only if not, subscribe and wait */
		ret = lab_nl_links_ready(&t->nl[n], names, k);
		if (ret == 0)
			ret = lab_nl_wait_ready(t->fds[n], names, k, TOPO_OPER_WAIT_MS);
		if (ret < 0) {
			snprintf(err, errlen, "%s: links not ready to transmit after %d ms: %s",
				 t->names[n], TOPO_OPER_WAIT_MS, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* Charges the time since *mark to step s and moves the mark. */
static void topo_lap(struct lab_topo *t, enum lab_topo_step s, uint64_t *mark)
{
	uint64_t now = now_us();

	t->us[s] += now - *mark;
	*mark = now;
}

static int topo_configure(struct lab_topo *t, char *err, size_t errlen)
{
	int n, ret;

	for (n = 0; n < LAB_NODE_COUNT; n++) {
		if (!lab_plan_has_node(t->plan, (enum lab_node)n))
			continue;
		ret = topo_configure_node(t, (enum lab_node)n, err, errlen);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int lab_topo_build(struct lab_topo *t, const struct lab_nat_personality *nat_a,
		   const struct lab_nat_personality *nat_b, char *err, size_t errlen)
{
	uint64_t mark = now_us();
	int n, ret, r;

	memset(t->us, 0, sizeof(t->us));
	t->plan = lab_plan_get(t->opts.topology, t->opts.same_nat);
	t->nat[LAB_NODE_RA] = nat_a;
	t->nat[LAB_NODE_RB] = t->plan->one_router ? NULL : nat_b;
	t->nat[LAB_NODE_CA] = t->nat[LAB_NODE_CB] = NULL;
	if (lab_plan_has_node(t->plan, LAB_NODE_CA))
		t->nat[LAB_NODE_CA] = t->nat[LAB_NODE_CB] =
			t->opts.nat_cgn ? t->opts.nat_cgn : lab_nat_find(LAB_NAT_DEFAULT);
	/* the routers first: loading their rules takes longest (nftload.c,
	 * on a thread of its own), and runs while netlink does the rest */
	ret = topo_create_namespaces(t, true, err, errlen);
	topo_lap(t, LAB_TOPO_STEP_NETNS, &mark);
	if (ret < 0)
		goto out;
	ret = topo_nat_start(t, &t->nft, err, errlen);
	topo_lap(t, LAB_TOPO_STEP_NAT_START, &mark);
	if (ret < 0)
		goto out;
	ret = topo_create_namespaces(t, false, err, errlen);
	topo_lap(t, LAB_TOPO_STEP_NETNS, &mark);
	if (ret < 0)
		goto out;
	ret = topo_create_links(t, err, errlen);
	topo_lap(t, LAB_TOPO_STEP_LINKS, &mark);
	if (ret < 0)
		goto out;
	ret = topo_configure(t, err, errlen);
	topo_lap(t, LAB_TOPO_STEP_CONFIG, &mark);
	if (ret < 0)
		goto out;
	ret = topo_wait_links(t, err, errlen);
	topo_lap(t, LAB_TOPO_STEP_OPER, &mark);
out:
	for (n = 0; n < LAB_NODE_COUNT; n++)
		lab_nl_close(&t->nl[n]);
	r = lab_nft_wait(&t->nft);
	topo_lap(t, LAB_TOPO_STEP_NAT_WAIT, &mark);
	if (r < 0 && ret == 0) {
		ret = r;
		snprintf(err, errlen, "NAT rules: %s", t->nft.err);
	}
	if (ret == 0 && t->opts.udp_timeout)
		ret = topo_set_udp_timeouts(t, err, errlen);
	topo_lap(t, LAB_TOPO_STEP_CT, &mark);
	return ret;
}

void lab_topo_close(struct lab_topo *t)
{
	int n;

	for (n = 0; n < LAB_NODE_COUNT; n++) {
		if (t->fds[n] >= 0)
			close(t->fds[n]);
		t->fds[n] = -1;
	}
	lab_nft_finish(&t->nft); /* its result was build's */
}

int lab_topo_destroy(struct lab_topo *t)
{
	int n, ret = 0, r;

	lab_topo_close(t);
	for (n = 0; n < LAB_NODE_COUNT; n++) {
		r = lab_netns_delete(t->names[n]);
		if (r < 0 && r != -ENOENT && ret == 0)
			ret = r;
		t->created[n] = false;
	}
	return ret;
}
