// SPDX-License-Identifier: MIT
/*
 * A run's name where a test report lists it (JUnit testcase, markdown
 * heading): the routers, then what was done to the run.
 */
#include <stdio.h>

#include "report.h"
#include "report_int.h"

const char *lab_report_title(const struct lab_report *r, char *buf, size_t len)
{
	int n;

	if (r->same_nat)
		n = snprintf(buf, len, "same NAT (%s), hairpin %s", r->nat_a,
			     r->hairpin > 0 ? "on" : "off");
	else if (r->hairpin >= 0)
		n = snprintf(buf, len, "same LAN (%s), hairpin %s", r->nat_a,
			     r->hairpin > 0 ? "on" : "off");
	else
		n = snprintf(buf, len, "%s x %s", r->nat_a, r->nat_b);
	if (n >= 0 && (size_t)n < len && r->fault[0])
		n += snprintf(buf + n, len - (size_t)n, ", fault %s", r->fault);
	if (n >= 0 && (size_t)n < len && r->impaired)
		snprintf(buf + n, len - (size_t)n, ", impaired");
	return buf;
}
