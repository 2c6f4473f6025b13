// SPDX-License-Identifier: MIT
/*
 * Conntrack over ctnetlink (ct.c, ctmsg.c): the request bytes and the
 * entry parser without a kernel, then - as root - a UDP flow between two
 * namespaces (netpair.h) listed, flushed and its timeouts set.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <libmnl/libmnl.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "ct.h"
#include "ctmsg.h"
#include "netpair.h"

#define BUFSZ 4096
#define MAGIC 0x48504354u /* "HPCT" */

static const struct nfgenmsg *nfg_of(const uint8_t *buf)
{
	return (const struct nfgenmsg *)(buf + MNL_NLMSG_HDRLEN);
}

static void test_ct_flush_bytes(void **state)
{
	uint8_t buf[BUFSZ] __attribute__((aligned(4)));
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;

	(void)state;
	assert_int_equal(lab_ctmsg_flush(buf, sizeof(buf), 5), 16 + 4);
	assert_int_equal(nlh->nlmsg_type, (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	/* Empty body, family unspecified, version 0: flush every family. */
	assert_int_equal(nfg_of(buf)->nfgen_family, AF_UNSPEC);
	assert_int_equal(nfg_of(buf)->version, NFNETLINK_V0);

	assert_int_equal(lab_ctmsg_dump(buf, sizeof(buf), 6), 16 + 4);
	assert_int_equal(nlh->nlmsg_type, (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
	assert_int_equal(nfg_of(buf)->nfgen_family, AF_INET);
}

static void put_tuple(struct nlmsghdr *nlh, uint16_t type, const char *src, const char *dst,
		      uint16_t sport, uint16_t dport)
{
	struct nlattr *t = mnl_attr_nest_start(nlh, type), *ip, *pr;
	struct in_addr a;

	ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	inet_pton(AF_INET, src, &a);
	mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, a.s_addr);
	inet_pton(AF_INET, dst, &a);
	mnl_attr_put_u32(nlh, CTA_IP_V4_DST, a.s_addr);
	mnl_attr_nest_end(nlh, ip);
	pr = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, IPPROTO_UDP);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(sport));
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(dport));
	mnl_attr_nest_end(nlh, pr);
	mnl_attr_nest_end(nlh, t);
}

static void test_ct_parse_entry(void **state)
{
	uint8_t buf[BUFSZ] __attribute__((aligned(4)));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct lab_ct_entry e;
	char s[INET_ADDRSTRLEN];

	(void)state;
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct nfgenmsg));
	put_tuple(nlh, CTA_TUPLE_ORIG, "10.98.1.2", "10.98.9.9", 4000, 3478);
	put_tuple(nlh, CTA_TUPLE_REPLY, "10.98.9.9", "10.98.5.1", 3478, 61000);
	assert_int_equal(lab_ct_parse_entry(buf, nlh->nlmsg_len, &e), 0);
	assert_int_equal(e.l4proto, IPPROTO_UDP);
	assert_string_equal(inet_ntop(AF_INET, &e.orig.src, s, sizeof(s)), "10.98.1.2");
	assert_int_equal(e.orig.sport, 4000);
	assert_int_equal(e.orig.dport, 3478);
	assert_string_equal(inet_ntop(AF_INET, &e.reply.dst, s, sizeof(s)), "10.98.5.1");
	assert_int_equal(e.reply.dport, 61000);
	for (size_t cut = 0; cut < nlh->nlmsg_len; cut++)
		assert_int_equal(lab_ct_parse_entry(buf, cut, &e), -EINVAL);
}

static void test_ct_parse_rejects_missing_reply(void **state)
{
	uint8_t buf[BUFSZ] __attribute__((aligned(4)));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct lab_ct_entry e;

	(void)state;
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct nfgenmsg));
	put_tuple(nlh, CTA_TUPLE_ORIG, "10.98.1.2", "10.98.9.9", 1, 2);
	assert_int_equal(lab_ct_parse_entry(buf, nlh->nlmsg_len, &e), -EINVAL);
	/* A nest that is a plain u8: rejected before it is walked. */
	mnl_attr_put_u8(nlh, CTA_TUPLE_REPLY, 1);
	assert_int_equal(lab_ct_parse_entry(buf, nlh->nlmsg_len, &e), -EINVAL);
}

