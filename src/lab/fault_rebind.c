// SPDX-License-Identifier: MIT
/*
 * --fault rebind: mid-chat, router A's mapping of alice moves to another
 * public port (a NAT rebinding, as when a router restarts: its conntrack
 * table and its cone filter are forgotten); both clients must notice, go
 * back through the server and meet again, nothing lost. Where router B
 * lets a datagram from the new port in (a cone), bob may instead
 * follow alice's move directly (its peer_moved event): that recovers too.
 */
#include <string.h>

#include "ct.h"
#include "fault.h"
#include "fault_lib.h"
#include "report.h"
#include "scenario_int.h"
#include "topo.h"

#define REBIND_PORT 20000    /* rA's new public port */

/* keepalives make a dead path show within seconds */
static const char *const client_opts[] = { "--keepalive", "2", NULL };

static enum lab_fault_ask rebind_inject(struct lab_fault_ctx *c)
{
	struct lab_report *rep = c->rep;
	char before[64], err[320];
	int flushed, ret;

	c->feed_limit = c->messages;
	c->map_before = lab_fault_map_port(c);
	lab_fault_port_text(before, sizeof(before), c->map_before);
	/* Flushing alone would not move it: MASQUERADE keeps a free source
	 * port. Pin the new port first (atomically), then forget the old. */
	ret = lab_topo_nat_reapply(c->topo, LAB_NODE_RA, REBIND_PORT, err, sizeof(err));
	if (ret < 0) {
		lab_report_fail(rep, LAB_RESULT_ERROR, "rebind: %s", err);
		return LAB_FAULT_ASK_NOTHING;
	}
	flushed = lab_ct_count(c->topo->fds[LAB_NODE_RA], 0);
	ret = lab_ct_flush(c->topo->fds[LAB_NODE_RA]);
	if (ret < 0) {
		lab_report_fail(rep, LAB_RESULT_ERROR, "rebind: cannot flush rA's conntrack: %s",
				strerror(-ret));
		return LAB_FAULT_ASK_NOTHING;
	}
	/* a cone's filter forgets with it, or the peer's next datagram,
	 * admitted by the old element, makes the old mapping again */
	ret = lab_topo_nat_forget(c->topo, LAB_NODE_RA, err, sizeof(err));
	if (ret < 0) {
		lab_report_fail(rep, LAB_RESULT_ERROR, "rebind: %s", err);
		return LAB_FAULT_ASK_NOTHING;
	}
	lab_report_step(rep, "fault rebind: rA mapped %s (%s) to %s; rA now maps to "
			"port %d and its conntrack table was flushed (%d entries): the old "
			"mapping is gone, %s's next packets leave from a new port and %s's "
			"to the old one are dropped", c->side[0].nick, c->side[0].rep->private_ep,
			before, REBIND_PORT, flushed, c->side[0].nick, c->side[1].nick);
	return LAB_FAULT_ASK_NOTHING;
}

static void rebind_verify(struct lab_fault_ctx *c)
{
	struct lab_report *rep = c->rep;
	const char *a = c->side[0].nick, *b = c->side[1].nick;
	bool delivered = rep->result == LAB_RESULT_PASS;
	unsigned rc0 = lab_fault_connects_since(c, 0), rc1 = lab_fault_connects_since(c, 1);
	unsigned moved = lab_fault_moves_since(c, 1);
	char before[64], after[64];

	c->map_after = lab_fault_map_port(c);
	lab_fault_port_text(before, sizeof(before), c->map_before);
	lab_fault_port_text(after, sizeof(after), c->map_after);
	rep->fault_ok = delivered && ((rc0 > 0 && rc1 > 0) || moved > 0) && c->map_after >= 0 &&
			c->map_after != c->map_before;
	snprintf(rep->fault_detail, sizeof(rep->fault_detail),
		 "%s's mapping %s before, %s after; connected again: %s %u, %s %u "
		 "time%s; reconnecting events: %s %u, %s %u; %s saw %s move %u time%s", a,
		 before, after, a, rc0, b, rc1, rc0 + rc1 == 1 ? "" : "s", a,
		 lab_fault_reconnects_since(c, 0), b, lab_fault_reconnects_since(c, 1), b, a, moved,
		 moved == 1 ? "" : "s");
	lab_report_step(rep, "rebind: %s%s", rep->fault_detail,
			rc0 + rc1 == 0 && !moved ?
				"; neither client went back through the server: that "
				"recovery is hpclient's (reconnecting + connected events)" :
			rc0 + rc1 == 0 ? "; no need to go back through the server: the new port "
					 "got through, and the peer followed it" :
					 "");
	if (!rep->fault_ok && delivered)
		lab_report_fail(rep, LAB_RESULT_FAIL, "rebind: the clients did not both "
				"reconnect on the new mapping (%s)%s", rep->fault_detail,
				rc0 + rc1 == 0 ? " - hpclient has no rebind recovery yet?" : "");
}

const struct lab_fault_ops lab_fault_rebind = {
	.name = "rebind",
	.help = "router A's mapping moves to another public port mid-chat",
	.client_opts = client_opts,
	.extra_ms = 30000, /* noticing a dead path takes seconds */
	.inject = rebind_inject,
	.verify = rebind_verify,
};
