// SPDX-License-Identifier: MIT
/*
 * ctnetlink messages, pure (ctmsg.h): the flush and dump requests and the
 * parser for the conntrack entries a dump returns and events announce. No socket here, so
 * tests/unit/test_lab_ct.c checks them without a kernel. Layout:
 * linux/netfilter/nfnetlink_conntrack.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "ctmsg.h"
#include "nfnl.h"

#define CT_MSG(t) ((NFNL_SUBSYS_CTNETLINK << 8) | (t))

/* Version 0 with no tuple: a DELETE flushes every family. */
static struct nlmsghdr *ct_put_header(void *buf, size_t cap, uint16_t type, uint16_t flags,
				      uint32_t seq, uint8_t family)
{
	return lab_nfnl_put_header(buf, cap, type, flags, seq, family, 0);
}

int lab_ctmsg_flush(void *buf, size_t cap, uint32_t seq)
{
	struct nlmsghdr *nlh =
		ct_put_header(buf, cap, CT_MSG(IPCTNL_MSG_CT_DELETE), NLM_F_ACK, seq, AF_UNSPEC);

	return nlh ? (int)nlh->nlmsg_len : -ENOSPC;
}

int lab_ctmsg_dump(void *buf, size_t cap, uint32_t seq)
{
	struct nlmsghdr *nlh =
		ct_put_header(buf, cap, CT_MSG(IPCTNL_MSG_CT_GET), NLM_F_DUMP, seq, AF_INET);

	return nlh ? (int)nlh->nlmsg_len : -ENOSPC;
}

struct ct_nest_tb {
	const struct nlattr *tb[CTA_MAX + 1];
	int max;
};

static int ct_attr_cb(const struct nlattr *attr, void *data)
{
	struct ct_nest_tb *t = data;
	int type = mnl_attr_get_type(attr);

	if (type > t->max)
		return MNL_CB_OK; /* newer kernel attributes: ignored */
	t->tb[type] = attr;
	return MNL_CB_OK;
}

static int ct_parse_nest(const struct nlattr *nest, int max, struct ct_nest_tb *t)
{
	memset(t, 0, sizeof(*t));
	t->max = max;
	if (mnl_attr_validate(nest, MNL_TYPE_NESTED) < 0)
		return -EINVAL;
	if (mnl_attr_parse_nested(nest, ct_attr_cb, t) < 0)
		return -EINVAL;
	return 0;
}

static int ct_parse_tuple(const struct nlattr *nest, uint8_t *proto, struct lab_ct_tuple *tp)
{
	struct ct_nest_tb t, ip, pr;
	int ret;

	memset(tp, 0, sizeof(*tp));
	ret = ct_parse_nest(nest, CTA_TUPLE_MAX, &t);
	if (ret < 0)
		return ret;
	if (!t.tb[CTA_TUPLE_IP] || !t.tb[CTA_TUPLE_PROTO])
		return -EINVAL;
	ret = ct_parse_nest(t.tb[CTA_TUPLE_IP], CTA_IP_MAX, &ip);
	if (ret < 0)
		return ret;
	ret = ct_parse_nest(t.tb[CTA_TUPLE_PROTO], CTA_PROTO_MAX, &pr);
	if (ret < 0)
		return ret;
	if (!pr.tb[CTA_PROTO_NUM] || mnl_attr_validate(pr.tb[CTA_PROTO_NUM], MNL_TYPE_U8) < 0)
		return -EINVAL;
	*proto = mnl_attr_get_u8(pr.tb[CTA_PROTO_NUM]);
	/* IPv6 entries (CTA_IP_V6_*) leave the addresses zero. */
	if (ip.tb[CTA_IP_V4_SRC]) {
		if (mnl_attr_validate(ip.tb[CTA_IP_V4_SRC], MNL_TYPE_U32) < 0)
			return -EINVAL;
		tp->src.s_addr = mnl_attr_get_u32(ip.tb[CTA_IP_V4_SRC]);
	}
	if (ip.tb[CTA_IP_V4_DST]) {
		if (mnl_attr_validate(ip.tb[CTA_IP_V4_DST], MNL_TYPE_U32) < 0)
			return -EINVAL;
		tp->dst.s_addr = mnl_attr_get_u32(ip.tb[CTA_IP_V4_DST]);
	}
	if (pr.tb[CTA_PROTO_SRC_PORT]) {
		if (mnl_attr_validate(pr.tb[CTA_PROTO_SRC_PORT], MNL_TYPE_U16) < 0)
			return -EINVAL;
		tp->sport = ntohs(mnl_attr_get_u16(pr.tb[CTA_PROTO_SRC_PORT]));
	}
	if (pr.tb[CTA_PROTO_DST_PORT]) {
		if (mnl_attr_validate(pr.tb[CTA_PROTO_DST_PORT], MNL_TYPE_U16) < 0)
			return -EINVAL;
		tp->dport = ntohs(mnl_attr_get_u16(pr.tb[CTA_PROTO_DST_PORT]));
	}
	return 0;
}

