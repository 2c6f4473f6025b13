// SPDX-License-Identifier: MIT
/*
 * Netfilter's log over nfnetlink_log (nflog.c, nflogmsg.c): the request
 * bytes and the packet parser on crafted, malformed and truncated
 * messages without a kernel, then - as root - an NFLOG rule in a fresh
 * namespace logging one datagram sent on its loopback, and a second
 * listener refused the taken group.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>

#include "netns.h"
#include "nflog.h"
#include "nflogmsg.h"
#include "nl.h"
#include "lab/pktdec.h"
#include "proto.h"

#define BUFSZ 4096
#define GROUP 5
#define NFLOG_TYPE(t) ((NFNL_SUBSYS_ULOG << 8) | (t))

static const struct nfgenmsg *nfg_of(const uint8_t *buf)
{
	return (const struct nfgenmsg *)(buf + MNL_NLMSG_HDRLEN);
}

static const struct nlattr *first_attr(const uint8_t *buf)
{
	return (const struct nlattr *)(buf + MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg)));
}

/* ---- builders ---- */

static void check_config_header(const uint8_t *buf, int n, uint32_t seq)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;

	assert_int_equal(nlh->nlmsg_len, (uint32_t)n);
	assert_int_equal(nlh->nlmsg_type, NFLOG_TYPE(NFULNL_MSG_CONFIG));
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	assert_int_equal(nlh->nlmsg_seq, seq);
	assert_int_equal(nfg_of(buf)->version, NFNETLINK_V0);
	assert_int_equal(ntohs(nfg_of(buf)->res_id), 513); /* the group */
}

static void test_bind_unbind_bytes(void **state)
{
	uint8_t buf[BUFSZ] __attribute__((aligned(4)));
	const struct nfulnl_msg_config_cmd *cmd;
	const struct nlattr *a = first_attr(buf);
	int n;

	(void)state;
	n = lab_nflogmsg_bind(buf, sizeof(buf), 9, 513);
	assert_int_equal(n, 16 + 4 + 8); /* one u8 command, padded */
	check_config_header(buf, n, 9);
	assert_int_equal(a->nla_type, NFULA_CFG_CMD);
	assert_int_equal(a->nla_len, 4 + sizeof(*cmd));
	cmd = (const void *)(a + 1);
	assert_int_equal(cmd->command, NFULNL_CFG_CMD_BIND);

	n = lab_nflogmsg_unbind(buf, sizeof(buf), 10, 513);
	assert_int_equal(n, 16 + 4 + 8);
	check_config_header(buf, n, 10);
	assert_int_equal(cmd->command, NFULNL_CFG_CMD_UNBIND);
}

static void test_mode_bytes(void **state)
{
	uint8_t buf[BUFSZ] __attribute__((aligned(4)));
	const struct nfulnl_msg_config_mode *m;
	const struct nlattr *a = first_attr(buf), *q;
	int n;

	(void)state;
	n = lab_nflogmsg_mode(buf, sizeof(buf), 11, 513, 300);
	assert_int_equal(n, 16 + 4 + 12 + 8);
	check_config_header(buf, n, 11);
	assert_int_equal(a->nla_type, NFULA_CFG_MODE);
	assert_int_equal(a->nla_len, 4 + sizeof(*m));
	m = (const void *)(a + 1);
	assert_int_equal(ntohl(m->copy_range), 300);
	assert_int_equal(m->copy_mode, NFULNL_COPY_PACKET);
	q = (const struct nlattr *)((const uint8_t *)a + MNL_ALIGN(a->nla_len));
	assert_int_equal(q->nla_type, NFULA_CFG_QTHRESH);
	assert_int_equal(q->nla_len, 8);
	assert_int_equal(ntohl(*(const uint32_t *)(q + 1)), 1);
}

static void test_builders_short_buffer(void **state)
{
	uint8_t buf[BUFSZ] __attribute__((aligned(4)));

	(void)state;
	for (size_t cap = 0; cap < 28; cap++) {
		assert_int_equal(lab_nflogmsg_bind(buf, cap, 1, GROUP), -ENOSPC);
		assert_int_equal(lab_nflogmsg_unbind(buf, cap, 1, GROUP), -ENOSPC);
	}
	for (size_t cap = 0; cap < 40; cap++)
		assert_int_equal(lab_nflogmsg_mode(buf, cap, 1, GROUP, 64), -ENOSPC);
	assert_int_equal(lab_nflogmsg_mode(buf, 40, 1, GROUP, 64), 40);
}

/* ---- parser ---- */

static const uint8_t PAYLOAD[] = { 0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17 };

