/* SPDX-License-Identifier: MIT */
#ifndef HP_RELIAB_H
#define HP_RELIAB_H

/*
 * Reliable, ordered delivery of chat lines over datagrams: pure logic, no
 * I/O and no clock of its own (every call that cares takes now_us, in
 * microseconds, so round trips are measured below the millisecond), so it
 * can be tested step by step.
 *
 * Sender: lines get seq 1, 2, 3...; at most `window` are in flight; each is
 * retransmitted on an RTO with exponential backoff (RFC 6298 estimator,
 * Karn's rule for samples) until a cumulative ACK covers it. Three
 * duplicate ACKs retransmit the oldest line at once (fast retransmit, as
 * RFC 5681 s.3.2 does for TCP), and so does every third one after that,
 * once a round trip has passed since its last copy. A duplicate ACK also
 * brings the oldest line's backoff back to the base RTO: backoff is for a
 * peer that may be gone (RFC 6298 s.5.5), and a peer that acknowledges is
 * not, so one line lost many times in a row never waits out the 2 s cap
 * while the rest of the window has already arrived.
 * Receiver: buffers out-of-order lines inside the window, hands them out in
 * order exactly once; the ACK value is the highest in-order seq.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

#define HP_RELIAB_WINDOW 32   /* lines in flight / buffered out of order */
#define HP_RTO_INIT_MS   250
#define HP_RTO_MIN_MS    100
#define HP_RTO_MAX_MS    2000
#define HP_DUPACK_FAST   3    /* duplicate ACKs that trigger a fast retransmit */

struct hp_rsend_item {
	uint32_t seq;
	uint16_t len;
	char *text;        /* NUL-terminated copy */
	uint64_t first_us; /* time of first transmission, valid when tx > 0 */
	uint64_t last_us;  /* time of the latest transmission, valid when tx > 0 */
	uint64_t due_us;   /* next retransmission, valid when tx > 0 */
	unsigned tx;       /* transmissions so far */
	unsigned backoff;  /* RTO doublings of the interval after the next copy */
};

struct hp_rsend {
	struct hp_rsend_item *q; /* ring in seq order, q[head] = oldest unacked */
	size_t cap, head, count;
	uint32_t next_seq;       /* seq of the next pushed line */
	unsigned window;
	uint64_t srtt, rttvar, rto; /* microseconds */
	bool have_rtt;
	unsigned dupacks;        /* ACKs in a row that covered nothing new */
	uint64_t n_sent;         /* distinct lines transmitted at least once */
	uint64_t n_retx;         /* retransmissions */
};

/* Called once per line newly covered by an ACK. rtt_us from the first
 * transmission; tx > 1 means the line was retransmitted, so the ACK is
 * ambiguous (Karn) and callers should not report that rtt. */
typedef void (*hp_rsend_acked_fn)(void *ctx, uint32_t seq, uint64_t rtt_us, unsigned tx);

/* window 1..HP_RELIAB_WINDOW. Returns 0 or -EINVAL. */
int hp_rsend_init(struct hp_rsend *s, unsigned window);
void hp_rsend_free(struct hp_rsend *s);
/* Queues a line (len <= HP_CHAT_MAX, no NUL). Returns 0 or -errno. */
int hp_rsend_push(struct hp_rsend *s, const char *text, size_t len, uint32_t *seq);
/*
 * The next line that must go out now (never sent and inside the window, its
 * RTO expired, or fast-retransmitted), marked as transmitted at now_us; NULL
 * when none. Call repeatedly until NULL. it->tx > 1: a retransmission.
 */
const struct hp_rsend_item *hp_rsend_due(struct hp_rsend *s, uint64_t now_us);
/* When hp_rsend_due() will next return a line: 0 = now, UINT64_MAX = never. */
uint64_t hp_rsend_deadline(const struct hp_rsend *s);
/*
 * Cumulative ACK: every line <= seq is delivered. Returns the number of
 * lines newly acknowledged (0 for a stale ACK), -EINVAL if seq covers a
 * line never sent. Any valid ACK proves the peer alive: the oldest line's
 * retransmission interval goes back to the base RTO.
 */
int hp_rsend_ack(struct hp_rsend *s, uint32_t seq, uint64_t now_us, hp_rsend_acked_fn cb,
		 void *ctx);
/* Feeds an RTT measured elsewhere (e.g. punch round trips), microseconds. */
void hp_rsend_rtt_sample(struct hp_rsend *s, uint64_t rtt_us);
/*
 * Before any sample: a round trip known to be shorter than the path's
 * (e.g. to the rendezvous server) raises the initial RTO to 3 x hint, so
 * a long path does not start with spurious retransmissions.
 */
void hp_rsend_rtt_hint(struct hp_rsend *s, uint64_t rtt_us);
/* Every line in flight is due at now_us (a path came back: no waiting
 * out a backed-off RTO). */
void hp_rsend_retry_now(struct hp_rsend *s, uint64_t now_us);
/* Current RTO without backoff, microseconds. */
uint64_t hp_rsend_rto(const struct hp_rsend *s);
bool hp_rsend_all_acked(const struct hp_rsend *s);
size_t hp_rsend_pending(const struct hp_rsend *s); /* queued + in flight */
size_t hp_rsend_in_flight(const struct hp_rsend *s);

struct hp_rrecv_slot {
	bool have;
	uint16_t len;
	char text[HP_CHAT_MAX + 1];
};

struct hp_rrecv {
	uint32_t next; /* next seq to deliver */
	struct hp_rrecv_slot slot[HP_RELIAB_WINDOW];
};

enum hp_rrecv_result {
	HP_RRECV_NEW = 0, /* stored; hp_rrecv_pop() may now deliver */
	HP_RRECV_DUP = 1, /* seen before: drop, but re-ACK */
};

void hp_rrecv_init(struct hp_rrecv *r);
/* Returns HP_RRECV_NEW, HP_RRECV_DUP, -ENOBUFS (beyond the window) or -EINVAL. */
int hp_rrecv_accept(struct hp_rrecv *r, uint32_t seq, const char *text, size_t len);
/*
 * Hands out the next in-order line, if buffered. *text stays valid until
 * the next hp_rrecv_accept(). Returns true when a line was delivered.
 */
bool hp_rrecv_pop(struct hp_rrecv *r, uint32_t *seq, const char **text, uint16_t *len);
/* Highest seq delivered in order (0 = none): the cumulative ACK to send. */
uint32_t hp_rrecv_ack(const struct hp_rrecv *r);

#endif
