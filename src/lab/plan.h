/* SPDX-License-Identifier: MIT */
#ifndef LAB_PLAN_H
#define LAB_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The lab's Internet in miniature, as data: six namespaces, five links,
 * addresses from the documentation ranges (RFC 5737) on the "public" side
 * and RFC 1918 ones behind the routers.
 *
 *   hA --lan-- rA --wan--+            +-- srv
 *                         core (L3) --+
 *   hB --lan-- rB --wan--+
 */
enum lab_node {
	LAB_NODE_SRV,
	LAB_NODE_CORE,
	LAB_NODE_RA,
	LAB_NODE_RB,
	LAB_NODE_HA,
	LAB_NODE_HB,
	LAB_NODE_CA,         /* cgnat: rA's carrier-grade NAT */
	LAB_NODE_CB,         /* cgnat: rB's */
	LAB_NODE_COUNT
};

struct lab_node_desc {
	const char *suffix;  /* namespace is "<prefix>-<suffix>" */
	const char *role;    /* for the narrative */
	bool forwarding;     /* routes packets for others */
	bool nat;            /* a home router: gets a NAT personality */
};

struct lab_iface {
	enum lab_node node;
	const char *name;    /* <= 15 chars (IFNAMSIZ - 1) */
	const char *addr;    /* IPv4 dotted quad; NULL: a bridge port (no address) */
	uint8_t prefixlen;
};

/* A LAN switch: a Linux bridge in node, with its own address, whose
 * ports are node's ends of some links. */
#define LAB_BRIDGE_PORTS 2
struct lab_bridge {
	enum lab_node node;
	const char *name;
	const char *addr;
	uint8_t prefixlen;
	const char *ports[LAB_BRIDGE_PORTS];
};

struct lab_link {
	struct lab_iface a, b;
};

struct lab_route {
	enum lab_node node;
	const char *gw;      /* default route via this neighbour */
};

/* The topologies `--topology` names: one list, lab_topologies[]. */
enum lab_topology {
	LAB_TOPOLOGY_HOME,     /* each host behind its own home router */
	LAB_TOPOLOGY_SAME_LAN, /* both hosts on one LAN switch behind rA */
	LAB_TOPOLOGY_CGNAT,    /* each home router behind its own carrier-grade NAT */
	LAB_TOPOLOGY_CGNAT_SAME, /* both home routers behind one carrier-grade NAT */
	LAB_TOPOLOGY_COUNT
};

struct lab_topology_desc {
	const char *name;    /* as given to --topology, in the JSON */
	const char *summary; /* for the help and the narrative */
};

extern const struct lab_topology_desc lab_topologies[LAB_TOPOLOGY_COUNT];

/* By name; LAB_TOPOLOGY_COUNT if none. */
enum lab_topology lab_topology_find(const char *name);
/* "home, same-lan" for help texts and errors. */
const char *lab_topology_names(void);

/* A whole topology: the default one (two routers), the same-NAT one, in
 * which hB hangs off a second lan port of rA ("lan2", same addresses as
 * rB's lan) and rB does not exist, or the same-LAN one, in which both
 * hosts hang off one bridge in rA ("lan") and rB does not exist. */
struct lab_plan {
	enum lab_topology topology;
	const struct lab_link *links;
	size_t nlinks;
	const struct lab_route *routes;
	size_t nroutes;
	const struct lab_bridge *bridges;
	size_t nbridges;
	bool one_router;     /* both hosts behind rA */
	bool isolated;       /* one_router: the hosts cannot reach each other */
	const char *lan2;    /* one_router: rA's interface towards hB */
	/* the TTL of the clients' first punch that dies in the core, past
	 * every NAT of the sender's (docs/lab.md); 0: hpclient's default */
	int punch_ttl;
	/* both home routers behind cA, on its two isolated lan ports ("lan",
	 * "lan2"), like two customers of one CGN: cA is the one router */
	bool shared_cgn;
};

#define LAB_SERVER_PORT 3478
#define LAB_CLIENT_PORT 4000

extern const struct lab_node_desc lab_plan_nodes[LAB_NODE_COUNT];
extern const struct lab_link lab_plan_links[];
extern const size_t lab_plan_nlinks;
extern const struct lab_route lab_plan_routes[];
extern const size_t lab_plan_nroutes;

/* Well-known addresses: where the server listens, each router's public
 * (wan) address, each host's private address. */
const char *lab_plan_server_addr(void);
const char *lab_plan_public_addr(enum lab_node router);
const char *lab_plan_host_addr(enum lab_node host);
/* host's address in plan p (same-LAN: hB is on rA's LAN). */
const char *lab_plan_host_addr_in(const struct lab_plan *p, enum lab_node host);
/* The address that answers on f: its own, or for a bridge port its
 * bridge's (NULL if neither). */
const char *lab_plan_iface_addr(const struct lab_plan *p, const struct lab_iface *f);
/* The address on the far side of nat's interface lan in plan p: what that
 * NAT translates (a CGN's: its home router's wan); NULL if none. */
const char *lab_plan_inside_addr(const struct lab_plan *p, enum lab_node nat, const char *lan);
/* Does one NAT of p hairpin (--hairpin): the one router, or a shared CGN? */
bool lab_plan_hairpins(const struct lab_plan *p);
/* The carrier-grade NAT in front of home router r in p; LAB_NODE_COUNT
 * if none. */
enum lab_node lab_plan_cgn_of(const struct lab_plan *p, enum lab_node r);
/* Router in front of a host, host behind a router. */
enum lab_node lab_plan_router_of(enum lab_node host);

/* The plan of topology; same_nat only with LAB_TOPOLOGY_HOME. */
const struct lab_plan *lab_plan_get(enum lab_topology topology, bool same_nat);
/* Does the plan build this node at all? */
bool lab_plan_has_node(const struct lab_plan *p, enum lab_node node);
/* The router in front of host in this plan. */
enum lab_node lab_plan_router_in(const struct lab_plan *p, enum lab_node host);
/* The server's second address (RFC 5780 discovery needs two), on its eth0. */
const char *lab_plan_server_alt_addr(void);
/* "<prefix>-<suffix>" into buf; -ENAMETOOLONG if it does not fit. */
int lab_plan_ns_name(char *buf, size_t len, const char *prefix, enum lab_node node);

#endif
