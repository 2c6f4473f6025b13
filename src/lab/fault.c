// SPDX-License-Identifier: MIT
/*
 * Faults injected into `labrun run` mid-chat (docs/lab.md):
 *   rebind          router A's mapping moves to another public port
 *   idle            mappings time out after 5 s; the chat is quiet for 7 s
 *   server-restart  the server dies after the punch and comes back; a new
 *                   pair must still meet
 *   server-down     no server at all: both clients must fail clearly
 * The chat's first half crosses, the fault happens, then the rest; each
 * fault then checks the recovery it is about.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "clock.h"
#include "ct.h"
#include "plan.h"
#include "report.h"
#include "scenario_int.h"

#define IDLE_TIMEOUT_S 5     /* routers' UDP timeouts for `idle` */
#define IDLE_GAP_MS 7000     /* longer than them */
#define KEEPALIVE_ARG "2"    /* well inside IDLE_TIMEOUT_S */
#define REBIND_PORT 20000    /* rA's new public port */
#define DOWN_TIMEOUT_S 3     /* hpclient --timeout with no server */
#define DOWN_SLACK_MS 2000   /* how much later than that an exit still counts */
#define CT_MAX 64

void lab_fault_topo_opts(const struct lab_args *a, struct lab_topo_opts *o)
{
	if (a->fault == LAB_FAULT_IDLE && !o->udp_timeout)
		o->udp_timeout = IDLE_TIMEOUT_S;
}

const char *const *lab_fault_client_opts(const struct lab_args *a)
{
	static const char *const keepalive[] = { "--keepalive", KEEPALIVE_ARG, NULL };
	static const char *const down[] = { "--timeout", "3", NULL };

	switch (a->fault) {
	case LAB_FAULT_REBIND:
	case LAB_FAULT_IDLE:
		return keepalive;
	case LAB_FAULT_SERVER_DOWN:
		return down;
	default:
		return NULL;
	}
}

int lab_fault_extra_ms(const struct lab_args *a)
{
	switch (a->fault) {
	case LAB_FAULT_IDLE: return IDLE_GAP_MS;
	case LAB_FAULT_REBIND: return 30000; /* noticing a dead path takes seconds */
	case LAB_FAULT_SERVER_RESTART: return 15000;
	default: return 0;
	}
}

/* rA's public port for alice's flow to bob's router, from its conntrack
 * table (the reply tuple's destination is the mapping); -1 if none. */
static int map_port(struct run *r)
{
	struct lab_ct_entry e[CT_MAX];
	struct in_addr host, peer;
	int n, i;

	if (inet_pton(AF_INET, lab_plan_host_addr(LAB_NODE_HA), &host) != 1 ||
	    inet_pton(AF_INET, lab_plan_public_addr(LAB_NODE_RB), &peer) != 1)
		return -1;
	n = lab_ct_list(r->topo->fds[LAB_NODE_RA], IPPROTO_UDP, e, CT_MAX);
	for (i = 0; i < n && i < CT_MAX; i++)
		if (e[i].orig.src.s_addr == host.s_addr && e[i].orig.sport == r->side[0].port &&
		    e[i].orig.dst.s_addr == peer.s_addr)
			return e[i].reply.dport;
	return -1;
}

static void port_text(char *buf, size_t len, int port)
{
	if (port < 0)
		snprintf(buf, len, "(no mapping)");
	else
		snprintf(buf, len, "%s:%d", lab_plan_public_addr(LAB_NODE_RA), port);
}

void lab_fault_begin(struct run *r)
{
	unsigned n = r->args->messages;

	if (r->args->fault == LAB_FAULT_NONE || r->args->fault == LAB_FAULT_SERVER_DOWN) {
		r->phase = FAULT_OFF;
		r->feed_limit = n;
		return;
	}
	r->phase = FAULT_FIRST;
	r->feed_limit = n > 1 ? (n + 1) / 2 : n;
	lab_report_step(r->rep, "fault %s comes once %u of %u lines crossed each way",
			r->rep->fault, r->feed_limit, n);
}

