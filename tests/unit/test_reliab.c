// SPDX-License-Identifier: MIT
/* reliab.c, rrecv.c and cc.c on a fake clock: every step is an explicit
 * now_us, so nothing here depends on how fast the machine is. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "reliab.h"

#define MS(x) ((uint64_t)(x) * 1000) /* reliab counts in microseconds */

struct acks {
	unsigned n;
	uint32_t seq[4096];
	unsigned tx[4096];
};

static void on_acked(void *ctx, uint32_t seq, uint64_t rtt_us, unsigned tx)
{
	struct acks *a = ctx;

	(void)rtt_us;
	if (a->n < 4096) {
		a->seq[a->n] = seq;
		a->tx[a->n] = tx;
	}
	a->n++;
}

static void push_n(struct hp_rsend *s, unsigned n)
{
	char t[32];
	unsigned i;

	for (i = 0; i < n; i++) {
		snprintf(t, sizeof(t), "line %u", i);
		assert_int_equal(hp_rsend_push(s, t, strlen(t), NULL), 0);
	}
}

/* Sends whatever may go at now; returns how many, last seq in *last. */
static unsigned send_all(struct hp_rsend *s, uint64_t now, uint32_t *last)
{
	const struct hp_rsend_item *it;
	unsigned n = 0;

	while ((it = hp_rsend_due(s, now))) {
		if (last)
			*last = it->seq;
		n++;
	}
	return n;
}

static struct hp_ack ack_of(uint32_t seq, unsigned n, const uint32_t *lohi)
{
	struct hp_ack a = { .seq = seq, .window = HP_RRECV_WINDOW, .n_ranges = (uint8_t)n };
	unsigned i;

	for (i = 0; i < n; i++) {
		a.range[i].lo = lohi[2 * i];
		a.range[i].hi = lohi[2 * i + 1];
	}
	return a;
}

static void test_cumulative_ack(void **state)
{
	struct hp_rsend s;
	struct acks a = { 0 };
	struct hp_ack k = ack_of(3, 0, NULL);

	(void)state;
	assert_int_equal(hp_rsend_init(&s), 0);
	assert_true(hp_rsend_all_acked(&s));
	push_n(&s, 3);
	assert_int_equal(hp_rsend_deadline(&s), 0);
	assert_int_equal(send_all(&s, MS(1), NULL), 3);
	assert_int_equal(hp_rsend_in_flight(&s), 3);
	assert_int_equal(hp_rsend_ack(&s, &k, MS(11), on_acked, &a), 3);
	assert_int_equal(a.n, 3);
	assert_true(hp_rsend_all_acked(&s));
	assert_int_equal(hp_rsend_deadline(&s), UINT64_MAX);
	/* the same ACK again: nothing new, still valid */
	assert_int_equal(hp_rsend_ack(&s, &k, MS(12), on_acked, &a), 0);
	hp_rsend_free(&s);
}

static void test_ack_for_unsent_refused(void **state)
{
	struct hp_rsend s;
	uint32_t r[] = { 3, 5 };
	struct hp_ack k = ack_of(2, 0, NULL), kr = ack_of(1, 1, r);

	(void)state;
	hp_rsend_init(&s);
	push_n(&s, 10);
	hp_rsend_due(&s, 0);
	assert_int_equal(hp_rsend_ack(&s, &k, MS(1), NULL, NULL), -EINVAL);
	send_all(&s, 0, NULL);
	k.seq = 11;
	assert_int_equal(hp_rsend_ack(&s, &k, MS(1), NULL, NULL), -EINVAL);
	r[1] = 11;
	kr = ack_of(1, 1, r);
	assert_int_equal(hp_rsend_ack(&s, &kr, MS(1), NULL, NULL), -EINVAL);
	assert_int_equal(hp_rsend_pending(&s), 10); /* nothing of it was taken */
	hp_rsend_free(&s);
}

