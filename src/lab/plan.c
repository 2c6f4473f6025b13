// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "plan.h"

const struct lab_node_desc lab_plan_nodes[LAB_NODE_COUNT] = {
	[LAB_NODE_SRV] = { "srv", "rendezvous server", false, false },
	[LAB_NODE_CORE] = { "core", "Internet core router", true, false },
	[LAB_NODE_RA] = { "rA", "home router A", true, true },
	[LAB_NODE_RB] = { "rB", "home router B", true, true },
	[LAB_NODE_HA] = { "hA", "host A (alice)", false, false },
	[LAB_NODE_HB] = { "hB", "host B (bob)", false, false },
	[LAB_NODE_CA] = { "cA", "carrier-grade NAT A", true, true },
	[LAB_NODE_CB] = { "cB", "carrier-grade NAT B", true, true },
};

/* Each "ISP" gets its own documentation range, so the core routes between
 * three networks and a TTL can run out before the far NAT. */
const struct lab_link lab_plan_links[] = {
	{ { LAB_NODE_SRV, "eth0", "192.0.2.10", 24 }, { LAB_NODE_CORE, "toSrv", "192.0.2.1", 24 } },
	{ { LAB_NODE_RA, "wan", "198.51.100.10", 24 }, { LAB_NODE_CORE, "toA", "198.51.100.1", 24 } },
	{ { LAB_NODE_RB, "wan", "203.0.113.10", 24 }, { LAB_NODE_CORE, "toB", "203.0.113.1", 24 } },
	{ { LAB_NODE_RA, "lan", "10.0.1.1", 24 }, { LAB_NODE_HA, "eth0", "10.0.1.2", 24 } },
	{ { LAB_NODE_RB, "lan", "10.0.2.1", 24 }, { LAB_NODE_HB, "eth0", "10.0.2.2", 24 } },
};
const size_t lab_plan_nlinks = sizeof(lab_plan_links) / sizeof(lab_plan_links[0]);

const struct lab_route lab_plan_routes[] = {
	{ LAB_NODE_SRV, "192.0.2.1" },
	{ LAB_NODE_RA, "198.51.100.1" },
	{ LAB_NODE_RB, "203.0.113.1" },
	{ LAB_NODE_HA, "10.0.1.1" },
	{ LAB_NODE_HB, "10.0.2.1" },
};
const size_t lab_plan_nroutes = sizeof(lab_plan_routes) / sizeof(lab_plan_routes[0]);

/* Same NAT: hB keeps its address but its lan is rA's second port. */
static const struct lab_link same_nat_links[] = {
	{ { LAB_NODE_SRV, "eth0", "192.0.2.10", 24 }, { LAB_NODE_CORE, "toSrv", "192.0.2.1", 24 } },
	{ { LAB_NODE_RA, "wan", "198.51.100.10", 24 }, { LAB_NODE_CORE, "toA", "198.51.100.1", 24 } },
	{ { LAB_NODE_RA, "lan", "10.0.1.1", 24 }, { LAB_NODE_HA, "eth0", "10.0.1.2", 24 } },
	{ { LAB_NODE_RA, "lan2", "10.0.2.1", 24 }, { LAB_NODE_HB, "eth0", "10.0.2.2", 24 } },
};

static const struct lab_route same_nat_routes[] = {
	{ LAB_NODE_SRV, "192.0.2.1" },
	{ LAB_NODE_RA, "198.51.100.1" },
	{ LAB_NODE_HA, "10.0.1.1" },
	{ LAB_NODE_HB, "10.0.2.1" },
};

/*
 * Same LAN: the commonest case of all, two devices on one home network.
 * rA's "lan" is a bridge (the home router's built-in switch), each host's
 * veth one of its ports, so the hosts reach each other at layer 2 without
 * the router, over their private addresses (hpclient's host candidates).
 */
