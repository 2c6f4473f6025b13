// SPDX-License-Identifier: MIT
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

struct sample {
	double setup, teardown, netns, links, config, nat_wait;
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

static double median(const struct sample *s, size_t n, size_t field)
{
	double *v = calloc(n, sizeof(*v)), m;
	size_t i;

	if (!v)
		return -1;
	for (i = 0; i < n; i++)
		v[i] = ((const double *)&s[i])[field];
	qsort(v, n, sizeof(*v), cmp_double);
	m = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	free(v);
	return m;
}

int lab_bench_run(const struct lab_args *a, int sigfd)
{
	struct sample *s = calloc(a->runs, sizeof(*s));
	struct lab_state st = { 0 };
	struct lab_topo t;
	char prefix[32], err[320];
	size_t i, done = 0;
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
		s[i] = (struct sample){ t1 - t0, t2 - t1, t.us_netns / 1e3, t.us_links / 1e3,
					(t.us_config + t.us_oper) / 1e3, t.us_nat_wait / 1e3 };
		printf("run %zu: setup %.1f ms (namespaces %.1f, veths %.1f, addresses+routes+links up %.1f, "
		       "waiting for iptables-restore %.1f), teardown %.1f ms\n",
		       i + 1, s[i].setup, s[i].netns, s[i].links, s[i].config, s[i].nat_wait,
		       s[i].teardown);
		done++;
	}
	lab_state_remove(prefix);
	if (done)
		printf("median of %zu: setup_ms=%.1f teardown_ms=%.1f (namespaces %.1f, veths %.1f, "
		       "addresses+routes %.1f, iptables-restore wait %.1f)\n",
		       done, median(s, done, 0), median(s, done, 1), median(s, done, 2),
		       median(s, done, 3), median(s, done, 4), median(s, done, 5));
	free(s);
	return ret < 0 || done < a->runs ? 2 : 0;
}