/* ---- root: a flow through conntrack ---- */

static int fx_teardown(void **state)
{
	struct netpair *np = *state;

	if (!np)
		return 0;
	netpair_teardown(np);
	free(np);
	*state = NULL;
	return 0;
}

static int fx_setup(void **state)
{
	struct netpair *np = calloc(1, sizeof(*np));

	*state = np;
	if (!np)
		return -1;
	np->fa = np->fb = np->sa = np->sb = -1;
	if (geteuid() != 0)
		return 0; /* the tests skip */
	return netpair_setup(np, "hplct");
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/*
 * a sends count datagrams to b, b echoes each; returns how many echoes a
 * got before every one was in or deadline_us passed. The filter rule only
 * switches connection tracking on in b, as a router's NAT rules do.
 */
static unsigned echo_flow(struct netpair *np, unsigned count, uint64_t deadline_us)
{
	uint32_t magic = MAGIC;
	uint64_t end = now_us() + deadline_us;
	unsigned got = 0;

	assert_int_equal(netpair_restore(np->fb, "*filter\n:INPUT ACCEPT [0:0]\n"
				     "-A INPUT -m conntrack --ctstate INVALID -j DROP\nCOMMIT\n"),
			 0);
	for (unsigned i = 0; i < count; i++)
		assert_int_equal(sendto(np->sa, &magic, sizeof(magic), 0,
					(struct sockaddr *)&np->addr_b, sizeof(np->addr_b)),
				 sizeof(magic));
	while (got < count) {
		struct pollfd pfd[2] = { { np->sa, POLLIN, 0 }, { np->sb, POLLIN, 0 } };
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		uint64_t now = now_us();
		uint32_t v;

		if (now >= end)
			break;
		assert_true(poll(pfd, 2, (int)((end - now) / 1000u) + 1) >= 0);
		while (recvfrom(np->sb, &v, sizeof(v), 0, (struct sockaddr *)&from, &fl) ==
		       sizeof(v)) {
			sendto(np->sb, &v, sizeof(v), 0, (struct sockaddr *)&from, fl);
			fl = sizeof(from);
		}
		while (recv(np->sa, &v, sizeof(v), 0) == sizeof(v))
			if (v == MAGIC)
				got++;
	}
	return got;
}

static void test_root_ct_flush(void **state)
{
	struct netpair *np = *state;
	struct lab_ct_entry e[4];
	int n;

	if (geteuid() != 0)
		skip();
	assert_int_equal(echo_flow(np, 3, 3000000), 3);
	n = lab_ct_list(np->fb, IPPROTO_UDP, e, 4);
	assert_int_equal(n, 1); /* the one a -> b flow */
	assert_int_equal(e[0].orig.src.s_addr, np->addr_a.sin_addr.s_addr);
	assert_int_equal(e[0].orig.sport, ntohs(np->addr_a.sin_port));
	assert_int_equal(e[0].reply.sport, ntohs(np->addr_b.sin_port));
	assert_int_equal(lab_ct_flush(np->fb), 0);
	assert_int_equal(lab_ct_count(np->fb, IPPROTO_UDP), 0);
	assert_int_equal(lab_ct_count(np->fb, 0), 0);
	assert_int_equal(lab_ct_set_udp_timeouts(np->fb, 5, 7), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ct_flush_bytes),
		cmocka_unit_test(test_ct_parse_entry),
		cmocka_unit_test(test_ct_parse_rejects_missing_reply),
		cmocka_unit_test_setup_teardown(test_root_ct_flush, fx_setup, fx_teardown),
	};

	if (geteuid() != 0)
		printf("SKIP: test_lab_ct namespace tests need root\n");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
