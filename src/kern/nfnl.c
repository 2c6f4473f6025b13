// SPDX-License-Identifier: MIT
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter/nfnetlink.h>

#include <libmnl/libmnl.h>

#include "nfnl.h"

struct nlmsghdr *lab_nfnl_put_header(void *buf, size_t cap, uint16_t type, uint16_t flags,
				     uint32_t seq, uint8_t family, uint16_t res_id)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;

	if (!buf || cap < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*nfg)))
		return NULL;
	memset(buf, 0, MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*nfg)));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(res_id);
	return nlh;
}
