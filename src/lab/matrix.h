/* SPDX-License-Identifier: MIT */
#ifndef LAB_MATRIX_H
#define LAB_MATRIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "format.h"

struct lab_args;

/*
 * `labrun matrix`: one `run` (with --probe) per cell, every pair of NAT
 * personalities plus the same-NAT cases, several cells at once, each in its
 * own topology (prefix hpl<pid of its worker>). Prints the predicted and
 * observed path per cell; exit 0 only if every cell is as theory predicts
 * and every probe names its router's personality.
 */
#define LAB_MATRIX_MAX_CELLS 32

struct lab_cell {
	char nat_a[24], nat_b[24];
	bool same_nat;
	int hairpin;            /* -1: not same-NAT */
	char expected[16];      /* theory: direct, relay, failed */
	char observed[16];      /* direct, relay, failed */
	int64_t connect_ms;     /* introduction to the first working path; -1 */
	char probe_a[24], probe_b[24]; /* verdicts; "" if none */
	bool probe_a_ok, probe_b_ok;
	bool ok;                /* as predicted, chat crossed, probes right */
	int64_t wall_ms;        /* the cell's whole run */
	char reason[256];       /* first failure, "" if ok */
	char prefix[32];        /* its namespaces' prefix */
};

/* The cells in order: personalities x personalities, then same-NAT with
 * hairpin on and off. Returns how many (<= max). */
size_t lab_matrix_cells(struct lab_cell *cells, size_t max);
/* The output in format fmt (matrixout.c): what comes before the cells
 * run, then the cells (signo: the signal that stopped them, or 0). */
void lab_matrix_print_begin(FILE *f, enum lab_format fmt, size_t n, size_t pairs, unsigned jobs);
void lab_matrix_print(FILE *f, enum lab_format fmt, const struct lab_cell *cells, size_t n,
		      double seconds, unsigned jobs, int signo);
int lab_matrix_run(const struct lab_args *a, int sigfd, const char *bindir);

#endif
