// SPDX-License-Identifier: MIT
/* The hard-NAT options: the matrix's trials and cells, the spray budget
 * the clients get, the routers' session-table cap (docs/lab.md). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "matrix.h"
#include "parse.h"

static int set_count(unsigned *dst, const char *opt, const char *val, unsigned hi, char *err,
		     size_t errlen)
{
	unsigned long v;

	if (hp_parse_ulong(val, 1, hi, &v) < 0) {
		snprintf(err, errlen, "%s wants a number from 1 to %u, not '%.40s'", opt, hi, val);
		return -EINVAL;
	}
	*dst = (unsigned)v;
	return 0;
}

int lab_args_set_trials(struct lab_args *a, const char *val, char *err, size_t errlen)
{
	return set_count(&a->trials, "--trials", val, LAB_TRIALS_MAX, err, errlen);
}

int lab_args_set_cells(struct lab_args *a, const char *val, char *err, size_t errlen)
{
	if (!strcmp(val, "all") || !strcmp(val, "spray")) {
		a->spray_cells = !strcmp(val, "spray");
		return 0;
	}
	snprintf(err, errlen, "--cells wants all or spray, not '%.40s'", val);
	return -EINVAL;
}

int lab_args_set_spray_probes(struct lab_args *a, const char *val, char *err, size_t errlen)
{
	return set_count(&a->spray_probes, "--spray-probes", val, LAB_SPRAY_PROBES_MAX, err,
			 errlen);
}

int lab_args_set_nat_sessions(struct lab_args *a, const char *val, char *err, size_t errlen)
{
	return set_count(&a->nat_sessions, "--nat-sessions", val, LAB_NAT_SESSIONS_MAX, err,
			 errlen);
}