/* A u32 attribute in network order; absent leaves *out 0. */
static int ct_get_be32(const struct nlattr *a, uint32_t *out)
{
	if (!a)
		return 0;
	if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
		return -EINVAL;
	*out = ntohl(mnl_attr_get_u32(a));
	return 0;
}

/* The attributes of an entry, a dump answer's and an event's alike
 * (ctnetlink_fill_info, ctnetlink_conntrack_event). */
static int ct_parse_body(const struct nlmsghdr *nlh, struct lab_ct_entry *e)
{
	struct ct_nest_tb top;
	uint8_t rproto = 0;
	int ret;

	memset(e, 0, sizeof(*e));
	memset(&top, 0, sizeof(top));
	top.max = CTA_MAX;
	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), ct_attr_cb, &top) < 0)
		return -EINVAL;
	if (!top.tb[CTA_TUPLE_ORIG] || !top.tb[CTA_TUPLE_REPLY])
		return -EINVAL;
	ret = ct_parse_tuple(top.tb[CTA_TUPLE_ORIG], &e->l4proto, &e->orig);
	if (ret < 0)
		return ret;
	ret = ct_parse_tuple(top.tb[CTA_TUPLE_REPLY], &rproto, &e->reply);
	if (ret < 0)
		return ret;
	if (ct_get_be32(top.tb[CTA_STATUS], &e->status) < 0 ||
	    ct_get_be32(top.tb[CTA_ID], &e->id) < 0 ||
	    ct_get_be32(top.tb[CTA_TIMEOUT], &e->timeout) < 0)
		return -EINVAL;
	return 0;
}

/* The netlink header fits in len and its length in turn fits. */
static bool ct_msg_fits(const uint8_t *buf, size_t len)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;

	if (!buf || len < MNL_NLMSG_HDRLEN + sizeof(struct nfgenmsg))
		return false;
	if (((uintptr_t)buf & 3) != 0)
		return false; /* netlink attributes are read in place */
	/* libmnl walks the attributes up to the 4-aligned end: an unaligned
	 * length (the kernel pads every message) could lead it past len. */
	return nlh->nlmsg_len <= len && (nlh->nlmsg_len & 3) == 0 &&
	       nlh->nlmsg_len >= MNL_NLMSG_HDRLEN + sizeof(struct nfgenmsg);
}

int lab_ct_parse_entry(const uint8_t *buf, size_t len, struct lab_ct_entry *e)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;

	if (!e || !ct_msg_fits(buf, len))
		return -EINVAL;
	if (nlh->nlmsg_type != CT_MSG(IPCTNL_MSG_CT_NEW))
		return -EINVAL;
	return ct_parse_body(nlh, e);
}

/*
 * ctnetlink_conntrack_event sends a destroyed entry as IPCTNL_MSG_CT_DELETE,
 * a new one as IPCTNL_MSG_CT_NEW with NLM_F_CREATE|NLM_F_EXCL, and any
 * other change (a reply seen, assured, a new timeout) as
 * IPCTNL_MSG_CT_NEW without them.
 */
int lab_ct_parse_event(const uint8_t *buf, size_t len, struct lab_ct_event *ev)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;

	if (!ev || !buf || len < MNL_NLMSG_HDRLEN || ((uintptr_t)buf & 3) != 0)
		return -EINVAL;
	if (nlh->nlmsg_len > len || nlh->nlmsg_len < MNL_NLMSG_HDRLEN)
		return -EINVAL;
	if (nlh->nlmsg_type == CT_MSG(IPCTNL_MSG_CT_DELETE))
		ev->type = LAB_CT_EV_DESTROY;
	else if (nlh->nlmsg_type == CT_MSG(IPCTNL_MSG_CT_NEW))
		ev->type = (nlh->nlmsg_flags & NLM_F_CREATE) ? LAB_CT_EV_NEW : LAB_CT_EV_UPDATE;
	else
		return -ENOMSG;
	if (!ct_msg_fits(buf, len))
		return -EINVAL;
	return ct_parse_body(nlh, &ev->e);
}
