// SPDX-License-Identifier: MIT
/*
 * The sender of reliab.h: the queue of lines, the selective-ACK
 * scoreboard, loss detection, the RTO. Calls cc.c for the window.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "reliab.h"

#define US(ms)          ((uint64_t)(ms) * 1000)
#define RTO_GRANULARITY US(10) /* G in RFC 6298 */

int hp_rsend_init(struct hp_rsend *s)
{
	if (!s)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->next_seq = 1;
	s->next_xmit = 1;
	s->peer_window = HP_ACK_MIN_WINDOW; /* what any receiver takes */
	s->rto = US(HP_RTO_INIT_MS);
	hp_cc_init(&s->cc);
	return 0;
}

static struct hp_rsend_item *rsend_at(const struct hp_rsend *s, size_t i)
{
	return &s->q[(s->head + i) % s->cap];
}

void hp_rsend_free(struct hp_rsend *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->count; i++)
		free(rsend_at(s, i)->text);
	free(s->q);
	s->q = NULL;
	s->cap = s->count = s->head = 0;
}

static int rsend_grow(struct hp_rsend *s)
{
	size_t ncap = s->cap ? s->cap * 2 : 64, i;
	struct hp_rsend_item *nq;

	nq = calloc(ncap, sizeof(*nq));
	if (!nq)
		return -ENOMEM;
	for (i = 0; i < s->count; i++)
		nq[i] = *rsend_at(s, i);
	free(s->q);
	s->q = nq;
	s->cap = ncap;
	s->head = 0;
	return 0;
}

int hp_rsend_push(struct hp_rsend *s, const char *text, size_t len, uint32_t *seq)
{
	struct hp_rsend_item *it;
	char *copy;
	int ret;

	if (!s || (!text && len))
		return -EINVAL;
	if (len > HP_CHAT_MAX)
		return -EMSGSIZE;
	if (len && memchr(text, '\0', len))
		return -EINVAL;
	if (s->count == s->cap) {
		ret = rsend_grow(s);
		if (ret < 0)
			return ret;
	}
	copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	if (len)
		memcpy(copy, text, len);
	copy[len] = '\0';
	it = rsend_at(s, s->count);
	memset(it, 0, sizeof(*it));
	it->seq = s->next_seq++;
	it->len = (uint16_t)len;
	it->text = copy;
	s->count++;
	if (seq)
		*seq = it->seq;
	return 0;
}

/* The base RTO doubled `backoff` times (RFC 6298 s.5.5), capped. */
static uint64_t rsend_backoff(const struct hp_rsend *s)
{
	uint64_t rto = s->rto;
	unsigned i;

	for (i = 0; i < s->backoff && rto < US(HP_RTO_MAX_MS); i++)
		rto *= 2;
	return rto < US(HP_RTO_MAX_MS) ? rto : US(HP_RTO_MAX_MS);
}

static void rsend_mark_lost(struct hp_rsend *s, size_t i)
{
	struct hp_rsend_item *it = rsend_at(s, i);

	it->lost = true;
	s->n_lost++;
	s->in_flight--;
	s->in_flight_bytes -= HP_RSEND_WIRE(it->len);
	if (i < s->lost_from)
		s->lost_from = i;
}

/* The oldest line in flight (neither acknowledged nor lost), or n_tx. */
static size_t rsend_oldest_in_flight(const struct hp_rsend *s)
{
	size_t i;

	for (i = 0; i < s->n_tx; i++) {
		const struct hp_rsend_item *it = rsend_at(s, i);

		if (!it->acked && !it->lost)
			break;
	}
	return i;
}

/*
 * Nothing acknowledged for an RTO: a probe, as RFC 9002 s.6.2.4 has it,
 * not a verdict. One line may go beyond the window: a new one if there is
 * one, else the oldest in flight again; what the probe's ACK shows
 * arrived is not sent again, what it shows missing is lost by the usual
 * thresholds. HP_PTO_COLLAPSE timeouts in a row without any ACK are
 * persistent congestion (s.7.6): the window goes to its minimum.
 */
