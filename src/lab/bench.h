/* SPDX-License-Identifier: MIT */
#ifndef LAB_BENCH_H
#define LAB_BENCH_H

struct lab_args;

/* Hidden `labrun bench [--runs N]`: builds and tears down the topology N
 * times; prints each run's figures, where setup time went (each step of
 * lab_topo_build, lab_topo_step_names[]), the medians and the fastest. */
int lab_bench_run(const struct lab_args *a, int sigfd);

#endif
