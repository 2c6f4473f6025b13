// SPDX-License-Identifier: MIT
/*
 * Conntrack over ctnetlink (ct.c, ctmsg.c): the request bytes and the
 * entry and event parsers without a kernel, then - as root - a UDP flow
 * between two namespaces (netpair.h) listed, flushed and its timeouts
 * set, and its events (NEW, then DESTROY on the flush) read as they come.
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
#include <linux/netfilter/nf_conntrack_common.h>

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

/* An entry message of type t (IPCTNL_MSG_CT_*) with flags, as
 * ctnetlink_conntrack_event lays it out: tuples, status, timeout, id. */
static struct nlmsghdr *put_event(uint8_t *buf, uint8_t t, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | t;
	nlh->nlmsg_flags = flags;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_INET;
	put_tuple(nlh, CTA_TUPLE_ORIG, "10.0.1.2", "192.0.2.10", 4000, 3478);
	put_tuple(nlh, CTA_TUPLE_REPLY, "192.0.2.10", "198.51.100.10", 3478, 4001);
	mnl_attr_put_u32(nlh, CTA_STATUS, htonl(IPS_CONFIRMED | IPS_SRC_NAT));
	mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(30));
	mnl_attr_put_u32(nlh, CTA_ID, htonl(0xabcdef01));
	return nlh;
}

static void test_ct_parse_entry_fields(void **state)
{
	uint8_t buf[BUFSZ] __attribute__((aligned(4)));
	struct nlmsghdr *nlh = put_event(buf, IPCTNL_MSG_CT_NEW, 0);
	struct lab_ct_entry e;

	(void)state;
	assert_int_equal(lab_ct_parse_entry(buf, nlh->nlmsg_len, &e), 0);
	assert_int_equal(e.status, IPS_CONFIRMED | IPS_SRC_NAT);
	assert_int_equal(e.timeout, 30);
	assert_int_equal(e.id, 0xabcdef01);
	assert_int_equal(e.reply.dport, 4001);
	/* a status that is not a u32 is malformed */
	mnl_attr_put_u16(nlh, CTA_STATUS, 1);
	assert_int_equal(lab_ct_parse_entry(buf, nlh->nlmsg_len, &e), -EINVAL);
	/* a delete is no dump answer */
	nlh = put_event(buf, IPCTNL_MSG_CT_DELETE, 0);
	assert_int_equal(lab_ct_parse_entry(buf, nlh->nlmsg_len, &e), -EINVAL);
}

static void test_ct_parse_event(void **state)
{
	uint8_t buf[BUFSZ] __attribute__((aligned(4)));
	struct nlmsghdr *nlh;
	struct lab_ct_event ev;

	(void)state;
	nlh = put_event(buf, IPCTNL_MSG_CT_NEW, NLM_F_CREATE | NLM_F_EXCL);
	assert_int_equal(lab_ct_parse_event(buf, nlh->nlmsg_len, &ev), 0);
	assert_int_equal(ev.type, LAB_CT_EV_NEW);
	assert_int_equal(ev.e.l4proto, IPPROTO_UDP);
	assert_int_equal(ev.e.orig.sport, 4000);
	assert_int_equal(ev.e.reply.dport, 4001);
	assert_int_equal(ev.e.id, 0xabcdef01);
	for (size_t cut = 0; cut < nlh->nlmsg_len; cut++)
		assert_int_equal(lab_ct_parse_event(buf, cut, &ev), -EINVAL);

	nlh = put_event(buf, IPCTNL_MSG_CT_NEW, 0);
	assert_int_equal(lab_ct_parse_event(buf, nlh->nlmsg_len, &ev), 0);
	assert_int_equal(ev.type, LAB_CT_EV_UPDATE);
	/* an unaligned length: libmnl would read up to the next word */
	nlh->nlmsg_len -= 1;
	assert_int_equal(lab_ct_parse_event(buf, nlh->nlmsg_len + 1, &ev), -EINVAL);
	assert_int_equal(lab_ct_parse_entry(buf, nlh->nlmsg_len + 1, &ev.e), -EINVAL);

	nlh = put_event(buf, IPCTNL_MSG_CT_DELETE, 0);
	assert_int_equal(lab_ct_parse_event(buf, nlh->nlmsg_len, &ev), 0);
	assert_int_equal(ev.type, LAB_CT_EV_DESTROY);
	assert_int_equal(ev.e.orig.dport, 3478);

	/* other messages are not events; a broken event is malformed */
	nlh->nlmsg_type = NLMSG_DONE;
	assert_int_equal(lab_ct_parse_event(buf, nlh->nlmsg_len, &ev), -ENOMSG);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK_EXP << 8) | IPCTNL_MSG_EXP_NEW;
	assert_int_equal(lab_ct_parse_event(buf, nlh->nlmsg_len, &ev), -ENOMSG);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE;
	nlh->nlmsg_len = MNL_NLMSG_HDRLEN + 2;
	assert_int_equal(lab_ct_parse_event(buf, nlh->nlmsg_len, &ev), -EINVAL);
	assert_int_equal(lab_ct_parse_event(buf + 2, 64, &ev), -EINVAL);
	assert_int_equal(lab_ct_parse_event(NULL, 64, &ev), -EINVAL);
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
	/* the echo was seen: the entry carries its status, id and time left */
	assert_true(e[0].status & IPS_SEEN_REPLY);
	assert_true(e[0].id != 0);
	assert_true(e[0].timeout > 0);
	assert_int_equal(lab_ct_flush(np->fb), 0);
	assert_int_equal(lab_ct_count(np->fb, IPPROTO_UDP), 0);
	assert_int_equal(lab_ct_count(np->fb, 0), 0);
	assert_int_equal(lab_ct_set_udp_timeouts(np->fb, 5, 7), 0);
}