static void rsend_timeout(struct hp_rsend *s, uint64_t now_us)
{
	size_t i = rsend_oldest_in_flight(s);
	bool new_ok = s->n_tx < s->count &&
		      rsend_at(s, s->n_tx)->seq <= (uint64_t)s->peer_seq + s->peer_window;

	if (!new_ok && !s->n_lost && i < s->n_tx)
		rsend_mark_lost(s, i);
	s->probes = 1;
	if (rsend_backoff(s) < US(HP_RTO_MAX_MS))
		s->backoff++;
	if (s->backoff >= HP_PTO_COLLAPSE)
		hp_cc_collapse(&s->cc, s->next_xmit);
	s->rto_base_us = now_us;
}

static void rsend_detect(struct hp_rsend *s, uint64_t now_us);

/* May line i go out: inside the congestion window, and new lines also
 * inside the receiver's. */
static bool rsend_may_send(const struct hp_rsend *s, const struct hp_rsend_item *it)
{
	if (s->in_flight_bytes >= s->cc.cwnd && !s->probes)
		return false;
	return it->tx || it->seq <= (uint64_t)s->peer_seq + s->peer_window;
}

/* The line to send next: the lowest lost one, else the first new one. */
static size_t rsend_next(struct hp_rsend *s)
{
	size_t i;

	if (s->n_lost) {
		for (i = s->lost_from; i < s->n_tx; i++)
			if (rsend_at(s, i)->lost)
				break;
		s->lost_from = i;
		return i;
	}
	return s->n_tx;
}

const struct hp_rsend_item *hp_rsend_due(struct hp_rsend *s, uint64_t now_us)
{
	struct hp_rsend_item *it;
	size_t i;

	if (!s)
		return NULL;
	if (s->loss_time && now_us >= s->loss_time)
		rsend_detect(s, now_us);
	if (s->in_flight && now_us >= s->rto_base_us + rsend_backoff(s))
		rsend_timeout(s, now_us);
	i = rsend_next(s);
	if (i >= s->count)
		return NULL;
	it = rsend_at(s, i);
	if (!rsend_may_send(s, it))
		return NULL;
	if (!it->tx) {
		it->first_us = now_us;
		s->n_sent++;
		s->n_tx++;
	} else {
		it->lost = false;
		s->n_lost--;
		s->n_retx++;
	}
	if (s->probes)
		s->probes--;
	if (!s->in_flight)
		s->rto_base_us = now_us; /* the RTO runs from the first copy in flight */
	s->in_flight++;
	s->in_flight_bytes += HP_RSEND_WIRE(it->len);
	it->tx++;
	it->last_us = now_us;
	it->xmit = s->next_xmit++;
	return it;
}

uint64_t hp_rsend_deadline(const struct hp_rsend *s)
{
	uint64_t rto;
	size_t i;

	if (!s)
		return UINT64_MAX;
	i = s->n_lost ? s->lost_from : s->n_tx;
	if (i < s->count && rsend_may_send(s, rsend_at(s, i)))
		return 0;
	if (!s->in_flight)
		return UINT64_MAX;
	rto = s->rto_base_us + rsend_backoff(s);
	return s->loss_time && s->loss_time < rto ? s->loss_time : rto;
}

/* kTimeThreshold (9/8) of the larger of SRTT and the latest sample,
 * at least kGranularity: RFC 9002 s.6.1.2. */
static uint64_t rsend_loss_delay(const struct hp_rsend *s)
{
	uint64_t r = s->have_rtt ? (s->srtt > s->latest_rtt ? s->srtt : s->latest_rtt) : s->rto;

	r = r * 9 / 8;
	return r > US(1) ? r : US(1);
}

/*
 * RFC 9002 s.6.1: an unacknowledged line is lost once a line transmitted
 * HP_LOSS_PKT_THRESH copies later, or transmitted later and
 * rsend_loss_delay() ago, is acknowledged. Lines sent for the first time
 * are in xmit order, so the scan stops at the first one not older than
 * the largest acknowledged; a line that may still be lost by time sets
 * the loss timer.
 */
