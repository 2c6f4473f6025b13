/* SPDX-License-Identifier: MIT */
#ifndef LAB_SCENARIO_INT_H
#define LAB_SCENARIO_INT_H

/*
 * Inside `labrun run`: the state its files share. Not an API for anything
 * else. The driver (scenario.c) calls down, each file one concern:
 *
 *   scenario.c    the run's phases, in order
 *    |- run_story.c   narrative text of the topology, impairments, theory
 *    |- run_chat.c    the chat: typing, exits, the fault's ticks
 *    |   |- fault.c       the faults' table and shared machinery (fault.h)
 *    |- run_verify.c  what must hold afterwards, metrics
 *    |- run_start.c   the sides; starting and stopping children, probes,
 *    |   |              delay engines; teardown
 *    |   |- run_pump.c    one poll round over every child and engine
 *    |       |- run_events.c  the clients' --json events, into the report
 */
#include <stdbool.h>
#include <stdint.h>

#include "clock.h"
#include "event.h"
#include "fault.h"
#include "metrics.h"
#include "proc.h"
#include "topo.h"

struct lab_args;
struct lab_captures;
struct lab_glass;
struct lab_nfq;
struct lab_report;
struct lab_report_side;

/* Sides 0 and 1 are the chat's pair; 2 and 3 the second pair the
 * server-restart fault starts after the restart (run_start.c's table). */
#define RUN_SIDES 4

struct side {
	struct lab_proc proc;
	bool started;
	struct lab_proc probe;   /* hpclient --probe, before the chat */
	bool probe_started, probe_said;
	enum lab_node host;
	const char *nick, *other_nick;
	unsigned port;           /* its UDP port in its host */
	unsigned want;           /* lines it types, and lines due from the peer */
	struct lab_report_side *rep;
	bool registered, introduced, connected, stdin_closed, exit_told;
	/* the easy side of an easy x hard pair: its probes may yet upgrade a
	 * relayed chat to direct (cleared when its spray ends without a hit) */
	bool spray_due;
	unsigned fed;            /* lines typed so far */
	int64_t last_rx_seq, max_acked;
	unsigned acked_events, retransmits;
	struct lab_samples rtt;  /* acked events' rtt_ms */
	uint64_t started_ms, exited_ms;
	char error[200];         /* its error event's reason, if any */
};

struct run {
	const struct lab_args *args;
	struct lab_report *rep;
	int sigfd;
	int signo;
	struct lab_proc server;
	bool server_started, server_ready;
	struct side side[RUN_SIDES];
	char server_ep[64];
	struct lab_topo *topo;
	const char *bindir;
	char room[64];
	struct lab_nfq *nfq[2];  /* delay engine of rA, rB (NULL: none) */
	struct lab_captures *cap; /* --pcap (capture.h); NULL: none */
	struct lab_glass *glass; /* the NATs' readers when the trace is on (NULL: none) */
	struct lab_fault_ctx fault;
};

static inline bool run_side_finished(const struct side *s)
{
	return !s->started || (s->proc.exited && s->proc.out.fd < 0 && s->proc.err.fd < 0);
}

/* Both of the pair side[first], side[first + 1]. */
static inline bool run_pair_finished(const struct side *side, int first)
{
	return run_side_finished(&side[first]) && run_side_finished(&side[first + 1]);
}

/* 0 <-> 1, 2 <-> 3 */
static inline struct side *run_other(struct run *r, const struct side *s)
{
	return &r->side[(s - r->side) ^ 1];
}

static inline int run_ms_left(uint64_t deadline)
{
	uint64_t now = hp_clock_ms();

	return now >= deadline ? 0 : (int)(deadline - now);
}

/* run_events.c: one line a child printed (lab_proc_pump's callback). */
void run_on_line(void *ctx, struct lab_proc *p, int stream, const char *line, size_t len);

/* run_pump.c: one poll round over every child's pipes and exits, the
 * delay engines and the signalfd, waiting at most timeout_ms. */
void run_pump(struct run *r, int timeout_ms);

/* run_start.c */
void run_sides_init(struct run *r, struct lab_report_side *pair2);
int run_start_server(struct run *r);
void run_server_term(struct run *r);
int run_start_client(struct run *r, struct side *s, const char *room);
int run_start_pair2(struct run *r);
void run_probe_nats(struct run *r);
int run_engines_open(struct run *r, char *err, size_t errlen);
int run_glass_open(struct run *r, char *err, size_t errlen);
void run_teardown(struct run *r, bool state_written);

/* run_chat.c: from the clients' start to their end (or the deadline). */
void run_chat(struct run *r);

/* run_verify.c: after the chat, what must hold, into the report. */
void run_verify(struct run *r);

/* run_story.c */
void run_story_topology(struct lab_report *rep, const struct lab_topo *t);
void run_story_impair(struct run *r);
void run_story_theory(struct run *r);
/* spray_probes: --spray-probes (0: hpclient's default); *p_direct: the
 * probability of a direct path. */
const char *run_predict(const struct lab_topo *t, unsigned spray_probes, double *p_direct);

#endif
