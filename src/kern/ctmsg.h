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
	uint32_t status;  /* CTA_STATUS (IPS_SEEN_REPLY, IPS_SRC_NAT ...); 0 absent */
	uint32_t id;      /* CTA_ID; 0 absent */
	uint32_t timeout; /* CTA_TIMEOUT, seconds left; 0 absent */
};

/* What a ctnetlink event says happened to an entry. */
enum lab_ct_ev_type {
	LAB_CT_EV_NEW,     /* IPCTNL_MSG_CT_NEW with NLM_F_CREATE: confirmed */
	LAB_CT_EV_UPDATE,  /* IPCTNL_MSG_CT_NEW without it: status changed (seen reply, assured) */
	LAB_CT_EV_DESTROY, /* IPCTNL_MSG_CT_DELETE: expired, flushed or killed */
};

struct lab_ct_event {
	enum lab_ct_ev_type type;
	struct lab_ct_entry e;
};

/* Each returns the message length or -ENOSPC. Version 0 with no tuple:
 * the flush deletes every family, the dump asks for IPv4. */
int lab_ctmsg_flush(void *buf, size_t cap, uint32_t seq);
int lab_ctmsg_dump(void *buf, size_t cap, uint32_t seq);
/* Parses one IPCTNL_MSG_CT_NEW netlink message (header included); buf must
 * be 4-byte aligned. -EINVAL on anything malformed. */
int lab_ct_parse_entry(const uint8_t *buf, size_t len, struct lab_ct_entry *e);
/* Parses one event message (NFNLGRP_CONNTRACK_NEW/UPDATE/DESTROY):
 * -EINVAL on anything malformed, -ENOMSG on another message type. */
int lab_ct_parse_event(const uint8_t *buf, size_t len, struct lab_ct_event *ev);

#endif
