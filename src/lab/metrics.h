/* SPDX-License-Identifier: MIT */
#ifndef LAB_METRICS_H
#define LAB_METRICS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Summaries of what a run measured (message round-trip times). The
 * percentile is the nearest-rank one: the smallest sample such that at
 * least pct % of the samples are <= it (so it is always a real sample;
 * p50 of an even count is the lower middle one).
 */
struct lab_samples {
	int64_t *v;
	size_t n, cap;
};

/* Appends x, growing the array; -ENOMEM when it cannot. */
int lab_samples_add(struct lab_samples *s, int64_t x);
void lab_samples_free(struct lab_samples *s);

/* Nearest-rank percentile of v[0..n) for pct in 1..100: sorts v in place.
 * -EINVAL for n == 0 or pct out of range, else 0 with *out set. */
int lab_percentile(int64_t *v, size_t n, unsigned pct, int64_t *out);

#endif
