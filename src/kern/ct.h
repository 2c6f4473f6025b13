/* SPDX-License-Identifier: MIT */
#ifndef LAB_CT_H
#define LAB_CT_H

#include <stddef.h>
#include <stdint.h>

#include "ctmsg.h" /* struct lab_ct_entry */

/*
 * Connection tracking of one namespace over ctnetlink (libmnl), for the
 * lab's faults: `rebind` flushes a router's table so its NAT mappings are
 * made anew, and the narrative can show the mappings a router holds.
 * ns_fd -1 means the caller's own namespace. The messages are built and
 * parsed, without I/O, in ctmsg.h.
 */

/* Deletes every conntrack entry (all families) in the namespace. */
int lab_ct_flush(int ns_fd);
/* Number of IPv4 entries with protocol l4proto (0: any), or -errno. */
int lab_ct_count(int ns_fd, uint8_t l4proto);
/* Fills out[] with up to max IPv4 entries of protocol l4proto (0: any);
 * returns how many matched (may exceed max) or -errno. */
int lab_ct_list(int ns_fd, uint8_t l4proto, struct lab_ct_entry *out, size_t max);

/*
 * The entries' events as they happen (ctnetlink multicast groups NEW,
 * UPDATE and DESTROY), for the glass box and `lab watch`: every mapping a
 * router makes, refreshes and forgets.
 */
struct lab_ctev;

/* *out is set on success; -errno. The socket gets a large receive buffer
 * (events come in bursts). */
int lab_ctev_open(struct lab_ctev **out, int ns_fd);
int lab_ctev_fd(const struct lab_ctev *c);
/* Reads what is queued without blocking, cb once per event (valid during
 * the call). Returns the number of events or -errno; -ENOBUFS: the kernel
 * dropped some (counted in lab_ctev_lost), the socket stays usable. */
int lab_ctev_read(struct lab_ctev *c, void (*cb)(void *ctx, const struct lab_ct_event *ev),
		  void *ctx);
uint64_t lab_ctev_lost(const struct lab_ctev *c);
/* NULL is a no-op. */
void lab_ctev_close(struct lab_ctev *c);

/* Sets net/netfilter/nf_conntrack_udp_timeout{,_stream} in the namespace
 * (the `idle` fault). 0 leaves a value unchanged. */
int lab_ct_set_udp_timeouts(int ns_fd, unsigned unreplied_s, unsigned stream_s);

#endif
