// SPDX-License-Identifier: MIT
/* The birthday spray's probe schedule (src/client/spray.c) on a fake
 * clock, and the mapping verdict from two STUN answers (natmap.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "client/natmap.h"
#include "client/spray.h"
#include "stun.h"

static uint32_t rnd_state;

/* A fixed pseudo-random sequence: the same every run. */
static uint32_t fake_rand(uint32_t upper)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 8) % upper;
}

/* The worst source: always the same number; distinctness must hold anyway. */
static uint32_t stuck_rand(uint32_t upper)
{
	(void)upper;
	return 7;
}

static struct spray_sched sched;

/* Every probe due up to now; returns how many came out. */
static unsigned drain(struct spray_sched *s, uint64_t now, uint64_t *next)
{
	unsigned n = 0;

	while (spray_sched_next(s, now, next))
		n++;
	return n;
}

/* Distinct ports, all in 1024..65535, exactly the budget, then nothing. */
static void test_distinct_and_budget(void **state)
{
	static uint8_t seen[65536];
	uint64_t next, now = 1000000;
	unsigned n = 0;
	uint16_t port;

	(void)state;
	memset(seen, 0, sizeof(seen));
	rnd_state = 1;
	spray_sched_init(&sched, 1024, 500, now, fake_rand);
	while (!spray_sched_done(&sched)) {
		port = spray_sched_next(&sched, now, &next);
		if (!port) {
			assert_true(next > now && next != UINT64_MAX);
			now = next;
			continue;
		}
		assert_true(port >= 1024);
		assert_false(seen[port]);
		seen[port] = 1;
		assert_true(spray_sched_probed(&sched, port));
		n++;
	}
	assert_int_equal(n, 1024);
	assert_int_equal(spray_sched_next(&sched, now + 100000000, &next), 0);
	assert_true(next == UINT64_MAX);
	/* 1024 probes at 500/s: the last one 2.046 s after the first */
	assert_int_equal(now - 1000000, 1023u * 1000000u / 500);
}

/* The rate: at most 1 + elapsed * R probes by any time. */
static void test_rate(void **state)
{
	uint64_t next, t0 = 5000000, t;

	(void)state;
	rnd_state = 2;
	spray_sched_init(&sched, 1000, 100, t0, fake_rand);
	assert_int_equal(drain(&sched, t0, &next), 1);
	assert_int_equal(next, t0 + 10000);
	assert_int_equal(drain(&sched, t0 + 9999, &next), 0);
	assert_int_equal(drain(&sched, t0 + 10000, &next), 1);
	/* a late wakeup catches up, but never beyond the schedule */
	assert_int_equal(drain(&sched, t0 + 1000000, &next), 99);
	for (t = t0 + 1000000; t < t0 + 2000000; t += 3333)
		drain(&sched, t, &next);
	assert_true(sched.sent <= 1 + 2000000 * 100 / 1000000);
}

/* Stopped (the spray won, or the path is direct): nothing more, ever. */
static void test_stop(void **state)
{
	uint64_t next;

	(void)state;
	rnd_state = 3;
	spray_sched_init(&sched, 1024, 500, 0, fake_rand);
	assert_int_equal(drain(&sched, 10000, &next), 6);
	spray_sched_stop(&sched);
	assert_true(spray_sched_done(&sched));
	assert_int_equal(drain(&sched, 100000000, &next), 0);
	assert_int_equal(sched.sent, 6);
}

/* A random source that repeats itself still gives distinct ports, and the
 * whole range is the largest budget. */
static void test_stuck_rand_whole_range(void **state)
{
	uint64_t next;
	unsigned n;

	(void)state;
	spray_sched_init(&sched, 100000, 10000, 0, stuck_rand);
	assert_int_equal(sched.budget, HP_SPRAY_PORT_RANGE);
	n = drain(&sched, UINT64_MAX / 2, &next);
	assert_int_equal(n, HP_SPRAY_PORT_RANGE);
	for (n = 1024; n < 65536; n++)
		assert_true(spray_sched_probed(&sched, (uint16_t)n));
	assert_false(spray_sched_probed(&sched, 1023));
	assert_false(spray_sched_probed(&sched, 0));
}

/* Bounds: the rate is 1..SPRAY_RATE_MAX whatever the caller asks. */
static void test_rate_bounds(void **state)
{
	(void)state;
	spray_sched_init(&sched, 10, 0, 0, fake_rand);
	assert_int_equal(sched.rate, 1);
	spray_sched_init(&sched, 10, 1000000, 0, fake_rand);
	assert_int_equal(sched.rate, SPRAY_RATE_MAX);
}

static int answer(const struct natmap *m, unsigned i, uint16_t port, uint8_t *buf, size_t cap)
{
	struct hp_endpoint ep = { .family = HP_FAMILY_V4, .port = port, .addr = { 198, 51, 100, 10 } };

	return stun_build_success(buf, cap, m->txid[i], &ep);
}

/* Same endpoint from both ports: easy; different: hard; a stranger's
 * transaction ID or a repeat: nothing. */
static void test_natmap(void **state)
{
	struct natmap m;
	uint8_t buf[128];
	int n;

	(void)state;
	natmap_init(&m);
	n = natmap_request(&m, 0, buf, sizeof(buf));
	assert_true(n >= STUN_ANSWER_MAX);
	assert_true(natmap_request(&m, 2, buf, sizeof(buf)) < 0);
	n = answer(&m, 0, 4000, buf, sizeof(buf));
	assert_false(natmap_input(&m, buf, (size_t)n));
	assert_false(natmap_input(&m, buf, (size_t)n));
	n = answer(&m, 1, 4000, buf, sizeof(buf));
	assert_true(natmap_input(&m, buf, (size_t)n));
	assert_int_equal(m.verdict, HP_MAP_EASY);
	assert_string_equal(natmap_name(m.verdict), "easy");

	natmap_init(&m);
	n = answer(&m, 1, 40001, buf, sizeof(buf));
	assert_false(natmap_input(&m, buf, (size_t)n));
	buf[n - 1] ^= 1; /* garbage: not even STUN any more, or a bad address */
	n = answer(&m, 0, 4000, buf, sizeof(buf));
	m.txid[0][0] ^= 1; /* an answer to a request we never sent */
	assert_false(natmap_input(&m, buf, (size_t)n));
	m.txid[0][0] ^= 1;
	assert_true(natmap_input(&m, buf, (size_t)n));
	assert_int_equal(m.verdict, HP_MAP_HARD);
	assert_false(natmap_input(&m, buf, (size_t)n));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_distinct_and_budget),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_stuck_rand_whole_range),
		cmocka_unit_test(test_rate_bounds),
		cmocka_unit_test(test_natmap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
