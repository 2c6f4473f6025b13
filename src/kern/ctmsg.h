/* SPDX-License-Identifier: MIT */
#ifndef LAB_CTMSG_H
#define LAB_CTMSG_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

/*
 * ctnetlink messages without I/O (linux/netfilter/nfnetlink_conntrack.h):
 * the requests ct.c sends and the parser for the entries a dump returns,
 * so that tests can check the bytes without a kernel.
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

/* Each returns the message length or -ENOSPC. Version 0 with no tuple:
 * the flush deletes every family, the dump asks for IPv4. */
int lab_ctmsg_flush(void *buf, size_t cap, uint32_t seq);
int lab_ctmsg_dump(void *buf, size_t cap, uint32_t seq);
/* Parses one IPCTNL_MSG_CT_NEW netlink message (header included); buf must
 * be 4-byte aligned. -EINVAL on anything malformed. */
int lab_ct_parse_entry(const uint8_t *buf, size_t len, struct lab_ct_entry *e);

#endif
