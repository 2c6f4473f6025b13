// SPDX-License-Identifier: MIT
/* libFuzzer harness for the ctnetlink entry and event parsers (ctmsg.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact, 4-aligned copy: netlink attributes are read in place */
	uint8_t *buf = malloc(size ? size : 1);
	struct lab_ct_entry e;
	struct lab_ct_event ev;
	int re, rv;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	re = lab_ct_parse_entry(buf, size, &e);
	rv = lab_ct_parse_event(buf, size, &ev);
	if ((re != 0 && re != -EINVAL) || (rv != 0 && rv != -EINVAL && rv != -ENOMSG))
		abort();
	/* a dump's entry is an event too, NEW or UPDATE, with the same fields */
	if (re == 0 && (rv != 0 || ev.type == LAB_CT_EV_DESTROY || memcmp(&e, &ev.e, sizeof(e))))
		abort();
	free(buf);
	return 0;
}
