// SPDX-License-Identifier: MIT
/* libFuzzer harness for the delay engine's packet parser (nfqmsg.c). */
#include <stdlib.h>
#include <string.h>

#include "nfqmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact copy (malloc aligns it): ASan sees a read past the end */
	uint8_t *buf = malloc(size ? size : 1);
	struct lab_nfq_pkt p;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (lab_nfq_parse_packet(buf, size, &p) == 0 && p.payload &&
	    (p.payload < buf || p.payload + p.payload_len > buf + size))
		abort();
	free(buf);
	return 0;
}
