// SPDX-License-Identifier: MIT
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "bench.h"
#include "commands.h"
#include "nat.h"
#include "sig.h"
#include "state.h"
#include "topo.h"

/* A run's figures in ms: setup, teardown, then each step of the setup. */
enum { S_SETUP, S_TEARDOWN, S_STEP0, S_FIELDS = S_STEP0 + LAB_TOPO_STEPS };
struct sample {
	double v[S_FIELDS];
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median (min: false) or minimum of one field over n runs. */
static double pick(const struct sample *s, size_t n, size_t field, bool min)
{
	double *v = calloc(n, sizeof(*v)), m;
	size_t i;

	if (!v)
		return -1;
	for (i = 0; i < n; i++)
		v[i] = s[i].v[field];
	qsort(v, n, sizeof(*v), cmp_double);
	m = min ? v[0] : n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	free(v);
	return m;
}

/* "(namespaces 1.2, veths 3.4, ...)": the steps of one run, or their medians */
static void print_steps(const struct sample *s, size_t n)
{
	size_t k;

	for (k = 0; k < LAB_TOPO_STEPS; k++)
		printf("%s%s %.1f", k ? ", " : "(", lab_topo_step_names[k],
		       n == 1 ? s->v[S_STEP0 + k] : pick(s, n, S_STEP0 + k, false));
	printf(")");
}

int lab_bench_run(const struct lab_args *a, int sigfd)
{
	struct sample *s = calloc(a->runs, sizeof(*s));
	struct lab_state st = { 0 };
	struct lab_topo t;
	char prefix[32], err[320];
	size_t i, k, done = 0;
	int ret = 0;

	if (!s)
		return 2;
	if (a->prefix_set)
		snprintf(prefix, sizeof(prefix), "%s", a->prefix);
	else
		snprintf(prefix, sizeof(prefix), "hpl%d", (int)getpid());
	snprintf(st.prefix, sizeof(st.prefix), "%s", prefix);
	st.pid = getpid();
	st.starttime = lab_state_starttime(st.pid);
	if (lab_state_write(&st) < 0) {
		lab_err("cannot write the state record in %s", LAB_STATE_DIR);
		free(s);
		return 2;
	}
	for (i = 0; i < a->runs && !lab_sig_check(sigfd); i++) {
		double t0, t1, t2;

		lab_topo_init(&t, prefix);
		t0 = now_ms();
		ret = lab_topo_build(&t, lab_nat_find(a->nat_a), lab_nat_find(a->nat_b), err,
				     sizeof(err));
		t1 = now_ms();
		if (lab_topo_destroy(&t) < 0 && ret == 0)
			ret = -1;
		t2 = now_ms();
		if (ret < 0) {
			lab_err("run %zu: %s", i + 1, err);
			break;
		}
		s[i].v[S_SETUP] = t1 - t0;
		s[i].v[S_TEARDOWN] = t2 - t1;
		for (k = 0; k < LAB_TOPO_STEPS; k++)
			s[i].v[S_STEP0 + k] = (double)t.us[k] / 1e3;
		printf("run %zu: setup %.1f ms ", i + 1, s[i].v[S_SETUP]);
		print_steps(&s[i], 1);
		printf(", teardown %.1f ms\n", s[i].v[S_TEARDOWN]);
		done++;
	}
	lab_state_remove(prefix);
	if (done) {
		printf("median of %zu: setup_ms=%.1f teardown_ms=%.1f min_setup_ms=%.1f ", done,
		       pick(s, done, S_SETUP, false), pick(s, done, S_TEARDOWN, false),
		       pick(s, done, S_SETUP, true));
		print_steps(s, done);
		printf("\n");
	}
	free(s);
	return ret < 0 || done < a->runs ? 2 : 0;
}
