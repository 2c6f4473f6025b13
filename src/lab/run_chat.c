// SPDX-License-Identifier: MIT
/*
 * The chat of `labrun run`: each side types its lines once its path is up
 * (as many as the fault lets through), closes stdin once everything
 * crossed and was acknowledged, and its exit is told. The fault's tick
 * runs after every poll round; what it asks of the run is done here.
 */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "impair.h"
#include "report.h"
#include "scenario_int.h"

#define RUN_BASE_MS 25000        /* whole chat phase, plus a little per line */
#define RUN_PER_MSG_MS 20

/* A birthday spray still running may upgrade the relayed chat to direct
 * (hpclient relays from --relay-after and keeps spraying): the chat stays
 * open until the easy side's spray has ended without a hit, or both sides
 * are direct. */
static bool spray_pending(struct run *r, const struct side *s)
{
	const struct side *o = run_other(r, s);

	if (!s->spray_due && !o->spray_due)
		return false;
	return strcmp(s->rep->path, "direct") || strcmp(o->rep->path, "direct");
}

/* Lines go in once the path is up (a fault may hold some back: at most
 * feed_limit for the first pair); stdin closes once this side has all the
 * peer's lines and the peer has all of this side's, acknowledged. */
static void side_advance(struct run *r, struct side *s)
{
	struct side *o = run_other(r, s);
	unsigned n = s->want, limit = s - r->side < 2 ? r->fault.feed_limit : n, typed = 0;
	char line[64];
	bool mine_acked;

	if (limit > n)
		limit = n;
	while (s->connected && s->fed < limit && !s->proc.exited) {
		int len = snprintf(line, sizeof(line), "hello %u from %s\n", s->fed + 1, s->nick);

		if (lab_proc_write_all(&s->proc, line, (size_t)len) < 0)
			break;
		s->fed++;
		typed++;
		s->rep->sent++;
	}
	if (typed)
		lab_report_step(r->rep, "%s typed %u line%s%s", s->nick, typed, typed == 1 ? "" : "s",
				s->fed < n ? " (the rest after the fault)" : "");
	if (s->fed < n || s->stdin_closed || spray_pending(r, s))
		return;
	/* acks may be per line or cumulative: the peer's last seen seq of
	 * ours, acked, settles it either way */
	mine_acked = s->acked_events >= n ||
		     (o->rep->received >= n && o->last_rx_seq >= 0 && s->max_acked >= o->last_rx_seq);
	if (s->rep->received >= n && mine_acked) {
		s->stdin_closed = true;
		lab_proc_close_stdin(&s->proc);
	}
}

/* How long the chat may take: a little per line, more when every line
 * waits for a delayed round trip or a lost packet's retransmission. */
static int chat_budget_ms(const struct run *r)
{
	int64_t per = RUN_PER_MSG_MS + r->rep->path_rtt_us / 1000 / 4;

	if (lab_impair_active(&r->args->imp[0]) || lab_impair_active(&r->args->imp[1]))
		per += 40;
	return (int)(RUN_BASE_MS + per * (int64_t)r->args->messages) +
	       lab_fault_extra_ms(&r->fault);
}

static void side_check_exit(struct run *r, struct side *s)
{
	if (!s->proc.exited || s->exit_told)
		return;
	s->exit_told = true;
	s->exited_ms = hp_clock_ms();
	s->rep->exit_code = s->proc.exit_code;
	lab_report_step(r->rep, "%s exited with status %d%s", s->nick, s->proc.exit_code,
			s->rep->bye ? " after bye" : "");
	/* a fault may make failing the expected end (no server at all) */
	if (s->proc.exit_code != 0 && r->rep->result == LAB_RESULT_PASS &&
	    !lab_fault_has(&r->fault, LAB_FAULT_CLIENTS_FAIL)) {
		const char *tail = lab_proc_captured(&s->proc, 2);
		const char *last = tail;
		const char *p;

		/* its last complaint says most */
		for (p = tail; *p; p++)
			if (p[0] == '\n' && p[1])
				last = p + 1;
		lab_report_fail(r->rep, LAB_RESULT_FAIL, "%s exited with status %d: %.*s", s->nick,
				s->proc.exit_code, (int)strcspn(last, "\n"), last);
	}
}

static bool all_finished(const struct run *r)
{
	for (int i = 0; i < RUN_SIDES; i++)
		if (!run_side_finished(&r->side[i]))
			return false;
	return lab_fault_done(&r->fault);
}

/* What the fault asked for, done before the sides move on. */
static void fault_tick(struct run *r)
{
	switch (lab_fault_tick(&r->fault)) {
	case LAB_FAULT_ASK_NOTHING:
		break;
	case LAB_FAULT_ASK_STOP_SERVER:
		run_server_term(r);
		break;
	case LAB_FAULT_ASK_PAIR2:
		run_start_pair2(r); /* a failure is in the report; the fault sees the rest */
		break;
	}
}

void run_chat(struct run *r)
{
	int budget = chat_budget_ms(r);
	uint64_t deadline = hp_clock_ms() + (uint64_t)budget;
	int i, wait, fw;

	lab_fault_begin(&r->fault);
	while (!all_finished(r)) {
		if (r->signo)
			return;
		if (!run_ms_left(deadline)) {
			lab_report_fail(r->rep, LAB_RESULT_FAIL, "timed out after %d ms", budget);
			return;
		}
		wait = run_ms_left(deadline);
		fw = lab_fault_wait_ms(&r->fault);
		if (fw >= 0 && fw < wait)
			wait = fw;
		run_pump(r, wait);
		/* the fault first: what it releases is typed in the same round */
		fault_tick(r);
		for (i = 0; i < RUN_SIDES; i++) {
			if (!r->side[i].started)
				continue;
			side_advance(r, &r->side[i]);
			side_check_exit(r, &r->side[i]);
		}
	}
}
