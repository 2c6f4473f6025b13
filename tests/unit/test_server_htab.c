// SPDX-License-Identifier: MIT
/* htab.c: every key stays findable through each grow and each in-place
 * shrink, and a shrink holds no more bucket memory than before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "server/htab.h"

struct item {
	struct htab_node node;
	uint64_t key;
	bool in;
};

/* A bijective mix (splitmix64's finaliser): keys spread over the buckets. */
static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static bool found(const struct htab *h, const struct item *it)
{
	const struct htab_node *n;

	for (n = *htab_chain(h, mix(it->key)); n; n = n->next)
		if (n == &it->node)
			return n->hv == mix(it->key); /* what it was linked under */
	return false;
}

static void assert_all(const struct htab *h, const struct item *items, size_t n)
{
	size_t i, in = 0;

	for (i = 0; i < n; i++) {
		assert_int_equal(found(h, &items[i]), items[i].in);
		in += items[i].in;
	}
	assert_int_equal(h->count, in);
}

#define N 200000

static void test_grow_and_shrink_in_place(void **state)
{
	struct item *items = calloc(N, sizeof(*items));
	size_t i, peak = 0, before = 0, shrinks = 0;
	bool was_shrinking = false;
	struct htab h;

	(void)state;
	assert_non_null(items);
	assert_int_equal(htab_init(&h, 16), 0);
	for (i = 0; i < N; i++) {
		items[i].key = i;
		items[i].in = true;
		htab_insert(&h, &items[i].node, mix(i));
		if (i % 9973 == 0)
			assert_all(&h, items, N);
	}
	assert_all(&h, items, N);
	assert_true(h.n_cur >= N);
	for (i = 0; i < N - 10; i++) {
		if (!h.shrinking)
			before = htab_bytes(&h);
		htab_remove(&h, &items[i].node);
		items[i].in = false;
		if (h.shrinking) {
			/* in place: nothing new mapped, the top half given back */
			assert_true(htab_bytes(&h) <= before);
			assert_null(h.old);
			if (htab_bytes(&h) > peak)
				peak = htab_bytes(&h);
		}
		if (h.shrinking && !was_shrinking)
			shrinks++;
		was_shrinking = h.shrinking;
		if (i % 9973 == 0 || (h.shrinking && h.moved % 4096 == 1))
			assert_all(&h, items, N);
	}
	assert_all(&h, items, N);
	/* from 256 Ki buckets down to where the heap takes over */
	assert_true(shrinks >= 3);
	assert_true(htab_bytes(&h) < peak / 8);
	htab_fini(&h);
	free(items);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grow_and_shrink_in_place),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
