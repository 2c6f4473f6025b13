/* SPDX-License-Identifier: MIT */
#ifndef HP_CC_H
#define HP_CC_H

/*
 * Congestion window in lines (one line, one datagram), NewReno as RFC
 * 9002 s.7 has it: slow start from HP_CC_INIT, congestion avoidance
 * (one line per window's worth acknowledged) above ssthresh, and one
 * halving per loss episode: a loss of a line sent before the episode
 * began does not halve again (s.7.3.2). Pure: the sender (reliab.c)
 * tells it what was acknowledged and lost, with transmission numbers.
 */

#include <stdbool.h>
#include <stdint.h>

#define HP_CC_INIT 32 /* initial window: the earlier builds' fixed window */
#define HP_CC_MIN  2  /* kMinimumWindow, RFC 9002 s.7.2 */

struct hp_cc {
	uint32_t cwnd, ssthresh; /* lines */
	uint32_t acc;            /* lines acknowledged towards the next +1 (avoidance) */
	uint64_t recovery_xmit;  /* lines sent before this began the current episode */
	bool in_recovery;
	uint64_t n_episodes;     /* halvings */
};

void hp_cc_init(struct hp_cc *c);
/* A line sent as transmission xmit was acknowledged; cap bounds the
 * window (the receiver's: growing beyond it buys nothing). */
void hp_cc_acked(struct hp_cc *c, uint64_t xmit, uint32_t cap);
/* A line sent as transmission xmit was lost; next_xmit is the number the
 * next transmission will get. */
void hp_cc_lost(struct hp_cc *c, uint64_t xmit, uint64_t next_xmit);
/* Nothing acknowledged for an RTO: back to the minimum (RFC 9002 s.7.6.2). */
void hp_cc_collapse(struct hp_cc *c, uint64_t next_xmit);

#endif
