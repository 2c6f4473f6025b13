// SPDX-License-Identifier: MIT
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lab/impair.h"

#define S(x) (const uint8_t *)(x), strlen(x)

static void test_delay_plain_ms(void **state)
{
	uint32_t d = 1, j = 1;

	(void)state;
	assert_int_equal(lab_impair_parse_delay(S("50"), &d, &j), 0);
	assert_int_equal(d, 50000);
	assert_int_equal(j, 0);
}

static void test_delay_with_jitter(void **state)
{
	uint32_t d, j;

	(void)state;
	assert_int_equal(lab_impair_parse_delay(S("50:10"), &d, &j), 0);
	assert_int_equal(d, 50000);
	assert_int_equal(j, 10000);
	assert_int_equal(lab_impair_parse_delay(S("0.25:0.005"), &d, &j), 0);
	assert_int_equal(d, 250);
	assert_int_equal(j, 5);
	assert_int_equal(lab_impair_parse_delay(S("0"), &d, &j), 0);
	assert_int_equal(d, 0);
}

static void test_delay_rejects_garbage(void **state)
{
	static const char *bad[] = { "", ":", "50:", ":10", "-5", "+5", "5ms", "1e3", "5.",
				     ".5", "5.1234", "50:10:3", "5 ", " 5", "0x10", "50::1" };
	uint32_t d = 7, j = 7;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(lab_impair_parse_delay(S(bad[i]), &d, &j), -EINVAL);
		assert_int_equal(d, 7);
	}
}

static void test_delay_rejects_huge(void **state)
{
	uint32_t d, j;

	(void)state;
	assert_int_equal(lab_impair_parse_delay(S("60001"), &d, &j), -ERANGE);
	assert_int_equal(lab_impair_parse_delay(S("99999999999999999999999"), &d, &j), -ERANGE);
	assert_int_equal(lab_impair_parse_delay(S("10:60000.001"), &d, &j), -ERANGE);
	assert_int_equal(lab_impair_parse_delay(S("60000"), &d, &j), 0);
	assert_int_equal(d, LAB_IMPAIR_DELAY_MAX_US);
}

/* MS +- J must stay >= 0, or the mean is not MS. */
static void test_delay_jitter_at_most_delay(void **state)
{
	uint32_t d = 7, j = 7;

	(void)state;
	assert_int_equal(lab_impair_parse_delay(S("10:10.001"), &d, &j), -EDOM);
	assert_int_equal(lab_impair_parse_delay(S("0:1"), &d, &j), -EDOM);
	assert_int_equal(d, 7); /* untouched on refusal */
	assert_int_equal(lab_impair_parse_delay(S("10:10"), &d, &j), 0);
	assert_int_equal(d, 10000);
	assert_int_equal(j, 10000);
}

static void test_delay_not_nul_terminated(void **state)
{
	const uint8_t buf[] = { '4', '0', '9' }; /* only "40" is given */
	uint32_t d, j;

	(void)state;
	assert_int_equal(lab_impair_parse_delay(buf, 2, &d, &j), 0);
	assert_int_equal(d, 40000);
}

static void test_pct_values(void **state)
{
	uint32_t p;

	(void)state;
	assert_int_equal(lab_impair_parse_pct(S("5"), &p), 0);
	assert_int_equal(p, 50000);
	assert_int_equal(lab_impair_parse_pct(S("0.5%"), &p), 0);
	assert_int_equal(p, 5000);
	assert_int_equal(lab_impair_parse_pct(S("100"), &p), 0);
	assert_int_equal(p, LAB_IMPAIR_PPM);
	assert_int_equal(lab_impair_parse_pct(S("0.0001"), &p), 0);
	assert_int_equal(p, 1);
	assert_int_equal(lab_impair_parse_pct(S("0"), &p), 0);
	assert_int_equal(p, 0);
}

static void test_pct_rejects(void **state)
{
	uint32_t p;

	(void)state;
	assert_int_equal(lab_impair_parse_pct(S("100.0001"), &p), -ERANGE);
	assert_int_equal(lab_impair_parse_pct(S("101"), &p), -ERANGE);
	assert_int_equal(lab_impair_parse_pct(S("%"), &p), -EINVAL);
	assert_int_equal(lab_impair_parse_pct(S("5%%"), &p), -EINVAL);
	assert_int_equal(lab_impair_parse_pct(S("0.00001"), &p), -EINVAL);
	assert_int_equal(lab_impair_parse_pct(S("-1"), &p), -EINVAL);
	assert_int_equal(lab_impair_parse_pct(NULL, 0, &p), -EINVAL);
}

static void test_needs_queue(void **state)
{
	struct lab_impair imp = { 0 };

	(void)state;
	assert_false(lab_impair_active(&imp));
	imp.loss_ppm = 10;
	assert_true(lab_impair_active(&imp));
	assert_false(lab_impair_needs_queue(&imp));
	imp.dup_ppm = 1;
	assert_true(lab_impair_needs_queue(&imp));
	imp.dup_ppm = 0;
	imp.jitter_us = 1;
	assert_true(lab_impair_needs_queue(&imp));
}