/* A packet message as __build_packet_message lays it out. */
static struct nlmsghdr *put_packet(uint8_t *buf, const char *prefix)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfulnl_msg_packet_hdr ph = { .hw_protocol = htons(0x0800), .hook = 3 };
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = NFLOG_TYPE(NFULNL_MSG_PACKET);
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_INET;
	nfg->res_id = htons(GROUP);
	mnl_attr_put(nlh, NFULA_PACKET_HDR, sizeof(ph), &ph);
	mnl_attr_put_u32(nlh, NFULA_IFINDEX_OUTDEV, htonl(7));
	if (prefix)
		mnl_attr_put_strz(nlh, NFULA_PREFIX, prefix);
	mnl_attr_put(nlh, NFULA_PAYLOAD, sizeof(PAYLOAD), PAYLOAD);
	return nlh;
}

static void test_parse_packet(void **state)
{
	uint8_t buf[BUFSZ] __attribute__((aligned(4)));
	struct nlmsghdr *nlh = put_packet(buf, "rA fwd");
	struct lab_nflog_pkt p;

	(void)state;
	assert_int_equal(lab_nflog_parse(buf, nlh->nlmsg_len, &p), 0);
	assert_string_equal(p.prefix, "rA fwd");
	assert_int_equal(p.hw_protocol, 0x0800);
	assert_int_equal(p.hook, 3);
	assert_int_equal(p.indev, 0);
	assert_int_equal(p.outdev, 7);
	assert_int_equal(p.len, sizeof(PAYLOAD));
	assert_memory_equal(p.payload, PAYLOAD, sizeof(PAYLOAD));
	assert_true(p.payload > buf && p.payload + p.len <= buf + nlh->nlmsg_len);
	/* every cut of the message is refused */
	for (size_t cut = 0; cut < nlh->nlmsg_len; cut++)
		assert_int_equal(lab_nflog_parse(buf, cut, &p), -EINVAL);
	/* unaligned buffers are refused: attributes are read in place */
	assert_int_equal(lab_nflog_parse(buf + 1, nlh->nlmsg_len, &p), -EINVAL);
	assert_int_equal(lab_nflog_parse(NULL, 64, &p), -EINVAL);
	assert_int_equal(lab_nflog_parse(buf, nlh->nlmsg_len, NULL), -EINVAL);
}

static void test_parse_no_prefix_no_payload(void **state)
{
	uint8_t buf[BUFSZ] __attribute__((aligned(4)));
	struct nlmsghdr *nlh = put_packet(buf, NULL);
	struct lab_nflog_pkt p;

	(void)state;
	assert_int_equal(lab_nflog_parse(buf, nlh->nlmsg_len, &p), 0);
	assert_string_equal(p.prefix, "");

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NFLOG_TYPE(NFULNL_MSG_PACKET);
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct nfgenmsg));
	/* no NFULA_PACKET_HDR: the one attribute the kernel always sends */
	assert_int_equal(lab_nflog_parse(buf, nlh->nlmsg_len, &p), -EINVAL);
	{
		struct nfulnl_msg_packet_hdr ph = { .hook = 1 };

		mnl_attr_put(nlh, NFULA_PACKET_HDR, sizeof(ph), &ph);
	}
	assert_int_equal(lab_nflog_parse(buf, nlh->nlmsg_len, &p), 0);
	assert_null(p.payload);
	assert_int_equal(p.len, 0);
}

