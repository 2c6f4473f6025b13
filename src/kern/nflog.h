/* SPDX-License-Identifier: MIT */
#ifndef LAB_NFLOG_H
#define LAB_NFLOG_H

#include <stddef.h>
#include <stdint.h>

#include "nflogmsg.h" /* struct lab_nflog_pkt */

/*
 * Netfilter's own log (the NFLOG target, nfnetlink_log) of one namespace,
 * over libmnl: the rules that decide a datagram's fate log it to a group,
 * and this socket reads what they logged. Instances are per namespace, so
 * every router can use the same group number. ns_fd -1 means the caller's
 * own namespace. The messages are built and parsed, without I/O, in
 * nflogmsg.h.
 */
struct lab_nflog;

/* Binds group in the namespace, copying up to copy_range bytes of each
 * packet (from its network header). *out is set on success; -errno
 * (-EBUSY: another listener holds the group). */
int lab_nflog_open(struct lab_nflog **out, int ns_fd, uint16_t group, uint16_t copy_range);
/* The socket, for poll (readable: lab_nflog_read). */
int lab_nflog_fd(const struct lab_nflog *l);
/* Reads what is queued without blocking and calls cb once per logged
 * packet (pkt and its payload are valid during the call only). Returns
 * the number of packets, or -errno; -ENOBUFS means the kernel dropped
 * some (counted in lab_nflog_lost) and the socket stays usable. */
int lab_nflog_read(struct lab_nflog *l, void (*cb)(void *ctx, const struct lab_nflog_pkt *pkt),
		   void *ctx);
/* Times the kernel reported an overrun (ENOBUFS) since open. */
uint64_t lab_nflog_lost(const struct lab_nflog *l);
/* Unbinds and closes; NULL is a no-op. */
void lab_nflog_close(struct lab_nflog *l);

#endif
