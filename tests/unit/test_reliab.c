// SPDX-License-Identifier: MIT
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
	uint32_t seq[64];
	unsigned tx[64];
	uint64_t rtt[64];
};

static void on_acked(void *ctx, uint32_t seq, uint64_t rtt_us, unsigned tx)
{
	struct acks *a = ctx;

	if (a->n < 64) {
		a->seq[a->n] = seq;
		a->tx[a->n] = tx;
		a->rtt[a->n] = rtt_us;
	}
	a->n++;
}

static void push(struct hp_rsend *s, const char *t, uint32_t want_seq)
{
	uint32_t seq = 0;

	assert_int_equal(hp_rsend_push(s, t, strlen(t), &seq), 0);
	assert_int_equal(seq, want_seq);
}

static void test_seq_and_cumulative_ack(void **state)
{
	struct hp_rsend s;
	struct acks a = { 0 };
	const struct hp_rsend_item *it;

	(void)state;
	assert_int_equal(hp_rsend_init(&s, 32), 0);
	assert_true(hp_rsend_all_acked(&s));
	push(&s, "one", 1);
	push(&s, "two", 2);
	push(&s, "three", 3);
	assert_int_equal(hp_rsend_deadline(&s), 0);
	it = hp_rsend_due(&s, 1000);
	assert_non_null(it);
	assert_int_equal(it->seq, 1);
	assert_string_equal(it->text, "one");
	assert_int_equal(hp_rsend_due(&s, 1000)->seq, 2);
	assert_int_equal(hp_rsend_due(&s, 1000)->seq, 3);
	assert_null(hp_rsend_due(&s, 1000));
	assert_int_equal(hp_rsend_in_flight(&s), 3);

	assert_int_equal(hp_rsend_ack(&s, 2, 1040, on_acked, &a), 2);
	assert_int_equal(a.n, 2);
	assert_int_equal(a.seq[0], 1);
	assert_int_equal(a.seq[1], 2);
	assert_false(hp_rsend_all_acked(&s));
	/* stale and duplicate ACKs change nothing */
	assert_int_equal(hp_rsend_ack(&s, 1, 1050, on_acked, &a), 0);
	assert_int_equal(hp_rsend_ack(&s, 2, 1050, on_acked, &a), 0);
	/* an ACK beyond what was sent is refused */
	assert_int_equal(hp_rsend_ack(&s, 9, 1050, on_acked, &a), -EINVAL);
	assert_int_equal(hp_rsend_ack(&s, 3, 1060, on_acked, &a), 1);
	assert_true(hp_rsend_all_acked(&s));
	assert_int_equal(hp_rsend_deadline(&s), UINT64_MAX);
	hp_rsend_free(&s);
}

static void test_ack_for_unsent_refused(void **state)
{
	struct hp_rsend s;

	(void)state;
	assert_int_equal(hp_rsend_init(&s, 32), 0);
	push(&s, "a", 1);
	push(&s, "b", 2);
	assert_non_null(hp_rsend_due(&s, 0));
	/* seq 2 queued but never transmitted: nobody can have received it */
	assert_int_equal(hp_rsend_ack(&s, 2, 5, NULL, NULL), -EINVAL);
	assert_int_equal(hp_rsend_pending(&s), 2);
	hp_rsend_free(&s);
}

static void test_retransmit_backoff(void **state)
{
	struct hp_rsend s;
	struct acks a = { 0 };
	const struct hp_rsend_item *it;
	uint64_t t = MS(10000), expect[] = { MS(250), MS(500), MS(1000), MS(2000), MS(2000) };
	unsigned i;

	(void)state;
	assert_int_equal(hp_rsend_init(&s, 32), 0);
	push(&s, "lost", 1);
	it = hp_rsend_due(&s, t);
	assert_non_null(it);
	for (i = 0; i < 5; i++) {
		assert_int_equal(hp_rsend_deadline(&s), t + expect[i]);
		/* one microsecond early: nothing due */
		assert_null(hp_rsend_due(&s, t + expect[i] - 1));
		t += expect[i];
		it = hp_rsend_due(&s, t);
		assert_non_null(it);
		assert_int_equal(it->seq, 1);
		assert_int_equal(it->tx, i + 2);
	}
	assert_int_equal(hp_rsend_ack(&s, 1, t + 5, on_acked, &a), 1);
	assert_int_equal(a.tx[0], 6);
	assert_int_equal(s.n_sent, 1);
	assert_int_equal(s.n_retx, 5);
	/* Karn: no sample from a retransmitted line, RTO unchanged */
	assert_false(s.have_rtt);
	assert_int_equal(s.rto, MS(HP_RTO_INIT_MS));
	hp_rsend_free(&s);
}