struct ev_seen {
	struct sockaddr_in src; /* the flow's origin */
	uint32_t id;            /* its entry, once NEW was seen */
	bool new_seen, destroy_seen;
	uint16_t reply_sport;
};

static void on_event(void *ctx, const struct lab_ct_event *ev)
{
	struct ev_seen *s = ctx;

	if (ev->e.l4proto != IPPROTO_UDP || ev->e.orig.src.s_addr != s->src.sin_addr.s_addr ||
	    ev->e.orig.sport != ntohs(s->src.sin_port))
		return;
	switch (ev->type) {
	case LAB_CT_EV_NEW:
		s->new_seen = true;
		s->id = ev->e.id;
		s->reply_sport = ev->e.reply.sport;
		break;
	case LAB_CT_EV_UPDATE:
		break;
	case LAB_CT_EV_DESTROY:
		if (s->new_seen && ev->e.id == s->id)
			s->destroy_seen = true;
		break;
	}
}

/* Reads events until *flag is set or 5 s passed. */
static void wait_event(struct lab_ctev *c, struct ev_seen *s, const bool *flag)
{
	uint64_t end = now_us() + 5000000u;

	while (!*flag && now_us() < end) {
		struct pollfd pfd = { lab_ctev_fd(c), POLLIN, 0 };

		assert_true(poll(&pfd, 1, (int)((end - now_us()) / 1000u) + 1) >= 0);
		assert_true(lab_ctev_read(c, on_event, s) >= 0);
	}
}

static void test_root_ct_events(void **state)
{
	struct netpair *np = *state;
	struct ev_seen s = { 0 };
	struct lab_ctev *c = NULL;

	if (geteuid() != 0)
		skip();
	s.src = np->addr_a;
	assert_int_equal(lab_ctev_open(&c, np->fb), 0);
	assert_true(lab_ctev_fd(c) >= 0);
	assert_int_equal(lab_ctev_read(c, on_event, &s), 0); /* nothing yet */
	assert_int_equal(echo_flow(np, 1, 3000000), 1);
	wait_event(c, &s, &s.new_seen);
	assert_true(s.new_seen);
	assert_true(s.id != 0);
	assert_int_equal(s.reply_sport, ntohs(np->addr_b.sin_port));
	assert_int_equal(lab_ct_flush(np->fb), 0);
	wait_event(c, &s, &s.destroy_seen);
	assert_true(s.destroy_seen);
	assert_int_equal(lab_ctev_lost(c), 0);
	lab_ctev_close(c);
	lab_ctev_close(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ct_flush_bytes),
		cmocka_unit_test(test_ct_parse_entry),
		cmocka_unit_test(test_ct_parse_rejects_missing_reply),
		cmocka_unit_test(test_ct_parse_entry_fields),
		cmocka_unit_test(test_ct_parse_event),
		cmocka_unit_test_setup_teardown(test_root_ct_flush, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_root_ct_events, fx_setup, fx_teardown),
	};

	if (geteuid() != 0)
		printf("SKIP: test_lab_ct namespace tests need root\n");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