static void test_rules_router_full(void **state)
{
	struct lab_impair imp = { .delay_us = 50000, .loss_ppm = 25000, .dup_ppm = 1 };
	struct lab_impair_hook hooks[2];
	struct lab_impair_rules_cfg cfg = { .imp = &imp, .hooks = hooks, .n_hooks = 2,
					    .queue_num = 7, .proto = "udp" };
	/* raw priority: before conntrack; the lan's own traffic to the router
	 * left out; 2.5 % is 25000 in a million, exactly. The queue rule is
	 * not text (impair.h): nftqueue.c appends it. */
	const char *want = "add table ip hplab_impair\n"
			   "delete table ip hplab_impair\n"
			   "table ip hplab_impair {\n"
			   "\tchain prerouting {\n"
			   "\t\ttype filter hook prerouting priority raw; policy accept;\n"
			   "\t\tiifname \"wan\" meta l4proto udp jump impair\n"
			   "\t\tiifname \"lan\" meta l4proto udp fib daddr type != local jump impair\n"
			   "\t}\n"
			   "\tchain impair {\n"
			   "\t\tnumgen random mod 1000000 < 25000 counter drop\n"
			   "\t}\n"
			   "}\n";
	char buf[1024];
	int n;

	(void)state;
	lab_impair_router_hooks(hooks, "wan", "lan");
	n = lab_impair_rules(buf, sizeof(buf), &cfg);
	assert_int_equal(n, (int)strlen(want));
	assert_string_equal(buf, want);
}

static void test_rules_loss_only_has_no_queue(void **state)
{
	struct lab_impair imp = { .loss_ppm = LAB_IMPAIR_PPM };
	struct lab_impair_hook hook = { .ifname = "veth0" };
	struct lab_impair_rules_cfg cfg = { .imp = &imp, .hooks = &hook, .n_hooks = 1 };
	char buf[1024];

	(void)state;
	assert_true(lab_impair_rules(buf, sizeof(buf), &cfg) > 0);
	assert_non_null(strstr(buf, "\t\tiifname \"veth0\" jump impair\n"));
	/* 100 %: no draw (nft would refuse "< 1000000", beyond its range) */
	assert_non_null(strstr(buf, "\tchain impair {\n\t\tcounter drop\n\t}\n"));
	assert_null(strstr(buf, "numgen"));
	imp.loss_ppm = LAB_IMPAIR_PPM - 1;
	assert_true(lab_impair_rules(buf, sizeof(buf), &cfg) > 0);
	assert_non_null(strstr(buf, "numgen random mod 1000000 < 999999 counter drop\n"));
	assert_null(strstr(buf, "queue"));
}

static void test_rules_small_buffer(void **state)
{
	struct lab_impair imp = { .delay_us = 1 };
	struct lab_impair_hook hook = { .ifname = "veth0" };
	struct lab_impair_rules_cfg cfg = { .imp = &imp, .hooks = &hook, .n_hooks = 1 };
	char buf[1024];
	int n;

	(void)state;
	n = lab_impair_rules(buf, sizeof(buf), &cfg);
	assert_true(n > 0);
	assert_int_equal(lab_impair_rules(buf, (size_t)n, &cfg), -ENOSPC);
	assert_int_equal(lab_impair_rules(buf, (size_t)n + 1, &cfg), n);
}

static void test_rules_reject_injection(void **state)
{
	struct lab_impair imp = { .delay_us = 1 };
	struct lab_impair_hook hook = { .ifname = "wan\" accept" };
	struct lab_impair_rules_cfg cfg = { .imp = &imp, .hooks = &hook, .n_hooks = 1 };
	char buf[1024];

	(void)state;
	assert_int_equal(lab_impair_rules(buf, sizeof(buf), &cfg), -EINVAL);
	hook.ifname = "wan\n}";
	assert_int_equal(lab_impair_rules(buf, sizeof(buf), &cfg), -EINVAL);
	hook.ifname = "a-name-too-long-for-ifnamsiz";
	assert_int_equal(lab_impair_rules(buf, sizeof(buf), &cfg), -EINVAL);
	hook.ifname = "wan";
	cfg.proto = "udp drop";
	assert_int_equal(lab_impair_rules(buf, sizeof(buf), &cfg), -EINVAL);
	cfg.proto = NULL;
	imp.loss_ppm = LAB_IMPAIR_PPM + 1;
	assert_int_equal(lab_impair_rules(buf, sizeof(buf), &cfg), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delay_plain_ms),
		cmocka_unit_test(test_delay_with_jitter),
		cmocka_unit_test(test_delay_rejects_garbage),
		cmocka_unit_test(test_delay_rejects_huge),
		cmocka_unit_test(test_delay_jitter_at_most_delay),
		cmocka_unit_test(test_delay_not_nul_terminated),
		cmocka_unit_test(test_pct_values),
		cmocka_unit_test(test_pct_rejects),
		cmocka_unit_test(test_needs_queue),
		cmocka_unit_test(test_rules_router_full),
		cmocka_unit_test(test_rules_loss_only_has_no_queue),
		cmocka_unit_test(test_rules_small_buffer),
		cmocka_unit_test(test_rules_reject_injection),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