static void test_rtt_estimate_clamped(void **state)
{
	struct hp_rsend s;
	int i;

	(void)state;
	assert_int_equal(hp_rsend_init(&s, 32), 0);
	for (i = 0; i < 20; i++) {
		push(&s, "x", (uint32_t)i + 1);
		assert_non_null(hp_rsend_due(&s, MS(i * 100)));
		assert_int_equal(hp_rsend_ack(&s, (uint32_t)i + 1, MS(i * 100 + 2), NULL, NULL),
				 1);
	}
	assert_true(s.have_rtt);
	assert_int_equal(s.rto, MS(HP_RTO_MIN_MS));
	hp_rsend_rtt_sample(&s, MS(60000));
	assert_int_equal(s.rto, MS(HP_RTO_MAX_MS));
	hp_rsend_free(&s);
}

static void test_rtt_microseconds_and_steady_rto(void **state)
{
	struct hp_rsend s;
	struct acks a = { 0 };
	int i;

	(void)state;
	assert_int_equal(hp_rsend_init(&s, 32), 0);
	/* a steady 200.4 ms path: the RTO settles above it, never at it */
	for (i = 0; i < 30; i++) {
		push(&s, "x", (uint32_t)i + 1);
		assert_non_null(hp_rsend_due(&s, MS(i * 1000)));
		assert_int_equal(hp_rsend_ack(&s, (uint32_t)i + 1, MS(i * 1000) + 200400, on_acked,
					      &a), 1);
	}
	assert_int_equal(a.rtt[0], 200400);
	assert_int_equal(a.rtt[29], 200400);
	assert_true(s.rto >= 200400 + 200400 / 4);
	assert_int_equal(s.n_sent, 30);
	assert_int_equal(s.n_retx, 0);
	hp_rsend_free(&s);
}

static void test_rtt_hint_seeds_initial_rto(void **state)
{
	struct hp_rsend s;

	(void)state;
	assert_int_equal(hp_rsend_init(&s, 32), 0);
	hp_rsend_rtt_hint(&s, MS(10)); /* shorter than the default: no change */
	assert_int_equal(hp_rsend_rto(&s), MS(HP_RTO_INIT_MS));
	hp_rsend_rtt_hint(&s, MS(100));
	assert_int_equal(hp_rsend_rto(&s), MS(300));
	hp_rsend_rtt_hint(&s, MS(5000));
	assert_int_equal(hp_rsend_rto(&s), MS(HP_RTO_MAX_MS));
	/* a real sample wins, later hints are ignored */
	hp_rsend_rtt_sample(&s, MS(40));
	hp_rsend_rtt_hint(&s, MS(500));
	assert_true(hp_rsend_rto(&s) < MS(HP_RTO_INIT_MS));
	hp_rsend_free(&s);
}

static void test_fast_retransmit_on_dup_acks(void **state)
{
	struct hp_rsend s;
	const struct hp_rsend_item *it;
	int i;

	(void)state;
	assert_int_equal(hp_rsend_init(&s, 32), 0);
	for (i = 1; i <= 5; i++)
		push(&s, "m", (uint32_t)i);
	for (i = 1; i <= 5; i++)
		assert_non_null(hp_rsend_due(&s, MS(1000)));
	assert_int_equal(hp_rsend_ack(&s, 1, MS(1001), NULL, NULL), 1);
	/* seq 2 lost: 3, 4, 5 each bring back ACK 1 */
	for (i = 0; i < HP_DUPACK_FAST - 1; i++) {
		assert_int_equal(hp_rsend_ack(&s, 1, MS(1002), NULL, NULL), 0);
		assert_null(hp_rsend_due(&s, MS(1002)));
	}
	assert_int_equal(hp_rsend_ack(&s, 1, MS(1002), NULL, NULL), 0);
	it = hp_rsend_due(&s, MS(1002));
	assert_non_null(it);
	assert_int_equal(it->seq, 2);
	assert_int_equal(it->tx, 2);
	assert_null(hp_rsend_due(&s, MS(1002)));
	assert_int_equal(s.n_retx, 1);
	hp_rsend_free(&s);
}

