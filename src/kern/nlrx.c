// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>

#include "nlrx.h"

int lab_nlrx_setup(int fd, int bytes)
{
	int fl;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

/* Every message of one datagram. mnl_nlmsg_ok compares nlmsg_len as an
 * int: one of 2 GiB or more would pass, so it is also checked unsigned. */
static int nlrx_dispatch(const uint8_t *rx, size_t n, size_t cap, lab_nlrx_fn fn, void *ctx)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)rx;
	int len = n > cap ? (int)cap : (int)n, got = 0;

	while (mnl_nlmsg_ok(nlh, len) && nlh->nlmsg_len <= (uint32_t)len) {
		got += fn(ctx, nlh);
		nlh = mnl_nlmsg_next(nlh, &len);
	}
	return got;
}

int lab_nlrx_drain(int fd, uint8_t *rx, size_t cap, uint64_t *lost, lab_nlrx_fn fn, void *ctx)
{
	bool overrun = false;
	int got = 0;
	ssize_t n;

	for (;;) {
		n = recv(fd, rx, cap, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				(*lost)++;
				overrun = true;
				continue;
			}
			return -errno;
		}
		got += nlrx_dispatch(rx, (size_t)n, cap, fn, ctx);
	}
	return overrun ? -ENOBUFS : got;
}
