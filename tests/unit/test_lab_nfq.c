// SPDX-License-Identifier: MIT
/*
 * The NFQUEUE engine and ctnetlink helpers: message bytes without the
 * kernel, then - as root - a real run between two namespaces.
 *
 * HPLAB_NFQ_COUNT=N (default 50) sets how many datagrams the timing run
 * sends at 50 per second; it prints the engine's lateness and the extra
 * one-way delay beyond what was asked (numbers, never asserted).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include "ct.h"
#include "lab/impair.h"
#include "netns.h"
#include "nfq.h"
#include "nl.h"

#define BUFSZ 4096
#define QNUM 3
#define DELAY_US 30000u
#define MAGIC 0x48504e51u /* "HPNQ" */

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

	/* A short packet header. */
	len = build_packet(buf, 1, 0, NULL, 0, false);
	mnl_attr_put(nlh, NFQA_PACKET_HDR, 3, "abc");
	assert_int_equal(lab_nfq_parse_packet(buf, nlh->nlmsg_len, &p), -EINVAL);

	len = build_packet(buf, 1, 0, NULL, 0, true);
	nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_VERDICT;
	assert_int_equal(lab_nfq_parse_packet(buf, len, &p), -EINVAL);
}

static void test_lateness_percentile(void **state)
{
	struct lab_nfq_stats st;

	(void)state;
	memset(&st, 0, sizeof(st));
	assert_int_equal(lab_nfq_lateness_pct_us(&st, 50), 0);
	st.late_hist[0] = 90;
	st.late_hist[3] = 10;
	st.late_n = 100;
	st.late_max_us = 35;
	assert_int_equal(lab_nfq_lateness_pct_us(&st, 50), LAB_NFQ_HIST_US);
	assert_int_equal(lab_nfq_lateness_pct_us(&st, 90), LAB_NFQ_HIST_US);
	assert_int_equal(lab_nfq_lateness_pct_us(&st, 91), 4 * LAB_NFQ_HIST_US);
	assert_int_equal(lab_nfq_lateness_pct_us(&st, 100), 4 * LAB_NFQ_HIST_US);
}

/* ---- ctnetlink ---- */

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

/* ---- root: two namespaces and the real engine ---- */

struct fx {
	char na[LAB_NETNS_NAME_MAX], nb[LAB_NETNS_NAME_MAX];
	bool made_a, made_b;
	int fa, fb;   /* namespace fds */
	int sa, sb;   /* UDP sockets: a = 10.98.0.1, b = 10.98.0.2 */
	struct sockaddr_in addr_a, addr_b;
	struct lab_nfq *q;
};

static int socket_in(int ns_fd)
{
	int saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int fd = -1;

	if (saved < 0)
		return -errno;
	if (lab_netns_enter(ns_fd) == 0)
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (lab_netns_enter(saved) < 0)
		abort(); /* a test stuck in another namespace must not go on */
	close(saved);
	return fd;
}