static void test_parse_long_prefix_cut(void **state)
{
	uint8_t buf[BUFSZ] __attribute__((aligned(4)));
	char longp[128];
	struct lab_nflog_pkt p;
	struct nlmsghdr *nlh;

	(void)state;
	memset(longp, 'x', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	nlh = put_packet(buf, longp);
	assert_int_equal(lab_nflog_parse(buf, nlh->nlmsg_len, &p), 0);
	assert_int_equal(strlen(p.prefix), sizeof(p.prefix) - 1);
	assert_memory_equal(p.prefix, longp, sizeof(p.prefix) - 1);
}

static void test_parse_malformed(void **state)
{
	uint8_t buf[BUFSZ] __attribute__((aligned(4)));
	struct nfulnl_msg_packet_hdr ph = { 0 };
	struct lab_nflog_pkt p;
	struct nlmsghdr *nlh;

	(void)state;
	/* a prefix without its NUL */
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NFLOG_TYPE(NFULNL_MSG_PACKET);
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct nfgenmsg));
	mnl_attr_put(nlh, NFULA_PACKET_HDR, sizeof(ph), &ph);
	mnl_attr_put(nlh, NFULA_PREFIX, 3, "abc");
	assert_int_equal(lab_nflog_parse(buf, nlh->nlmsg_len, &p), -EINVAL);

	/* a short packet header */
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NFLOG_TYPE(NFULNL_MSG_PACKET);
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct nfgenmsg));
	mnl_attr_put(nlh, NFULA_PACKET_HDR, 2, &ph);
	assert_int_equal(lab_nflog_parse(buf, nlh->nlmsg_len, &p), -EINVAL);

	/* an ifindex that is not a u32 */
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NFLOG_TYPE(NFULNL_MSG_PACKET);
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct nfgenmsg));
	mnl_attr_put(nlh, NFULA_PACKET_HDR, sizeof(ph), &ph);
	mnl_attr_put_u16(nlh, NFULA_IFINDEX_INDEV, 1);
	assert_int_equal(lab_nflog_parse(buf, nlh->nlmsg_len, &p), -EINVAL);

	/* a netlink length past the buffer, and one shorter than the header */
	nlh = put_packet(buf, "t");
	nlh->nlmsg_len += 4;
	assert_int_equal(lab_nflog_parse(buf, nlh->nlmsg_len - 4, &p), -EINVAL);
	nlh->nlmsg_len = 8;
	assert_int_equal(lab_nflog_parse(buf, 64, &p), -EINVAL);
	/* an unaligned length: libmnl would read up to the next word */
	nlh = put_packet(buf, "t");
	nlh->nlmsg_len -= 1;
	assert_int_equal(lab_nflog_parse(buf, nlh->nlmsg_len, &p), -EINVAL);
	assert_int_equal(lab_nflog_parse(buf, nlh->nlmsg_len + 1, &p), -EINVAL);
	/* a packet message too short for its nfgenmsg */
	nlh->nlmsg_len = MNL_NLMSG_HDRLEN;
	assert_int_equal(lab_nflog_parse(buf, 64, &p), -EINVAL);
}

static void test_parse_other_types(void **state)
{
	uint8_t buf[BUFSZ] __attribute__((aligned(4)));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct lab_nflog_pkt p;

	(void)state;
	nlh->nlmsg_type = NLMSG_DONE; /* the end of a batch */
	mnl_nlmsg_put_extra_header(nlh, 4);
	assert_int_equal(lab_nflog_parse(buf, nlh->nlmsg_len, &p), -ENOMSG);
	nlh->nlmsg_type = NLMSG_ERROR;
	assert_int_equal(lab_nflog_parse(buf, nlh->nlmsg_len, &p), -ENOMSG);
	nlh->nlmsg_type = NFLOG_TYPE(NFULNL_MSG_CONFIG);
	assert_int_equal(lab_nflog_parse(buf, nlh->nlmsg_len, &p), -ENOMSG);
	nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | NFULNL_MSG_PACKET;
	assert_int_equal(lab_nflog_parse(buf, nlh->nlmsg_len, &p), -ENOMSG);
}

/* ---- root: an NFLOG rule in a namespace of our own ---- */

struct fx {
	char name[LAB_NETNS_NAME_MAX];
	bool made;
	int ns, rx, tx;
	struct lab_nflog *log;
};

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	if (!f)
		return 0;
	lab_nflog_close(f->log);
	if (f->rx >= 0)
		close(f->rx);
	if (f->tx >= 0)
		close(f->tx);
	if (f->ns >= 0)
		close(f->ns);
	/* deleting the namespace takes the rule and the log instance with it */
	if (f->made)
		lab_netns_delete(f->name);
	free(f);
	*state = NULL;
	return 0;
}

