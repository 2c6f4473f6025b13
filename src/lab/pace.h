/* SPDX-License-Identifier: MIT */
#ifndef LAB_PACE_H
#define LAB_PACE_H

#include <stdbool.h>
#include <stddef.h>

#include "impair.h"

/*
 * How long the lab's clients wait for what its own paths settle quickly.
 * hpclient's defaults are for paths it knows nothing of: --probe-wait
 * (0.7 s for a NAT discovery test whose answer the NAT may filter) and
 * --relay-after (1.5 s of punching before the relay). The lab knows its
 * paths (the delays and jitter it configured), so it gives both a floor
 * plus a few of the path's worst round trips (docs/lab.md, "How long a
 * run waits"). A lossy path, or a fault, keeps the clients' defaults:
 * punching and retransmissions need their time there, not the path's.
 */
#define LAB_PACE_PROBE_WAIT_MS  150 /* floor: answers sent together arrive together */
#define LAB_PACE_RELAY_AFTER_MS 500 /* floor: several rounds of punching */
#define LAB_PACE_RTTS           4   /* worst path round trips on top of a floor */

struct lab_pace {
	unsigned probe_wait_ms;  /* hpclient --probe-wait; 0: its default */
	unsigned relay_after_ms; /* hpclient --relay-after; 0: its default */
};

/* imp[0], imp[1]: rA's and rB's wan impairments (only rA's when
 * one_router: the hosts' traffic crosses rA alone). Pure. */
void lab_pace_get(const struct lab_impair imp[2], bool one_router, bool fault,
		  struct lab_pace *p);
/* ms as hpclient's SECS ("0.5", "1.25"); buf holds up to 12 bytes. */
const char *lab_pace_secs(char *buf, size_t len, unsigned ms);

#endif
