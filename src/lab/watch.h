/* SPDX-License-Identifier: MIT */
#ifndef LAB_WATCH_H
#define LAB_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ctmsg.h"    /* struct lab_ct_entry, struct lab_ct_event */
#include "nflogmsg.h" /* struct lab_nflog_pkt */
#include "trace.h"    /* enum lab_tr_rule */

/*
 * `lab watch`: a live view of a running topology's NATs, read from the
 * kernel as it happens, never by calling conntrack or iptables:
 *
 *   each NAT's namespace --ctnetlink dump--------> its table at the start
 *                        --ctnetlink events------> entries made, changed, gone
 *                        --nfnetlink_log group---> datagrams its rules logged
 *                                                  (the drops, by rule)
 *
 *   watch.c       the command: which topology, the sockets, the loop, the
 *                 terminal or the plain lines
 *   watch_view.c  the view, pure: the tables and counts, one line per
 *                 event, the whole screen (tests/unit/test_lab_watch.c)
 */
struct lab_args;

/* `lab watch [--prefix P]`: runs until SIGINT/SIGTERM on sigfd or until
 * the topology's namespaces go away (0); 2 when there is no topology to
 * watch or its sockets cannot be opened. */
int lab_watch_run(const struct lab_args *a, int sigfd);

#define LAB_WATCH_NATS 4      /* rA, rB and the cgnat topologies' cA, cB */
#define LAB_WATCH_ENTRIES 128 /* entries held per NAT; beyond, only counted */
#define LAB_WATCH_RECENT 10   /* event lines the screen keeps */
#define LAB_WATCH_LINE 192

struct lab_watch_nat {
	char name[8];                   /* the node: "rA" */
	size_t n;                       /* entries in e[] */
	size_t more;                    /* entries that did not fit */
	struct lab_ct_entry e[LAB_WATCH_ENTRIES];
	unsigned made;                  /* entries made since the watch began */
	unsigned drops[LAB_RULE_COUNT]; /* datagrams logged by each drop rule */
	/* datagrams logged where the NAT saw them pass ("in", "out": trace.h's
	 * enum lab_tr_at; its drops are in drops[]), and under no prefix of
	 * the lab's */
	unsigned seen[LAB_AT_COUNT];
	unsigned logged_other;
};

struct lab_watch_view {
	size_t nnat;
	struct lab_watch_nat nat[LAB_WATCH_NATS];
	bool log_off;                   /* the log group was taken: tables only */
	uint64_t lost;                  /* times the kernel dropped events (overruns) */
	size_t nrecent;                 /* lines ever added to recent */
	char recent[LAB_WATCH_RECENT][LAB_WATCH_LINE]; /* a ring */
};

void lab_watch_view_init(struct lab_watch_view *v);
/* A NAT called name; its index, or -ENOSPC. */
int lab_watch_view_add(struct lab_watch_view *v, const char *name);
/* Its table at the start: total entries, of which the first n are in e. */
void lab_watch_load(struct lab_watch_nat *nat, const struct lab_ct_entry *e, size_t n,
		    size_t total);
/* One conntrack event into the table; false when it changes nothing
 * shown (not UDP). */
bool lab_watch_ct_apply(struct lab_watch_nat *nat, const struct lab_ct_event *ev);
/* One logged datagram into the counts; true when a drop rule logged it
 * (always shown), false for a datagram seen passing (shown with -v). */
bool lab_watch_pkt_apply(struct lab_watch_nat *nat, const struct lab_nflog_pkt *pkt);
/* Keeps line among the screen's recent ones. */
void lab_watch_recent(struct lab_watch_view *v, const char *line);

/*
 * The lines, each with the time since the watch began:
 *   "+1.234 rA new 10.0.1.2:4000 -> 198.51.100.10:4000 (for 192.0.2.10:3478)"
 *   "+1.301 rB drop fw-input 198.51.100.10:4000 -> 203.0.113.10:4000"
 * Each returns the length written (truncated to cap, always terminated).
 */
/* An entry: "src -> public (for dst)" when the NAT translated its source,
 * "src -> dst (to inside)" its destination, else "src -> dst". */
int lab_watch_fmt_entry(char *buf, size_t cap, const struct lab_ct_entry *e);
int lab_watch_fmt_ct(char *buf, size_t cap, uint64_t us, const char *nat,
		     const struct lab_ct_event *ev);
int lab_watch_fmt_pkt(char *buf, size_t cap, uint64_t us, const char *nat,
		      const struct lab_nflog_pkt *pkt);
/* "+9.000 rA lost events: the kernel's queue overflowed" */
int lab_watch_fmt_lost(char *buf, size_t cap, uint64_t us, const char *nat);
/* "lab watch: prefix hplab, the tables at the start" and a line per
 * entry held, for the plain output's beginning. */
void lab_watch_print_start(FILE *f, const struct lab_watch_view *v, const char *prefix);
/* The whole screen (the caller clears it first): each NAT's table and
 * counts, then the recent lines. */
void lab_watch_render(FILE *f, const struct lab_watch_view *v, const char *prefix, uint64_t us);

#endif