/* iptables with args inside the namespace, bounded by timeout(1). */
static int ns_iptables(int ns_fd, const char *const *args)
{
	const char *argv[24] = { "timeout", "10", "/usr/sbin/iptables" };
	int status = 0;
	size_t n = 3;
	pid_t pid;

	while (*args && n < 23)
		argv[n++] = *args++;
	argv[n] = NULL;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (lab_netns_enter(ns_fd) < 0)
			_exit(127);
		execv("/usr/bin/timeout", (char *const *)argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/* The namespace, lo up, the rule, a bound receiver and a sender. */
static int fx_build(struct fx *f)
{
	static const char *const rule[] = { "-A", "OUTPUT", "-p", "udp", "-j", "NFLOG",
					    "--nflog-group", "5", "--nflog-prefix", "t", NULL };
	struct sockaddr_in lo = { .sin_family = AF_INET };
	struct lab_nl nl;
	int ret;

	snprintf(f->name, sizeof(f->name), "hplnflog%d", (int)getpid());
	if (lab_netns_create(f->name) < 0)
		return -1;
	f->made = true;
	f->ns = lab_netns_open(f->name);
	if (f->ns < 0 || lab_nl_open(&nl, f->ns) < 0)
		return -1;
	ret = lab_nl_link_up(&nl, "lo");
	lab_nl_close(&nl);
	if (ret < 0 || ns_iptables(f->ns, rule) < 0)
		return -1;
	f->rx = lab_netns_socket(f->ns, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	f->tx = lab_netns_socket(f->ns, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (f->rx < 0 || f->tx < 0)
		return -1;
	lo.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return bind(f->rx, (struct sockaddr *)&lo, sizeof(lo));
}

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	*state = f;
	if (!f)
		return -1;
	f->ns = f->rx = f->tx = -1;
	if (geteuid() != 0)
		return 0; /* the tests skip */
	if (fx_build(f) == 0)
		return 0;
	/* cmocka runs no teardown after a failed setup */
	fprintf(stderr, "FAIL: test_lab_nflog: namespace %s not built\n", f->name);
	fx_teardown(state);
	return -1;
}

struct seen {
	int n;
	struct lab_nflog_pkt first;
	struct lab_pkt dec;
	int dec_ret;
};

static void on_pkt(void *ctx, const struct lab_nflog_pkt *pkt)
{
	struct seen *s = ctx;

	if (s->n++ > 0)
		return;
	s->first = *pkt;
	s->first.payload = NULL; /* valid during the call only */
	s->dec_ret = lab_pkt_decode(pkt->payload, pkt->len, &s->dec);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Polls the log until something was read or 5 s passed. */
static void wait_logged(struct lab_nflog *log, struct seen *s)
{
	uint64_t end = now_ms() + 5000;

	while (s->n == 0 && now_ms() < end) {
		struct pollfd pfd = { lab_nflog_fd(log), POLLIN, 0 };

		assert_true(poll(&pfd, 1, (int)(end - now_ms()) + 1) >= 0);
		assert_true(lab_nflog_read(log, on_pkt, s) >= 0);
	}
}

static void test_root_nflog_loopback(void **state)
{
	struct fx *f = *state;
	/* hplab's header: magic, version 1, PUNCH, an empty body */
	const uint8_t dgram[] = { 0x48, 0x50, HP_VERSION, HP_PUNCH, 0, 0, 0, 0 };
	struct sockaddr_in to;
	socklen_t tl = sizeof(to);
	struct lab_nflog *again = NULL;
	struct seen s = { 0 };
	char a[INET_ADDRSTRLEN];

	if (geteuid() != 0)
		skip();
	assert_int_equal(lab_nflog_open(&f->log, f->ns, GROUP, 256), 0);
	assert_true(lab_nflog_fd(f->log) >= 0);
	/* one listener per group and namespace */
	assert_int_equal(lab_nflog_open(&again, f->ns, GROUP, 256), -EBUSY);
	assert_null(again);
	/* nothing logged yet: an empty read is 0, not an error */
	assert_int_equal(lab_nflog_read(f->log, on_pkt, &s), 0);

	assert_int_equal(getsockname(f->rx, (struct sockaddr *)&to, &tl), 0);
	assert_int_equal(sendto(f->tx, dgram, sizeof(dgram), 0, (struct sockaddr *)&to, tl),
			 sizeof(dgram));
	wait_logged(f->log, &s);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.first.prefix, "t");
	assert_int_equal(s.first.hook, NF_INET_LOCAL_OUT);
	assert_int_equal(s.first.outdev, 1); /* lo */
	assert_int_equal(s.dec_ret, 0);
	assert_int_equal(s.dec.ip.proto, IPPROTO_UDP);
	assert_string_equal(inet_ntop(AF_INET, &s.dec.ip.t.dst, a, sizeof(a)), "127.0.0.1");
	assert_int_equal(s.dec.ip.t.dport, ntohs(to.sin_port));
	assert_true(s.dec.ip.t.sport != 0);
	assert_int_equal(s.dec.ip.hp_type, HP_PUNCH);
	assert_int_equal(lab_nflog_lost(f->log), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bind_unbind_bytes),
		cmocka_unit_test(test_mode_bytes),
		cmocka_unit_test(test_builders_short_buffer),
		cmocka_unit_test(test_parse_packet),
		cmocka_unit_test(test_parse_no_prefix_no_payload),
		cmocka_unit_test(test_parse_long_prefix_cut),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_parse_other_types),
		cmocka_unit_test_setup_teardown(test_root_nflog_loopback, fx_setup, fx_teardown),
	};

	if (geteuid() != 0)
		printf("SKIP: test_lab_nflog namespace tests need root\n");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