static const struct lab_link same_lan_links[] = {
	{ { LAB_NODE_SRV, "eth0", "192.0.2.10", 24 }, { LAB_NODE_CORE, "toSrv", "192.0.2.1", 24 } },
	{ { LAB_NODE_RA, "wan", "198.51.100.10", 24 }, { LAB_NODE_CORE, "toA", "198.51.100.1", 24 } },
	{ { LAB_NODE_RA, "portA", NULL, 24 }, { LAB_NODE_HA, "eth0", "10.0.1.2", 24 } },
	{ { LAB_NODE_RA, "portB", NULL, 24 }, { LAB_NODE_HB, "eth0", "10.0.1.3", 24 } },
};

static const struct lab_bridge same_lan_bridges[] = {
	{ LAB_NODE_RA, "lan", "10.0.1.1", 24, { "portA", "portB" } },
};

static const struct lab_route same_lan_routes[] = {
	{ LAB_NODE_SRV, "192.0.2.1" },
	{ LAB_NODE_RA, "198.51.100.1" },
	{ LAB_NODE_HA, "10.0.1.1" },
	{ LAB_NODE_HB, "10.0.1.1" },
};

/*
 * CGNAT (double NAT): each home router's wan in RFC 6598 shared address
 * space (100.64.0.0/10, meant for exactly this: between a carrier-grade
 * NAT and its customers' routers), the CGN's public side taking the
 * home router's public address of the home plan, so core and server are
 * as ever. Nothing routes 100.64/10 beyond the CGNs: they translate it.
 */
static const struct lab_link cgnat_links[] = {
	{ { LAB_NODE_SRV, "eth0", "192.0.2.10", 24 }, { LAB_NODE_CORE, "toSrv", "192.0.2.1", 24 } },
	{ { LAB_NODE_CA, "wan", "198.51.100.10", 24 }, { LAB_NODE_CORE, "toA", "198.51.100.1", 24 } },
	{ { LAB_NODE_CB, "wan", "203.0.113.10", 24 }, { LAB_NODE_CORE, "toB", "203.0.113.1", 24 } },
	{ { LAB_NODE_RA, "wan", "100.64.1.2", 24 }, { LAB_NODE_CA, "lan", "100.64.1.1", 24 } },
	{ { LAB_NODE_RB, "wan", "100.64.2.2", 24 }, { LAB_NODE_CB, "lan", "100.64.2.1", 24 } },
	{ { LAB_NODE_RA, "lan", "10.0.1.1", 24 }, { LAB_NODE_HA, "eth0", "10.0.1.2", 24 } },
	{ { LAB_NODE_RB, "lan", "10.0.2.1", 24 }, { LAB_NODE_HB, "eth0", "10.0.2.2", 24 } },
};

static const struct lab_route cgnat_routes[] = {
	{ LAB_NODE_SRV, "192.0.2.1" },
	{ LAB_NODE_CA, "198.51.100.1" },
	{ LAB_NODE_CB, "203.0.113.1" },
	{ LAB_NODE_RA, "100.64.1.1" },
	{ LAB_NODE_RB, "100.64.2.1" },
	{ LAB_NODE_HA, "10.0.1.1" },
	{ LAB_NODE_HB, "10.0.2.1" },
};

/* Both homes behind one CGN: rB's wan on cA's second lan port, isolated
 * from the first (RFC 6888 REQ-9: the CGN hairpins, or it does not). */
static const struct lab_link cgnat_same_links[] = {
	{ { LAB_NODE_SRV, "eth0", "192.0.2.10", 24 }, { LAB_NODE_CORE, "toSrv", "192.0.2.1", 24 } },
	{ { LAB_NODE_CA, "wan", "198.51.100.10", 24 }, { LAB_NODE_CORE, "toA", "198.51.100.1", 24 } },
	{ { LAB_NODE_RA, "wan", "100.64.1.2", 24 }, { LAB_NODE_CA, "lan", "100.64.1.1", 24 } },
	{ { LAB_NODE_RB, "wan", "100.64.2.2", 24 }, { LAB_NODE_CA, "lan2", "100.64.2.1", 24 } },
	{ { LAB_NODE_RA, "lan", "10.0.1.1", 24 }, { LAB_NODE_HA, "eth0", "10.0.1.2", 24 } },
	{ { LAB_NODE_RB, "lan", "10.0.2.1", 24 }, { LAB_NODE_HB, "eth0", "10.0.2.2", 24 } },
};

