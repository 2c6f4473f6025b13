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
#include "theory.h"

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
	int64_t direct_ms;      /* introduction to direct on both sides (a relay first,
				 * then the spray's upgrade); -1 if it ended relayed */
	char probe_a[24], probe_b[24]; /* verdicts; "" if none */
	bool probe_a_ok, probe_b_ok;
	bool ok;                /* as predicted, chat crossed, probes right */
	int64_t wall_ms;        /* the cell's whole run; -1 never started */
	char reason[256];       /* first failure, "" if ok */
	char prefix[32];        /* its namespaces' prefix, "" never started */
	/* theory's probability of a direct path (theory.h), and with the
	 * spray the K sockets and N probes it assumed */
	double p_direct;
	unsigned spray_k, spray_n;
	bool spray;             /* p_direct strictly between 0 and 1 */
	bool hard_hard;         /* both NATs hard: no spray, p_direct 0 */
	/* --trials: how many of its runs ran and went direct, the 95 % Wilson
	 * score interval of that rate, the median direct_ms of the direct
	 * ones (-1: none); a T=1 matrix has 1 trial */
	unsigned trials, directs;
	double ci_lo, ci_hi;
	int64_t median_ms;
};

#define LAB_TRIALS_MAX 200
#define LAB_WILSON_Z 1.96       /* 95 %: the normal distribution's 97.5th percentile */

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
	unsigned trials;        /* runs per cell (--trials, 1 without) */
	int signo;              /* the signal that stopped it, 0 if none */
	/* with --html, each cell's report as its worker sent it (its story:
	 * steps, trace); NULL: none asked, or the cell sent none */
	struct lab_report *const *stories;
};

/* The cells in order: personalities x personalities, then same-NAT with
 * hairpin on and off, then same-LAN with hairpin on and off, each with theory's prediction. Returns how many
 * (<= max). s: the spray theory assumes, NULL for hpclient's defaults. */
size_t lab_matrix_cells(struct lab_cell *cells, size_t max, const struct lab_spray *s);
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
/* The Wilson score interval of x successes in n trials (n > 0), at
 * LAB_WILSON_Z. Pure. */
void lab_wilson(unsigned x, unsigned n, double *lo, double *hi);
/* Is a path the cell may take? Its predicted one, or direct where the
 * spray may win (p strictly between 0 and 1). */
bool lab_cell_path_allowed(const struct lab_cell *c, const char *observed);
/* Is what c observed what theory allows: one trial's path, or with
 * --trials the rate? (The probes and the chat are the rest of ok.) */
bool lab_cell_as_predicted(const struct lab_cell *c);
/* Does c's prediction stand against its trials? p 1: every trial direct;
 * p 0: none; strictly between: inside the Wilson interval, and a single
 * trial cannot contradict it. */
bool lab_cell_prediction_holds(const struct lab_cell *c);
/* Folds the cell's t runs (each a cell as its worker sent it) into c:
 * directs, interval, median, observed ("direct", a path, or "mixed"),
 * ok: every run fine and the prediction holding. Runs not run do not
 * count; none run leaves c not run. Pure. */
/* "direct 98.3 % (K 256, N 1024), else relay", or the certain path. */
const char *lab_cell_theory_text(const struct lab_cell *c, char *buf, size_t len);
/* "39 of 40 direct (95 % interval 87.1-99.6 %), median 412 ms"; for a
 * single trial of a spray cell, that it cannot contradict; else "". */
const char *lab_cell_trials_text(const struct lab_cell *c, char *buf, size_t len);
void lab_cell_fold(struct lab_cell *c, const struct lab_cell *runs, size_t t);
/* "SIGINT" ... for m->signo into buf; "" if m was not interrupted. */
const char *lab_matrix_signal(const struct lab_matrix_result *m, char *buf, size_t len);
int lab_matrix_run(const struct lab_args *a, int sigfd, const char *bindir);

#endif
