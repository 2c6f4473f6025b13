/* SPDX-License-Identifier: MIT */
#ifndef LAB_MATRIX_H
#define LAB_MATRIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "format.h"
#include "plan.h"

struct lab_args;
struct lab_report;

/*
 * `labrun matrix`: one `run` (with --probe) per cell, every pair of NAT
 * personalities plus the same-NAT cases, several cells at once, each in its
 * own topology (prefix hpl<pid of its worker>). Prints the predicted and
 * observed path per cell; exit 0 only if every cell is as theory predicts
 * and every probe names its router's personality. "No value" is "" for a
 * string and -1 for a time (null in the JSON).
 */
#define LAB_MATRIX_MAX_CELLS 32
#define LAB_OBSERVED_NOT_RUN "not_run" /* observed of a cell that has no result */

struct lab_cell {
	enum lab_topology topology; /* plan.h */
	char nat_a[24], nat_b[24];
	char nat_cgn[24];       /* cgnat: the CGNs' personality; "" otherwise */
	bool same_nat;
	int hairpin;            /* -1: not one router (same-NAT, same-LAN) */
	char expected[16];      /* theory: direct, relay, failed (known before the run) */
	char observed[16];      /* direct, relay, failed; not_run until it has run
				 * (or when a signal cut its run short) */
	int64_t connect_ms;     /* introduction to the first working path; -1 */
	char probe_a[24], probe_b[24]; /* verdicts; "" if none */
	bool probe_a_ok, probe_b_ok;
	bool ok;                /* as predicted, chat crossed, probes right */
	int64_t wall_ms;        /* the cell's whole run; -1 never started */
	char reason[256];       /* first failure, "" if ok */
	char prefix[32];        /* its namespaces' prefix, "" never started */
};

/* What a cell counts as: ok, wrong (a finding), or not run (no finding). */
enum lab_cell_verdict { LAB_CELL_OK, LAB_CELL_WRONG, LAB_CELL_NOT_RUN, LAB_CELL_VERDICTS };

static inline enum lab_cell_verdict lab_cell_verdict(const struct lab_cell *c)
{
	if (!strcmp(c->observed, LAB_OBSERVED_NOT_RUN))
		return LAB_CELL_NOT_RUN;
	return c->ok ? LAB_CELL_OK : LAB_CELL_WRONG;
}

/* A whole matrix, as every writer gets it. */
struct lab_matrix_result {
	const struct lab_cell *cells;
	size_t n;
	size_t pairs;           /* the personality pairs among them */
	double seconds;
	unsigned jobs;
	int signo;              /* the signal that stopped it, 0 if none */
	/* with --html, each cell's report as its worker sent it (its story:
	 * steps, trace); NULL: none asked, or the cell sent none */
	struct lab_report *const *stories;
};

/* The cells in order: personalities x personalities, then same-NAT with
 * hairpin on and off, then same-LAN with hairpin on and off, each with theory's prediction. Returns how many
 * (<= max). */
size_t lab_matrix_cells(struct lab_cell *cells, size_t max);
/* The order the cells start in, into order[0..n): the ones theory sees
 * relaying first (they wait out the clients' --relay-after, the longest
 * cells), each group in table order; the short ones fill in after, so
 * no long cell starts last. Pure. */
void lab_matrix_start_order(const struct lab_cell *cells, size_t n, size_t *order);
/* The output in format fmt (matrixout.c): what comes before the cells run
 * (m's cells not run yet), then the whole matrix. */
void lab_matrix_print_begin(FILE *f, enum lab_format fmt, const struct lab_matrix_result *m);
void lab_matrix_print(FILE *f, enum lab_format fmt, const struct lab_matrix_result *m);
/* One line as a cell finishes, the done-th of n, for the CI log:
 * "matrix: 3/20 full-cone x symmetric: direct (as predicted) 41 ms". */
void lab_matrix_print_progress(FILE *f, const struct lab_cell *c, size_t done, size_t n);

/* matrixcell.c, what every writer says of the cells: */
/* "full-cone x symmetric", "same NAT (port-restricted), hairpin on",
 * "same LAN (port-restricted), hairpin off" */
const char *lab_cell_label(const struct lab_cell *c, char *buf, size_t len);
struct lab_matrix_counts {
	size_t verdict[LAB_CELL_VERDICTS]; /* by enum lab_cell_verdict */
	size_t probes_ok;                       /* of 2 per cell */
	bool passed; /* every cell as predicted, and no signal cut the matrix short */
};
void lab_matrix_count(const struct lab_matrix_result *m, struct lab_matrix_counts *k);
/* "SIGINT" ... for m->signo into buf; "" if m was not interrupted. */
const char *lab_matrix_signal(const struct lab_matrix_result *m, char *buf, size_t len);
int lab_matrix_run(const struct lab_args *a, int sigfd, const char *bindir);

#endif
