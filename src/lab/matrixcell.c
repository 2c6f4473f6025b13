// SPDX-License-Identifier: MIT
/*
 * What the matrix's writers all say of its cells: their labels, how many
 * are ok, wrong or not run, the signal that stopped it (matrix.h).
 */
#include <signal.h>
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
