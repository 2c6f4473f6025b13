/* SPDX-License-Identifier: MIT */
#ifndef LAB_NFQMSG_H
#define LAB_NFQMSG_H

#include <stddef.h>
#include <stdint.h>

#include <linux/netfilter/nfnetlink.h>

/*
 * nfnetlink_queue messages without I/O: the requests the engine (nfq.h)
 * sends and the parser for the packets the kernel queues to it
 * (linux/netfilter/nfnetlink_queue.h). Tests check the bytes without a
 * kernel.
 */

/* Netlink message type of nfnetlink_queue message t (NFQNL_MSG_*). */
#define LAB_NFQMSG_TYPE(t) ((NFNL_SUBSYS_QUEUE << 8) | (t))
/* A request buffer: each builder clears this many bytes and needs them. */
#define LAB_NFQMSG_SIZE 512

/* Each returns the message length or -errno (-ENOSPC: cap too small). */
int lab_nfqmsg_bind(void *buf, size_t cap, uint32_t seq, uint16_t queue_num);
int lab_nfqmsg_params(void *buf, size_t cap, uint32_t seq, uint16_t queue_num,
		      uint8_t copy_mode, uint32_t copy_range);
int lab_nfqmsg_flags(void *buf, size_t cap, uint32_t seq, uint16_t queue_num, uint32_t flags,
		     uint32_t maxlen);
int lab_nfqmsg_verdict(void *buf, size_t cap, uint32_t seq, uint16_t queue_num, uint32_t id,
		       uint32_t verdict);

struct lab_nfq_pkt {
	uint32_t id;
	uint8_t hook;
	uint32_t indev;         /* 0 if absent */
	const uint8_t *payload; /* points into the parsed buffer; NULL if absent */
	size_t payload_len;
};
/* Parses one NFQNL_MSG_PACKET message (netlink header included); buf must
 * be 4-byte aligned, as netlink attributes are read in place. */
int lab_nfq_parse_packet(const uint8_t *buf, size_t len, struct lab_nfq_pkt *p);

#endif
