/* SPDX-License-Identifier: MIT */
#ifndef KERN_IMPAIR_PARAMS_H
#define KERN_IMPAIR_PARAMS_H

#include <stdint.h>

/*
 * The impairments of one link, as plain numbers: what the NFQUEUE engine
 * (nfq.h) applies and what the raw-priority rules (src/lab/impair.h) select
 * packets for. This file owns only the parameters; reading them from the
 * command line and writing the nft text is the lab's policy
 * (src/lab/impair.c), so both sides agree on one struct without the
 * engine knowing about arguments.
 *
 * Probabilities are kept in parts per million so that "0.5" (%) is exact.
 */
#define LAB_IMPAIR_PPM 1000000u

struct lab_impair {
	uint32_t delay_us;    /* added to every queued packet */
	uint32_t jitter_us;   /* uniform in [-jitter, +jitter], result clamped at 0 */
	uint32_t loss_ppm;    /* dropped by the statistic rule, never queued */
	uint32_t reorder_ppm; /* released without delay (netem semantics) */
	uint32_t dup_ppm;     /* released twice */
};

#endif
