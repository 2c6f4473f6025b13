// SPDX-License-Identifier: MIT
/*
 * nfnetlink_queue messages, pure: the config and verdict requests the
 * engine (nfq.c) sends, and the parser for the packets the kernel hands
 * over. No socket here, so tests/unit/test_lab_nfqmsg.c checks the bytes
 * without a kernel. Message layout: linux/netfilter/nfnetlink_queue.h and
 * the kernel's net/netfilter/nfnetlink_queue.c.
 */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include "nfnl.h"
#include "nfqmsg.h"

static struct nlmsghdr *nfq_put_header(void *buf, size_t cap, uint16_t type, uint16_t flags,
				       uint32_t seq, uint16_t queue_num)
{
	/* the whole buffer is cleared: later attributes land on zeroes */
	if (!buf || cap < LAB_NFQMSG_SIZE)
		return NULL;
	memset(buf, 0, LAB_NFQMSG_SIZE);
	return lab_nfnl_put_header(buf, cap, type, flags, seq, AF_UNSPEC, queue_num);
}

int lab_nfqmsg_bind(void *buf, size_t cap, uint32_t seq, uint16_t queue_num)
{
	struct nfqnl_msg_config_cmd cmd = { .command = NFQNL_CFG_CMD_BIND,
					    .pf = htons(AF_INET) };
	struct nlmsghdr *nlh =
		nfq_put_header(buf, cap, LAB_NFQMSG_TYPE(NFQNL_MSG_CONFIG), NLM_F_ACK, seq, queue_num);

	if (!nlh)
		return -ENOSPC;
	mnl_attr_put(nlh, NFQA_CFG_CMD, sizeof(cmd), &cmd);
	return (int)nlh->nlmsg_len;
}

int lab_nfqmsg_params(void *buf, size_t cap, uint32_t seq, uint16_t queue_num,
		      uint8_t copy_mode, uint32_t copy_range)
{
	struct nfqnl_msg_config_params p = { .copy_range = htonl(copy_range),
					     .copy_mode = copy_mode };
	struct nlmsghdr *nlh =
		nfq_put_header(buf, cap, LAB_NFQMSG_TYPE(NFQNL_MSG_CONFIG), NLM_F_ACK, seq, queue_num);

	if (!nlh)
		return -ENOSPC;
	mnl_attr_put(nlh, NFQA_CFG_PARAMS, sizeof(p), &p);
	return (int)nlh->nlmsg_len;
}

int lab_nfqmsg_flags(void *buf, size_t cap, uint32_t seq, uint16_t queue_num, uint32_t flags,
		     uint32_t maxlen)
{
	struct nlmsghdr *nlh =
		nfq_put_header(buf, cap, LAB_NFQMSG_TYPE(NFQNL_MSG_CONFIG), NLM_F_ACK, seq, queue_num);

	if (!nlh)
		return -ENOSPC;
	mnl_attr_put_u32(nlh, NFQA_CFG_QUEUE_MAXLEN, htonl(maxlen));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	return (int)nlh->nlmsg_len;
}

int lab_nfqmsg_verdict(void *buf, size_t cap, uint32_t seq, uint16_t queue_num, uint32_t id,
		       uint32_t verdict)
{
	struct nfqnl_msg_verdict_hdr vh = { .verdict = htonl(verdict), .id = htonl(id) };
	struct nlmsghdr *nlh =
		nfq_put_header(buf, cap, LAB_NFQMSG_TYPE(NFQNL_MSG_VERDICT), 0, seq, queue_num);

	if (!nlh)
		return -ENOSPC;
	mnl_attr_put(nlh, NFQA_VERDICT_HDR, sizeof(vh), &vh);
	return (int)nlh->nlmsg_len;
}

struct nfq_tb {
	const struct nlattr *tb[NFQA_MAX + 1];
	const uint8_t *end; /* the message's last byte + 1 (nlmsg_len, unaligned) */
};

static int nfq_attr_cb(const struct nlattr *attr, void *data)
{
	struct nfq_tb *t = data;
	int type = mnl_attr_get_type(attr);

	/* libmnl bounds attributes by the aligned end: the padding is not ours */
	if ((const uint8_t *)attr + attr->nla_len > t->end)
		return MNL_CB_ERROR;
	if (type <= NFQA_MAX)
		t->tb[type] = attr;
	return MNL_CB_OK;
}

int lab_nfq_parse_packet(const uint8_t *buf, size_t len, struct lab_nfq_pkt *p)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	const struct nfqnl_msg_packet_hdr *ph;
	struct nfq_tb t;

	if (!buf || !p || len < MNL_NLMSG_HDRLEN + sizeof(struct nfgenmsg))
		return -EINVAL;
	if (((uintptr_t)buf & 3) != 0)
		return -EINVAL;
	/* libmnl walks the attributes up to MNL_ALIGN(nlmsg_len): a length
	 * that is not a multiple of 4 would let it read past the message */
	if (MNL_ALIGN(nlh->nlmsg_len) > len ||
	    nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(struct nfgenmsg))
		return -EINVAL;
	if (nlh->nlmsg_type != LAB_NFQMSG_TYPE(NFQNL_MSG_PACKET))
		return -EINVAL;
	memset(&t, 0, sizeof(t));
	t.end = buf + nlh->nlmsg_len;
	memset(p, 0, sizeof(*p));
	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), nfq_attr_cb, &t) < 0)
		return -EINVAL;
	if (!t.tb[NFQA_PACKET_HDR] ||
	    mnl_attr_validate2(t.tb[NFQA_PACKET_HDR], MNL_TYPE_UNSPEC, sizeof(*ph)) < 0)
		return -EINVAL;
	ph = mnl_attr_get_payload(t.tb[NFQA_PACKET_HDR]);
	p->id = ntohl(ph->packet_id);
	p->hook = ph->hook;
	if (t.tb[NFQA_IFINDEX_INDEV]) {
		if (mnl_attr_validate(t.tb[NFQA_IFINDEX_INDEV], MNL_TYPE_U32) < 0)
			return -EINVAL;
		p->indev = ntohl(mnl_attr_get_u32(t.tb[NFQA_IFINDEX_INDEV]));
	}
	if (t.tb[NFQA_PAYLOAD]) {
		p->payload = mnl_attr_get_payload(t.tb[NFQA_PAYLOAD]);
		p->payload_len = mnl_attr_get_payload_len(t.tb[NFQA_PAYLOAD]);
	}
	return 0;
}
