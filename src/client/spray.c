// SPDX-License-Identifier: MIT
/*
 * spray.c: the birthday spray's probe schedule (spray.h). Pure: calls
 * nothing but its random hook.
 */
#include <string.h>

#include "client/spray.h"

#define SPRAY_DRAWS 32 /* random draws before a linear search for a free port */

void spray_sched_init(struct spray_sched *s, uint32_t budget, uint32_t rate, uint64_t t0_us,
		      spray_rand_fn rnd)
{
	memset(s, 0, sizeof(*s));
	s->budget = budget < HP_SPRAY_PORT_RANGE ? budget : HP_SPRAY_PORT_RANGE;
	s->rate = rate < 1 ? 1 : rate > SPRAY_RATE_MAX ? SPRAY_RATE_MAX : rate;
	s->t0_us = t0_us;
	s->rnd = rnd;
}

static bool sched_bit(const struct spray_sched *s, uint32_t i)
{
	return s->probed[i / 8] & (1u << (i % 8));
}

bool spray_sched_probed(const struct spray_sched *s, uint16_t port)
{
	return port >= SPRAY_PORT_MIN && sched_bit(s, port - SPRAY_PORT_MIN);
}

/* A port not probed yet, uniformly at random while most are free; when
 * few are left, the first free one after a random start (still distinct,
 * and bounded: one pass over the bitmap at most). */
static uint32_t sched_draw(struct spray_sched *s)
{
	uint32_t i = 0, k;

	for (k = 0; k < SPRAY_DRAWS; k++) {
		i = s->rnd(HP_SPRAY_PORT_RANGE);
		if (i < HP_SPRAY_PORT_RANGE && !sched_bit(s, i))
			return i;
	}
	i %= HP_SPRAY_PORT_RANGE;
	while (sched_bit(s, i))
		i = (i + 1) % HP_SPRAY_PORT_RANGE;
	return i;
}

/* When probe number n (from 0) is due: n / rate seconds after t0. */
static uint64_t sched_due(const struct spray_sched *s, uint32_t n)
{
	return s->t0_us + (uint64_t)n * 1000000u / s->rate;
}

uint16_t spray_sched_next(struct spray_sched *s, uint64_t now_us, uint64_t *next_us)
{
	uint32_t i;

	*next_us = UINT64_MAX;
	if (spray_sched_done(s))
		return 0;
	if (now_us < sched_due(s, s->sent)) {
		*next_us = sched_due(s, s->sent);
		return 0;
	}
	i = sched_draw(s);
	s->probed[i / 8] |= (uint8_t)(1u << (i % 8));
	s->sent++;
	if (!spray_sched_done(s))
		*next_us = sched_due(s, s->sent);
	return (uint16_t)(SPRAY_PORT_MIN + i);
}

void spray_sched_stop(struct spray_sched *s)
{
	s->stopped = true;
}

bool spray_sched_done(const struct spray_sched *s)
{
	return s->stopped || s->sent >= s->budget;
}
