// SPDX-License-Identifier: MIT
/* libFuzzer harness for the rtnetlink replies the lab reads (nlmsg.c):
 * link messages and errors/acks, in an exact-size copy so that a read past
 * the message is seen even inside libmnl. */
#include <stdlib.h>
#include <string.h>

#include "nl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf;
	struct lab_nl_link l;

	if (size < sizeof(struct nlmsghdr))
		return 0;
	buf = malloc(size);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (lab_nlmsg_parse_link((const struct nlmsghdr *)buf, size, &l) == 0 &&
	    (!memchr(l.name, 0, sizeof(l.name)) || !memchr(l.qdisc, 0, sizeof(l.qdisc))))
		abort();
	(void)lab_nlmsg_parse_error((const struct nlmsghdr *)buf, size);
	free(buf);
	return 0;
}
