// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>

#include "metrics.h"

int lab_samples_add(struct lab_samples *s, int64_t x)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		int64_t *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = x;
	return 0;
}

void lab_samples_free(struct lab_samples *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int lab_percentile(int64_t *v, size_t n, unsigned pct, int64_t *out)
{
	size_t rank;

	if (!v || n == 0 || pct < 1 || pct > 100)
		return -EINVAL;
	qsort(v, n, sizeof(*v), cmp_i64);
	/* rank = ceil(pct/100 * n), 1-based; integer arithmetic, no overflow
	 * for any n an array can hold */
	rank = n / 100 * pct + (n % 100 * pct + 99) / 100;
	if (rank < 1)
		rank = 1;
	*out = v[rank - 1];
	return 0;
}
