/* SPDX-License-Identifier: MIT */
#ifndef LAB_NLRX_H
#define LAB_NLRX_H

#include <stddef.h>
#include <stdint.h>

#include <linux/netlink.h>

/*
 * The receive side of a netlink socket the kernel writes to unasked
 * (conntrack's event groups, the netfilter log): a large buffer so bursts
 * fit, no blocking, and a drain that survives overruns. Shared by ct.c and
 * nflog.c; what each message means is theirs (the callback).
 */

/* Asks for bytes of receive buffer (root may exceed net.core.rmem_max)
 * and makes fd non-blocking: 0 or -errno. */
int lab_nlrx_setup(int fd, int bytes);

/* One whole message (nlmsg_len checked against the datagram): returns 1
 * when it was one the caller wanted, else 0. */
typedef int (*lab_nlrx_fn)(void *ctx, const struct nlmsghdr *nlh);

/* Reads every datagram queued on fd into rx (cap bytes) and hands each
 * message to fn. An overrun (ENOBUFS: the kernel dropped messages for
 * want of buffer) is counted in *lost and the rest is still read; the
 * call then returns -ENOBUFS, else how many fn wanted, or -errno. */
int lab_nlrx_drain(int fd, uint8_t *rx, size_t cap, uint64_t *lost, lab_nlrx_fn fn, void *ctx);

#endif
