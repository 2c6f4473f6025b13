// SPDX-License-Identifier: MIT
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lab/metrics.h"

static void test_percentile_nearest_rank(void **state)
{
	/* unsorted on purpose: the function sorts */
	int64_t v[] = { 50, 10, 40, 20, 30 };
	int64_t out = -1;

	(void)state;
	assert_int_equal(lab_percentile(v, 5, 50, &out), 0);
	assert_int_equal(out, 30);
	assert_int_equal(lab_percentile(v, 5, 95, &out), 0);
	assert_int_equal(out, 50);
	assert_int_equal(lab_percentile(v, 5, 100, &out), 0);
	assert_int_equal(out, 50);
	assert_int_equal(lab_percentile(v, 5, 1, &out), 0);
	assert_int_equal(out, 10);
	/* rank = ceil(0.4 * 5) = 2 */
	assert_int_equal(lab_percentile(v, 5, 40, &out), 0);
	assert_int_equal(out, 20);
	assert_int_equal(lab_percentile(v, 5, 41, &out), 0);
	assert_int_equal(out, 30);
}

static void test_percentile_even_and_one(void **state)
{
	int64_t v[] = { 4, 1, 3, 2 };
	int64_t one[] = { 7 };
	int64_t out = -1;

	(void)state;
	/* the lower middle one: always a real sample */
	assert_int_equal(lab_percentile(v, 4, 50, &out), 0);
	assert_int_equal(out, 2);
	assert_int_equal(lab_percentile(v, 4, 51, &out), 0);
	assert_int_equal(out, 3);
	assert_int_equal(lab_percentile(one, 1, 50, &out), 0);
	assert_int_equal(out, 7);
	assert_int_equal(lab_percentile(one, 1, 95, &out), 0);
	assert_int_equal(out, 7);
}

static void test_percentile_p95_of_100(void **state)
{
	struct lab_samples s = { 0 };
	int64_t out = -1;

	(void)state;
	for (int i = 100; i >= 1; i--)
		assert_int_equal(lab_samples_add(&s, i), 0);
	assert_int_equal(s.n, 100);
	assert_int_equal(lab_percentile(s.v, s.n, 95, &out), 0);
	assert_int_equal(out, 95);
	assert_int_equal(lab_percentile(s.v, s.n, 50, &out), 0);
	assert_int_equal(out, 50);
	/* 201 samples: rank ceil(0.95 * 201) = 191 */
	for (int i = 101; i <= 201; i++)
		assert_int_equal(lab_samples_add(&s, i), 0);
	assert_int_equal(lab_percentile(s.v, s.n, 95, &out), 0);
	assert_int_equal(out, 191);
	lab_samples_free(&s);
	assert_null(s.v);
}

static void test_percentile_rejects(void **state)
{
	int64_t v[] = { 1 };
	int64_t out = 42;

	(void)state;
	assert_int_equal(lab_percentile(v, 0, 50, &out), -EINVAL);
	assert_int_equal(lab_percentile(v, 1, 0, &out), -EINVAL);
	assert_int_equal(lab_percentile(v, 1, 101, &out), -EINVAL);
	assert_int_equal(lab_percentile(NULL, 1, 50, &out), -EINVAL);
	assert_int_equal(out, 42);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_percentile_nearest_rank),
		cmocka_unit_test(test_percentile_even_and_one),
		cmocka_unit_test(test_percentile_p95_of_100),
		cmocka_unit_test(test_percentile_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
