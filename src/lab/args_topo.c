// SPDX-License-Identifier: MIT
/* --topology and the checks that tie the other options to a topology. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "nat.h"

int lab_args_set_topology(struct lab_args *a, const char *val, char *err, size_t errlen)
{
	a->topology = lab_topology_find(val);
	if (a->topology != LAB_TOPOLOGY_COUNT)
		return 0;
	a->topology = LAB_TOPOLOGY_HOME;
	snprintf(err, errlen, "--topology: unknown topology '%.40s' (try: %s)", val,
		 lab_topology_names());
	return -EINVAL;
}

const struct lab_plan *lab_args_plan(const struct lab_args *a)
{
	return lab_plan_get(a->topology, a->same_nat);
}

/* What builds no router B (--same-nat, same-lan) refuses what names one. */
static int check_one_router(struct lab_args *a, const char *what, char *err, size_t errlen)
{
	if (a->hairpin < 0)
		a->hairpin = 1; /* RFC 4787 REQ-9: a NAT MUST support hairpinning */
	if (strcmp(a->nat_a, LAB_NAT_DEFAULT) || strcmp(a->nat_b, LAB_NAT_DEFAULT)) {
		snprintf(err, errlen, "%s builds one %s router (no --nat-a/--nat-b)", what,
			 LAB_NAT_DEFAULT);
		return -EINVAL;
	}
	if (a->topology == LAB_TOPOLOGY_SAME_LAN &&
	    (lab_impair_active(&a->imp[0]) || lab_impair_active(&a->imp[1]))) {
		/* the impairment engine's duplicates go back out of one host's
		 * lan port (run_start.c); a bridge has both hosts behind it */
		snprintf(err, errlen, "%s takes no impairments", what);
		return -EINVAL;
	}
	/* one router: --delay-b etc. would name a router that is not built */
	if (lab_impair_active(&a->imp[1]) && memcmp(&a->imp[0], &a->imp[1], sizeof(a->imp[0]))) {
		snprintf(err, errlen, "%s builds no router B (no -b impairments)", what);
		return -EINVAL;
	}
	if (a->fault) {
		snprintf(err, errlen, "--fault needs two routers (not with %s)", what);
		return -EINVAL;
	}
	return 0;
}

int lab_args_check_topology(struct lab_args *a, char *err, size_t errlen)
{
	if (a->same_nat && a->topology != LAB_TOPOLOGY_HOME) {
		snprintf(err, errlen, "--same-nat is a variant of --topology home");
		return -EINVAL;
	}
	const struct lab_plan *p = lab_args_plan(a);
	bool cgn = lab_plan_cgn_of(p, LAB_NODE_RA) != LAB_NODE_COUNT;

	if (a->topology != LAB_TOPOLOGY_CGNAT && strcmp(a->nat_cgn, LAB_NAT_DEFAULT)) {
		snprintf(err, errlen, "--nat-cgn only means something with --topology cgnat%s",
			 p->shared_cgn ? " (one CGN for both is port-restricted)" : "");
		return -EINVAL;
	}
	/* the impairment engine and the faults know one NAT per side */
	if (cgn && (lab_impair_active(&a->imp[0]) || lab_impair_active(&a->imp[1]) || a->fault)) {
		snprintf(err, errlen, "--topology %s takes no impairments and no --fault",
			 lab_topologies[a->topology].name);
		return -EINVAL;
	}
	if (p->shared_cgn) {
		if (a->hairpin < 0)
			a->hairpin = 1; /* RFC 6888 REQ-9: a CGN MUST support hairpinning */
		if (strcmp(a->nat_a, LAB_NAT_DEFAULT) || strcmp(a->nat_b, LAB_NAT_DEFAULT)) {
			snprintf(err, errlen, "--topology cgnat-same builds %s home routers "
				 "(no --nat-a/--nat-b)", LAB_NAT_DEFAULT);
			return -EINVAL;
		}
		return 0;
	}
	if (!p->one_router) {
		if (a->hairpin >= 0) {
			snprintf(err, errlen, "--hairpin only means something with --same-nat, same-lan or cgnat-same");
			return -EINVAL;
		}
		return 0;
	}
	return check_one_router(a, a->same_nat ? "--same-nat" : "--topology same-lan", err, errlen);
}
