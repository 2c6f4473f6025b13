/* SPDX-License-Identifier: MIT */
#ifndef LAB_FAULT_H
#define LAB_FAULT_H

/*
 * Faults `labrun run --fault NAME` injects (docs/lab.md). Each is one row
 * of the table in fault.c, its ops in its own file (fault_<name>.c):
 *
 *   the row says what the fault needs of the run   name, help, flags,
 *                                                  udp_timeout, client_opts,
 *                                                  extra_ms, expect
 *   the run calls, in this order                   setup, inject, tick,
 *                                                  done, verify
 *
 * A fault with an inject op is mid-chat: the chat's first half crosses
 * (both ways, acknowledged), inject runs, then tick after every poll round
 * until done. The ops act on a lab_fault_ctx and return what they ask of
 * the run (lab_fault_ask): they never call up into it.
 */
#include <stdbool.h>
#include <stdint.h>

#include "args.h"

struct lab_report;
struct lab_topo;
struct lab_topo_opts;
struct side;

/* What a fault's op asks the run to do; the run does it right after. */
enum lab_fault_ask {
	LAB_FAULT_ASK_NOTHING,
	LAB_FAULT_ASK_STOP_SERVER, /* SIGTERM hpserver: the chat goes on without it */
	LAB_FAULT_ASK_PAIR2,       /* start hpserver again, then carol and dave meet */
};

/* Where the fault is: one enum, set by fault.c only. */
enum lab_fault_phase {
	LAB_FAULT_OFF,     /* none, or not mid-chat: everything typed at once */
	LAB_FAULT_FIRST,   /* the first half is crossing */
	LAB_FAULT_PLAYING, /* injected: tick until done */
	LAB_FAULT_OVER,    /* played out, or the chat ended before the inject */
};

#define LAB_FAULT_NO_SERVER    (1u << 0) /* hpserver is never started */
#define LAB_FAULT_CLIENTS_FAIL (1u << 1) /* clients' errors are the expected end:
					  * verify replaces the chat's checks */

struct lab_fault_ctx;

struct lab_fault_ops {
	const char *name;                /* --fault NAME */
	const char *help;                /* what it does, one line */
	unsigned flags;                  /* LAB_FAULT_NO_SERVER, ... */
	unsigned udp_timeout;            /* routers' UDP timeout it needs (s); 0: any */
	const char *const *client_opts;  /* extra hpclient options, NULL-ended; NULL none */
	int extra_ms;                    /* time on top of the chat's budget */
	const char *expect;              /* the path to expect instead of theory's; NULL */
	const char *theory_note;         /* after the theory step; NULL none */
	/* Before the server would start (NULL: nothing). */
	void (*setup)(struct lab_fault_ctx *c);
	/* Once the first half crossed (NULL: not mid-chat). */
	enum lab_fault_ask (*inject)(struct lab_fault_ctx *c);
	/* After every poll round once injected (NULL: nothing to do). */
	enum lab_fault_ask (*tick)(struct lab_fault_ctx *c);
	/* Whether it has nothing more to do (NULL: done once injected). */
	bool (*done)(const struct lab_fault_ctx *c);
	/* After the chat: its own pass condition, into the report. */
	void (*verify)(struct lab_fault_ctx *c);
};

/* What a fault sees of the run and keeps of its own. */
struct lab_fault_ctx {
	const struct lab_fault_ops *ops; /* NULL: no fault */
	/* the run, set by lab_fault_init */
	unsigned messages;               /* lines each of the first pair types */
	const struct side *side;         /* RUN_SIDES of them (scenario_int.h) */
	struct lab_topo *topo;
	struct lab_report *rep;
	const char *server_ep;
	/* the fault's state */
	enum lab_fault_phase phase;
	unsigned feed_limit;             /* lines of the first pair typed so far, at most */
	uint64_t until;                  /* a quiet gap's end (ms clock); 0 none */
	unsigned connects_at[2], reconnects_at[2], moves_at[2]; /* the first pair's, at
								    the inject */
	int map_before, map_after;       /* rA's public port for alice's peer flow; -1 */
	bool server_stopped;             /* it asked for LAB_FAULT_ASK_STOP_SERVER */
	bool pair2_asked;                /* it asked for LAB_FAULT_ASK_PAIR2 */
};

/* The table (fault.c). NULL for LAB_FAULT_NONE. */
const struct lab_fault_ops *lab_fault_get(enum lab_fault f);
/* The fault called name; LAB_FAULT_NONE if there is none. */
enum lab_fault lab_fault_find(const char *name);
/* "rebind, idle, ...": every name, in table order. */
const char *lab_fault_names(void);

void lab_fault_init(struct lab_fault_ctx *c, enum lab_fault f, unsigned messages,
		    const struct side *side, struct lab_topo *topo, struct lab_report *rep,
		    const char *server_ep);
/* Before the topology is built: what the fault needs of it. */
void lab_fault_topo_opts(const struct lab_fault_ctx *c, struct lab_topo_opts *o);
const char *const *lab_fault_client_opts(const struct lab_fault_ctx *c);
int lab_fault_extra_ms(const struct lab_fault_ctx *c);
void lab_fault_setup(struct lab_fault_ctx *c);
/* Once the clients run; sets the first feed limit. */
void lab_fault_begin(struct lab_fault_ctx *c);
/* After every poll round of the chat: moves the fault along. */
enum lab_fault_ask lab_fault_tick(struct lab_fault_ctx *c);
/* How long the chat's poll may wait for the fault's own timer (ms; -1 none). */
int lab_fault_wait_ms(const struct lab_fault_ctx *c);
/* True when the fault has nothing more to do (the chat may end). */
bool lab_fault_done(const struct lab_fault_ctx *c);
/* After the chat: the fault's own pass condition, into the report. */
void lab_fault_verify(struct lab_fault_ctx *c);

static inline bool lab_fault_has(const struct lab_fault_ctx *c, unsigned flag)
{
	return c->ops && (c->ops->flags & flag);
}

/* The rows, one file each. */
#define LAB_FAULT(id, sym) extern const struct lab_fault_ops lab_fault_##sym;
#include "faults.def"
#undef LAB_FAULT

#endif
