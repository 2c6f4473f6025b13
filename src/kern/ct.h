/* SPDX-License-Identifier: MIT */
#ifndef LAB_CT_H
#define LAB_CT_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Connection tracking of one namespace over ctnetlink (libmnl), for the
 * lab's faults: `rebind` flushes a router's table so its NAT mappings are
 * made anew, and the narrative can show the mappings a router holds.
 * ns_fd -1 means the caller's own namespace.
 */
struct lab_ct_tuple {
	struct in_addr src, dst;
	uint16_t sport, dport; /* host byte order */
};

struct lab_ct_entry {
	uint8_t l4proto; /* IPPROTO_UDP, ... */
	struct lab_ct_tuple orig;
	struct lab_ct_tuple reply;
};

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

/* Builders and parser, apart from I/O so tests can check the bytes. */
int lab_ctmsg_flush(void *buf, size_t cap, uint32_t seq);
int lab_ctmsg_dump(void *buf, size_t cap, uint32_t seq);
/* Parses one IPCTNL_MSG_CT_NEW netlink message (header included). */
int lab_ct_parse_entry(const uint8_t *buf, size_t len, struct lab_ct_entry *e);

#endif