static void test_fast_retransmit_refires(void **state)
{
	struct hp_rsend s;
	const struct hp_rsend_item *it;
	int i;

	(void)state;
	assert_int_equal(hp_rsend_init(&s, 32), 0);
	hp_rsend_rtt_sample(&s, MS(10));
	for (i = 1; i <= 10; i++)
		push(&s, "m", (uint32_t)i);
	while (hp_rsend_due(&s, MS(1000)))
		;
	/* seq 1 lost: 2, 3, 4 bring back ACK 0 after a round trip */
	for (i = 0; i < HP_DUPACK_FAST; i++)
		assert_int_equal(hp_rsend_ack(&s, 0, MS(1010), NULL, NULL), 0);
	it = hp_rsend_due(&s, MS(1010));
	assert_non_null(it);
	assert_int_equal(it->seq, 1);
	assert_int_equal(it->tx, 2);
	/* 5, 6, 7 were sent before that copy: their ACKs say nothing of it */
	for (i = 0; i < HP_DUPACK_FAST; i++)
		assert_int_equal(hp_rsend_ack(&s, 0, MS(1012), NULL, NULL), 0);
	assert_null(hp_rsend_due(&s, MS(1012)));
	/* a round trip after the copy, duplicate ACKs still come: it was lost too */
	assert_int_equal(hp_rsend_ack(&s, 0, MS(1020), NULL, NULL), 0);
	it = hp_rsend_due(&s, MS(1020));
	assert_non_null(it);
	assert_int_equal(it->seq, 1);
	assert_int_equal(it->tx, 3);
	assert_null(hp_rsend_due(&s, MS(1020)));
	hp_rsend_free(&s);
}

static void test_ack_resets_backoff(void **state)
{
	struct hp_rsend s;
	uint64_t t = 0;
	int i;

	(void)state;
	assert_int_equal(hp_rsend_init(&s, 32), 0);
	push(&s, "lost", 1);
	push(&s, "later", 2);
	assert_non_null(hp_rsend_due(&s, t));
	assert_non_null(hp_rsend_due(&s, t));
	/* nothing comes back: 250, 500, 1000 ms */
	for (i = 0; i < 3; i++) {
		t = hp_rsend_deadline(&s);
		while (hp_rsend_due(&s, t))
			;
	}
	assert_int_equal(t, MS(250 + 500 + 1000));
	assert_int_equal(hp_rsend_deadline(&s), t + MS(2000));
	/* one duplicate ACK: the peer lives, seq 1 is back at the base RTO */
	assert_int_equal(hp_rsend_ack(&s, 0, t + MS(10), NULL, NULL), 0);
	assert_int_equal(hp_rsend_deadline(&s), t + MS(HP_RTO_INIT_MS));
	hp_rsend_free(&s);
}

/*
 * A lossy path, step by step on a fake clock (1 ms ticks): the peer's ACKs
 * come back 1 ms after a line arrives, plus one every 50 ms (its answers to
 * our keepalives) when `acks` is set. The oldest line is lost `lose` times
 * in a row; everything else arrives. Records when seq 1 went out.
 */
struct lossy {
	struct hp_rsend s;
	struct hp_rrecv r;
	unsigned lose;
	bool acks;
	uint64_t ack_at[256];
	size_t n_ack;
	uint64_t tx_at[32];
	unsigned n_tx;
};

static void lossy_send(struct lossy *l, uint64_t now)
{
	const struct hp_rsend_item *it;

	while ((it = hp_rsend_due(&l->s, now))) {
		if (it->seq == 1 && l->n_tx < 32)
			l->tx_at[l->n_tx++] = now;
		if (it->seq == 1 && l->lose) {
			l->lose--;
			continue;
		}
		if (!l->acks)
			continue;
		assert_true(hp_rrecv_accept(&l->r, it->seq, it->text, it->len) >= 0);
		while (hp_rrecv_pop(&l->r, NULL, NULL, NULL))
			;
		if (l->n_ack < 256)
			l->ack_at[l->n_ack++] = now + MS(1);
	}
}

static void lossy_recv(struct lossy *l, uint64_t now)
{
	size_t i, keep = 0;

	if (l->acks && now % MS(50) == 0 && l->n_ack < 256)
		l->ack_at[l->n_ack++] = now;
	for (i = 0; i < l->n_ack; i++) {
		if (l->ack_at[i] > now) {
			l->ack_at[keep++] = l->ack_at[i];
			continue;
		}
		assert_true(hp_rsend_ack(&l->s, hp_rrecv_ack(&l->r), now, NULL, NULL) >= 0);
	}
	l->n_ack = keep;
}