static const struct lab_route cgnat_same_routes[] = {
	{ LAB_NODE_SRV, "192.0.2.1" },
	{ LAB_NODE_CA, "198.51.100.1" },
	{ LAB_NODE_RA, "100.64.1.1" },
	{ LAB_NODE_RB, "100.64.2.1" },
	{ LAB_NODE_HA, "10.0.1.1" },
	{ LAB_NODE_HB, "10.0.2.1" },
};

#define N(x) (sizeof(x) / sizeof((x)[0]))

static const struct lab_plan plans[] = {
	{ LAB_TOPOLOGY_HOME, lab_plan_links, N(lab_plan_links), lab_plan_routes,
	  N(lab_plan_routes), NULL, 0, false, false, NULL, 0, false },
	{ LAB_TOPOLOGY_HOME, same_nat_links, N(same_nat_links), same_nat_routes,
	  N(same_nat_routes), NULL, 0, true, true, "lan2", 0, false },
	{ LAB_TOPOLOGY_SAME_LAN, same_lan_links, N(same_lan_links), same_lan_routes,
	  N(same_lan_routes), same_lan_bridges, N(same_lan_bridges), true, false, "lan", 0, false },
	/* TTL 3: host -> home router -> CGN -> core, where it dies */
	{ LAB_TOPOLOGY_CGNAT, cgnat_links, N(cgnat_links), cgnat_routes, N(cgnat_routes),
	  NULL, 0, false, false, NULL, 3, false },
	{ LAB_TOPOLOGY_CGNAT_SAME, cgnat_same_links, N(cgnat_same_links), cgnat_same_routes,
	  N(cgnat_same_routes), NULL, 0, false, false, "lan2", 3, true },
};

const struct lab_topology_desc lab_topologies[LAB_TOPOLOGY_COUNT] = {
	[LAB_TOPOLOGY_HOME] = { "home", "each host behind its own home router" },
	[LAB_TOPOLOGY_SAME_LAN] = { "same-lan", "both hosts on one LAN switch behind rA" },
	[LAB_TOPOLOGY_CGNAT] = { "cgnat", "each home router behind its own carrier-grade NAT" },
	[LAB_TOPOLOGY_CGNAT_SAME] = { "cgnat-same", "both home routers behind one carrier-grade NAT" },
};

enum lab_topology lab_topology_find(const char *name)
{
	int i;

	for (i = 0; i < LAB_TOPOLOGY_COUNT; i++)
		if (!strcmp(name, lab_topologies[i].name))
			return (enum lab_topology)i;
	return LAB_TOPOLOGY_COUNT;
}

const char *lab_topology_names(void)
{
	static char names[LAB_TOPOLOGY_COUNT * 24];
	size_t i, n = 0;

	if (names[0])
		return names;
	for (i = 0; i < LAB_TOPOLOGY_COUNT && n < sizeof(names); i++)
		n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s", i ? ", " : "",
				      lab_topologies[i].name);
	return names;
}

const struct lab_plan *lab_plan_get(enum lab_topology topology, bool same_nat)
{
	switch (topology) {
	case LAB_TOPOLOGY_HOME:
		return &plans[same_nat ? 1 : 0];
	case LAB_TOPOLOGY_SAME_LAN:
		return &plans[2];
	case LAB_TOPOLOGY_CGNAT:
		return &plans[3];
	case LAB_TOPOLOGY_CGNAT_SAME:
		return &plans[4];
	case LAB_TOPOLOGY_COUNT:
		break;
	}
	return &plans[0];
}

