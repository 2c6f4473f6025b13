// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "server/arena.h"

static bool all_zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* one object of every size: aligned, zeroed, and none overlaps another */
static void test_every_size_is_its_own(void **state)
{
	static uint8_t *obj[ARENA_MAX + 1];
	struct arena a;
	size_t n;

	(void)state;
	arena_init(&a);
	for (n = 1; n <= ARENA_MAX; n++) {
		obj[n] = arena_alloc(&a, n);
		assert_non_null(obj[n]);
		assert_int_equal((uintptr_t)obj[n] % ARENA_ALIGN, 0);
		assert_true(all_zero(obj[n], n));
		memset(obj[n], (int)(n & 0xff), n);
	}
	for (n = 1; n <= ARENA_MAX; n++) {
		size_t i;

		for (i = 0; i < n; i++)
			assert_int_equal(obj[n][i], n & 0xff);
	}
	assert_null(arena_alloc(&a, 0));
	assert_null(arena_alloc(&a, ARENA_MAX + 1));
	arena_fini(&a);
	assert_int_equal(arena_mapped(&a), 0);
}

/* a freed object is the next one of its class, zeroed again */
static void test_free_is_reused_zeroed(void **state)
{
	struct arena a;
	uint8_t *p, *q, *r;

	(void)state;
	arena_init(&a);
	p = arena_alloc(&a, 173);
	q = arena_alloc(&a, 173);
	assert_ptr_not_equal(p, q);
	memset(p, 0xab, 173);
	arena_free(&a, p, 173);
	r = arena_alloc(&a, 170); /* same 176-byte class */
	assert_ptr_equal(r, p);
	assert_true(all_zero(r, 176));
	/* another class does not take it */
	arena_free(&a, r, 170);
	assert_ptr_not_equal(arena_alloc(&a, 64), r);
	arena_free(&a, NULL, 8);
	arena_fini(&a);
}

/* past one segment: a second one, and the first's objects stay */
static void test_grows_past_a_segment(void **state)
{
	struct arena a;
	uint8_t *first, *last = NULL;
	size_t i, seg;

	(void)state;
	arena_init(&a);
	first = arena_alloc(&a, ARENA_MAX);
	assert_non_null(first);
	memset(first, 0x5a, ARENA_MAX);
	seg = arena_mapped(&a);
	assert_true(seg >= ((size_t)2 << 20));
	for (i = 0; i <= seg / ARENA_MAX; i++) {
		last = arena_alloc(&a, ARENA_MAX);
		assert_non_null(last);
		last[0] = 1;
		last[ARENA_MAX - 1] = 2;
	}
	assert_int_equal(arena_mapped(&a), 2 * seg);
	assert_int_equal(first[0], 0x5a);
	assert_int_equal(first[ARENA_MAX - 1], 0x5a);
	arena_fini(&a);
}

/* prefaulting is bounded and optional: nothing while small, a few
 * pieces ahead once big (if the kernel has MADV_POPULATE_WRITE), then
 * nothing until the objects catch up; allocation goes on either way */
static void test_prefault_is_bounded(void **state)
{
	struct arena a;
	size_t i, did = 0;

	(void)state;
	arena_init(&a);
	assert_false(arena_prefault(&a));
	assert_non_null(arena_alloc(&a, 100));
	assert_false(arena_prefault(&a)); /* small: stays small */
	for (i = 0; i < ((size_t)3 << 20) / 256; i++)
		assert_non_null(arena_alloc(&a, 256));
	for (i = 0; i < 16; i++)
		did += arena_prefault(&a);
	assert_true(did <= 3);
	assert_false(arena_prefault(&a));
	for (i = 0; i < ((size_t)8 << 20) / 256; i++)
		assert_non_null(arena_alloc(&a, 256));
	arena_fini(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_size_is_its_own),
		cmocka_unit_test(test_free_is_reused_zeroed),
		cmocka_unit_test(test_grows_past_a_segment),
		cmocka_unit_test(test_prefault_is_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
