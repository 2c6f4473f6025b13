// SPDX-License-Identifier: MIT
/*
 * What the matrix's writers all say of its cells: their labels, how many
 * are ok, wrong or not run, the signal that stopped it (matrix.h).
 */
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "matrix.h"

const char *lab_cell_label(const struct lab_cell *c, char *buf, size_t len)
{
	if (c->same_nat)
		snprintf(buf, len, "same NAT (%s), hairpin %s", c->nat_a, c->hairpin ? "on" : "off");
	else if (c->topology == LAB_TOPOLOGY_SAME_LAN)
		snprintf(buf, len, "same LAN (%s), hairpin %s", c->nat_a, c->hairpin ? "on" : "off");
	else if (c->topology == LAB_TOPOLOGY_CGNAT_SAME)
		snprintf(buf, len, "one CGN (%s), hairpin %s", c->nat_a, c->hairpin ? "on" : "off");
	else if (c->topology == LAB_TOPOLOGY_CGNAT)
		snprintf(buf, len, "CGNAT (%s), CGN %s", c->nat_a, c->nat_cgn);
	else
		snprintf(buf, len, "%s x %s", c->nat_a, c->nat_b);
	return buf;
}

void lab_matrix_count(const struct lab_matrix_result *m, struct lab_matrix_counts *k)
{
	memset(k, 0, sizeof(*k));
	for (size_t i = 0; i < m->n; i++) {
		k->verdict[lab_cell_verdict(&m->cells[i])]++;
		k->probes_ok += m->cells[i].probe_a_ok + m->cells[i].probe_b_ok;
	}
	k->passed = k->verdict[LAB_CELL_OK] == m->n && !m->signo;
}

const char *lab_matrix_signal(const struct lab_matrix_result *m, char *buf, size_t len)
{
	const char *abbrev = m->signo ? sigabbrev_np(m->signo) : NULL;

	if (!m->signo)
		snprintf(buf, len, "%s", "");
	else if (abbrev)
		snprintf(buf, len, "SIG%s", abbrev);
	else
		snprintf(buf, len, "signal %d", m->signo);
	return buf;
}

/* E. B. Wilson, "Probable inference, the law of succession, and
 * statistical inference", JASA 22 (1927): the p whose normal interval
 * holds x/n, which stays inside [0, 1] and is not empty at x = 0 or n. */
void lab_wilson(unsigned x, unsigned n, double *lo, double *hi)
{
	double z2 = LAB_WILSON_Z * LAB_WILSON_Z, dn = n, dx = x;
	double mid = (dx + z2 / 2) / (dn + z2);
	double half = LAB_WILSON_Z * sqrt(dx * (dn - dx) / dn + z2 / 4) / (dn + z2);

	*lo = mid - half < 0 ? 0 : mid - half;
	*hi = mid + half > 1 ? 1 : mid + half;
	if (x == 0)
		*lo = 0; /* exactly: the rounding must not lift it above 0 */
	if (x == n)
		*hi = 1;
}

bool lab_cell_path_allowed(const struct lab_cell *c, const char *observed)
{
	return !strcmp(observed, c->expected) || (c->spray && !strcmp(observed, "direct"));
}

bool lab_cell_prediction_holds(const struct lab_cell *c)
{
	if (!c->spray)
		return c->p_direct >= 1.0 ? c->directs == c->trials : c->directs == 0;
	return c->trials < 2 || (c->p_direct >= c->ci_lo && c->p_direct <= c->ci_hi);
}

bool lab_cell_as_predicted(const struct lab_cell *c)
{
	return c->trials > 1 ? lab_cell_prediction_holds(c) : lab_cell_path_allowed(c, c->observed);
}

static int cmp_ms(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return (a > b) - (a < b);
}

