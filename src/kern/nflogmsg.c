// SPDX-License-Identifier: MIT
/*
 * nfnetlink_log messages, pure (nflogmsg.h): the configuration requests
 * nflog.c sends and the parser for the packets the NFLOG target logs. No
 * socket here, so tests/unit/test_lab_nflog.c checks the bytes without a
 * kernel. Layout: linux/netfilter/nfnetlink_log.h and the kernel's
 * net/netfilter/nfnetlink_log.c (nfulnl_recv_config, __build_packet_message).
 */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>

#include "nflogmsg.h"
#include "nfnl.h"

#define NFLOG_MSG(t) ((NFNL_SUBSYS_ULOG << 8) | (t))

/* A config request for group: res_id carries the group number; the family
 * is unused by BIND, UNBIND and the mode (only PF_BIND reads it). */
static struct nlmsghdr *nflog_put_config(void *buf, size_t cap, uint32_t seq, uint16_t group)
{
	return lab_nfnl_put_header(buf, cap, NFLOG_MSG(NFULNL_MSG_CONFIG), NLM_F_ACK, seq,
				   AF_UNSPEC, group);
}

static int nflog_cmd(void *buf, size_t cap, uint32_t seq, uint16_t group, uint8_t command)
{
	struct nfulnl_msg_config_cmd cmd = { .command = command };
	struct nlmsghdr *nlh = nflog_put_config(buf, cap, seq, group);

	if (!nlh || !mnl_attr_put_check(nlh, cap, NFULA_CFG_CMD, sizeof(cmd), &cmd))
		return -ENOSPC;
	return (int)nlh->nlmsg_len;
}

int lab_nflogmsg_bind(void *buf, size_t cap, uint32_t seq, uint16_t group)
{
	return nflog_cmd(buf, cap, seq, group, NFULNL_CFG_CMD_BIND);
}

int lab_nflogmsg_unbind(void *buf, size_t cap, uint32_t seq, uint16_t group)
{
	return nflog_cmd(buf, cap, seq, group, NFULNL_CFG_CMD_UNBIND);
}

int lab_nflogmsg_mode(void *buf, size_t cap, uint32_t seq, uint16_t group, uint16_t copy_range)
{
	struct nfulnl_msg_config_mode mode = { .copy_range = htonl(copy_range),
					       .copy_mode = NFULNL_COPY_PACKET };
	struct nlmsghdr *nlh = nflog_put_config(buf, cap, seq, group);

	if (!nlh || !mnl_attr_put_check(nlh, cap, NFULA_CFG_MODE, sizeof(mode), &mode))
		return -ENOSPC;
	/* The kernel batches packets until qthreshold are queued or the flush
	 * timer fires (1 s by default): a threshold of 1 sends each at once. */
	if (!mnl_attr_put_u32_check(nlh, cap, NFULA_CFG_QTHRESH, htonl(1)))
		return -ENOSPC;
	return (int)nlh->nlmsg_len;
}

struct nflog_tb {
	const struct nlattr *tb[NFULA_MAX + 1];
};

static int nflog_attr_cb(const struct nlattr *attr, void *data)
{
	struct nflog_tb *t = data;
	int type = mnl_attr_get_type(attr);

	if (type <= NFULA_MAX)
		t->tb[type] = attr; /* newer kernel attributes: ignored */
	return MNL_CB_OK;
}

static int nflog_get_ifindex(const struct nlattr *a, uint32_t *out)
{
	if (!a)
		return 0;
	if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
		return -EINVAL;
	*out = ntohl(mnl_attr_get_u32(a));
	return 0;
}

/* The kernel sends the prefix with its NUL (nla_put_string); a longer one
 * than ours (nftables allows 127 bytes) is cut, still terminated. */
static int nflog_get_prefix(const struct nlattr *a, char *out, size_t cap)
{
	size_t n;

	if (!a)
		return 0;
	if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
		return -EINVAL;
	n = strnlen(mnl_attr_get_str(a), mnl_attr_get_payload_len(a));
	if (n >= cap)
		n = cap - 1;
	memcpy(out, mnl_attr_get_str(a), n);
	out[n] = '\0';
	return 0;
}

static int nflog_parse_attrs(const struct nflog_tb *t, struct lab_nflog_pkt *pkt)
{
	const struct nfulnl_msg_packet_hdr *ph;

	if (!t->tb[NFULA_PACKET_HDR] ||
	    mnl_attr_validate2(t->tb[NFULA_PACKET_HDR], MNL_TYPE_UNSPEC, sizeof(*ph)) < 0)
		return -EINVAL;
	ph = mnl_attr_get_payload(t->tb[NFULA_PACKET_HDR]);
	pkt->hw_protocol = ntohs(ph->hw_protocol);
	pkt->hook = ph->hook;
	if (nflog_get_prefix(t->tb[NFULA_PREFIX], pkt->prefix, sizeof(pkt->prefix)) < 0 ||
	    nflog_get_ifindex(t->tb[NFULA_IFINDEX_INDEV], &pkt->indev) < 0 ||
	    nflog_get_ifindex(t->tb[NFULA_IFINDEX_OUTDEV], &pkt->outdev) < 0)
		return -EINVAL;
	if (t->tb[NFULA_PAYLOAD]) {
		pkt->payload = mnl_attr_get_payload(t->tb[NFULA_PAYLOAD]);
		pkt->len = mnl_attr_get_payload_len(t->tb[NFULA_PAYLOAD]);
	}
	return 0;
}

int lab_nflog_parse(const uint8_t *buf, size_t len, struct lab_nflog_pkt *pkt)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	struct nflog_tb t;

	if (!buf || !pkt || len < MNL_NLMSG_HDRLEN)
		return -EINVAL;
	if (((uintptr_t)buf & 3) != 0)
		return -EINVAL; /* netlink attributes are read in place */
	/* libmnl walks the attributes up to the 4-aligned end: an unaligned
	 * length (the kernel pads every message) could lead it past len. */
	if (nlh->nlmsg_len > len || nlh->nlmsg_len < MNL_NLMSG_HDRLEN || (nlh->nlmsg_len & 3))
		return -EINVAL;
	/* NLMSG_DONE ends a batch of several packets (qthreshold > 1). */
	if (nlh->nlmsg_type != NFLOG_MSG(NFULNL_MSG_PACKET))
		return -ENOMSG;
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg)))
		return -EINVAL;
	memset(pkt, 0, sizeof(*pkt));
	memset(&t, 0, sizeof(t));
	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), nflog_attr_cb, &t) < 0)
		return -EINVAL;
	return nflog_parse_attrs(&t, pkt);
}