/* The first half crossed both ways and is acknowledged. */
static bool half_done(struct run *r)
{
	for (int i = 0; i < 2; i++) {
		struct side *s = &r->side[i];

		if (s->rep->received < r->feed_limit ||
		    (s->acked_events < r->feed_limit && s->max_acked < (int64_t)r->feed_limit))
			return false;
	}
	return true;
}

static void inject_rebind(struct run *r)
{
	char before[64], err[320];
	int flushed, ret;

	r->map_before = map_port(r);
	port_text(before, sizeof(before), r->map_before);
	/* Flushing alone would not move it: MASQUERADE keeps a free source
	 * port. Pin the new port first (atomically), then forget the old. */
	ret = lab_topo_nat_reapply(r->topo, LAB_NODE_RA, REBIND_PORT, err, sizeof(err));
	if (ret < 0) {
		lab_report_fail(r->rep, LAB_RESULT_ERROR, "rebind: %s", err);
		return;
	}
	flushed = lab_ct_count(r->topo->fds[LAB_NODE_RA], 0);
	ret = lab_ct_flush(r->topo->fds[LAB_NODE_RA]);
	if (ret < 0) {
		lab_report_fail(r->rep, LAB_RESULT_ERROR, "rebind: cannot flush rA's conntrack: %s",
				strerror(-ret));
		return;
	}
	lab_report_step(r->rep, "fault rebind: rA mapped alice (%s) to %s; rA now maps to "
			"port %d and its conntrack table was flushed (%d entries): the old "
			"mapping is gone, alice's next packets leave from a new port and bob's "
			"to the old one are dropped", r->side[0].rep->private_ep, before,
			REBIND_PORT, flushed);
}

static void inject(struct run *r)
{
	char before[64];

	for (int i = 0; i < 2; i++) {
		r->connects_at_fault[i] = r->side[i].rep->connects;
		r->reconnects_at_fault[i] = r->side[i].rep->reconnects;
	}
	r->rep->fault_ms = (int64_t)(hp_clock_ms() - r->rep->t0);
	switch (r->args->fault) {
	case LAB_FAULT_REBIND:
		inject_rebind(r);
		r->phase = FAULT_SECOND;
		r->feed_limit = r->args->messages;
		break;
	case LAB_FAULT_IDLE:
		r->map_before = map_port(r);
		port_text(before, sizeof(before), r->map_before);
		r->gap_until = hp_clock_ms() + IDLE_GAP_MS;
		r->phase = FAULT_GAP;
		lab_report_step(r->rep, "fault idle: routers forget idle UDP mappings after %u s; "
				"the chat now stays quiet for %d ms (hpclient --keepalive %s); "
				"rA maps alice to %s", r->topo->opts.udp_timeout, IDLE_GAP_MS,
				KEEPALIVE_ARG, before);
		break;
	case LAB_FAULT_SERVER_RESTART:
		if (r->server_started && !r->server.exited && r->server.pid > 0)
			kill(r->server.pid, SIGTERM);
		r->server_killed = true;
		r->phase = FAULT_SECOND;
		r->feed_limit = r->args->messages;
		lab_report_step(r->rep, "fault server-restart: hpserver stopped (SIGTERM) after the "
				"punch; the rest of the chat must not need it");
		break;
	default:
		r->phase = FAULT_DONE;
	}
}

static void restart_and_pair2(struct run *r)
{
	char room[80];

	if (r->server_started) {
		lab_proc_stop(&r->server, 0);
		lab_proc_close(&r->server);
		r->server_started = false;
	}
	lab_report_step(r->rep, "the chat finished without the server; starting hpserver again");
	if (run_start_server(r) < 0) {
		r->phase = FAULT_DONE;
		return;
	}
	snprintf(room, sizeof(room), "%s-again", r->room);
	if (run_start_client(r, &r->side[2], room) < 0 ||
	    run_start_client(r, &r->side[3], room) < 0) {
		r->phase = FAULT_DONE;
		return;
	}
	lab_report_step(r->rep, "a new pair: carol (%s) and dave (%s), room %s",
			r->side[2].rep->private_ep, r->side[3].rep->private_ep, room);
	r->phase = FAULT_PAIR2;
}