/* The interface of node in plan p called ifname (NULL if none). */
static const struct lab_iface *plan_iface(const struct lab_plan *p, enum lab_node node,
					  const char *ifname)
{
	size_t i;

	for (i = 0; i < p->nlinks; i++) {
		if (p->links[i].a.node == node && !strcmp(p->links[i].a.name, ifname))
			return &p->links[i].a;
		if (p->links[i].b.node == node && !strcmp(p->links[i].b.name, ifname))
			return &p->links[i].b;
	}
	return NULL;
}

const char *lab_plan_inside_addr(const struct lab_plan *p, enum lab_node nat, const char *lan)
{
	size_t i;

	for (i = 0; i < p->nlinks; i++) {
		if (p->links[i].a.node == nat && !strcmp(p->links[i].a.name, lan))
			return p->links[i].b.addr;
		if (p->links[i].b.node == nat && !strcmp(p->links[i].b.name, lan))
			return p->links[i].a.addr;
	}
	return NULL;
}

bool lab_plan_hairpins(const struct lab_plan *p)
{
	return p->one_router || p->shared_cgn;
}

enum lab_node lab_plan_cgn_of(const struct lab_plan *p, enum lab_node r)
{
	enum lab_node c = r == LAB_NODE_RA || p->shared_cgn ? LAB_NODE_CA : LAB_NODE_CB;

	if ((r != LAB_NODE_RA && r != LAB_NODE_RB) || !lab_plan_has_node(p, c))
		return LAB_NODE_COUNT;
	return c;
}

bool lab_plan_has_node(const struct lab_plan *p, enum lab_node node)
{
	size_t i;

	for (i = 0; i < p->nlinks; i++)
		if (p->links[i].a.node == node || p->links[i].b.node == node)
			return true;
	return false;
}

enum lab_node lab_plan_router_in(const struct lab_plan *p, enum lab_node host)
{
	return p->one_router ? LAB_NODE_RA : lab_plan_router_of(host);
}

const char *lab_plan_server_alt_addr(void)
{
	return "192.0.2.11";
}

const char *lab_plan_server_addr(void)
{
	return plan_iface(lab_plan_get(LAB_TOPOLOGY_HOME, false), LAB_NODE_SRV, "eth0")->addr;
}

const char *lab_plan_public_addr(enum lab_node router)
{
	const struct lab_iface *i = plan_iface(lab_plan_get(LAB_TOPOLOGY_HOME, false), router, "wan");

	return i ? i->addr : NULL;
}

const char *lab_plan_host_addr(enum lab_node host)
{
	const struct lab_iface *i = plan_iface(lab_plan_get(LAB_TOPOLOGY_HOME, false), host, "eth0");

	return i ? i->addr : NULL;
}

const char *lab_plan_host_addr_in(const struct lab_plan *p, enum lab_node host)
{
	const struct lab_iface *i = plan_iface(p, host, "eth0");

	return i ? i->addr : NULL;
}

const char *lab_plan_iface_addr(const struct lab_plan *p, const struct lab_iface *f)
{
	size_t i, j;

	if (f->addr)
		return f->addr;
	for (i = 0; i < p->nbridges; i++)
		for (j = 0; j < LAB_BRIDGE_PORTS; j++)
			if (p->bridges[i].node == f->node && p->bridges[i].ports[j] &&
			    !strcmp(p->bridges[i].ports[j], f->name))
				return p->bridges[i].addr;
	return NULL;
}

enum lab_node lab_plan_router_of(enum lab_node host)
{
	return host == LAB_NODE_HA ? LAB_NODE_RA : LAB_NODE_RB;
}

int lab_plan_ns_name(char *buf, size_t len, const char *prefix, enum lab_node node)
{
	if (node >= LAB_NODE_COUNT)
		return -EINVAL;
	if ((size_t)snprintf(buf, len, "%s-%s", prefix, lab_plan_nodes[node].suffix) >= len)
		return -ENAMETOOLONG;
	return 0;
}
