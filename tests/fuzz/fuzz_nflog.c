// SPDX-License-Identifier: MIT
/* libFuzzer harness for the nfnetlink_log packet parser (nflogmsg.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "nflogmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What a parsed packet promises: its payload inside the message, its
 * prefix terminated inside its array. */
static void check(const uint8_t *buf, size_t len, const struct lab_nflog_pkt *p)
{
	if (memchr(p->prefix, '\0', sizeof(p->prefix)) == NULL)
		abort();
	if (p->payload && (p->payload < buf || p->len > len || p->payload + p->len > buf + len))
		abort();
	if (!p->payload && p->len)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly the input: netlink is read in place, 4-aligned,
	 * and the sanitizer sees any read past its end */
	uint8_t *buf = malloc(size ? size : 1);
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	struct lab_nflog_pkt p;
	int len = size > 65536 ? 65536 : (int)size;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (lab_nflog_parse(buf, size, &p) == 0)
		check(buf, size, &p);
	/* as nflog.c walks one datagram of several messages */
	while (mnl_nlmsg_ok(nlh, len) && nlh->nlmsg_len <= (uint32_t)len) {
		int r = lab_nflog_parse((const uint8_t *)nlh, nlh->nlmsg_len, &p);

		if (r == 0)
			check((const uint8_t *)nlh, nlh->nlmsg_len, &p);
		else if (r != -EINVAL && r != -ENOMSG)
			abort();
		nlh = mnl_nlmsg_next(nlh, &len);
	}
	free(buf);
	return 0;
}
