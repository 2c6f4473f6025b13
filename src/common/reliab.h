/* SPDX-License-Identifier: MIT */
#ifndef HP_RELIAB_H
#define HP_RELIAB_H

/*
 * Reliable, ordered delivery of chat lines over datagrams: pure logic, no
 * I/O and no clock of its own (every call that cares takes now_us, in
 * microseconds), so it can be tested step by step.
 *
 * Sender (reliab.c): lines get seq 1, 2, 3...; every transmission also
 * gets a transmission number, so "sent later" is well defined for copies
 * of one line. ACKs are selective (proto.h, struct hp_ack): each line is
 * acknowledged on its own, by the cumulative point or by a range, and is
 * never sent again. A line still unacknowledged is lost (RFC 9002 s.6.1)
 * once a line transmitted HP_LOSS_PKT_THRESH transmissions after it is
 * acknowledged, or one transmitted after it and 9/8 of the round trip has
 * passed since its copy left; only lost lines are retransmitted. The RTO
 * (RFC 6298 estimator, Karn's rule, exponential backoff) is the backstop
 * when nothing is acknowledged at all. How many lines may be in flight is
 * the congestion window (cc.c, in bytes) and never more lines than the
 * receiver's window.
 *
 * Receiver (rrecv.c): takes lines up to HP_RRECV_WINDOW beyond the
 * cumulative point, hands them out in order exactly once, and builds the
 * ACK. A line it has acknowledged in a range it keeps: the sender forgets
 * it at once (no reneging, unlike TCP's SACK, RFC 2018 s.8).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cc.h"
#include "proto.h"

#define HP_RRECV_WINDOW    1024 /* lines the receiver buffers beyond its cumulative point */
#define HP_RTO_INIT_MS     250
#define HP_RTO_MIN_MS      100
#define HP_RTO_MAX_MS      2000
#define HP_LOSS_PKT_THRESH 3 /* kPacketThreshold, RFC 9002 s.6.1.1 */
/* a CHAT datagram's size on the wire: header, seal, counter, seq, len, text */
#define HP_RSEND_WIRE(len) (HP_HDR_LEN + HP_SEAL_OVERHEAD + 8 + 4 + 2 + (size_t)(len))
#define HP_PTO_COLLAPSE    3 /* timeouts in a row that collapse the window */

struct hp_rsend_item {
	uint32_t seq;
	uint16_t len;
	bool acked;        /* by the cumulative point or a range */
	bool lost;         /* declared lost: to be sent again */
	char *text;        /* NUL-terminated copy; freed once acked */
	uint64_t first_us; /* time of the first transmission, valid when tx > 0 */
	uint64_t last_us;  /* time of the latest transmission, valid when tx > 0 */
	uint64_t xmit;     /* transmission number of the latest copy */
	unsigned tx;       /* transmissions so far */
};

struct hp_rsend {
	struct hp_rsend_item *q; /* ring in seq order, q[head] = oldest unacked */
	size_t cap, head, count;
	size_t n_tx;             /* q[0..n_tx) have been sent at least once */
	size_t lost_from;        /* no lost line below this index */
	size_t n_lost, in_flight; /* sent, neither acked nor lost: in_flight */
	size_t in_flight_bytes;  /* their datagrams' size (HP_RSEND_WIRE) */
	size_t n_sacked;         /* acknowledged but still in the ring (a gap below) */
	unsigned probes;         /* lines that may go beyond the window (after an RTO) */
	uint32_t next_seq;       /* seq of the next pushed line */
	uint64_t next_xmit;      /* transmission number of the next copy */
	uint64_t largest_acked_xmit; /* 0: none yet */
	uint32_t peer_seq;       /* the peer's latest cumulative point */
	uint32_t peer_window;    /* and its window */
	struct hp_cc cc;
	uint64_t srtt, rttvar, rto, min_rtt, latest_rtt; /* microseconds */
	bool have_rtt;
	uint64_t rto_base_us;    /* the RTO runs from here (last progress) */
	uint64_t loss_time;      /* a line may be lost by time then (0: none) */
	unsigned backoff;        /* RTO doublings since the last progress */
	uint64_t n_sent;         /* distinct lines transmitted at least once */
	uint64_t n_retx;         /* retransmissions */
};

/* Called once per line newly acknowledged. rtt_us from the first
 * transmission; tx > 1 means the line was retransmitted, so the ACK is
 * ambiguous (Karn) and callers should not report that rtt. */
