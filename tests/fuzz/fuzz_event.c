// SPDX-License-Identifier: MIT
/* libFuzzer harness for the lab's readers of hpclient's --json lines
 * (event.c over jsonx.c): any bytes, never a read past them, and an
 * accepted event's strings are NUL-terminated within their fields. */
#include <stdlib.h>
#include <string.h>

#include "lab/event.h"
#include "lab/jsonx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1);
	struct lab_event ev;
	char s[64];
	int64_t v;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (lab_event_parse(&ev, buf, size) == 0 &&
	    (memchr(ev.peer, 0, sizeof(ev.peer)) == NULL ||
	     memchr(ev.reason, 0, sizeof(ev.reason)) == NULL ||
	     memchr(ev.text, 0, sizeof(ev.text)) == NULL))
		abort();
	(void)lab_jsonx_validate(buf, size);
	if (lab_jsonx_string(buf, size, "event", s, sizeof(s)) >= 0 && !memchr(s, 0, sizeof(s)))
		abort();
	(void)lab_jsonx_int(buf, size, "seq", &v);
	free(buf);
	return 0;
}
