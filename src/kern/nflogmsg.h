/* SPDX-License-Identifier: MIT */
#ifndef LAB_NFLOGMSG_H
#define LAB_NFLOGMSG_H

#include <stddef.h>
#include <stdint.h>

/*
 * nfnetlink_log messages without I/O (linux/netfilter/nfnetlink_log.h):
 * the configuration requests nflog.c sends and the parser for the packets
 * the kernel logs, so that tests and the fuzz harness can check the bytes
 * without a kernel.
 */
struct lab_nflog_pkt {
	char prefix[64];        /* NFULA_PREFIX (the rule's --nflog-prefix); "" none */
	uint16_t hw_protocol;   /* NFULA_PACKET_HDR, host byte order (ETH_P_IP ...) */
	uint8_t hook;           /* NF_INET_PRE_ROUTING ... */
	uint32_t indev, outdev; /* ifindex; 0: none */
	const uint8_t *payload; /* from the network header, up to the copy range */
	size_t len;
};

/* Each returns the message length or -ENOSPC. */
int lab_nflogmsg_bind(void *buf, size_t cap, uint32_t seq, uint16_t group);
int lab_nflogmsg_unbind(void *buf, size_t cap, uint32_t seq, uint16_t group);
/* NFULNL_COPY_PACKET of copy_range bytes, flushed at once (qthreshold 1). */
int lab_nflogmsg_mode(void *buf, size_t cap, uint32_t seq, uint16_t group, uint16_t copy_range);
/* Parses one NFULNL_MSG_PACKET netlink message (header included); buf must
 * be 4-byte aligned; pkt->payload points into buf. -EINVAL on anything
 * malformed, -ENOMSG on a message of another type. */
int lab_nflog_parse(const uint8_t *buf, size_t len, struct lab_nflog_pkt *pkt);

#endif
