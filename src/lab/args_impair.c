// SPDX-License-Identifier: MIT
/* The impairment options (--delay, --loss, --reorder, --duplicate and
 * their -a/-b forms): their values into the args' per-router specs. The
 * parsing of the values themselves is impair.c's. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "impair.h"

/* --delay, --loss, ... and their -a/-b forms: which router(s) and which
 * field, from the option's name, so the table stays one row per option. */
static int impair_sides(const char *opt, int *first, int *last)
{
	size_t n = strlen(opt);

	*first = 0;
	*last = 1;
	if (n > 2 && opt[n - 2] == '-' && (opt[n - 1] == 'a' || opt[n - 1] == 'b'))
		*first = *last = opt[n - 1] == 'a' ? 0 : 1;
	return 0;
}

int lab_args_set_delay(struct lab_args *a, const char *opt, const char *val, char *err,
		       size_t errlen)
{
	uint32_t d, j;
	int first, last, i;

	i = lab_impair_parse_delay((const uint8_t *)val, strlen(val), &d, &j);
	if (i == -EDOM) {
		snprintf(err, errlen, "%s %.40s: the jitter must not exceed the delay "
			 "(a uniform draw of MS +- J stays at or above 0)", opt, val);
		return -EINVAL;
	}
	if (i < 0) {
		snprintf(err, errlen, "%s wants MS or MS:JITTER (milliseconds, up to 60000), "
			 "not '%.40s'", opt, val);
		return -EINVAL;
	}
	impair_sides(opt, &first, &last);
	for (i = first; i <= last; i++) {
		a->imp[i].delay_us = d;
		a->imp[i].jitter_us = j;
	}
	return 0;
}

int lab_args_set_pct(struct lab_args *a, const char *opt, const char *val, char *err,
		     size_t errlen)
{
	uint32_t ppm;
	int first, last, i;

	if (lab_impair_parse_pct((const uint8_t *)val, strlen(val), &ppm) < 0) {
		snprintf(err, errlen, "%s wants a percentage from 0 to 100, not '%.40s'", opt, val);
		return -EINVAL;
	}
	impair_sides(opt, &first, &last);
	for (i = first; i <= last; i++) {
		if (!strncmp(opt, "--loss", 6))
			a->imp[i].loss_ppm = ppm;
		else if (!strncmp(opt, "--reorder", 9))
			a->imp[i].reorder_ppm = ppm;
		else
			a->imp[i].dup_ppm = ppm;
	}
	return 0;
}