void lab_fault_tick(struct run *r)
{
	bool pair_over = run_side_finished(&r->side[0]) && run_side_finished(&r->side[1]);
	char after[64];

	switch (r->phase) {
	case FAULT_FIRST:
		if (pair_over)
			r->phase = FAULT_DONE; /* a client ended early: verify says why */
		else if (half_done(r))
			inject(r);
		break;
	case FAULT_GAP:
		if (pair_over) {
			r->phase = FAULT_DONE;
		} else if (hp_clock_ms() >= r->gap_until) {
			r->map_after = map_port(r);
			port_text(after, sizeof(after), r->map_after);
			lab_report_step(r->rep, "idle gap over: rA maps alice to %s (%s); typing "
					"the rest", after,
					r->map_after >= 0 && r->map_after == r->map_before ?
						"the same mapping: the keepalives kept it" :
						"NOT the mapping it had before the gap");
			r->phase = FAULT_SECOND;
			r->feed_limit = r->args->messages;
		}
		break;
	case FAULT_SECOND:
		if (r->args->fault == LAB_FAULT_SERVER_RESTART && pair_over) {
			if (r->rep->result == LAB_RESULT_PASS)
				restart_and_pair2(r);
			else
				r->phase = FAULT_DONE;
		}
		break;
	case FAULT_PAIR2:
		if (run_side_finished(&r->side[2]) && run_side_finished(&r->side[3]))
			r->phase = FAULT_DONE;
		break;
	default:
		break;
	}
}

int lab_fault_wait_ms(const struct run *r)
{
	return r->phase == FAULT_GAP ? run_remaining(r->gap_until) : -1;
}

bool lab_fault_done(const struct run *r)
{
	switch (r->phase) {
	case FAULT_OFF:
	case FAULT_DONE:
		return true;
	case FAULT_SECOND:
		return r->args->fault != LAB_FAULT_SERVER_RESTART;
	default:
		return false;
	}
}

static void verify_down(struct run *r)
{
	char detail[320];
	size_t off = 0;
	bool ok = true;

	for (int i = 0; i < 2; i++) {
		struct side *s = &r->side[i];
		int64_t took = s->exited_ms ? (int64_t)(s->exited_ms - s->started_ms) : -1;
		const char *why = s->error;
		bool this_ok = s->proc.exited && s->proc.exit_code != 0 && why[0] &&
			       took >= 0 && took <= DOWN_TIMEOUT_S * 1000 + DOWN_SLACK_MS;

		if (!why[0])
			why = "no error event";
		if (off < sizeof(detail))
			off += (size_t)snprintf(detail + off, sizeof(detail) - off,
						"%s%s exited %d after %lld ms: %s", i ? "; " : "",
						s->nick, s->proc.exited ? s->proc.exit_code : -1,
						(long long)took, why);
		ok = ok && this_ok;
	}
	snprintf(r->rep->fault_detail, sizeof(r->rep->fault_detail), "%s", detail);
	r->rep->fault_ok = ok;
	if (ok)
		lab_report_step(r->rep, "fault server-down: both clients gave up clearly within "
				"their --timeout %d s (+%d ms): %s", DOWN_TIMEOUT_S, DOWN_SLACK_MS,
				detail);
	else
		lab_report_fail(r->rep, LAB_RESULT_FAIL, "server-down: the clients did not both "
				"fail clearly within %d s: %s", DOWN_TIMEOUT_S, detail);
}

