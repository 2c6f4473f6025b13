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

/* Sets net/netfilter/nf_conntrack_udp_timeout{,_stream} in the namespace
 * (the `idle` fault). 0 leaves a value unchanged. */
int lab_ct_set_udp_timeouts(int ns_fd, unsigned unreplied_s, unsigned stream_s);

#endif
