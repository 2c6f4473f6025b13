// SPDX-License-Identifier: MIT
/*
 * nfnetlink_queue messages (nfqmsg.c): the bytes of each request the
 * engine sends, and the packet parser against well-formed and hostile
 * input, all without a kernel.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include "nfqmsg.h"

#define BUFSZ 4096
#define QNUM 3

static const struct nfgenmsg *nfg_of(const uint8_t *buf)
{
	return (const struct nfgenmsg *)(buf + MNL_NLMSG_HDRLEN);
}

static const struct nlattr *first_attr(const uint8_t *buf)
{
	return (const struct nlattr *)(buf + MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg)));
}

/* ---- builders ---- */

static void test_bind_bytes(void **state)
{
	uint8_t buf[BUFSZ] __attribute__((aligned(4)));
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	const struct nfqnl_msg_config_cmd *cmd;
	const struct nlattr *a;
	int n;

	(void)state;
	n = lab_nfqmsg_bind(buf, sizeof(buf), 9, 513);
	assert_int_equal(n, 16 + 4 + 8);
	assert_int_equal(nlh->nlmsg_len, (uint32_t)n);
	assert_int_equal(nlh->nlmsg_type, (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_CONFIG);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	assert_int_equal(nlh->nlmsg_seq, 9);
	assert_int_equal(nfg_of(buf)->nfgen_family, AF_UNSPEC);
	assert_int_equal(nfg_of(buf)->version, NFNETLINK_V0);
	assert_int_equal(ntohs(nfg_of(buf)->res_id), 513);
	a = first_attr(buf);
	assert_int_equal(a->nla_type, NFQA_CFG_CMD);
	assert_int_equal(a->nla_len, 4 + sizeof(*cmd));
	cmd = (const void *)(a + 1);
	assert_int_equal(cmd->command, NFQNL_CFG_CMD_BIND);
	assert_int_equal(ntohs(cmd->pf), AF_INET);
}

static void test_params_bytes(void **state)
{
	uint8_t buf[BUFSZ] __attribute__((aligned(4)));
	const struct nfqnl_msg_config_params *p;
	const struct nlattr *a;

	(void)state;
	assert_true(lab_nfqmsg_params(buf, sizeof(buf), 1, 3, NFQNL_COPY_PACKET, 0xffff) > 0);
	a = first_attr(buf);
	assert_int_equal(a->nla_type, NFQA_CFG_PARAMS);
	assert_int_equal(a->nla_len, 4 + 5); /* packed: be32 range, u8 mode */
	p = (const void *)(a + 1);
	assert_int_equal(ntohl(p->copy_range), 0xffff);
	assert_int_equal(p->copy_mode, NFQNL_COPY_PACKET);
}

static void test_flags_bytes(void **state)
{
	uint8_t buf[BUFSZ] __attribute__((aligned(4)));
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	const struct nlattr *a;
	int seen = 0;

	(void)state;
	assert_true(lab_nfqmsg_flags(buf, sizeof(buf), 1, 3, NFQA_CFG_F_FAIL_OPEN, 100) > 0);
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		uint32_t v = ntohl(mnl_attr_get_u32(a));

		switch (mnl_attr_get_type(a)) {
		case NFQA_CFG_MASK:
		case NFQA_CFG_FLAGS:
			assert_int_equal(v, NFQA_CFG_F_FAIL_OPEN);
			seen++;
			break;
		case NFQA_CFG_QUEUE_MAXLEN:
			assert_int_equal(v, 100);
			seen++;
			break;
		default:
			fail_msg("unexpected attribute %d", mnl_attr_get_type(a));
		}
	}
	assert_int_equal(seen, 3);
}

static void test_verdict_bytes(void **state)
{
	uint8_t buf[BUFSZ] __attribute__((aligned(4)));
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	const struct nfqnl_msg_verdict_hdr *vh;
	const struct nlattr *a;

	(void)state;
	assert_int_equal(lab_nfqmsg_verdict(buf, sizeof(buf), 4, 3, 0x01020304, NF_ACCEPT),
			 16 + 4 + 12);
	assert_int_equal(nlh->nlmsg_type, (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_VERDICT);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST); /* no ACK: one per packet */
	assert_int_equal(ntohs(nfg_of(buf)->res_id), 3);
	a = first_attr(buf);
	assert_int_equal(a->nla_type, NFQA_VERDICT_HDR);
	vh = (const void *)(a + 1);
	assert_int_equal(ntohl(vh->verdict), NF_ACCEPT);
	assert_int_equal(ntohl(vh->id), 0x01020304);
}

