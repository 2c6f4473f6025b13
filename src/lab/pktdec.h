/* SPDX-License-Identifier: MIT */
#ifndef LAB_PKTDEC_H
#define LAB_PKTDEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctmsg.h" /* struct lab_ct_tuple */

/*
 * The headers of one logged IPv4 datagram (a copy from nfnetlink_log,
 * usually cut short), decoded without trusting a byte: IPv4 (RFC 791),
 * UDP (RFC 768), ICMP errors with the header they quote (RFC 792), and
 * what the UDP payload is: hplab's wire header (docs/protocol.md) or a
 * STUN message (RFC 8489's magic cookie). Pure, no I/O.
 */
#define LAB_PKT_NOT_HP 0x00 /* hp_type: not hplab's, not STUN */
#define LAB_PKT_STUN   0xfe /* hp_type: a STUN message */

struct lab_pkt_l4 {
	uint8_t proto;          /* IPPROTO_UDP, IPPROTO_ICMP, other */
	uint8_t ttl;
	uint16_t ipid;          /* host byte order */
	struct lab_ct_tuple t;  /* addresses; UDP ports (0 otherwise) */
	uint8_t hp_type;        /* enum hp_type, LAB_PKT_STUN or LAB_PKT_NOT_HP */
};

struct lab_pkt {
	struct lab_pkt_l4 ip;   /* the datagram itself */
	/* an ICMP error (IPPROTO_ICMP, type 3, 11 or 12): its type and code, and
	 * the datagram it quotes (its IP header and first 8 bytes) */
	uint8_t icmp_type, icmp_code;
	bool has_inner;
	struct lab_pkt_l4 inner;
};

/* 0, or -EINVAL when the bytes are not a well-formed IPv4 header (a
 * truncated copy is fine past the IP header: what is missing stays 0). */
int lab_pkt_decode(const uint8_t *buf, size_t len, struct lab_pkt *p);

#endif
