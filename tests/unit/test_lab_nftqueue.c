// SPDX-License-Identifier: MIT
/* The queue rule's batch, byte for byte where it matters: begin, one
 * NEWRULE with the xtables NFQUEUE target (revision 3, the queue, bypass),
 * end. No kernel needed. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_tables_compat.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/xt_NFQUEUE.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <libmnl/libmnl.h>

#include "nftqueue.h"

/* The attribute of type `type` inside nest (or the message's top level). */
static const struct nlattr *find(const struct nlmsghdr *nlh, const struct nlattr *nest,
				 uint16_t type)
{
	const struct nlattr *a;

	if (nest) {
		mnl_attr_for_each_nested(a, nest)
			if (mnl_attr_get_type(a) == type)
				return a;
		return NULL;
	}
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(a) == type)
			return a;
	return NULL;
}

static void test_rule_batch(void **state)
{
	char buf[4096];
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	const struct nlattr *exprs, *elem, *data, *a;
	const struct nfgenmsg *nfg;
	struct xt_NFQ_info_v3 info;
	int len, left;

	(void)state;
	len = lab_nftq_rule_msg(buf, sizeof(buf), 100, "hplab_impair", "impair", 11);
	assert_true(len > 0);
	left = len;
	/* begin: the nf_tables subsystem in res_id */
	assert_true(mnl_nlmsg_ok(nlh, left));
	assert_int_equal(nlh->nlmsg_type, NFNL_MSG_BATCH_BEGIN);
	nfg = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(ntohs(nfg->res_id), NFNL_SUBSYS_NFTABLES);
	nlh = mnl_nlmsg_next(nlh, &left);
	/* the rule, appended, acknowledged, IPv4 */
	assert_true(mnl_nlmsg_ok(nlh, left));
	assert_int_equal(nlh->nlmsg_type, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWRULE);
	assert_int_equal(nlh->nlmsg_seq, 100);
	assert_true(nlh->nlmsg_flags & NLM_F_APPEND);
	assert_true(nlh->nlmsg_flags & NLM_F_ACK);
	nfg = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(nfg->nfgen_family, NFPROTO_IPV4);
	assert_string_equal(mnl_attr_get_str(find(nlh, NULL, NFTA_RULE_TABLE)), "hplab_impair");
	assert_string_equal(mnl_attr_get_str(find(nlh, NULL, NFTA_RULE_CHAIN)), "impair");
	exprs = find(nlh, NULL, NFTA_RULE_EXPRESSIONS);
	assert_non_null(exprs);
	elem = find(nlh, exprs, NFTA_LIST_ELEM);
	assert_non_null(elem);
	assert_string_equal(mnl_attr_get_str(find(nlh, elem, NFTA_EXPR_NAME)), "target");
	data = find(nlh, elem, NFTA_EXPR_DATA);
	assert_non_null(data);
	assert_string_equal(mnl_attr_get_str(find(nlh, data, NFTA_TARGET_NAME)), "NFQUEUE");
	assert_int_equal(ntohl(mnl_attr_get_u32(find(nlh, data, NFTA_TARGET_REV))), 3);
	a = find(nlh, data, NFTA_TARGET_INFO);
	assert_non_null(a);
	/* x_tables wants the info's size rounded up to 8 */
	assert_int_equal(mnl_attr_get_payload_len(a), 8);
	memcpy(&info, mnl_attr_get_payload(a), sizeof(info));
	assert_int_equal(info.queuenum, 11);
	assert_int_equal(info.queues_total, 1);
	assert_int_equal(info.flags, NFQ_FLAG_BYPASS);
	nlh = mnl_nlmsg_next(nlh, &left);
	/* end, and nothing after it */
	assert_true(mnl_nlmsg_ok(nlh, left));
	assert_int_equal(nlh->nlmsg_type, NFNL_MSG_BATCH_END);
	nlh = mnl_nlmsg_next(nlh, &left);
	assert_int_equal(left, 0);
}

static void test_rule_refuses(void **state)
{
	char buf[4096], name[300];

	(void)state;
	assert_int_equal(lab_nftq_rule_msg(buf, sizeof(buf), 1, "", "impair", 1), -EINVAL);
	assert_int_equal(lab_nftq_rule_msg(buf, sizeof(buf), 1, "t", NULL, 1), -EINVAL);
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(lab_nftq_rule_msg(buf, sizeof(buf), 1, name, "impair", 1), -EINVAL);
	assert_int_equal(lab_nftq_rule_msg(buf, 100, 1, "t", "c", 1), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_batch),
		cmocka_unit_test(test_rule_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