/* Lines 1..10 out, 3 missing: only 3 goes again, and at once. */
static void test_sack_retransmits_only_the_missing(void **state)
{
	struct hp_rsend s;
	struct acks a = { 0 };
	uint32_t r[] = { 4, 10 };
	struct hp_ack k = ack_of(2, 1, r);
	const struct hp_rsend_item *it;

	(void)state;
	hp_rsend_init(&s);
	push_n(&s, 10);
	assert_int_equal(send_all(&s, MS(0), NULL), 10);
	assert_int_equal(hp_rsend_ack(&s, &k, MS(20), on_acked, &a), 9);
	assert_int_equal(a.n, 9);
	assert_int_equal(hp_rsend_pending(&s), 1);
	assert_int_equal(hp_rsend_deadline(&s), 0);
	it = hp_rsend_due(&s, MS(20));
	assert_non_null(it);
	assert_int_equal(it->seq, 3);
	assert_int_equal(it->tx, 2);
	assert_null(hp_rsend_due(&s, MS(20)));
	assert_int_equal(s.n_retx, 1);
	k = ack_of(10, 0, NULL);
	assert_int_equal(hp_rsend_ack(&s, &k, MS(40), on_acked, &a), 1);
	assert_int_equal(a.seq[9], 3);
	assert_int_equal(a.tx[9], 2);
	assert_true(hp_rsend_all_acked(&s));
	hp_rsend_free(&s);
}

/* Fewer than 3 later lines acknowledged: lost only after 9/8 RTT. */
static void test_time_threshold(void **state)
{
	struct hp_rsend s;
	uint32_t r[] = { 2, 2 };
	struct hp_ack k = ack_of(0, 1, r);
	const struct hp_rsend_item *it;
	uint64_t d;

	(void)state;
	hp_rsend_init(&s);
	hp_rsend_rtt_sample(&s, MS(80));
	push_n(&s, 2);
	send_all(&s, MS(0), NULL);
	assert_int_equal(hp_rsend_ack(&s, &k, MS(80), NULL, NULL), 1);
	d = hp_rsend_deadline(&s);
	assert_int_equal(d, MS(90)); /* 9/8 x 80 ms after line 1 left */
	assert_null(hp_rsend_due(&s, d - 1));
	it = hp_rsend_due(&s, d);
	assert_non_null(it);
	assert_int_equal(it->seq, 1);
	hp_rsend_free(&s);
}

/* Nothing acknowledged: the RTO sends one probe (the oldest line, when
 * nothing new may go), doubling; three in a row collapse the window; any
 * ACK brings the base RTO back. */
static void test_rto_probe_and_backoff(void **state)
{
	struct hp_rsend s;
	struct hp_ack k = ack_of(0, 0, NULL);
	const struct hp_rsend_item *it;
	uint64_t rto, t;

	(void)state;
	hp_rsend_init(&s);
	rto = hp_rsend_rto(&s);
	assert_int_equal(rto, MS(HP_RTO_INIT_MS));
	push_n(&s, 200);
	assert_int_equal(send_all(&s, MS(0), NULL), HP_ACK_MIN_WINDOW);
	assert_int_equal(hp_rsend_deadline(&s), rto);
	assert_null(hp_rsend_due(&s, rto - 1));
	it = hp_rsend_due(&s, rto);
	assert_non_null(it);
	assert_int_equal(it->seq, 1);
	assert_int_equal(it->tx, 2);
	assert_null(hp_rsend_due(&s, rto)); /* one probe, nothing else */
	assert_int_equal(s.cc.cwnd, HP_CC_INIT);
	assert_int_equal(hp_rsend_deadline(&s), rto + 2 * rto);
	it = hp_rsend_due(&s, 3 * rto);
	assert_int_equal(it->seq, 1);
	assert_int_equal(it->tx, 3);
	assert_int_equal(hp_rsend_deadline(&s), 3 * rto + 4 * rto);
	t = 7 * rto;
	assert_non_null(hp_rsend_due(&s, t));
	assert_int_equal(s.cc.cwnd, HP_CC_MIN);
	/* a duplicate ACK: the peer is alive, the backoff goes */
	assert_int_equal(hp_rsend_ack(&s, &k, t + 1, NULL, NULL), 0);
	assert_int_equal(hp_rsend_deadline(&s), t + rto);
	assert_int_equal(s.n_retx, 3);
	hp_rsend_free(&s);
}

