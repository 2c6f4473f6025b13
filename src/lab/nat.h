/* SPDX-License-Identifier: MIT */
#ifndef LAB_NAT_H
#define LAB_NAT_H

#include <stdbool.h>
#include <stddef.h>

#include "theory.h"

/*
 * NAT personalities of the lab's home routers (RFC 4787 vocabulary), as
 * nftables rulesets for each router's namespace (nftload.c loads them). A personality is a row of the table in nat.c, and everything that
 * names personalities (help, errors, the matrix, the tests) reads that
 * table. Every router also gets the stateful inbound firewall a home
 * router has (docs/nat-types.md, "--no-firewall: bare MASQUERADE").
 */
#define LAB_NAT_DEFAULT "port-restricted"

/* Which public port a new mapping gets (RFC 4787 s.4.2.1, port
 * preservation): MASQUERADE keeps the host's source port when no other
 * mapping holds it; --random-fully picks a random one every time. */
enum lab_nat_ports {
	LAB_NAT_PORTS_PRESERVE,
	LAB_NAT_PORTS_RANDOM,
};

/*
 * A cone's filter, where conntrack alone is too strict (conntrack only
 * lets in replies: address and port-dependent filtering). Outbound
 * datagrams teach the router, for each mapping, which inbound datagrams
 * it admits; see lab_nat_cone_ruleset(). The key is nftables syntax: the
 * type, the key as seen on an outbound datagram after MASQUERADE, the
 * same key as seen on an inbound one.
 */
struct lab_nat_cone {
	const char *type;  /* e.g. "ipv4_addr . inet_service" */
	const char *learn; /* e.g. "ip daddr . udp sport" (remote, public port) */
	const char *admit; /* e.g. "ip saddr . udp dport" */
};

struct lab_nat_personality {
	const char *name;      /* as given to --nat-a / --nat-b */
	const char *alias;     /* short form */
	struct lab_nat_props props; /* RFC 4787 mapping and filtering */
	enum lab_nat_ports ports;   /* port preservation when the port is free */
	/* Rule templates in nft(8) syntax, one rule a line; tokens: %W wan
	 * ifname, %L lan ifname, %H the lan host's address, %P the host's
	 * port. */
	const char *nat_rules;     /* the srcnat chain's */
	const char *forward_rules; /* the forward chain's, before the final drop */
	const struct lab_nat_cone *cone; /* NULL: conntrack's filtering */
};

struct lab_nat_params {
	const char *wan;
	const char *lan;
	const char *host;
	unsigned port;
	bool no_firewall;    /* bare MASQUERADE: no inbound firewall (docs/nat-types.md) */
	/* one router for both hosts (--same-nat): the second host on its own
	 * lan port; the two lans cannot reach each other */
	const char *lan2, *host2;
	const char *public_addr; /* the wan address, which the hosts' mappings use */
	bool hairpin;        /* loop lan -> public address back to the other host */
	/* rebind fault: the host's UDP mappings move to this one public port
	 * (0: MASQUERADE picks, keeping the source port when free). One host
	 * behind the router, so the mapping stays endpoint-independent. */
	unsigned masq_port;
	/* the router's session-table cap: a new flow out beyond this many
	 * live conntrack entries is refused (and logged); 0: none */
	unsigned sessions;
};

/* By name or alias; NULL if none. */
const struct lab_nat_personality *lab_nat_find(const char *name);
/* The row with exactly these RFC 4787 properties; NULL if none. */
const struct lab_nat_personality *lab_nat_find_props(const struct lab_nat_props *props);
/* The table: rows 0 .. lab_nat_count() - 1, NULL past the end. */
size_t lab_nat_count(void);
const struct lab_nat_personality *lab_nat_at(size_t i);
/* The row of that rank from the most open (full cone) to the least: RFC
 * 4787 mapping, then filtering behaviour. The matrix's order. */
const struct lab_nat_personality *lab_nat_by_openness(size_t rank);
/* "port-restricted (prc), symmetric (sym), ..." for help texts and errors. */
const char *lab_nat_names(void);
/* The router's table: NAT, firewall and the glass box's log rules. */
#define LAB_NAT_TABLE "hplab"
/* Writes the nft(8) input for personality p: table LAB_NAT_TABLE, replacing
 * the router's old one in the same transaction (so loading it again, as
 * the rebind fault does, swaps it atomically and touches no other table);
 * returns its length,
 * -ENOSPC if cap is too small, -EINVAL on a bad template or parameter.
 * With prm->lan2 set (same NAT) only an endpoint-independent mapping is
 * possible (-EINVAL otherwise): the hairpin rules name each host's mapping,
 * so the router pins them, host at PORT and host2 at PORT+1. */
int lab_nat_ruleset(const struct lab_nat_personality *p, const struct lab_nat_params *prm,
		    char *buf, size_t cap);
/* Writes the nft(8) input for p's cone filter (p->cone); returns its
 * length, 0 if p has none (nothing to load), -ENOSPC, -EINVAL as above.
 * Its own table, hplab_cone, loaded beside LAB_NAT_TABLE; none with prm->lan2
 * (the same-NAT router is port-restricted). */
int lab_nat_cone_ruleset(const struct lab_nat_personality *p, const struct lab_nat_params *prm,
			 char *buf, size_t cap);
/* Writes the nft(8) input that empties p's cone sets (what a router that
 * restarts forgets with its conntrack table); its length, 0 if p has no
 * cone, -ENOSPC, -EINVAL without p. */
int lab_nat_cone_forget(const struct lab_nat_personality *p, char *buf, size_t cap);

#endif
