// SPDX-License-Identifier: MIT
/*
 * After the chat of `labrun run`: the round-trip metrics, and what must
 * hold: every line crossed once and in order, on the path theory
 * predicts, each probe named its router, the fault's own recovery.
 */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "metrics.h"
#include "report.h"
#include "scenario_int.h"

/* Nearest-rank median and p95 of samples (sorted in place). */
static void rtt_summary(struct lab_samples *sm, int64_t *median, int64_t *p95, unsigned *n)
{
	*n = (unsigned)sm->n;
	if (lab_percentile(sm->v, sm->n, 50, median) < 0 ||
	    lab_percentile(sm->v, sm->n, 95, p95) < 0)
		*median = *p95 = -1;
}

static void metrics(struct run *r)
{
	struct lab_report *rep = r->rep;
	const struct side *a = &r->side[0], *b = &r->side[1];
	struct lab_samples all = { 0 };
	int i;

	for (i = 0; i < 2; i++) {
		struct side *s = &r->side[i];
		size_t k;

		rtt_summary(&s->rtt, &s->rep->rtt_median_us, &s->rep->rtt_p95_us, &s->rep->rtt_n);
		for (k = 0; k < s->rtt.n; k++)
			lab_samples_add(&all, s->rtt.v[k]);
	}
	rtt_summary(&all, &rep->rtt_median_us, &rep->rtt_p95_us, &rep->rtt_n);
	lab_samples_free(&all);
	if (rep->rtt_n)
		lab_report_step(rep, "message round trips: median %.1f ms, p95 %.1f ms (%u acks)"
				"%s; retransmitted: %s %u, %s %u%s",
				rep->rtt_median_us / 1000.0, rep->rtt_p95_us / 1000.0, rep->rtt_n, "",
				a->nick, a->rep->retransmitted, b->nick, b->rep->retransmitted,
				a->rep->stats_seen || b->rep->stats_seen || a->retransmits ||
						b->retransmits ?
					"" :
					" (the clients reported no retransmissions)");
	if (rep->impaired && rep->path_rtt_us > 0 && rep->rtt_n)
		lab_report_step(rep, "configured path RTT %.1f ms (the delays, both ways), "
				"measured median %.1f ms: %+.1f ms",
				rep->path_rtt_us / 1000.0, rep->rtt_median_us / 1000.0,
				(rep->rtt_median_us - rep->path_rtt_us) / 1000.0);
}

static void check_sides(struct run *r)
{
	unsigned n = r->args->messages;

	for (int i = 0; i < 2; i++) {
		struct side *s = &r->side[i], *o = run_other(r, s);

		if (!s->connected)
			lab_report_fail(r->rep, LAB_RESULT_FAIL, "%s never connected to %s", s->nick,
					o->nick);
		else if (s->rep->received != n)
			lab_report_fail(r->rep, LAB_RESULT_FAIL, "%s received %u of %s's %u lines",
					s->nick, s->rep->received, o->nick, n);
		else if (s->rep->sent != n)
			lab_report_fail(r->rep, LAB_RESULT_FAIL, "%s sent only %u of %u lines",
					s->nick, s->rep->sent, n);
		else if (s->proc.exited && s->proc.exit_code == 0 && !s->rep->bye)
			lab_report_fail(r->rep, LAB_RESULT_FAIL, "%s exited without saying bye",
					s->nick);
	}
	if (r->side[0].connected && r->side[1].connected) {
		/* a chat that ends relayed counts as relay, never direct */
		bool direct = !strcmp(r->side[0].rep->path, "direct") &&
			      !strcmp(r->side[1].rep->path, "direct");

		snprintf(r->rep->path, sizeof(r->rep->path), "%s", direct ? "direct" : "relay");
		r->rep->connect_ms = r->side[0].rep->connect_ms > r->side[1].rep->connect_ms ?
					     r->side[0].rep->connect_ms :
					     r->side[1].rep->connect_ms;
		if (direct)
			r->rep->direct_ms = r->side[0].rep->direct_ms > r->side[1].rep->direct_ms ?
						    r->side[0].rep->direct_ms :
						    r->side[1].rep->direct_ms;
	}
}

static void check_probes(struct run *r)
{
	for (int i = 0; i < 2 && r->rep->probed; i++) {
		struct lab_report_side *rs = r->side[i].rep;

		if (!rs->probe_nat[0])
			lab_report_fail(r->rep, LAB_RESULT_FAIL, "%s's probe gave no verdict (%s)",
					r->side[i].nick, rs->probe_error);
		else if (!rs->probe_match)
			lab_report_fail(r->rep, LAB_RESULT_FAIL,
					"%s's probe says %s (%s mapping, %s filtering), the router is %s",
					r->side[i].nick, rs->probe_nat, rs->probe_mapping,
					rs->probe_filtering, rs->router_nat);
	}
}

void run_verify(struct run *r)
{
	struct lab_report *rep = r->rep;
	unsigned n = r->args->messages;

	metrics(r);
	if (lab_fault_has(&r->fault, LAB_FAULT_CLIENTS_FAIL)) {
		lab_fault_verify(&r->fault); /* failing clearly is its pass */
		return;
	}
	check_sides(r);
	lab_fault_verify(&r->fault);
	/* where the spray decides (0 < p < 1) one run may go either way */
	if (rep->result == LAB_RESULT_PASS && strcmp(rep->path, rep->expected) &&
	    !(rep->p_direct > 0 && rep->p_direct < 1 && !strcmp(rep->path, "direct")))
		lab_report_fail(rep, LAB_RESULT_FAIL, "the chat went %s where theory predicts %s",
				rep->path, rep->expected);
	check_probes(r);
	if (rep->result == LAB_RESULT_PASS)
		lab_report_step(rep, "messages crossed %s: %s -> %s %u/%u, %s -> %s %u/%u, each "
				"once and in order",
				!strcmp(rep->path, "direct") ? "directly" : "through the relay",
				r->side[0].nick, r->side[1].nick, r->side[1].rep->received, n,
				r->side[1].nick, r->side[0].nick, r->side[0].rep->received, n);
}
