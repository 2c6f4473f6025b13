// SPDX-License-Identifier: MIT
/* The congestion window (cc.h). Called by reliab.c; calls nothing. */
#include <string.h>

#include "cc.h"

void hp_cc_init(struct hp_cc *c)
{
	memset(c, 0, sizeof(*c));
	c->cwnd = HP_CC_INIT;
	c->ssthresh = UINT32_MAX;
}

void hp_cc_acked(struct hp_cc *c, uint64_t xmit, uint32_t bytes, uint32_t cap)
{
	/* a line sent before the episode began says nothing about the
	 * reduced window: no growth for it (RFC 9002 s.7.3.2) */
	if (c->in_recovery) {
		if (xmit < c->recovery_xmit)
			return;
		c->in_recovery = false;
	}
	if (c->cwnd >= cap)
		return;
	if (c->cwnd < c->ssthresh) {
		c->cwnd += bytes; /* slow start: doubling per round trip (s.7.3.1) */
		return;
	}
	/* s.7.3.3: one largest datagram per window acknowledged */
	c->acc += bytes;
	if (c->acc >= c->cwnd) {
		c->acc -= c->cwnd;
		c->cwnd += HP_CC_DGRAM_MAX;
	}
}

static uint32_t cc_half(const struct hp_cc *c)
{
	return c->cwnd / 2 > HP_CC_MIN ? c->cwnd / 2 : HP_CC_MIN;
}

void hp_cc_lost(struct hp_cc *c, uint64_t xmit, uint64_t next_xmit)
{
	if (c->in_recovery && xmit < c->recovery_xmit)
		return; /* the same episode */
	c->in_recovery = true;
	c->recovery_xmit = next_xmit;
	c->ssthresh = cc_half(c); /* kLossReductionFactor 0.5, s.7.3.2 */
	c->cwnd = c->ssthresh;
	c->acc = 0;
	c->n_episodes++;
}

void hp_cc_collapse(struct hp_cc *c, uint64_t next_xmit)
{
	c->ssthresh = cc_half(c);
	c->cwnd = HP_CC_MIN;
	c->acc = 0;
	c->in_recovery = true;
	c->recovery_xmit = next_xmit;
}