/* Lines of 38 bytes: 100-byte datagrams, so windows count in lines. */
static void push_fixed(struct hp_rsend *s, unsigned n)
{
	const char *t = "01234567890123456789012345678901234567";
	unsigned i;

	assert_int_equal(HP_RSEND_WIRE(strlen(t)), 100);
	for (i = 0; i < n; i++)
		assert_int_equal(hp_rsend_push(s, t, strlen(t), NULL), 0);
}

/* Slow start doubles per round trip, one halving per loss episode. */
static void test_cwnd_growth_and_decrease(void **state)
{
	struct hp_rsend s;
	uint32_t last = 0;
	struct hp_ack k;
	uint32_t r[] = { 109, 109, 111, 0 };

	(void)state;
	hp_rsend_init(&s);
	push_fixed(&s, 1000);
	/* the initial window, 10620 bytes: sends while below it */
	assert_int_equal(send_all(&s, MS(0), &last), 107);
	k = ack_of(last, 0, NULL);
	hp_rsend_ack(&s, &k, MS(10), NULL, NULL);
	assert_int_equal(s.cc.cwnd, HP_CC_INIT + 107 * 100);
	assert_int_equal(send_all(&s, MS(10), &last), 214);
	assert_int_equal(last, 321);
	/* lines 108 and 110 lost in the same window: one halving */
	r[3] = last;
	k = ack_of(107, 2, r);
	hp_rsend_ack(&s, &k, MS(20), NULL, NULL);
	assert_int_equal(s.n_lost, 2);
	assert_int_equal(s.cc.n_episodes, 1);
	assert_int_equal(s.cc.cwnd, (HP_CC_INIT + 107 * 100 + 212 * 100) / 2);
	assert_int_equal(s.cc.ssthresh, s.cc.cwnd);
	/* their retransmissions lost too: sent after the episode began, so
	 * a second halving */
	assert_int_equal(send_all(&s, MS(20), &last), 213);
	r[3] = last;
	k = ack_of(107, 2, r);
	hp_rsend_ack(&s, &k, MS(30), NULL, NULL);
	assert_int_equal(s.cc.n_episodes, 2);
	assert_int_equal(s.cc.cwnd, (HP_CC_INIT + 107 * 100 + 212 * 100) / 4);
	hp_rsend_free(&s);
}

/* Never a new line beyond the receiver's cumulative point + window. */
static void test_receiver_window_respected(void **state)
{
	struct hp_rsend s;
	uint32_t last = 0;
	struct hp_ack k = ack_of(0, 0, NULL);

	(void)state;
	hp_rsend_init(&s);
	push_n(&s, 400);
	s.cc.cwnd = 100000; /* as if grown */
	assert_int_equal(send_all(&s, MS(0), &last), HP_ACK_MIN_WINDOW);
	assert_int_equal(last, HP_ACK_MIN_WINDOW);
	k.seq = 10;
	k.window = HP_ACK_MIN_WINDOW + 12;
	hp_rsend_ack(&s, &k, MS(5), NULL, NULL);
	send_all(&s, MS(5), &last);
	assert_int_equal(last, 10 + HP_ACK_MIN_WINDOW + 12);
	hp_rsend_free(&s);
}

