// SPDX-License-Identifier: MIT
#include "spray_defaults.h"
#include "theory.h"

/*
 * Reasoning, with S the sender, R the receiver, and R_srv the endpoint the
 * server saw for R (where S aims):
 *
 *  - S's packet leaves S's NAT from S's mapping towards R_srv. That is the
 *    endpoint the server saw for S only if S's mapping is endpoint-
 *    independent (EIM); otherwise it is a port R has never heard of.
 *  - R's NAT passes it to R's host only if the mapping R_srv lets it in
 *    (RFC 4787 s.5): endpoint-independent filtering always does; address-
 *    dependent filtering does once R has sent from R_srv to S's address,
 *    which R's own punches do only if R is EIM (otherwise they leave from
 *    another mapping); address and port-dependent filtering does only if,
 *    besides, the source port is the one R aimed at, i.e. S is EIM too.
 *  - Once one packet is through, the receiver answers its real source. The
 *    answer leaves from the receiver's mapping towards that source; the
 *    sender's NAT lets it in if it is the endpoint the sender aimed at (the
 *    receiver is EIM) or if the sender's filtering does not look at the
 *    port (endpoint-independent or address-dependent: one public address).
 */
static bool answer_gets_back(const struct lab_nat_props *sender,
			     const struct lab_nat_props *receiver)
{
	return receiver->mapping == LAB_MAP_EI || sender->filtering != LAB_FILT_APD;
}

bool lab_theory_first_packet(const struct lab_nat_props *from, const struct lab_nat_props *to)
{
	switch (to->filtering) {
	case LAB_FILT_EI:
		return true;
	case LAB_FILT_AD:
		return to->mapping == LAB_MAP_EI;
	case LAB_FILT_APD:
		return to->mapping == LAB_MAP_EI && from->mapping == LAB_MAP_EI;
	}
	return false;
}

/*
 * The outer NAT sees the inner one's mappings as its hosts' endpoints. An
 * endpoint-dependent inner mapping gives the outer NAT a new source per
 * destination, so it maps each anew, whatever its own behaviour; an
 * endpoint-independent inner one keeps one source, and the outer NAT's
 * own behaviour decides. A datagram in must pass both filters, so the
 * stricter one decides. Both enums run from open to strict (theory.h).
 */
struct lab_nat_props lab_theory_chain(const struct lab_nat_props *inner,
				      const struct lab_nat_props *outer)
{
	struct lab_nat_props c;

	c.mapping = inner->mapping > outer->mapping ? inner->mapping : outer->mapping;
	c.filtering = inner->filtering > outer->filtering ? inner->filtering : outer->filtering;
	return c;
}

enum lab_outcome lab_theory_predict(const struct lab_theory_case *c)
{
	bool direct;

	if (c->same_lan)
		/* the first punch to the peer's host candidate crosses the
		 * switch: no NAT on the way, whatever its personality */
		direct = true;
	else if (c->same_nat)
		/* the hosts cannot reach each other's private addresses, so the
		 * only direct way is through the router's public address */
		direct = c->hairpin;
	else
		direct = (lab_theory_first_packet(&c->a, &c->b) && answer_gets_back(&c->a, &c->b)) ||
			 (lab_theory_first_packet(&c->b, &c->a) && answer_gets_back(&c->b, &c->a));
	if (direct)
		return LAB_OUTCOME_DIRECT;
	return c->relay ? LAB_OUTCOME_RELAY : LAB_OUTCOME_FAILED;
}

/*
 * The spray, with E the easy side (endpoint-independent mapping) and H the
 * hard one (endpoint-dependent): H's K openers each leave from a new
 * mapping, drawn at random from the NAT's range, all toward E's public
 * endpoint, the one the server saw. E's probes all leave from that one
 * endpoint (EIM), each to a port of H's public address.
 *
 *  - H's filtering never matters: a probe that hits one of the K ports
 *    comes from exactly the endpoint that mapping was opened toward, which
 *    even address and port-dependent filtering lets in (RFC 4787 s.5).
 *  - E's filtering never matters either: E's probe to port P is what opens
 *    E's filter to H's P, before H's answer from P comes back.
 *  - E's mapping must be endpoint-independent: otherwise each probe leaves
 *    from a new port, not the one H's openers opened their mappings
 *    toward, and H's filter (unless endpoint-independent, in which case
 *    theory has already said direct) drops it. Two hard sides: see
 *    hp_spray_p_hard_hard().
 *  - Chains (a home router behind a CGN, lab_theory_chain()): the chain is
 *    hard if any layer is, so a hard CGN makes both homes behind it hard;
 *    an easy chain needs every layer endpoint-independent. Inside a hard
 *    chain every layer's mapping was opened toward E's endpoint, so every
 *    layer's filter passes the probe that hits, whatever it is; the range
 *    M is the outermost layer's, the one whose ports E sees.
 */
bool lab_theory_sprayable(const struct lab_nat_props *easy, const struct lab_nat_props *hard)
{
	return easy->mapping == LAB_MAP_EI && hard->mapping != LAB_MAP_EI;
}

struct lab_spray lab_spray_defaults(void)
{
	return (struct lab_spray){ .ports = HP_SPRAY_PORTS, .probes = HP_SPRAY_PROBES,
				   .range = HP_SPRAY_PORT_RANGE };
}

void lab_theory_predict_p(const struct lab_theory_case *c, const struct lab_spray *s,
			  struct lab_prediction *out)
{
	bool apart = !c->same_lan && !c->same_nat;

	out->path = lab_theory_predict(c);
	out->assumed = s ? *s : lab_spray_defaults();
	out->spray = out->hard_hard = false;
	out->p_direct = out->path == LAB_OUTCOME_DIRECT ? 1.0 : 0.0;
	if (out->path == LAB_OUTCOME_DIRECT || !apart)
		return;
	if (lab_theory_sprayable(&c->a, &c->b) || lab_theory_sprayable(&c->b, &c->a)) {
		out->p_direct = hp_spray_p_easy_hard(out->assumed.ports, out->assumed.probes,
						   out->assumed.range);
		out->spray = out->p_direct > 0.0 && out->p_direct < 1.0;
		if (out->p_direct >= 1.0)
			out->path = LAB_OUTCOME_DIRECT;
	} else {
		out->hard_hard = c->a.mapping != LAB_MAP_EI && c->b.mapping != LAB_MAP_EI;
	}
}

const char *lab_outcome_name(enum lab_outcome o)
{
	switch (o) {
	case LAB_OUTCOME_DIRECT: return "direct";
	case LAB_OUTCOME_RELAY: return "relay";
	case LAB_OUTCOME_FAILED: return "failed";
	}
	return "?";
}

/* The spellings hpclient --probe prints (RFC 4787 / RFC 5780 terms). */
const char *lab_mapping_name(enum lab_nat_mapping m)
{
	switch (m) {
	case LAB_MAP_EI: return "endpoint-independent";
	case LAB_MAP_AD: return "address-dependent";
	case LAB_MAP_APD: return "address-and-port-dependent";
	}
	return "?";
}

const char *lab_filtering_name(enum lab_nat_filtering f)
{
	return lab_mapping_name((enum lab_nat_mapping)f);
}