void lab_fault_verify(struct run *r)
{
	struct lab_report *rep = r->rep;
	char before[64], after[64];
	unsigned rc[2];
	bool delivered = rep->result == LAB_RESULT_PASS;

	if (r->args->fault == LAB_FAULT_SERVER_DOWN) {
		verify_down(r);
		return;
	}
	if (rep->fault_ms < 0) {
		snprintf(rep->fault_detail, sizeof(rep->fault_detail), "never injected: the chat's "
			 "first half did not cross");
		lab_report_fail(rep, LAB_RESULT_FAIL, "%s: %s", rep->fault, rep->fault_detail);
		return;
	}
	for (int i = 0; i < 2; i++)
		rc[i] = r->side[i].rep->connects - r->connects_at_fault[i];
	switch (r->args->fault) {
	case LAB_FAULT_REBIND:
		r->map_after = map_port(r);
		port_text(before, sizeof(before), r->map_before);
		port_text(after, sizeof(after), r->map_after);
		rep->fault_ok = delivered && rc[0] > 0 && rc[1] > 0 &&
				r->map_after >= 0 && r->map_after != r->map_before;
		snprintf(rep->fault_detail, sizeof(rep->fault_detail),
			 "alice's mapping %s before, %s after; connected again: alice %u, bob %u "
			 "time%s; reconnecting events: alice %u, bob %u", before, after, rc[0], rc[1],
			 rc[0] + rc[1] == 1 ? "" : "s",
			 r->side[0].rep->reconnects - r->reconnects_at_fault[0],
			 r->side[1].rep->reconnects - r->reconnects_at_fault[1]);
		lab_report_step(rep, "rebind: %s%s", rep->fault_detail,
				rc[0] + rc[1] == 0 ?
					"; neither client went back through the server: that "
					"recovery is hpclient's (reconnecting + connected events)" :
					"");
		if (!rep->fault_ok && delivered)
			lab_report_fail(rep, LAB_RESULT_FAIL, "rebind: the clients did not both "
					"reconnect on the new mapping (%s)%s", rep->fault_detail,
					rc[0] + rc[1] == 0 ? " - hpclient has no rebind recovery yet?" :
							     "");
		break;
	case LAB_FAULT_IDLE:
		port_text(before, sizeof(before), r->map_before);
		port_text(after, sizeof(after), r->map_after);
		rep->fault_ok = delivered && rc[0] == 0 && rc[1] == 0 && r->map_before >= 0 &&
				r->map_after == r->map_before;
		snprintf(rep->fault_detail, sizeof(rep->fault_detail),
			 "quiet for %d ms with %u s UDP timeouts: alice's mapping %s before, %s "
			 "after; reconnects after the gap: alice %u, bob %u", IDLE_GAP_MS,
			 r->topo->opts.udp_timeout, before, after, rc[0], rc[1]);
		lab_report_step(rep, "idle: %s%s", rep->fault_detail,
				rep->fault_ok ? ": the keepalives kept the hole open" : "");
		if (!rep->fault_ok && delivered)
			lab_report_fail(rep, LAB_RESULT_FAIL, "idle: the hole did not survive (%s)",
					rep->fault_detail);
		break;
	case LAB_FAULT_SERVER_RESTART: {
		bool pair2 = r->side[2].started && r->side[3].started &&
			     r->side[2].rep->received == 1 && r->side[3].rep->received == 1 &&
			     r->side[2].proc.exited && r->side[2].proc.exit_code == 0 &&
			     r->side[3].proc.exited && r->side[3].proc.exit_code == 0;

		rep->fault_ok = delivered && r->server_killed && rc[0] == 0 && rc[1] == 0 && pair2;
		snprintf(rep->fault_detail, sizeof(rep->fault_detail),
			 "after the server stopped the chat went on without reconnecting "
			 "(reconnects: alice %u, bob %u); after the restart carol and dave %s",
			 rc[0], rc[1], pair2 ? "met and exchanged a line each way" :
					       "did NOT both meet and exchange their lines");
		lab_report_step(rep, "server-restart: %s", rep->fault_detail);
		if (!rep->fault_ok && delivered)
			lab_report_fail(rep, LAB_RESULT_FAIL, "server-restart: %s",
					rep->fault_detail);
		break;
	}
	default:
		break;
	}
}
