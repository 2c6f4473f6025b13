// SPDX-License-Identifier: MIT
/* The clients' waits fitted to the lab's configured paths (pace.h). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pace.h"

/* A crossing of a router's wan side takes at most delay + jitter
 * (impair.h: uniform in [delay - jitter, delay + jitter]). */
static uint64_t crossing_max_us(const struct lab_impair *m)
{
	return (uint64_t)m->delay_us + m->jitter_us;
}

void lab_pace_get(const struct lab_impair imp[2], bool one_router, bool fault,
		  struct lab_pace *p)
{
	int i, nr = one_router ? 1 : 2;
	uint64_t rtt_us = 0, spread_us = 0, ms;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < nr; i++)
		if (imp[i].loss_ppm)
			return;
	if (fault)
		return;
	/* A <-> B crosses each router's wan side once each way (the same
	 * path as run_story_impair()'s configured RTT, at its worst); a
	 * host <-> server round trip only its own router's, so the spread
	 * of one probe's round trips is 4 jitters */
	for (i = 0; i < nr; i++) {
		rtt_us += 2 * crossing_max_us(&imp[i]);
		if (4 * (uint64_t)imp[i].jitter_us > spread_us)
			spread_us = 4 * (uint64_t)imp[i].jitter_us;
	}
	ms = LAB_PACE_PROBE_WAIT_MS + (spread_us + 999) / 1000;
	p->probe_wait_ms = ms > 60000 ? 60000 : (unsigned)ms;
	ms = LAB_PACE_RELAY_AFTER_MS + (LAB_PACE_RTTS * rtt_us + 999) / 1000;
	p->relay_after_ms = ms > 3600000 ? 3600000 : (unsigned)ms;
}

const char *lab_pace_secs(char *buf, size_t len, unsigned ms)
{
	snprintf(buf, len, "%u.%03u", ms / 1000, ms % 1000);
	return buf;
}
