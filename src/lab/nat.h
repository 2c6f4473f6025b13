/* SPDX-License-Identifier: MIT */
#ifndef LAB_NAT_H
#define LAB_NAT_H

#include <stdbool.h>
#include <stddef.h>

#include "theory.h"

/*
 * NAT personalities of the lab's home routers (RFC 4787 vocabulary), as
 * iptables-restore rulesets for each router's namespace (ipt.c loads
 * them). A personality is a row of a table in nat.c; every router also
 * gets the stateful inbound firewall a home router has (see nat-notes,
 * pitfall 1).
 */
#define LAB_NAT_DEFAULT "port-restricted"

struct lab_nat_personality {
	const char *name;      /* as given to --nat-a / --nat-b */
	const char *alias;     /* short form */
	struct lab_nat_props props; /* RFC 4787 mapping and filtering */
	/* Rule templates, one per line, without "-A"; tokens: %W wan ifname,
	 * %L lan ifname, %H the lan host's address, %P the host's port. */
	const char *nat_rules;
	const char *forward_rules; /* filter FORWARD rules before the final drop */
};

struct lab_nat_params {
	const char *wan;
	const char *lan;
	const char *host;
	unsigned port;
	bool no_firewall;    /* bare MASQUERADE: no inbound firewall (pitfall 1) */
	/* one router for both hosts (--same-nat): the second host on its own
	 * lan port; the two lans cannot reach each other */
	const char *lan2, *host2;
	const char *public_addr; /* the wan address, which the hosts' mappings use */
	bool hairpin;        /* loop lan -> public address back to the other host */
	/* rebind fault: the host's UDP mappings move to this one public port
	 * (0: MASQUERADE picks, keeping the source port when free). One host
	 * behind the router, so the mapping stays endpoint-independent. */
	unsigned masq_port;
};

const struct lab_nat_personality *lab_nat_find(const char *name);
/* "port-restricted, symmetric, ..." for help texts. */
const char *lab_nat_names(void);
/* Writes the iptables-restore input for personality p; returns its length,
 * -ENOSPC if cap is too small, -EINVAL on a bad template or parameter.
 * With prm->lan2 set (same NAT) only an endpoint-independent mapping is
 * possible (-EINVAL otherwise): the hairpin rules name each host's mapping,
 * so the router pins them, host at PORT and host2 at PORT+1. */
int lab_nat_ruleset(const struct lab_nat_personality *p, const struct lab_nat_params *prm,
		    char *buf, size_t cap);

#endif