static int64_t median_direct_ms(const struct lab_cell *runs, size_t t)
{
	int64_t ms[LAB_TRIALS_MAX];
	size_t n = 0;

	for (size_t i = 0; i < t && n < LAB_TRIALS_MAX; i++)
		if (!strcmp(runs[i].observed, "direct") && runs[i].direct_ms >= 0)
			ms[n++] = runs[i].direct_ms;
	if (!n)
		return -1;
	qsort(ms, n, sizeof(ms[0]), cmp_ms);
	return n % 2 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2;
}

void lab_cell_fold(struct lab_cell *c, const struct lab_cell *runs, size_t t)
{
	const struct lab_cell *first = NULL, *bad = NULL;
	bool all_ok = true;
	size_t i;

	c->trials = c->directs = 0;
	for (i = 0; i < t; i++) {
		const struct lab_cell *r = &runs[i];

		if (!strcmp(r->observed, LAB_OBSERVED_NOT_RUN))
			continue;
		first = first ? first : r;
		c->trials++;
		c->directs += !strcmp(r->observed, "direct");
		if (!r->ok && !bad)
			bad = r;
		all_ok = all_ok && r->ok;
	}
	c->median_ms = median_direct_ms(runs, t);
	if (!first) {
		snprintf(c->observed, sizeof(c->observed), "%s", LAB_OBSERVED_NOT_RUN);
		c->ci_lo = 0, c->ci_hi = 1;
		c->ok = false;
		return;
	}
	lab_wilson(c->directs, c->trials, &c->ci_lo, &c->ci_hi);
	memcpy(c->probe_a, first->probe_a, sizeof(c->probe_a));
	memcpy(c->probe_b, first->probe_b, sizeof(c->probe_b));
	memcpy(c->prefix, first->prefix, sizeof(c->prefix));
	c->probe_a_ok = first->probe_a_ok;
	c->probe_b_ok = first->probe_b_ok;
	c->direct_ms = c->median_ms;
	c->connect_ms = c->median_ms >= 0 ? c->median_ms : first->connect_ms;
	c->wall_ms = first->wall_ms;
	snprintf(c->observed, sizeof(c->observed), "%s",
		 c->directs == c->trials ? "direct" : c->directs ? "mixed" : first->observed);
	c->ok = all_ok && lab_cell_prediction_holds(c);
	if (bad)
		memcpy(c->reason, bad->reason, sizeof(c->reason));
	else if (!c->ok)
		snprintf(c->reason, sizeof(c->reason),
			 "%u of %u trials direct (95 %% interval %.1f-%.1f %%), theory predicts %.1f %%",
			 c->directs, c->trials, 100 * c->ci_lo, 100 * c->ci_hi, 100 * c->p_direct);
	else
		c->reason[0] = '\0';
}

const char *lab_cell_theory_text(const struct lab_cell *c, char *buf, size_t len)
{
	if (c->spray)
		snprintf(buf, len, "direct %.1f %% (K %u, N %u), else %s", 100 * c->p_direct,
			 c->spray_k, c->spray_n, c->expected);
	else if (c->hard_hard)
		/* the forced figure: docs/nat-types.md, "Hard NATs" */
		snprintf(buf, len, "%s: both NATs hard, no spray (%u probes would win %.2f %%)",
			 c->expected, c->spray_n,
			 100 * hp_spray_p_hard_hard(c->spray_n, lab_spray_defaults().range));
	else
		snprintf(buf, len, "%s", c->expected);
	return buf;
}

const char *lab_cell_trials_text(const struct lab_cell *c, char *buf, size_t len)
{
	char med[32] = "";

	if (c->median_ms >= 0)
		snprintf(med, sizeof(med), ", median %" PRId64 " ms", c->median_ms);
	if (c->trials > 1)
		snprintf(buf, len, "%u of %u direct (95 %% interval %.1f-%.1f %%)%s", c->directs,
			 c->trials, 100 * c->ci_lo, 100 * c->ci_hi, med);
	else if (c->spray && c->trials)
		snprintf(buf, len, "%u of 1 direct: one trial cannot contradict %.1f %%",
			 c->directs, 100 * c->p_direct);
	else
		snprintf(buf, len, "%s", "");
	return buf;
}