/* Runs the path until everything is acknowledged or `until`; returns the
 * time it ended. */
static uint64_t lossy_run(struct lossy *l, unsigned lines, uint64_t until)
{
	uint64_t now;
	unsigned i;

	assert_int_equal(hp_rsend_init(&l->s, 32), 0);
	hp_rrecv_init(&l->r);
	hp_rsend_rtt_sample(&l->s, MS(2)); /* a punch round trip: RTO 100 ms */
	for (i = 1; i <= lines; i++)
		push(&l->s, "line", i);
	for (now = 0; now < until && !hp_rsend_all_acked(&l->s); now += MS(1)) {
		lossy_recv(l, now);
		lossy_send(l, now);
	}
	return now;
}

static void test_lossy_oldest_lost_ten_times_acks_keep_coming(void **state)
{
	struct lossy l = { .lose = 10, .acks = true };
	uint64_t end, rto;
	unsigned i;

	(void)state;
	end = lossy_run(&l, 40, MS(20000));
	rto = hp_rsend_rto(&l.s);
	assert_int_equal(rto, MS(HP_RTO_MIN_MS));
	assert_true(hp_rsend_all_acked(&l.s));
	/* 10 lost copies, the 11th arrived; no burst of redundant copies */
	assert_int_equal(l.n_tx, 11);
	for (i = 1; i < l.n_tx; i++) {
		uint64_t gap = l.tx_at[i] - l.tx_at[i - 1];

		/* never backed off past the base RTO while the peer answers */
		if (gap > rto + MS(1))
			fail_msg("copy %u of seq 1 came %llu ms after the previous one, want <= %llu",
				 i + 1, (unsigned long long)(gap / 1000),
				 (unsigned long long)(rto / 1000 + 1));
	}
	/* with backoff to the 2 s cap this took 0.1 + 0.2 + ... + 2 + 2 + 2 s */
	if (end > 11 * rto)
		fail_msg("delivered after %llu ms, want <= %llu", (unsigned long long)(end / 1000),
			 (unsigned long long)(11 * rto / 1000));
	hp_rsend_free(&l.s);
}

static void test_lossy_no_acks_still_backs_off(void **state)
{
	struct lossy l = { .lose = 10, .acks = false };
	uint64_t want[] = { 100, 200, 400, 800, 1600, 2000, 2000, 2000, 2000, 2000 };
	unsigned i;

	(void)state;
	/* a silent peer: nothing ever comes back, whatever arrives */
	assert_int_equal(lossy_run(&l, 1, MS(20000)), MS(20000));
	assert_true(l.n_tx >= 11);
	for (i = 1; i < 11; i++)
		assert_int_equal(l.tx_at[i] - l.tx_at[i - 1], MS(want[i - 1]));
	hp_rsend_free(&l.s);
}

static void test_window_full(void **state)
{
	struct hp_rsend s;
	char t[8];
	int i;

	(void)state;
	assert_int_equal(hp_rsend_init(&s, 4), 0);
	for (i = 1; i <= 6; i++) {
		snprintf(t, sizeof(t), "m%d", i);
		push(&s, t, (uint32_t)i);
	}
	for (i = 1; i <= 4; i++)
		assert_int_equal(hp_rsend_due(&s, 0)->seq, (uint32_t)i);
	assert_null(hp_rsend_due(&s, 0));
	assert_int_equal(hp_rsend_in_flight(&s), 4);
	assert_int_equal(hp_rsend_pending(&s), 6);
	/* the window slides by what the ACK covered */
	assert_int_equal(hp_rsend_ack(&s, 1, 10, NULL, NULL), 1);
	assert_int_equal(hp_rsend_due(&s, 10)->seq, 5);
	assert_null(hp_rsend_due(&s, 10));
	assert_int_equal(hp_rsend_ack(&s, 5, 20, NULL, NULL), 4);
	assert_int_equal(hp_rsend_due(&s, 20)->seq, 6);
	assert_int_equal(hp_rsend_init(&s, 0), -EINVAL);
	hp_rsend_free(&s);
}