static void rsend_detect(struct hp_rsend *s, uint64_t now_us)
{
	uint64_t delay = rsend_loss_delay(s), big = s->largest_acked_xmit;
	size_t i;

	s->loss_time = 0;
	for (i = 0; i < s->n_tx; i++) {
		struct hp_rsend_item *it = rsend_at(s, i);

		if (it->xmit >= big) {
			if (it->tx == 1)
				break;
			continue;
		}
		if (it->acked || it->lost)
			continue;
		if (it->xmit + HP_LOSS_PKT_THRESH <= big || now_us >= it->last_us + delay) {
			rsend_mark_lost(s, i);
			hp_cc_lost(&s->cc, it->xmit, s->next_xmit);
		} else if (!s->loss_time || it->last_us + delay < s->loss_time) {
			s->loss_time = it->last_us + delay;
		}
	}
}

/* Line i is acknowledged: out of flight (or off the lost list), the
 * window grows, the caller hears of it, its text goes. */
static void rsend_ack_one(struct hp_rsend *s, size_t i, uint64_t now_us, hp_rsend_acked_fn cb,
			  void *ctx, struct hp_rsend_item **newest)
{
	struct hp_rsend_item *it = rsend_at(s, i);
	uint32_t cap = s->peer_window * HP_CC_DGRAM_MAX; /* the receiver's window, in bytes */

	it->acked = true;
	s->n_sacked++;
	if (it->lost) {
		it->lost = false;
		s->n_lost--;
	} else {
		s->in_flight--;
		s->in_flight_bytes -= HP_RSEND_WIRE(it->len);
	}
	hp_cc_acked(&s->cc, it->xmit, (uint32_t)HP_RSEND_WIRE(it->len), cap);
	/* Karn: which copy arrived is unknown for a retransmitted line; one
	 * acknowledged sooner than half the smallest round trip after its
	 * latest copy was surely an earlier copy's, so it must not move the
	 * largest acknowledged forward (that would call lines lost early) */
	if (it->tx == 1 || now_us >= it->last_us + s->min_rtt / 2) {
		if (it->xmit > s->largest_acked_xmit)
			s->largest_acked_xmit = it->xmit;
	}
	if (!*newest || it->xmit > (*newest)->xmit)
		*newest = it;
	if (cb)
		cb(ctx, it->seq, now_us >= it->first_us ? now_us - it->first_us : 0, it->tx);
	free(it->text);
	it->text = NULL;
}

/* Acknowledged lines at the head leave the ring. */
static void rsend_trim(struct hp_rsend *s)
{
	while (s->count && rsend_at(s, 0)->acked) {
		memset(rsend_at(s, 0), 0, sizeof(struct hp_rsend_item));
		s->head = (s->head + 1) % s->cap;
		s->count--;
		s->n_tx--;
		s->n_sacked--;
		if (s->lost_from)
			s->lost_from--;
	}
}

/* Lines lo..hi (seq), those still in the ring and not yet acknowledged. */
static int rsend_ack_span(struct hp_rsend *s, uint32_t lo, uint32_t hi, uint64_t now_us,
			  hp_rsend_acked_fn cb, void *ctx, struct hp_rsend_item **newest)
{
	uint32_t first = s->next_seq - (uint32_t)s->count;
	size_t i, end;
	int n = 0;

	if (hi < first)
		return 0;
	i = lo > first ? lo - first : 0;
	end = (size_t)(hi - first);
	for (; i <= end; i++) {
		if (rsend_at(s, i)->acked)
			continue;
		rsend_ack_one(s, i, now_us, cb, ctx, newest);
		n++;
	}
	return n;
}

