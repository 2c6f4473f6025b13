/* SPDX-License-Identifier: MIT */
#ifndef LAB_THEORY_H
#define LAB_THEORY_H

#include <stdbool.h>

#include "spray_defaults.h"

/*
 * What hole punching can do, from the RFC 4787 properties of the two NATs
 * alone. The matrix (`labrun matrix`) prints this prediction next to what
 * it observed; a mismatch is a finding, so the prediction is derived from
 * the properties here, never typed in as a table.
 */
enum lab_nat_mapping {           /* RFC 4787 s.4.1 */
	LAB_MAP_EI,              /* endpoint-independent */
	LAB_MAP_AD,              /* address-dependent */
	LAB_MAP_APD,             /* address and port-dependent */
};

enum lab_nat_filtering {         /* RFC 4787 s.5 */
	LAB_FILT_EI,
	LAB_FILT_AD,
	LAB_FILT_APD,
};

enum lab_outcome {
	LAB_OUTCOME_DIRECT,
	LAB_OUTCOME_RELAY,
	LAB_OUTCOME_FAILED,
};

struct lab_nat_props {
	enum lab_nat_mapping mapping;
	enum lab_nat_filtering filtering;
};

/* The client's strategy the prediction assumes (hpclient's): both sides
 * send to the endpoint the server saw for the peer, and answer whatever
 * authenticated source the peer's packets really come from (a
 * "peer-reflexive" endpoint, RFC 8445 s.7.3.1.3); the server relays when
 * no direct path appears. */
struct lab_theory_case {
	struct lab_nat_props a, b;
	bool same_nat;   /* both hosts behind router a, isolated from each other */
	bool same_lan;   /* both hosts on one LAN behind router a: they reach each
			  * other's private (host candidate) addresses */
	bool hairpin;    /* one router: it loops lan -> its public address back */
	bool relay;      /* a relay exists to fall back on */
};

/* Can a datagram from `from`'s host reach `to`'s host, sent to the endpoint
 * the server saw for `to`, once both have punched? */
bool lab_theory_first_packet(const struct lab_nat_props *from, const struct lab_nat_props *to);
/* A chain of NATs (a home router behind a carrier-grade NAT) as one: its
 * mapping is endpoint-dependent if any layer's is, its filtering the
 * strictest layer's (docs/nat-types.md, "Double NAT"). */
struct lab_nat_props lab_theory_chain(const struct lab_nat_props *inner,
				      const struct lab_nat_props *outer);
/* The predicted path of the chat. */
enum lab_outcome lab_theory_predict(const struct lab_theory_case *c);

/*
 * The birthday spray (docs/nat-types.md, "Hard NATs"): where one side's
 * mapping is endpoint-dependent ("hard") and the other's endpoint-
 * independent ("easy"), the hard side opens `ports` sockets toward the easy
 * side's mapping and the easy side probes `probes` distinct random ports of
 * the hard side's public address, out of `range`.
 */
struct lab_spray {
	unsigned ports, probes, range;
};
/* hpclient's defaults (spray_defaults.h) */
struct lab_spray lab_spray_defaults(void);
/* The chances themselves: hp_spray_p_easy_hard, hp_spray_p_hard_hard
 * (spray_defaults.h, shared with hpclient). */

/* The path kind with the probability of a direct path and what it assumed:
 * p_direct 1 or 0 where the path is certain, strictly between for the
 * spray (path then names the fallback: relay or failed). */
struct lab_prediction {
	enum lab_outcome path;
	double p_direct;
	bool spray;          /* the spray decides (p strictly between 0 and 1) */
	bool hard_hard;      /* both sides hard: no spray, p_direct 0 */
	struct lab_spray assumed;
};
void lab_theory_predict_p(const struct lab_theory_case *c, const struct lab_spray *s,
			  struct lab_prediction *out);
/* Can the spray open this pair? The easy side needs an endpoint-
 * independent mapping; filtering does not matter (theory.c). */
bool lab_theory_sprayable(const struct lab_nat_props *easy, const struct lab_nat_props *hard);

const char *lab_outcome_name(enum lab_outcome o);
const char *lab_mapping_name(enum lab_nat_mapping m);
const char *lab_filtering_name(enum lab_nat_filtering f);

#endif