static void test_builders_refuse_small_buffer(void **state)
{
	uint8_t buf[64] __attribute__((aligned(4)));

	(void)state;
	assert_int_equal(lab_nfqmsg_verdict(buf, sizeof(buf), 1, 1, 1, NF_ACCEPT), -ENOSPC);
	assert_int_equal(lab_nfqmsg_bind(NULL, 4096, 1, 1), -ENOSPC);
}

/* ---- packet parser ---- */

static size_t build_packet(uint8_t *buf, uint32_t id, uint32_t indev, const void *pl,
			   size_t pl_len, bool with_hdr)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfqnl_msg_packet_hdr ph = { .packet_id = htonl(id),
					   .hw_protocol = htons(0x0800),
					   .hook = NF_INET_PRE_ROUTING };
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->res_id = htons(QNUM);
	if (with_hdr)
		mnl_attr_put(nlh, NFQA_PACKET_HDR, sizeof(ph), &ph);
	if (indev)
		mnl_attr_put_u32(nlh, NFQA_IFINDEX_INDEV, htonl(indev));
	if (pl)
		mnl_attr_put(nlh, NFQA_PAYLOAD, pl_len, pl);
	return nlh->nlmsg_len;
}

static void test_parse_packet(void **state)
{
	uint8_t buf[BUFSZ] __attribute__((aligned(4)));
	struct lab_nfq_pkt p;
	size_t len = build_packet(buf, 77, 5, "abcde", 5, true);

	(void)state;
	memset(buf + len, 0, 8);
	assert_int_equal(lab_nfq_parse_packet(buf, len, &p), 0);
	assert_int_equal(p.id, 77);
	assert_int_equal(p.hook, NF_INET_PRE_ROUTING);
	assert_int_equal(p.indev, 5);
	assert_int_equal(p.payload_len, 5);
	assert_memory_equal(p.payload, "abcde", 5);

	len = build_packet(buf, 78, 0, NULL, 0, true);
	assert_int_equal(lab_nfq_parse_packet(buf, len, &p), 0);
	assert_null(p.payload);
	assert_int_equal(p.indev, 0);
}

static void test_parse_packet_hostile(void **state)
{
	uint8_t buf[BUFSZ] __attribute__((aligned(4)));
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct lab_nfq_pkt p;
	size_t len;

	(void)state;
	len = build_packet(buf, 1, 0, NULL, 0, false);
	assert_int_equal(lab_nfq_parse_packet(buf, len, &p), -EINVAL); /* no header */

	len = build_packet(buf, 1, 2, "xy", 2, true);
	for (size_t cut = 0; cut < len; cut++)
		assert_int_equal(lab_nfq_parse_packet(buf, cut, &p), -EINVAL);

	/* An attribute claiming more than the message holds. */
	len = build_packet(buf, 1, 0, "xyzw", 4, true);
	((struct nlattr *)(buf + len - 8))->nla_len = 200;
	assert_int_equal(lab_nfq_parse_packet(buf, len, &p), 0);
	assert_null(p.payload); /* the overlong attribute is not believed */

	/* A length that is not a multiple of 4, the buffer ending with it:
	 * attribute parsing walks aligned lengths, so it must be refused. */
	len = build_packet(buf, 1, 0, "xyzw", 4, true);
	nlh->nlmsg_len = (uint32_t)len - 1;
	assert_int_equal(lab_nfq_parse_packet(buf, len - 1, &p), -EINVAL);
	/* the padding readable, but an attribute reaching into it */
	assert_int_equal(lab_nfq_parse_packet(buf, len, &p), -EINVAL);
	/* the kernel's own unpadded payload: ends exactly at nlmsg_len */
	len = build_packet(buf, 1, 0, "xyz", 3, true);
	((struct nlattr *)(buf + len - 8))->nla_len = 4 + 3;
	nlh->nlmsg_len = (uint32_t)len - 1;
	assert_int_equal(lab_nfq_parse_packet(buf, len, &p), 0);
	assert_int_equal(p.payload_len, 3);

	/* A short packet header. */
	len = build_packet(buf, 1, 0, NULL, 0, false);
	mnl_attr_put(nlh, NFQA_PACKET_HDR, 3, "abc");
	assert_int_equal(lab_nfq_parse_packet(buf, nlh->nlmsg_len, &p), -EINVAL);

	len = build_packet(buf, 1, 0, NULL, 0, true);
	nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_VERDICT;
	assert_int_equal(lab_nfq_parse_packet(buf, len, &p), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bind_bytes),
		cmocka_unit_test(test_params_bytes),
		cmocka_unit_test(test_flags_bytes),
		cmocka_unit_test(test_verdict_bytes),
		cmocka_unit_test(test_builders_refuse_small_buffer),
		cmocka_unit_test(test_parse_packet),
		cmocka_unit_test(test_parse_packet_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