int hp_rsend_ack(struct hp_rsend *s, const struct hp_ack *a, uint64_t now_us,
		 hp_rsend_acked_fn cb, void *ctx)
{
	struct hp_rsend_item *newest = NULL;
	uint32_t top;
	unsigned r;
	int n;

	if (!s || !a)
		return -EINVAL;
	/* an ACK for a line never sent is a lie: ignore the whole ACK */
	top = s->next_seq - (uint32_t)s->count + (uint32_t)s->n_tx - 1;
	if (a->seq > top || (a->n_ranges && a->range[a->n_ranges - 1].hi > top))
		return -EINVAL;
	s->backoff = 0; /* the peer is alive (RFC 6298 s.5.5 backs off for a silent one) */
	if (a->seq >= s->peer_seq) {
		s->peer_seq = a->seq;
		s->peer_window = a->window;
	}
	n = a->seq ? rsend_ack_span(s, 1, a->seq, now_us, cb, ctx, &newest) : 0;
	for (r = 0; r < a->n_ranges; r++)
		n += rsend_ack_span(s, a->range[r].lo, a->range[r].hi, now_us, cb, ctx, &newest);
	/* one sample per ACK, from the latest copy it acknowledges, and only
	 * from a line sent once (RFC 9002 s.5.1, Karn) */
	if (newest && newest->tx == 1 && now_us >= newest->last_us)
		hp_rsend_rtt_sample(s, now_us - newest->last_us);
	rsend_trim(s);
	if (n)
		s->rto_base_us = now_us;
	rsend_detect(s, now_us);
	return n;
}

void hp_rsend_rtt_sample(struct hp_rsend *s, uint64_t r)
{
	uint64_t diff, var;

	if (!s)
		return;
	s->latest_rtt = r;
	if (!s->min_rtt || r < s->min_rtt)
		s->min_rtt = r;
	/* RFC 6298 s.2 */
	if (!s->have_rtt) {
		s->srtt = r;
		s->rttvar = r / 2;
		s->have_rtt = true;
	} else {
		diff = s->srtt > r ? s->srtt - r : r - s->srtt;
		s->rttvar = (3 * s->rttvar + diff) / 4;
		s->srtt = (7 * s->srtt + r) / 8;
	}
	/* K * RTTVAR shrinks to G on a steady path; a quarter of SRTT as the
	 * floor keeps a few ms of jitter on a long path from firing the RTO */
	var = 4 * s->rttvar > RTO_GRANULARITY ? 4 * s->rttvar : RTO_GRANULARITY;
	if (var < s->srtt / 4)
		var = s->srtt / 4;
	s->rto = s->srtt + var;
	if (s->rto < US(HP_RTO_MIN_MS))
		s->rto = US(HP_RTO_MIN_MS);
	if (s->rto > US(HP_RTO_MAX_MS))
		s->rto = US(HP_RTO_MAX_MS);
}

void hp_rsend_rtt_hint(struct hp_rsend *s, uint64_t rtt_us)
{
	uint64_t rto;

	if (!s || s->have_rtt)
		return;
	rto = 3 * rtt_us;
	if (rto > US(HP_RTO_MAX_MS))
		rto = US(HP_RTO_MAX_MS);
	if (rto > s->rto)
		s->rto = rto;
}

void hp_rsend_retry_now(struct hp_rsend *s, uint64_t now_us)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n_tx && s->in_flight; i++) {
		struct hp_rsend_item *it = rsend_at(s, i);

		if (!it->acked && !it->lost)
			rsend_mark_lost(s, i);
	}
	s->backoff = 0;
	s->rto_base_us = now_us;
}

uint64_t hp_rsend_rto(const struct hp_rsend *s)
{
	return s ? s->rto : US(HP_RTO_INIT_MS);
}

bool hp_rsend_all_acked(const struct hp_rsend *s)
{
	return !s || s->count == 0;
}

size_t hp_rsend_pending(const struct hp_rsend *s)
{
	return s ? s->count - s->n_sacked : 0;
}

size_t hp_rsend_in_flight(const struct hp_rsend *s)
{
	return s ? s->in_flight : 0;
}