/* iptables-restore inside ns_fd, fed rules on stdin, bounded by timeout(1). */
static int restore_in(int ns_fd, const char *rules)
{
	int p[2], status = 0;
	pid_t pid;
	size_t len = strlen(rules), off = 0;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (lab_netns_enter(ns_fd) < 0 || dup2(p[0], 0) < 0)
			_exit(127);
		execl("/usr/bin/timeout", "timeout", "10", "/usr/sbin/iptables-restore", (char *)NULL);
		_exit(127);
	}
	close(p[0]);
	while (off < len) {
		ssize_t n = write(p[1], rules + off, len - off);

		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(p[1]);
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	if (!f)
		return 0;
	lab_nfq_close(f->q);
	if (f->sa >= 0)
		close(f->sa);
	if (f->sb >= 0)
		close(f->sb);
	if (f->fa >= 0)
		close(f->fa);
	if (f->fb >= 0)
		close(f->fb);
	/* Deleting a namespace takes its veth, rules and queue with it. */
	if (f->made_a)
		lab_netns_delete(f->na);
	if (f->made_b)
		lab_netns_delete(f->nb);
	free(f);
	*state = NULL;
	return 0;
}

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct lab_nl nl;
	struct in_addr a, b;
	socklen_t sl;
	int ret = -1;

	*state = f;
	if (!f)
		return -1;
	f->fa = f->fb = f->sa = f->sb = -1;
	if (geteuid() != 0)
		return 0; /* the tests skip */
	snprintf(f->na, sizeof(f->na), "hplimp%d-a", (int)getpid());
	snprintf(f->nb, sizeof(f->nb), "hplimp%d-b", (int)getpid());
	inet_pton(AF_INET, "10.98.0.1", &a);
	inet_pton(AF_INET, "10.98.0.2", &b);
	if (lab_netns_create(f->na) < 0)
		goto out;
	f->made_a = true;
	if (lab_netns_create(f->nb) < 0)
		goto out;
	f->made_b = true;
	f->fa = lab_netns_open(f->na);
	f->fb = lab_netns_open(f->nb);
	if (f->fa < 0 || f->fb < 0)
		goto out;
	if (lab_nl_open(&nl, f->fa) < 0)
		goto out;
	ret = lab_nl_veth_create(&nl, "hplva", f->fa, "hplvb", f->fb);
	if (ret == 0)
		ret = lab_nl_addr_add(&nl, "hplva", AF_INET, &a, 24);
	if (ret == 0)
		ret = lab_nl_link_up(&nl, "hplva");
	lab_nl_close(&nl);
	if (ret < 0 || lab_nl_open(&nl, f->fb) < 0)
		goto out;
	ret = lab_nl_addr_add(&nl, "hplvb", AF_INET, &b, 24);
	if (ret == 0)
		ret = lab_nl_link_up(&nl, "hplvb");
	lab_nl_close(&nl);
	if (ret < 0)
		goto out;
	ret = -1;
	f->sa = socket_in(f->fa);
	f->sb = socket_in(f->fb);
	if (f->sa < 0 || f->sb < 0)
		goto out;
	f->addr_a = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr = a };
	f->addr_b = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr = b };
	if (bind(f->sa, (struct sockaddr *)&f->addr_a, sizeof(f->addr_a)) < 0 ||
	    bind(f->sb, (struct sockaddr *)&f->addr_b, sizeof(f->addr_b)) < 0)
		goto out;
	sl = sizeof(f->addr_a);
	getsockname(f->sa, (struct sockaddr *)&f->addr_a, &sl);
	sl = sizeof(f->addr_b);
	getsockname(f->sb, (struct sockaddr *)&f->addr_b, &sl);
	ret = 0;
out:
	if (ret < 0)
		fprintf(stderr, "fixture: could not build the namespaces\n");
	return ret < 0 ? -1 : 0;
}

/* Engine in b on the ingress of hplvb: a -> b is delayed, b -> a is not.
 * The filter rule only switches connection tracking on in b, as a router's
 * NAT rules do. */
static void fx_impair(struct fx *f, const struct lab_impair *imp)
{
	struct lab_impair_hook hook = { .ifname = "hplvb" };
	struct lab_impair_rules_cfg cfg = { .imp = imp, .hooks = &hook, .n_hooks = 1,
					    .queue_num = QNUM, .proto = "udp" };
	char rules[2048];
	int n;

	n = lab_impair_rules(rules, sizeof(rules) - 100, &cfg);
	assert_true(n > 0);
	strcat(rules, "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m conntrack --ctstate INVALID -j DROP\nCOMMIT\n");
	lab_nfq_close(f->q);
	f->q = NULL;
	assert_int_equal(lab_nfq_open(&f->q, f->fb, QNUM, imp, 42), 0);
	assert_int_equal(restore_in(f->fb, rules), 0);
}

struct run {
	unsigned sent, got_b, got_echo;
	unsigned per_seq[256];
	uint64_t min_oneway_us;
	uint64_t oneway_us[1024];
	unsigned n_oneway;
};

struct probe {
	uint32_t magic, seq;
	uint64_t sent_us;
};

static void drain_b(struct fx *f, struct run *r)
{
	struct probe p;
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ssize_t n;

	while ((n = recvfrom(f->sb, &p, sizeof(p), 0, (struct sockaddr *)&from, &fl)) > 0) {
		uint64_t now = lab_nfq_now_us();

		if ((size_t)n != sizeof(p) || p.magic != MAGIC || p.seq >= 256)
			continue;
		r->got_b++;
		r->per_seq[p.seq]++;
		if (now - p.sent_us < r->min_oneway_us)
			r->min_oneway_us = now - p.sent_us;
		if (r->per_seq[p.seq] == 1 && r->n_oneway < 1024)
			r->oneway_us[r->n_oneway++] = now - p.sent_us;
		sendto(f->sb, &p, sizeof(p), 0, (struct sockaddr *)&from, fl);
		fl = sizeof(from);
	}
}

static void drain_a(struct fx *f, struct run *r)
{
	struct probe p;
	ssize_t n;

	while ((n = recv(f->sa, &p, sizeof(p), 0)) > 0)
		if ((size_t)n == sizeof(p) && p.magic == MAGIC)
			r->got_echo++;
}

