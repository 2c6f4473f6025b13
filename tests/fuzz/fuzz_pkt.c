// SPDX-License-Identifier: MIT
/* libFuzzer harness for the logged-datagram decoder (pktdec.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "lab/pktdec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact copy, so the sanitizer sees any read past its end */
	uint8_t *buf = malloc(size ? size : 1);
	struct lab_pkt p;
	int r;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	r = lab_pkt_decode(buf, size, &p);
	if (r != 0 && r != -EINVAL)
		abort();
	/* a quote only in an ICMP error; ports only for UDP */
	if (r == 0 && p.has_inner && p.ip.proto != IPPROTO_ICMP)
		abort();
	if (r == 0 && p.ip.proto != IPPROTO_UDP && (p.ip.t.sport || p.ip.t.dport))
		abort();
	if (r != 0 && (p.ip.proto || p.has_inner))
		abort();
	free(buf);
	return 0;
}
