/* SPDX-License-Identifier: MIT */
#ifndef HP_CC_H
#define HP_CC_H

/*
 * Congestion window in bytes, NewReno as RFC 9002 s.7 has it: slow start
 * from the initial window (+ the bytes acknowledged), congestion avoidance
 * above ssthresh (+ one largest datagram per window's worth acknowledged),
 * and one halving per loss episode: a loss of a line sent before the
 * episode began does not halve again (s.7.3.2). Bytes, not lines: a
 * window of short chat lines and one of 1000-byte lines load a path very
 * differently. Pure: the sender (reliab.c) tells it what was
 * acknowledged and lost, with transmission numbers.
 */

#include <stdbool.h>
#include <stdint.h>

#define HP_CC_DGRAM_MAX 1062 /* the largest CHAT datagram (docs/protocol.md) */
/* s.7.2: min(10 x max_datagram_size, max(14720, 2 x max_datagram_size)) */
#define HP_CC_INIT      (10 * HP_CC_DGRAM_MAX)
#define HP_CC_MIN       (2 * HP_CC_DGRAM_MAX) /* kMinimumWindow, s.7.2 */

struct hp_cc {
	uint32_t cwnd, ssthresh; /* bytes */
	uint32_t acc;            /* bytes acknowledged towards the next increase (avoidance) */
	uint64_t recovery_xmit;  /* lines sent before this began the current episode */
	bool in_recovery;
	uint64_t n_episodes;     /* halvings */
};

void hp_cc_init(struct hp_cc *c);
/* A line of `bytes` on the wire, sent as transmission xmit, was
 * acknowledged; cap bounds the window (the receiver's: growing beyond it
 * buys nothing). */
void hp_cc_acked(struct hp_cc *c, uint64_t xmit, uint32_t bytes, uint32_t cap);
/* A line sent as transmission xmit was lost; next_xmit is the number the
 * next transmission will get. */
void hp_cc_lost(struct hp_cc *c, uint64_t xmit, uint64_t next_xmit);
/* Persistent congestion: back to the minimum (RFC 9002 s.7.6.2). */
void hp_cc_collapse(struct hp_cc *c, uint64_t next_xmit);

#endif