/*
 * One poll loop drives everything, as lab run's will: a sends `count`
 * probes every interval_us, b echoes, the engine releases on time. Ends
 * when every expected datagram is in, or at a hard deadline.
 */
static void run_flow(struct fx *f, struct run *r, unsigned count, uint64_t interval_us,
		     unsigned expect_b, uint64_t grace_us)
{
	uint64_t start = lab_nfq_now_us(), next_send = start;
	uint64_t deadline = start + count * interval_us + grace_us;

	memset(r, 0, sizeof(*r));
	r->min_oneway_us = UINT64_MAX;
	for (;;) {
		struct pollfd pfd[3] = { { lab_nfq_fd(f->q), POLLIN, 0 },
					 { f->sa, POLLIN, 0 },
					 { f->sb, POLLIN, 0 } };
		uint64_t now = lab_nfq_now_us(), wait_us = deadline - now;
		int64_t due = lab_nfq_next_due_us(f->q, now);
		struct timespec ts;

		if (now >= deadline || (r->got_b >= expect_b && r->got_echo >= expect_b &&
					r->sent == count))
			break;
		if (r->sent < count && next_send <= now)
			wait_us = 0;
		else if (r->sent < count && next_send - now < wait_us)
			wait_us = next_send - now;
		if (due >= 0 && (uint64_t)due < wait_us)
			wait_us = (uint64_t)due;
		ts.tv_sec = (time_t)(wait_us / 1000000u);
		ts.tv_nsec = (long)(wait_us % 1000000u) * 1000;
		assert_true(ppoll(pfd, 3, &ts, NULL) >= 0);
		now = lab_nfq_now_us();
		if (pfd[0].revents & POLLIN)
			assert_true(lab_nfq_on_readable_us(f->q, now) >= 0);
		assert_true(lab_nfq_release_due_us(f->q, lab_nfq_now_us()) >= 0);
		if (pfd[2].revents & POLLIN)
			drain_b(f, r);
		if (pfd[1].revents & POLLIN)
			drain_a(f, r);
		now = lab_nfq_now_us();
		if (r->sent < count && now >= next_send) {
			struct probe p = { .magic = MAGIC, .seq = r->sent, .sent_us = now };

			assert_int_equal(sendto(f->sa, &p, sizeof(p), 0,
						(struct sockaddr *)&f->addr_b, sizeof(f->addr_b)),
					 sizeof(p));
			r->sent++;
			next_send += interval_us;
		}
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static unsigned probe_count(void)
{
	const char *s = getenv("HPLAB_NFQ_COUNT");
	long v = s ? strtol(s, NULL, 10) : 50;

	return v > 0 && v <= 255 ? (unsigned)v : 50;
}

static void test_root_delay_no_loss(void **state)
{
	struct fx *f = *state;
	struct lab_impair imp = { .delay_us = DELAY_US };
	struct lab_nfq_stats st;
	struct run r;
	unsigned count = probe_count();

	if (geteuid() != 0)
		skip();
	fx_impair(f, &imp);
	run_flow(f, &r, count, 20000, count, 3000000);
	lab_nfq_stats(f->q, &st);
	assert_int_equal(r.sent, count);
	assert_int_equal(r.got_b, count);       /* loss 0: every probe arrived once */
	assert_int_equal(r.got_echo, count);
	assert_true(r.min_oneway_us >= DELAY_US); /* every one-way trip held >= 30 ms */
	assert_int_equal(st.queued, count);
	assert_int_equal(st.delayed, count);
	assert_int_equal(st.held, 0);
	qsort(r.oneway_us, r.n_oneway, sizeof(r.oneway_us[0]), cmp_u64);
	printf("nfq: %u probes at 50/s, delay %u us: one-way extra median %llu us, max %llu us;"
	       " engine lateness median <= %llu us, max %llu us\n",
	       count, DELAY_US, (unsigned long long)(r.oneway_us[r.n_oneway / 2] - DELAY_US),
	       (unsigned long long)(r.oneway_us[r.n_oneway - 1] - DELAY_US),
	       (unsigned long long)lab_nfq_lateness_pct_us(&st, 50),
	       (unsigned long long)st.late_max_us);
}

static void test_root_duplicate_all(void **state)
{
	struct fx *f = *state;
	struct lab_impair imp = { .delay_us = 5000, .dup_ppm = LAB_IMPAIR_PPM };
	struct lab_nfq_stats st;
	struct run r;
	unsigned count = 20;

	if (geteuid() != 0)
		skip();
	fx_impair(f, &imp);
	/* Copies of what entered on hplvb are re-sent from its peer in a. */
	assert_int_equal(lab_nfq_add_dup_path(f->q, "hplvb", f->fa, "hplva"), 0);
	run_flow(f, &r, count, 20000, 2 * count, 3000000);
	lab_nfq_stats(f->q, &st);
	assert_int_equal(r.got_b, 2 * count);
	for (unsigned i = 0; i < count; i++)
		assert_int_equal(r.per_seq[i], 2);
	assert_int_equal(st.duplicated, count);
	assert_int_equal(st.dup_returned, count);
	assert_int_equal(st.dup_failed, 0);
}

static void test_root_reorder_all_skips_delay(void **state)
{
	struct fx *f = *state;
	struct lab_impair imp = { .delay_us = DELAY_US, .reorder_ppm = LAB_IMPAIR_PPM };
	struct lab_nfq_stats st;
	struct run r;

	if (geteuid() != 0)
		skip();
	fx_impair(f, &imp);
	run_flow(f, &r, 10, 5000, 10, 3000000);
	lab_nfq_stats(f->q, &st);
	assert_int_equal(r.got_b, 10);
	assert_int_equal(st.reordered, 10);
	assert_int_equal(st.delayed, 0);
}

static void test_root_jitter_bounds(void **state)
{
	struct fx *f = *state;
	struct lab_impair imp = { .delay_us = DELAY_US, .jitter_us = 10000 };
	struct run r;

	if (geteuid() != 0)
		skip();
	fx_impair(f, &imp);
	run_flow(f, &r, 20, 5000, 20, 3000000);
	assert_int_equal(r.got_b, 20);
	assert_true(r.min_oneway_us >= DELAY_US - 10000);
}

static void test_root_loss_all(void **state)
{
	struct fx *f = *state;
	struct lab_impair imp = { .delay_us = 1000, .loss_ppm = LAB_IMPAIR_PPM };
	struct lab_nfq_stats st;
	struct run r;

	if (geteuid() != 0)
		skip();
	fx_impair(f, &imp);
	/* Nothing can arrive: the loop runs to its deadline, 200 ms after the
	 * last probe, far beyond the 1 ms delay. */
	run_flow(f, &r, 5, 1000, 1, 200000);
	lab_nfq_stats(f->q, &st);
	assert_int_equal(r.sent, 5);
	assert_int_equal(r.got_b, 0);
	assert_int_equal(st.queued, 0); /* dropped before the queue */
}

static void test_root_ct_flush(void **state)
{
	struct fx *f = *state;
	struct lab_impair imp = { .delay_us = 1000 };
	struct lab_ct_entry e[4];
	struct run r;
	int n;

	if (geteuid() != 0)
		skip();
	fx_impair(f, &imp);
	run_flow(f, &r, 3, 1000, 3, 3000000);
	assert_int_equal(r.got_echo, 3);
	n = lab_ct_list(f->fb, IPPROTO_UDP, e, 4);
	assert_int_equal(n, 1); /* the one a -> b flow */
	assert_int_equal(e[0].orig.src.s_addr, f->addr_a.sin_addr.s_addr);
	assert_int_equal(e[0].orig.sport, ntohs(f->addr_a.sin_port));
	assert_int_equal(e[0].reply.sport, ntohs(f->addr_b.sin_port));
	assert_int_equal(lab_ct_flush(f->fb), 0);
	assert_int_equal(lab_ct_count(f->fb, IPPROTO_UDP), 0);
	assert_int_equal(lab_ct_count(f->fb, 0), 0);
	assert_int_equal(lab_ct_set_udp_timeouts(f->fb, 5, 7), 0);
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
		cmocka_unit_test(test_lateness_percentile),
		cmocka_unit_test(test_ct_flush_bytes),
		cmocka_unit_test(test_ct_parse_entry),
		cmocka_unit_test(test_ct_parse_rejects_missing_reply),
		cmocka_unit_test_setup_teardown(test_root_delay_no_loss, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_root_duplicate_all, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_root_reorder_all_skips_delay, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_root_jitter_bounds, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_root_loss_all, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_root_ct_flush, fx_setup, fx_teardown),
	};

	/* As lab run should: wake-ups on time, not up to 50 us late. */
	if (!getenv("HPLAB_NFQ_SLACK"))
		prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	if (geteuid() != 0)
		printf("SKIP: test_lab_nfq namespace tests need root\n");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
