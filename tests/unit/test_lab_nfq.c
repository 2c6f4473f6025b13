// SPDX-License-Identifier: MIT
/*
 * The NFQUEUE engine (nfq.c): its lateness statistics, then - as root - a
 * real run between two namespaces (netpair.h). The bytes of its messages
 * are checked in test_lab_nfqmsg.c, conntrack in test_lab_ct.c.
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
#include <linux/netfilter/nfnetlink_queue.h>

#include "lab/impair.h"
#include "lab/nftload.h"
#include "netpair.h"
#include "nfq.h"

#define QNUM 3
#define DELAY_US 30000u
#define MAGIC 0x48504e51u /* "HPNQ" */

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

/* ---- root: two namespaces and the real engine ---- */

struct fx {
	struct netpair np;
	struct lab_nfq *q;
};

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	if (!f)
		return 0;
	lab_nfq_close(f->q);
	netpair_teardown(&f->np);
	free(f);
	*state = NULL;
	return 0;
}

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	*state = f;
	if (!f)
		return -1;
	f->np.fa = f->np.fb = f->np.sa = f->np.sb = -1;
	if (geteuid() != 0)
		return 0; /* the tests skip */
	return netpair_setup(&f->np, "hplimp");
}

/* Engine in b on the ingress of hplvb: a -> b is delayed, b -> a is not.
 * The filter table only switches connection tracking on in b, as a router's
 * rules do. */
static void fx_impair(struct fx *f, const struct lab_impair *imp)
{
	struct lab_impair_hook hook = { .ifname = NETPAIR_IFB };
	struct lab_impair_rules_cfg cfg = { .imp = imp, .hooks = &hook, .n_hooks = 1,
					    .queue_num = QNUM, .proto = "udp" };
	static const char ct_on[] = "table ip t {\n\tchain input {\n"
				    "\t\ttype filter hook input priority filter; policy accept;\n"
				    "\t\tct state invalid drop\n\t}\n}\n";
	struct lab_nft_load load = { -1, "b", NULL, LAB_IMPAIR_TABLE, LAB_IMPAIR_CHAIN, QNUM };
	char rules[2048], err[256];
	int n;

	n = lab_impair_rules(rules, sizeof(rules) - sizeof(ct_on), &cfg);
	assert_true(n > 0);
	strcat(rules, ct_on);
	lab_nfq_close(f->q);
	f->q = NULL;
	assert_int_equal(lab_nfq_open(&f->q, f->np.fb, QNUM, imp, 42), 0);
	load.ns_fd = f->np.fb;
	load.text = rules;
	if (!lab_impair_needs_queue(imp))
		load.queue_table = NULL;
	n = lab_nft_load(&load, err, sizeof(err));
	if (n < 0)
		fail_msg("%s", err);
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

	while ((n = recvfrom(f->np.sb, &p, sizeof(p), 0, (struct sockaddr *)&from, &fl)) > 0) {
		uint64_t now = lab_nfq_now_us();

		if ((size_t)n != sizeof(p) || p.magic != MAGIC || p.seq >= 256)
			continue;
		r->got_b++;
		r->per_seq[p.seq]++;
		if (now - p.sent_us < r->min_oneway_us)
			r->min_oneway_us = now - p.sent_us;
		if (r->per_seq[p.seq] == 1 && r->n_oneway < 1024)
			r->oneway_us[r->n_oneway++] = now - p.sent_us;
		sendto(f->np.sb, &p, sizeof(p), 0, (struct sockaddr *)&from, fl);
		fl = sizeof(from);
	}
}

static void drain_a(struct fx *f, struct run *r)
{
	struct probe p;
	ssize_t n;

	while ((n = recv(f->np.sa, &p, sizeof(p), 0)) > 0)
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
					 { f->np.sa, POLLIN, 0 },
					 { f->np.sb, POLLIN, 0 } };
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

			assert_int_equal(sendto(f->np.sa, &p, sizeof(p), 0,
						(struct sockaddr *)&f->np.addr_b, sizeof(f->np.addr_b)),
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
	assert_int_equal(lab_nfq_add_dup_path(f->q, NETPAIR_IFB, f->np.fa, NETPAIR_IFA), 0);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lateness_percentile),
		cmocka_unit_test_setup_teardown(test_root_delay_no_loss, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_root_duplicate_all, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_root_reorder_all_skips_delay, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_root_jitter_bounds, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_root_loss_all, fx_setup, fx_teardown),
	};

	/* As lab run should: wake-ups on time, not up to 50 us late. */
	if (!getenv("HPLAB_NFQ_SLACK"))
		prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	if (geteuid() != 0)
		printf("SKIP: test_lab_nfq namespace tests need root\n");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
