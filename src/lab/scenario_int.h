/* SPDX-License-Identifier: MIT */
#ifndef LAB_SCENARIO_INT_H
#define LAB_SCENARIO_INT_H

/*
 * Inside `labrun run`: the state scenario.c (the chat) and fault.c (the
 * faults injected into it) share. Not an API for anything else.
 */
#include <stdbool.h>
#include <stdint.h>

#include "event.h"
#include "metrics.h"
#include "proc.h"
#include "topo.h"

struct lab_args;
struct lab_nfq;
struct lab_report;
struct lab_report_side;

/* Sides 0 and 1 are the chat's pair; 2 and 3 the second pair the
 * server-restart fault starts after the restart. */
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
	unsigned fed;            /* lines typed so far */
	int64_t last_rx_seq, max_acked;
	unsigned acked_events, retransmits;
	struct lab_samples rtt;  /* acked events' rtt_ms */
	uint64_t started_ms, exited_ms;
	char error[200];         /* its error event's reason, if any */
};

enum fault_phase {
	FAULT_OFF,        /* no fault: everything typed at once */
	FAULT_FIRST,      /* the first half is crossing */
	FAULT_GAP,        /* idle: nothing typed until gap_until */
	FAULT_SECOND,     /* the rest is crossing */
	FAULT_SERVER_UP,  /* server-restart: starting the server again */
	FAULT_PAIR2,      /* server-restart: the new pair must meet */
	FAULT_DONE,
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
	/* the fault */
	enum fault_phase phase;
	unsigned feed_limit;     /* lines of the first pair typed so far, at most */
	uint64_t gap_until;      /* idle: end of the quiet gap */
	unsigned connects_at_fault[2], reconnects_at_fault[2];
	int map_before, map_after; /* rA's public port for alice's peer flow; -1 unknown */
	bool server_killed;
};

/* One poll round over every child's pipes and exits, the delay engines
 * and the signalfd, waiting at most timeout_ms. */
void run_pump(struct run *r, int timeout_ms);
int run_start_server(struct run *r);
int run_start_client(struct run *r, struct side *s, const char *room);
bool run_side_finished(const struct side *s);
int run_remaining(uint64_t deadline);

/* fault.c */
/* Before the topology is built: what the fault needs of it. */
void lab_fault_topo_opts(const struct lab_args *a, struct lab_topo_opts *o);
/* Extra hpclient options for the fault (NULL-terminated, static). */
const char *const *lab_fault_client_opts(const struct lab_args *a);
/* Once the clients run; sets the first feed limit. */
void lab_fault_begin(struct run *r);
/* After every poll round of the chat: moves the fault along. */
void lab_fault_tick(struct run *r);
/* How long the chat's poll may wait for the fault's own timer (ms; -1 none). */
int lab_fault_wait_ms(const struct run *r);
/* True when the fault has nothing more to do (the chat may end). */
bool lab_fault_done(const struct run *r);
/* Extra time the fault needs, in ms, on top of the chat's deadline. */
int lab_fault_extra_ms(const struct lab_args *a);
/* After the chat: the fault's own pass condition, into the report. */
void lab_fault_verify(struct run *r);

#endif