static void test_queue_grows(void **state)
{
	struct hp_rsend s;
	uint32_t i;
	char t[16];

	(void)state;
	assert_int_equal(hp_rsend_init(&s, 32), 0);
	for (i = 1; i <= 300; i++) {
		snprintf(t, sizeof(t), "line %u", i);
		push(&s, t, i);
		if (i % 7 == 0) {
			while (hp_rsend_due(&s, i))
				;
			assert_true(hp_rsend_ack(&s, i - 3, i, NULL, NULL) >= 0);
		}
	}
	while (hp_rsend_due(&s, 1000))
		;
	assert_true(hp_rsend_ack(&s, 300, 1000, NULL, NULL) > 0);
	assert_true(hp_rsend_all_acked(&s));
	hp_rsend_free(&s);
}

static void test_receiver_in_order_once(void **state)
{
	struct hp_rrecv r;
	const char *text;
	uint32_t seq;
	uint16_t len;

	(void)state;
	hp_rrecv_init(&r);
	assert_int_equal(hp_rrecv_ack(&r), 0);
	assert_false(hp_rrecv_pop(&r, &seq, &text, &len));
	assert_int_equal(hp_rrecv_accept(&r, 1, "a", 1), HP_RRECV_NEW);
	assert_true(hp_rrecv_pop(&r, &seq, &text, &len));
	assert_int_equal(seq, 1);
	assert_string_equal(text, "a");
	assert_int_equal(len, 1);
	assert_false(hp_rrecv_pop(&r, &seq, &text, &len));
	assert_int_equal(hp_rrecv_ack(&r), 1);
	/* duplicate after delivery: dropped, ACK unchanged (caller re-ACKs) */
	assert_int_equal(hp_rrecv_accept(&r, 1, "a", 1), HP_RRECV_DUP);
	assert_false(hp_rrecv_pop(&r, &seq, &text, &len));
	assert_int_equal(hp_rrecv_ack(&r), 1);
	assert_int_equal(hp_rrecv_accept(&r, 0, "", 0), -EINVAL);
}

static void test_receiver_reorders(void **state)
{
	struct hp_rrecv r;
	const char *text;
	uint32_t seq;
	char want[8];

	(void)state;
	hp_rrecv_init(&r);
	assert_int_equal(hp_rrecv_accept(&r, 3, "c", 1), HP_RRECV_NEW);
	assert_int_equal(hp_rrecv_accept(&r, 2, "b", 1), HP_RRECV_NEW);
	assert_int_equal(hp_rrecv_accept(&r, 3, "c", 1), HP_RRECV_DUP);
	assert_false(hp_rrecv_pop(&r, &seq, &text, NULL));
	assert_int_equal(hp_rrecv_ack(&r), 0);
	assert_int_equal(hp_rrecv_accept(&r, 1, "a", 1), HP_RRECV_NEW);
	for (seq = 1; seq <= 3; seq++) {
		uint32_t got;

		assert_true(hp_rrecv_pop(&r, &got, &text, NULL));
		assert_int_equal(got, seq);
		snprintf(want, sizeof(want), "%c", 'a' + (int)seq - 1);
		assert_string_equal(text, want);
	}
	assert_false(hp_rrecv_pop(&r, &seq, &text, NULL));
	assert_int_equal(hp_rrecv_ack(&r), 3);
}

static void test_receiver_window_bound(void **state)
{
	struct hp_rrecv r;

	(void)state;
	hp_rrecv_init(&r);
	assert_int_equal(hp_rrecv_accept(&r, HP_RELIAB_WINDOW, "edge", 4), HP_RRECV_NEW);
	assert_int_equal(hp_rrecv_accept(&r, HP_RELIAB_WINDOW + 1, "far", 3), -ENOBUFS);
	assert_int_equal(hp_rrecv_ack(&r), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seq_and_cumulative_ack),
		cmocka_unit_test(test_ack_for_unsent_refused),
		cmocka_unit_test(test_retransmit_backoff),
		cmocka_unit_test(test_rtt_estimate_clamped),
		cmocka_unit_test(test_rtt_microseconds_and_steady_rto),
		cmocka_unit_test(test_rtt_hint_seeds_initial_rto),
		cmocka_unit_test(test_fast_retransmit_on_dup_acks),
		cmocka_unit_test(test_fast_retransmit_refires),
		cmocka_unit_test(test_ack_resets_backoff),
		cmocka_unit_test(test_lossy_oldest_lost_ten_times_acks_keep_coming),
		cmocka_unit_test(test_lossy_no_acks_still_backs_off),
		cmocka_unit_test(test_window_full),
		cmocka_unit_test(test_queue_grows),
		cmocka_unit_test(test_receiver_in_order_once),
		cmocka_unit_test(test_receiver_reorders),
		cmocka_unit_test(test_receiver_window_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
