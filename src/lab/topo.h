/* SPDX-License-Identifier: MIT */
#ifndef LAB_TOPO_H
#define LAB_TOPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lab/impair.h"
#include "lab/nftload.h"
#include "netns.h"
#include "nl.h"
#include "plan.h"
#include "theory.h"

struct lab_nat_personality;

/*
 * The plan (plan.c) made real: namespaces, veths, addresses, routes,
 * forwarding, and the routers' NAT rules. Only the namespaces are ever
 * created by name, so deleting them removes everything else with them;
 * nothing is touched in the runner's own namespace.
 */
/* Variations of the default topology; all false/0 is the default. Set
 * them between lab_topo_init() and lab_topo_build(). */
struct lab_topo_opts {
	enum lab_topology topology; /* plan.h; LAB_TOPOLOGY_HOME is 0 */
	bool same_nat;        /* hB behind rA too (plan.h); rB is not built */
	bool hairpin;         /* one router (same_nat, same-LAN): rA hairpins (nat.c) */
	bool no_firewall;     /* routers without the inbound firewall */
	/* cgnat: the carrier-grade NATs' personality (NULL: port-restricted) */
	const struct lab_nat_personality *nat_cgn;
	unsigned udp_timeout; /* routers' conntrack UDP timeouts, seconds; 0: kernel's */
	unsigned nat_sessions; /* each router's session-table cap (nat.c); 0: none */
	/* impairments of rA's (0) and rB's (1) wan side; their table (impair.h)
	 * goes in with the router's ruleset, queueing to LAB_TOPO_NFQ(i) */
	struct lab_impair imp[2];
};

#define LAB_TOPO_NFQ(i) ((uint16_t)(11 + (i)))

/* The steps of lab_topo_build, in the order they run; their names are
 * lab_topo_step_names[] (what `labrun bench` prints). */
enum lab_topo_step {
	LAB_TOPO_STEP_NETNS,     /* namespaces, each with its sysctls and socket */
	LAB_TOPO_STEP_NAT_START, /* rulesets written, their loaders started */
	LAB_TOPO_STEP_LINKS,     /* veth pairs */
	LAB_TOPO_STEP_CONFIG,    /* bridges, lo, links up, addresses, routes */
	LAB_TOPO_STEP_OPER,      /* waiting for links to transmit */
	LAB_TOPO_STEP_NAT_WAIT,  /* waiting for the loaders */
	LAB_TOPO_STEP_CT,        /* conntrack UDP timeouts */
	LAB_TOPO_STEPS
};
extern const char *const lab_topo_step_names[LAB_TOPO_STEPS];

struct lab_topo {
	char prefix[32];
	struct lab_topo_opts opts;
	const struct lab_plan *plan; /* set by build from opts */
	char names[LAB_NODE_COUNT][LAB_NETNS_NAME_MAX];
	int fds[LAB_NODE_COUNT];
	bool created[LAB_NODE_COUNT];
	const struct lab_nat_personality *nat[LAB_NODE_COUNT];
	struct lab_nl nl[LAB_NODE_COUNT]; /* rtnetlink in each, while building */
	struct lab_nft_job nft;           /* the routers' rules: loaded by build,
					     its thread joined by close */
	/* where setup time went, per step, in microseconds (`labrun bench`) */
	uint64_t us[LAB_TOPO_STEPS];
};

/* Fills names and fds without creating anything (fds -1), default opts. */
int lab_topo_init(struct lab_topo *t, const char *prefix);
/* Builds it all; on failure err says which step failed and the caller
 * must still call lab_topo_destroy(). */
int lab_topo_build(struct lab_topo *t, const struct lab_nat_personality *nat_a,
		   const struct lab_nat_personality *nat_b, char *err, size_t errlen);
/* Replaces router's own table (nat.c: NAT, firewall, log rules; not the
 * impairments' nor the cone's) atomically, with masq_port as in
 * lab_nat_params (0: as built). */
int lab_topo_nat_reapply(struct lab_topo *t, enum lab_node router, unsigned masq_port,
			 char *err, size_t errlen);
/* Empties router's cone sets (nat.c), if its NAT has them: with a
 * conntrack flush, the router has forgotten every mapping. */
int lab_topo_nat_forget(struct lab_topo *t, enum lab_node router, char *err, size_t errlen);
/* What host's NATs add up to (its router's, behind a CGN the chain's:
 * lab_theory_chain()). */
struct lab_nat_props lab_topo_props(const struct lab_topo *t, enum lab_node host);
/* Releases what this process holds of it (namespace fds, the rule
 * loader's thread) and leaves the namespaces: what `up` does last. */
void lab_topo_close(struct lab_topo *t);
/* lab_topo_close(), then deletes every namespace of this prefix that
 * exists (created by this run or not). Returns the first error, going on
 * regardless. */
int lab_topo_destroy(struct lab_topo *t);

#endif
