// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "reliab.h"

#define US(ms)         ((uint64_t)(ms) * 1000)
#define RTO_GRANULARITY US(10) /* G in RFC 6298 */

int hp_rsend_init(struct hp_rsend *s, unsigned window)
{
	if (!s || window == 0 || window > HP_RELIAB_WINDOW)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->next_seq = 1;
	s->window = window;
	s->rto = US(HP_RTO_INIT_MS);
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

static size_t rsend_window_len(const struct hp_rsend *s)
{
	return s->count < s->window ? s->count : s->window;
}

/* The base RTO doubled `backoff` times (RFC 6298 s.5.5), capped. */
static uint64_t rsend_backoff(const struct hp_rsend *s, unsigned backoff)
{
	uint64_t rto = s->rto;
	unsigned i;

	for (i = 0; i < backoff && rto < US(HP_RTO_MAX_MS); i++)
		rto *= 2;
	return rto < US(HP_RTO_MAX_MS) ? rto : US(HP_RTO_MAX_MS);
}

const struct hp_rsend_item *hp_rsend_due(struct hp_rsend *s, uint64_t now_us)
{
	struct hp_rsend_item *it;
	size_t i, n;

	if (!s)
		return NULL;
	n = rsend_window_len(s);
	for (i = 0; i < n; i++) {
		it = rsend_at(s, i);
		if (it->tx && it->due_us > now_us)
			continue;
		if (!it->tx) {
			it->first_us = now_us;
			s->n_sent++;
		} else {
			s->n_retx++;
		}
		it->tx++;
		it->last_us = now_us;
		it->due_us = now_us + rsend_backoff(s, it->backoff);
		if (rsend_backoff(s, it->backoff) < US(HP_RTO_MAX_MS))
			it->backoff++;
		return it;
	}
	return NULL;
}

uint64_t hp_rsend_deadline(const struct hp_rsend *s)
{
	const struct hp_rsend_item *it;
	uint64_t best = UINT64_MAX;
	size_t i, n;

	if (!s)
		return best;
	n = rsend_window_len(s);
	for (i = 0; i < n; i++) {
		it = rsend_at(s, i);
		if (!it->tx)
			return 0;
		if (it->due_us < best)
			best = it->due_us;
	}
	return best;
}

void hp_rsend_rtt_sample(struct hp_rsend *s, uint64_t r)
{
	uint64_t diff, var;

	if (!s)
		return;
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
	struct hp_rsend_item *it;
	size_t i, n;

	if (!s)
		return;
	n = rsend_window_len(s);
	for (i = 0; i < n; i++) {
		it = rsend_at(s, i);
		if (it->tx && it->due_us > now_us)
			it->due_us = now_us;
	}
}

uint64_t hp_rsend_rto(const struct hp_rsend *s)
{
	return s ? s->rto : US(HP_RTO_INIT_MS);
}

/*
 * An ACK arrived, so the peer is alive: the oldest line (the one the
 * cumulative ACK waits for) goes back to the base RTO, counted from its
 * last copy. Backoff is for a path that may be gone (RFC 6298 s.5.5); a
 * line lost many times in a row on a live path must not wait out the cap.
 */
static void rsend_alive(struct hp_rsend *s)
{
	struct hp_rsend_item *it;

	if (s->count == 0)
		return;
	it = rsend_at(s, 0);
	if (!it->tx)
		return;
	it->backoff = 0;
	if (it->due_us > it->last_us + s->rto)
		it->due_us = it->last_us + s->rto;
}

/*
 * The receiver answers every CHAT (and every keepalive), so ACKs that
 * cover nothing new mean later lines arrive while the oldest does not:
 * every HP_DUPACK_FAST of them send it again now (RFC 5681 s.3.2), but
 * not within a round trip of its last copy: ACKs for lines sent before
 * that copy could arrive say nothing about it (the job RFC 6582's
 * "recover" does for TCP).
 */
static void rsend_dupack(struct hp_rsend *s, uint32_t seq, uint64_t now_us)
{
	struct hp_rsend_item *it = rsend_at(s, 0);

	if (seq + 1 != it->seq || !it->tx)
		return;
	rsend_alive(s);
	if (++s->dupacks < HP_DUPACK_FAST || now_us < it->last_us + s->srtt)
		return;
	s->dupacks = 0;
	if (it->due_us > now_us)
		it->due_us = now_us;
}

int hp_rsend_ack(struct hp_rsend *s, uint32_t seq, uint64_t now_us, hp_rsend_acked_fn cb,
		 void *ctx)
{
	struct hp_rsend_item *it;
	uint32_t oldest;
	size_t n, i;
	int acked = 0;

	if (!s)
		return -EINVAL;
	if (s->count == 0)
		return seq < s->next_seq ? 0 : -EINVAL;
	oldest = rsend_at(s, 0)->seq;
	if (seq < oldest) {
		rsend_dupack(s, seq, now_us);
		return 0;
	}
	n = (size_t)(seq - oldest) + 1;
	if (n > s->count)
		return -EINVAL;
	/* an ACK for a line we never sent is a lie: ignore the whole ACK */
	for (i = 0; i < n; i++)
		if (!rsend_at(s, i)->tx)
			return -EINVAL;
	for (i = 0; i < n; i++) {
		it = rsend_at(s, 0);
		/* Karn: a retransmitted line's ACK is ambiguous, no sample */
		if (it->tx == 1 && now_us >= it->first_us)
			hp_rsend_rtt_sample(s, now_us - it->first_us);
		if (cb)
			cb(ctx, it->seq, now_us >= it->first_us ? now_us - it->first_us : 0, it->tx);
		free(it->text);
		memset(it, 0, sizeof(*it));
		s->head = (s->head + 1) % s->cap;
		s->count--;
		acked++;
	}
	s->dupacks = 0;
	rsend_alive(s);
	return acked;
}

bool hp_rsend_all_acked(const struct hp_rsend *s)
{
	return !s || s->count == 0;
}

size_t hp_rsend_pending(const struct hp_rsend *s)
{
	return s ? s->count : 0;
}

size_t hp_rsend_in_flight(const struct hp_rsend *s)
{
	size_t i, n, f = 0;

	if (!s)
		return 0;
	n = rsend_window_len(s);
	for (i = 0; i < n; i++)
		if (rsend_at(s, i)->tx)
			f++;
	return f;
}

void hp_rrecv_init(struct hp_rrecv *r)
{
	if (!r)
		return;
	memset(r, 0, sizeof(*r));
	r->next = 1;
}

int hp_rrecv_accept(struct hp_rrecv *r, uint32_t seq, const char *text, size_t len)
{
	struct hp_rrecv_slot *sl;

	if (!r || seq == 0 || len > HP_CHAT_MAX || (!text && len))
		return -EINVAL;
	if (seq < r->next)
		return HP_RRECV_DUP;
	if (seq - r->next >= HP_RELIAB_WINDOW)
		return -ENOBUFS;
	sl = &r->slot[seq % HP_RELIAB_WINDOW];
	if (sl->have)
		return HP_RRECV_DUP;
	sl->have = true;
	sl->len = (uint16_t)len;
	if (len)
		memcpy(sl->text, text, len);
	sl->text[len] = '\0';
	return HP_RRECV_NEW;
}

bool hp_rrecv_pop(struct hp_rrecv *r, uint32_t *seq, const char **text, uint16_t *len)
{
	struct hp_rrecv_slot *sl;

	if (!r)
		return false;
	sl = &r->slot[r->next % HP_RELIAB_WINDOW];
	if (!sl->have)
		return false;
	sl->have = false;
	if (seq)
		*seq = r->next;
	if (text)
		*text = sl->text;
	if (len)
		*len = sl->len;
	r->next++;
	return true;
}

uint32_t hp_rrecv_ack(const struct hp_rrecv *r)
{
	return r ? r->next - 1 : 0;
}