static void test_retry_now(void **state)
{
	struct hp_rsend s;

	(void)state;
	hp_rsend_init(&s);
	push_n(&s, 5);
	send_all(&s, MS(0), NULL);
	assert_int_equal(hp_rsend_deadline(&s), MS(HP_RTO_INIT_MS));
	hp_rsend_retry_now(&s, MS(3));
	assert_int_equal(hp_rsend_deadline(&s), 0);
	assert_int_equal(send_all(&s, MS(3), NULL), 5);
	assert_int_equal(s.n_retx, 5);
	hp_rsend_free(&s);
}

static void test_rtt_estimate_clamped(void **state)
{
	struct hp_rsend s;

	(void)state;
	hp_rsend_init(&s);
	hp_rsend_rtt_sample(&s, MS(1));
	assert_int_equal(hp_rsend_rto(&s), MS(HP_RTO_MIN_MS));
	hp_rsend_rtt_sample(&s, MS(60000));
	assert_int_equal(hp_rsend_rto(&s), MS(HP_RTO_MAX_MS));
	hp_rsend_init(&s);
	hp_rsend_rtt_hint(&s, MS(200));
	assert_int_equal(hp_rsend_rto(&s), MS(600));
	hp_rsend_free(&s);
}

/* Deterministic hostile channel: reordering, duplicates, loss. */
static uint32_t lcg(uint32_t *x)
{
	*x = *x * 1103515245u + 12345u;
	return *x >> 16;
}

static void test_receiver_exactly_once_in_order(void **state)
{
	struct hp_rrecv r;
	uint32_t x = 7, seq, order[600], next_want = 1, i, j, t;
	const char *text;
	uint16_t len;
	char buf[32], want[32];
	struct hp_ack a;
	struct hp_peer_msg m = { .type = HP_ACK };
	uint8_t out[HP_MAX_DATAGRAM];

	(void)state;
	assert_int_equal(hp_rrecv_init(&r), 0);
	/* 1..300 twice each, shuffled within a span of 40 */
	for (i = 0; i < 600; i++)
		order[i] = i / 2 + 1;
	for (i = 0; i < 600; i++) {
		j = i + lcg(&x) % 40;
		if (j >= 600)
			j = 599;
		t = order[i], order[i] = order[j], order[j] = t;
	}
	for (i = 0; i < 600; i++) {
		if (lcg(&x) % 5 == 0)
			continue; /* lost: the copy left, or the other comes */
		snprintf(buf, sizeof(buf), "l%u", order[i]);
		assert_true(hp_rrecv_accept(&r, order[i], buf, strlen(buf)) >= 0);
		while (hp_rrecv_pop(&r, &seq, &text, &len)) {
			assert_int_equal(seq, next_want);
			snprintf(want, sizeof(want), "l%u", seq);
			assert_string_equal(text, want);
			next_want++;
		}
		hp_rrecv_ack(&r, &a);
		assert_int_equal(a.seq, next_want - 1);
		m.u.ack = a; /* every ACK it builds is one the codec takes */
		assert_true(hp_peer_encode(&m, out, sizeof(out)) > 0);
	}
	/* whatever was lost both times comes again: everything arrives */
	for (i = 1; i <= 300; i++) {
		snprintf(buf, sizeof(buf), "l%u", i);
		assert_true(hp_rrecv_accept(&r, i, buf, strlen(buf)) >= 0);
		while (hp_rrecv_pop(&r, &seq, &text, &len))
			assert_int_equal(seq, next_want++);
	}
	assert_int_equal(next_want, 301);
	hp_rrecv_free(&r);
}

