// SPDX-License-Identifier: MIT
/* Per-source rates (limits.c): token buckets one second deep, per address. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "server/limits.h"

static struct limits l;

static struct hp_endpoint ep(uint8_t last, uint16_t port)
{
	struct hp_endpoint e = { .family = HP_FAMILY_V4, .port = port, .addr = { 192, 0, 2, last } };

	return e;
}

/* Attack 6: one address registering fast gets its rate and no more, on
 * any port; another address is not held back by it; the budget refills
 * with time. */
static void test_register_rate_per_address(void **state)
{
	struct hp_endpoint a = ep(1, 4000), a2 = ep(1, 4001), b = ep(2, 4000);
	int i, ok = 0;

	(void)state;
	assert_int_equal(sodium_init() >= 0, 1);
	limits_init(&l, 20, 0);
	for (i = 0; i < 1024; i++)
		ok += limits_register_ok(&l, i % 2 ? &a : &a2, 1000);
	assert_int_equal(ok, 20);
	assert_true(limits_register_ok(&l, &b, 1000));
	assert_false(limits_register_ok(&l, &a, 1000));
	assert_true(limits_register_ok(&l, &a, 1050)); /* 50 ms: one more */
	assert_false(limits_register_ok(&l, &a, 1050));
	for (ok = 0, i = 0; i < 100; i++)
		ok += limits_register_ok(&l, &a, 10000); /* long after: full, not more */
	assert_int_equal(ok, 20);
	assert_true(limits_relay_ok(&l, &a, 1u << 30, 10000)); /* 0: no relay limit */
}

static void test_relay_rate_per_address(void **state)
{
	struct hp_endpoint a = ep(1, 4000);
	size_t sent = 0;

	(void)state;
	limits_init(&l, 0, 10000);
	while (limits_relay_ok(&l, &a, 1000, 5000))
		sent += 1000;
	assert_int_equal(sent, 10000);
	assert_false(limits_relay_ok(&l, &a, 1, 5000));
	assert_true(limits_relay_ok(&l, &a, 1000, 5100)); /* 100 ms of 10000 B/s */
	assert_true(limits_register_ok(&l, &a, 5100));   /* 0: no register limit */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register_rate_per_address),
		cmocka_unit_test(test_relay_rate_per_address),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
