// SPDX-License-Identifier: MIT
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_tables_compat.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/xt_NFQUEUE.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>

#include "netns.h"
#include "nfnl.h"
#include "nftqueue.h"

/* xt_NFQUEUE's newest revision: queue number, queue count, flags */
#define NFTQ_TARGET "NFQUEUE"
#define NFTQ_REV 3
/* x_tables checks the info's size rounded up to 8 (XT_ALIGN) */
#define NFTQ_INFO_SIZE ((sizeof(struct xt_NFQ_info_v3) + 7) & ~(size_t)7)

/* Room for each message past the batch's limit (mnl_nlmsg_batch_start:
 * a message may start below the limit and end above it). */
#define NFTQ_MSG_ROOM 1024

/* nf_tables changes travel in a batch (nfnetlink.h): begin and end carry
 * the subsystem in res_id. */
static bool put_batch_mark(struct mnl_nlmsg_batch *b, uint16_t type, uint32_t seq)
{
	if (!lab_nfnl_put_header(mnl_nlmsg_batch_current(b), NFTQ_MSG_ROOM, type, 0, seq,
				 AF_UNSPEC, NFNL_SUBSYS_NFTABLES))
		return false;
	return mnl_nlmsg_batch_next(b);
}

int lab_nftq_rule_msg(void *buf, size_t cap, uint32_t seq, const char *table,
		      const char *chain, uint16_t queue_num)
{
	struct xt_NFQ_info_v3 info = { .queuenum = queue_num, .queues_total = 1,
				       .flags = NFQ_FLAG_BYPASS };
	char raw[NFTQ_INFO_SIZE] = { 0 };
	struct mnl_nlmsg_batch *b;
	struct nlattr *exprs, *elem, *data;
	struct nlmsghdr *nlh;
	int ret = -ENOSPC;

	/* names as nf_tables takes them (NFT_NAME_MAXLEN with the NUL) */
	if (!buf || !table || !*table || !chain || !*chain || strlen(table) >= NFT_NAME_MAXLEN ||
	    strlen(chain) >= NFT_NAME_MAXLEN)
		return -EINVAL;
	if (cap < 2 * NFTQ_MSG_ROOM)
		return -ENOSPC;
	b = mnl_nlmsg_batch_start(buf, cap - NFTQ_MSG_ROOM);
	if (!b)
		return -ENOMEM;
	if (!put_batch_mark(b, NFNL_MSG_BATCH_BEGIN, seq - 1))
		goto out;
	nlh = lab_nfnl_put_header(mnl_nlmsg_batch_current(b), NFTQ_MSG_ROOM,
				  (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWRULE,
				  NLM_F_CREATE | NLM_F_APPEND | NLM_F_ACK, seq, NFPROTO_IPV4, 0);
	mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, table);
	mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, chain);
	exprs = mnl_attr_nest_start(nlh, NFTA_RULE_EXPRESSIONS);
	elem = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
	mnl_attr_put_strz(nlh, NFTA_EXPR_NAME, "target");
	data = mnl_attr_nest_start(nlh, NFTA_EXPR_DATA);
	mnl_attr_put_strz(nlh, NFTA_TARGET_NAME, NFTQ_TARGET);
	mnl_attr_put_u32(nlh, NFTA_TARGET_REV, htonl(NFTQ_REV));
	memcpy(raw, &info, sizeof(info));
	mnl_attr_put(nlh, NFTA_TARGET_INFO, sizeof(raw), raw);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, elem);
	mnl_attr_nest_end(nlh, exprs);
	if (!mnl_nlmsg_batch_next(b) || !put_batch_mark(b, NFNL_MSG_BATCH_END, seq + 1))
		goto out;
	ret = (int)mnl_nlmsg_batch_size(b);
out:
	mnl_nlmsg_batch_stop(b);
	return ret;
}

int lab_nftq_append(int ns_fd, const char *table, const char *chain, uint16_t queue_num)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	uint32_t seq = (uint32_t)time(NULL) | 2u;
	int len;

	len = lab_nftq_rule_msg(buf, sizeof(buf), seq, table, chain, queue_num);
	if (len < 0)
		return len;
	/* only the rule asked for an ACK: one answer, the ACK or the error */
	return lab_netns_mnl_talk(ns_fd, NETLINK_NETFILTER, buf, sizeof(buf), (size_t)len, seq,
				  NULL, NULL);
}