static void test_receiver_window_and_ranges(void **state)
{
	struct hp_rrecv r;
	struct hp_ack a;
	unsigned i;

	(void)state;
	hp_rrecv_init(&r);
	assert_int_equal(hp_rrecv_accept(&r, 1 + HP_RRECV_WINDOW, "x", 1), -ENOBUFS);
	assert_int_equal(hp_rrecv_accept(&r, HP_RRECV_WINDOW, "x", 1), HP_RRECV_AHEAD);
	assert_int_equal(hp_rrecv_accept(&r, HP_RRECV_WINDOW, "x", 1), HP_RRECV_DUP);
	/* 40 islands: the latest one's range and the highest others */
	for (i = 0; i < 40; i++)
		hp_rrecv_accept(&r, 3 + 2 * i, "y", 1);
	hp_rrecv_accept(&r, 9, "y", 1);
	hp_rrecv_accept(&r, 10, "z", 1);
	hp_rrecv_ack(&r, &a);
	assert_int_equal(a.seq, 0);
	assert_int_equal(a.window, HP_RRECV_WINDOW);
	assert_int_equal(a.n_ranges, HP_ACK_RANGES_MAX);
	assert_int_equal(a.range[0].lo, 9);
	assert_int_equal(a.range[0].hi, 11);
	assert_int_equal(a.range[HP_ACK_RANGES_MAX - 1].lo, HP_RRECV_WINDOW);
	for (i = 1; i < a.n_ranges; i++)
		assert_true(a.range[i].lo > a.range[i - 1].hi + 1);
	assert_int_equal(hp_rrecv_accept(&r, 1, "a", 1), HP_RRECV_NEW);
	assert_true(hp_rrecv_pop(&r, NULL, NULL, NULL));
	assert_false(hp_rrecv_pop(&r, NULL, NULL, NULL));
	hp_rrecv_free(&r);
}

/* Sender and receiver over a channel losing 36 % each way (two 20 %
 * hops), deterministic: every line once, in order, and the
 * retransmissions near the 0.5625 per line the loss implies. */
static void test_lossy_end_to_end(void **state)
{
	struct hp_rsend s;
	struct hp_rrecv r;
	const struct hp_rsend_item *it;
	uint32_t x = 90, seq, want = 1;
	uint64_t now = 0, d;
	const char *text;
	uint16_t len;
	struct hp_ack a;
	unsigned steps = 0;

	(void)state;
	hp_rsend_init(&s);
	hp_rrecv_init(&r);
	push_n(&s, 2000);
	while (!hp_rsend_all_acked(&s) && steps++ < 100000) {
		bool ack = false;

		while ((it = hp_rsend_due(&s, now))) {
			if (lcg(&x) % 100 < 36)
				continue;
			hp_rrecv_accept(&r, it->seq, it->text, it->len);
			while (hp_rrecv_pop(&r, &seq, &text, &len))
				assert_int_equal(seq, want++);
			ack = true;
		}
		now += MS(1); /* a 1 ms path, both ways */
		if (ack && lcg(&x) % 100 >= 36) {
			hp_rrecv_ack(&r, &a);
			assert_true(hp_rsend_ack(&s, &a, now, NULL, NULL) >= 0);
		}
		d = hp_rsend_deadline(&s);
		if (d != 0 && d != UINT64_MAX && d > now)
			now = d; /* nothing can happen before */
	}
	assert_true(hp_rsend_all_acked(&s));
	assert_int_equal(want, 2001);
	print_message("2000 lines, 36 %% loss each way: %llu retransmissions (%.3f per line)\n",
		      (unsigned long long)s.n_retx, s.n_retx / 2000.0);
	assert_true(s.n_retx < 2000 * 0.5625 * 1.5);
	hp_rsend_free(&s);
	hp_rrecv_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cumulative_ack),
		cmocka_unit_test(test_ack_for_unsent_refused),
		cmocka_unit_test(test_sack_retransmits_only_the_missing),
		cmocka_unit_test(test_time_threshold),
		cmocka_unit_test(test_rto_probe_and_backoff),
		cmocka_unit_test(test_cwnd_growth_and_decrease),
		cmocka_unit_test(test_receiver_window_respected),
		cmocka_unit_test(test_retry_now),
		cmocka_unit_test(test_rtt_estimate_clamped),
		cmocka_unit_test(test_receiver_exactly_once_in_order),
		cmocka_unit_test(test_receiver_window_and_ranges),
		cmocka_unit_test(test_lossy_end_to_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
