// SPDX-License-Identifier: MIT
/*
 * --fault idle: the routers forget idle UDP mappings after 5 s and the
 * chat stays quiet for 7 s mid-way; the clients' keepalives must keep the
 * hole open (RFC 4787 REQ-5: a mapping lives at least 2 minutes by
 * default, but real routers often forget sooner; RFC 8445 section 11).
 */
#include "clock.h"
#include "fault.h"
#include "fault_lib.h"
#include "report.h"
#include "scenario_int.h"
#include "topo.h"

#define IDLE_TIMEOUT_S 5     /* routers' UDP timeouts */
#define IDLE_GAP_MS 7000     /* longer than them */
#define KEEPALIVE_ARG "2"    /* well inside IDLE_TIMEOUT_S */

static const char *const client_opts[] = { "--keepalive", KEEPALIVE_ARG, NULL };

static enum lab_fault_ask idle_inject(struct lab_fault_ctx *c)
{
	char before[64];

	c->map_before = lab_fault_map_port(c);
	lab_fault_port_text(before, sizeof(before), c->map_before);
	c->until = hp_clock_ms() + IDLE_GAP_MS;
	lab_report_step(c->rep, "fault idle: routers forget idle UDP mappings after %u s; "
			"the chat now stays quiet for %d ms (hpclient --keepalive %s); "
			"rA maps %s to %s", c->topo->opts.udp_timeout, IDLE_GAP_MS,
			KEEPALIVE_ARG, c->side[0].nick, before);
	return LAB_FAULT_ASK_NOTHING;
}

/* The gap ends at its time (the rest is typed) or when the chat did. */
static enum lab_fault_ask idle_tick(struct lab_fault_ctx *c)
{
	char after[64];

	if (!c->until)
		return LAB_FAULT_ASK_NOTHING;
	if (run_pair_finished(c->side, 0)) {
		c->until = 0;
		return LAB_FAULT_ASK_NOTHING;
	}
	if (hp_clock_ms() < c->until)
		return LAB_FAULT_ASK_NOTHING;
	c->until = 0;
	c->map_after = lab_fault_map_port(c);
	lab_fault_port_text(after, sizeof(after), c->map_after);
	lab_report_step(c->rep, "idle gap over: rA maps %s to %s (%s); typing the rest",
			c->side[0].nick, after,
			c->map_after >= 0 && c->map_after == c->map_before ?
				"the same mapping: the keepalives kept it" :
				"NOT the mapping it had before the gap");
	c->feed_limit = c->messages;
	return LAB_FAULT_ASK_NOTHING;
}

static bool idle_done(const struct lab_fault_ctx *c)
{
	return !c->until;
}

static void idle_verify(struct lab_fault_ctx *c)
{
	struct lab_report *rep = c->rep;
	bool delivered = rep->result == LAB_RESULT_PASS;
	unsigned rc0 = lab_fault_connects_since(c, 0), rc1 = lab_fault_connects_since(c, 1);
	char before[64], after[64];

	lab_fault_port_text(before, sizeof(before), c->map_before);
	lab_fault_port_text(after, sizeof(after), c->map_after);
	rep->fault_ok = delivered && rc0 == 0 && rc1 == 0 && c->map_before >= 0 &&
			c->map_after == c->map_before;
	snprintf(rep->fault_detail, sizeof(rep->fault_detail),
		 "quiet for %d ms with %u s UDP timeouts: %s's mapping %s before, %s "
		 "after; reconnects after the gap: %s %u, %s %u", IDLE_GAP_MS,
		 c->topo->opts.udp_timeout, c->side[0].nick, before, after, c->side[0].nick, rc0,
		 c->side[1].nick, rc1);
	lab_report_step(rep, "idle: %s%s", rep->fault_detail,
			rep->fault_ok ? ": the keepalives kept the hole open" : "");
	if (!rep->fault_ok && delivered)
		lab_report_fail(rep, LAB_RESULT_FAIL, "idle: the hole did not survive (%s)",
				rep->fault_detail);
}

const struct lab_fault_ops lab_fault_idle = {
	.name = "idle",
	.help = "mappings time out after 5 s; the chat is quiet for 7 s mid-way",
	.udp_timeout = IDLE_TIMEOUT_S,
	.client_opts = client_opts,
	.extra_ms = IDLE_GAP_MS,
	.inject = idle_inject,
	.tick = idle_tick,
	.done = idle_done,
	.verify = idle_verify,
};
