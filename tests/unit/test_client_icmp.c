// SPDX-License-Identifier: MIT
/*
 * The ICMP words (src/client/icmp.c): the icmp event's classes and the
 * server-unreachable words come from one table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "client/icmp.h"

static void test_what(void **state)
{
	(void)state;
	assert_string_equal(icmp_what(11, 0), "time exceeded");
	assert_string_equal(icmp_what(11, 1), "time exceeded");
	assert_string_equal(icmp_what(3, 0), "net unreachable");
	assert_string_equal(icmp_what(3, 1), "host unreachable");
	assert_string_equal(icmp_what(3, 3), "port unreachable");
	assert_string_equal(icmp_what(3, 9), "admin prohibited");
	assert_string_equal(icmp_what(3, 10), "admin prohibited");
	assert_string_equal(icmp_what(3, 13), "admin prohibited");
	assert_string_equal(icmp_what(3, 2), "unreachable");
	assert_string_equal(icmp_what(3, 4), "unreachable");
	assert_string_equal(icmp_what(3, 200), "unreachable");
	assert_string_equal(icmp_what(12, 0), "parameter problem");
	assert_string_equal(icmp_what(0, 0), "icmp error");
}

/* Only a destination unreachable has words, and not fragmentation needed. */
static void test_unreach_words(void **state)
{
	(void)state;
	assert_string_equal(icmp_unreach_words(3, 3), "port unreachable");
	assert_string_equal(icmp_unreach_words(3, 0), "network unreachable");
	assert_string_equal(icmp_unreach_words(3, 13), "communication administratively prohibited");
	assert_null(icmp_unreach_words(3, 4));
	assert_null(icmp_unreach_words(3, 16));
	assert_null(icmp_unreach_words(11, 0));
	assert_null(icmp_unreach_words(12, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_what),
		cmocka_unit_test(test_unreach_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
