/* SPDX-License-Identifier: MIT */
#ifndef LAB_NFQ_H
#define LAB_NFQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "impair_params.h"

/*
 * The delay engine: the kernel hands the packets chosen by impair.c's
 * NFQUEUE rule to user space (nfnetlink_queue over libmnl); each is held
 * until arrival + delay (+ jitter) and then accepted. Reorder lets a
 * fraction through at once (netem semantics), duplicate sends the packet a
 * second time (see lab_nfq_add_dup_path).
 *
 * One struct lab_nfq is one bound queue in one namespace, driven by a
 * single-threaded poll loop:
 *
 *   for (;;) {
 *       int64_t wait = lab_nfq_next_due_us(q, lab_nfq_now_us());
 *       ppoll({lab_nfq_fd(q), POLLIN}, ..., wait < 0 ? NULL : &(wait as timespec));
 *       uint64_t now = lab_nfq_now_us();
 *       if (readable) lab_nfq_on_readable_us(q, now);
 *       lab_nfq_release_due_us(q, lab_nfq_now_us());
 *   }
 *
 * Times are CLOCK_MONOTONIC microseconds: a loop that kept milliseconds
 * would lose up to 1 ms of accuracy to its timer granularity. The messages
 * the engine exchanges with the kernel are built and parsed in nfqmsg.h.
 */
struct lab_nfq;

#define LAB_NFQ_HIST_BUCKETS 512 /* lateness histogram, LAB_NFQ_HIST_US each */
#define LAB_NFQ_HIST_US 10

struct lab_nfq_stats {
	uint64_t queued;     /* packets handed over by the kernel */
	uint64_t released;   /* verdicts issued (copies not included) */
	uint64_t delayed;    /* held for some time before release */
	uint64_t reordered;  /* let through at once by the reorder draw */
	uint64_t duplicated; /* copies injected */
	uint64_t dup_failed; /* a copy was drawn but could not be sent */
	uint64_t dup_returned; /* our copies seen coming back: passed at once */
	uint64_t errors;     /* malformed messages, failed sends */
	uint64_t held;       /* held right now */
	uint64_t late_max_us;  /* worst release after due time */
	uint64_t late_sum_us;
	uint64_t late_n;
	/* late_hist[i]: releases late by [i, i+1) * LAB_NFQ_HIST_US; last: more. */
	uint32_t late_hist[LAB_NFQ_HIST_BUCKETS];
};

uint64_t lab_nfq_now_us(void);

/* Binds queue queue_num in namespace ns_fd (-1: own) with impairments imp
 * (copied). seed makes the random draws reproducible. */
int lab_nfq_open(struct lab_nfq **out, int ns_fd, uint16_t queue_num,
		 const struct lab_impair *imp, uint32_t seed);
int lab_nfq_fd(const struct lab_nfq *q);

/*
 * Lets duplicates of packets that entered q's namespace on in_ifname be
 * re-sent from the other end of that link: peer_ifname in peer_ns_fd (the
 * veth peer). The copy is transmitted there (AF_PACKET), so it arrives on
 * in_ifname and takes exactly the path of the original - through the
 * firewall, conntrack and NAT - as a duplicate on a real wire would. When
 * it comes back through the queue the engine recognises it and passes it
 * at once. Without a path for the packet's interface a drawn duplicate is
 * counted in dup_failed. At most 8 paths.
 */
int lab_nfq_add_dup_path(struct lab_nfq *q, const char *in_ifname, int peer_ns_fd,
			 const char *peer_ifname);

/* Drains the socket, scheduling each packet. Returns packets read or -errno. */
int lab_nfq_on_readable_us(struct lab_nfq *q, uint64_t now_us);
/* -1 if nothing is held, else microseconds until the next release (0: now). */
int64_t lab_nfq_next_due_us(const struct lab_nfq *q, uint64_t now_us);
/* Issues every verdict due at now_us; returns how many or -errno. */
int lab_nfq_release_due_us(struct lab_nfq *q, uint64_t now_us);

void lab_nfq_stats(const struct lab_nfq *q, struct lab_nfq_stats *st);
/* pct-th percentile of the lateness (upper bucket edge), 0 if no release. */
uint64_t lab_nfq_lateness_pct_us(const struct lab_nfq_stats *st, unsigned pct);

/* Accepts every held packet, then unbinds and frees. NULL is fine. */
void lab_nfq_close(struct lab_nfq *q);

#endif
