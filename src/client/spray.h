/* SPDX-License-Identifier: MIT */
#ifndef HPCLIENT_SPRAY_H
#define HPCLIENT_SPRAY_H

/*
 * The easy side's probe schedule for the birthday spray (docs/hpclient.md,
 * "The birthday spray"): distinct random ports of the peer's public
 * address, 1024..65535 (HP_SPRAY_PORT_RANGE of them), paced at `rate` per
 * second from t0, at most `budget` of them. Pure: no sockets, the clock
 * comes in, the randomness is a hook (libsodium's randombytes_uniform in
 * the client, a fixed sequence in the unit tests).
 */

#include <stdbool.h>
#include <stdint.h>

#include "spray_defaults.h"

#define SPRAY_PORT_MIN 1024u
#define SPRAY_RATE_MAX 10000u /* probes per second: the option's bound */

/* A uniform random integer in 0..upper-1. */
typedef uint32_t (*spray_rand_fn)(uint32_t upper);

struct spray_sched {
	uint32_t budget, rate;
	uint64_t t0_us;
	uint32_t sent;
	bool stopped;
	spray_rand_fn rnd;
	uint8_t probed[HP_SPRAY_PORT_RANGE / 8]; /* a bit per port: never twice */
};

/* budget is capped at HP_SPRAY_PORT_RANGE, rate at 1..SPRAY_RATE_MAX. */
void spray_sched_init(struct spray_sched *s, uint32_t budget, uint32_t rate, uint64_t t0_us,
		      spray_rand_fn rnd);
/* The next port to probe if one is due at now_us (and marks it probed),
 * else 0; *next_us gets when the next one is due (UINT64_MAX: none). */
uint16_t spray_sched_next(struct spray_sched *s, uint64_t now_us, uint64_t *next_us);
bool spray_sched_probed(const struct spray_sched *s, uint16_t port);
/* No more probes: won, connected, or given up. */
void spray_sched_stop(struct spray_sched *s);
bool spray_sched_done(const struct spray_sched *s);

#endif