typedef void (*hp_rsend_acked_fn)(void *ctx, uint32_t seq, uint64_t rtt_us, unsigned tx);

int hp_rsend_init(struct hp_rsend *s);
void hp_rsend_free(struct hp_rsend *s);
/* Queues a line (len <= HP_CHAT_MAX, no NUL). Returns 0 or -errno. */
int hp_rsend_push(struct hp_rsend *s, const char *text, size_t len, uint32_t *seq);
/*
 * The next line that may go out now (lost lines first, lowest seq first,
 * then new ones; inside the congestion and the receiver's window), marked
 * as transmitted at now_us; NULL when none. Call repeatedly until NULL.
 * Also runs the RTO (a probe, reliab.c). it->tx > 1: a retransmission.
 */
const struct hp_rsend_item *hp_rsend_due(struct hp_rsend *s, uint64_t now_us);
/* When hp_rsend_due() may next return a line: 0 = now, UINT64_MAX = never. */
uint64_t hp_rsend_deadline(const struct hp_rsend *s);
/*
 * An ACK. Returns the number of lines newly acknowledged (0 for a stale
 * or duplicate one), -EINVAL if it covers a line never sent (the whole
 * ACK is ignored). Any valid ACK proves the peer alive: the RTO backoff
 * goes back to 0.
 */
int hp_rsend_ack(struct hp_rsend *s, const struct hp_ack *a, uint64_t now_us,
		 hp_rsend_acked_fn cb, void *ctx);
/* Feeds an RTT measured elsewhere (e.g. punch round trips), microseconds. */
void hp_rsend_rtt_sample(struct hp_rsend *s, uint64_t rtt_us);
/*
 * Before any sample: a round trip known to be shorter than the path's
 * (e.g. to the rendezvous server) raises the initial RTO to 3 x hint, so
 * a long path does not start with spurious retransmissions.
 */
void hp_rsend_rtt_hint(struct hp_rsend *s, uint64_t rtt_us);
/* Every line in flight is lost now (a path came back: no waiting out a
 * backed-off RTO). */
void hp_rsend_retry_now(struct hp_rsend *s, uint64_t now_us);
/* Current RTO without backoff, microseconds. */
uint64_t hp_rsend_rto(const struct hp_rsend *s);
bool hp_rsend_all_acked(const struct hp_rsend *s);
size_t hp_rsend_pending(const struct hp_rsend *s); /* queued + in flight */
size_t hp_rsend_in_flight(const struct hp_rsend *s);

struct hp_rrecv_slot {
	char *text; /* NUL-terminated copy of a line received out of order */
	uint16_t len;
	bool have;
};

struct hp_rrecv {
	uint32_t next;              /* next seq to deliver */
	uint32_t top;               /* highest seq buffered (< next: none) */
	struct hp_rrecv_slot *slot; /* HP_RRECV_WINDOW, by seq % HP_RRECV_WINDOW */
	const char *direct;         /* the line just accepted in order, not copied */
	uint16_t direct_len;
	bool have_direct;
	uint32_t recent;            /* seq of the latest line taken (its range goes first) */
};

enum hp_rrecv_result {
	HP_RRECV_NEW = 0,   /* taken; hp_rrecv_pop() may now deliver */
	HP_RRECV_DUP = 1,   /* seen before: drop, but re-ACK */
	HP_RRECV_AHEAD = 2, /* taken, out of order: ACK at once (RFC 9000 s.13.2.1) */
};

/* Returns 0 or -ENOMEM. */
int hp_rrecv_init(struct hp_rrecv *r);
void hp_rrecv_free(struct hp_rrecv *r);
/*
 * Returns an hp_rrecv_result, -ENOBUFS (beyond the window) or -EINVAL.
 * A line in order is not copied: text must stay valid until the
 * hp_rrecv_pop() calls that follow are done.
 */
int hp_rrecv_accept(struct hp_rrecv *r, uint32_t seq, const char *text, size_t len);
/*
 * Hands out the next in-order line, if there is one. *text stays valid
 * until the next hp_rrecv_pop() or hp_rrecv_accept(). Returns true when a
 * line was delivered.
 */
bool hp_rrecv_pop(struct hp_rrecv *r, uint32_t *seq, const char **text, uint16_t *len);
/* The ACK to send: the cumulative point, the window, and the ranges
 * beyond (the one holding the latest line first, then the highest). */
void hp_rrecv_ack(const struct hp_rrecv *r, struct hp_ack *a);

#endif
