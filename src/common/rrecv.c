// SPDX-License-Identifier: MIT
/*
 * The receiver of reliab.h: in-order delivery and the ACK it sends. A
 * line that arrives in order is handed out from the caller's buffer; only
 * lines ahead of a gap are copied, each in its own allocation of its own
 * length. Calls libc only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "reliab.h"

#define W HP_RRECV_WINDOW

int hp_rrecv_init(struct hp_rrecv *r)
{
	if (!r)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->next = 1;
	r->slot = calloc(W, sizeof(*r->slot));
	return r->slot ? 0 : -ENOMEM;
}

static void rrecv_drop(struct hp_rrecv_slot *sl)
{
	free(sl->text);
	sl->text = NULL;
	sl->have = false;
}

void hp_rrecv_free(struct hp_rrecv *r)
{
	size_t i;

	if (!r || !r->slot)
		return;
	for (i = 0; i < W; i++)
		free(r->slot[i].text);
	free(r->slot);
	r->slot = NULL;
}

/* The slot a delivered line was handed out from: its text goes now. */
static void rrecv_release(struct hp_rrecv *r)
{
	struct hp_rrecv_slot *sl = &r->slot[(r->next - 1) % W];

	if (sl->text && !sl->have)
		rrecv_drop(sl);
	r->have_direct = false;
}

int hp_rrecv_accept(struct hp_rrecv *r, uint32_t seq, const char *text, size_t len)
{
	struct hp_rrecv_slot *sl;

	if (!r || !r->slot || seq == 0 || len > HP_CHAT_MAX || (!text && len))
		return -EINVAL;
	rrecv_release(r);
	if (seq < r->next)
		return HP_RRECV_DUP;
	if (seq - r->next >= W)
		return -ENOBUFS;
	sl = &r->slot[seq % W];
	if (sl->have)
		return HP_RRECV_DUP;
	r->recent = seq;
	if (seq == r->next) {
		r->direct = text;
		r->direct_len = (uint16_t)len;
		r->have_direct = true;
		return HP_RRECV_NEW;
	}
	sl->text = malloc(len + 1);
	if (!sl->text)
		return -ENOMEM;
	if (len)
		memcpy(sl->text, text, len);
	sl->text[len] = '\0';
	sl->len = (uint16_t)len;
	sl->have = true;
	if (seq > r->top)
		r->top = seq;
	return HP_RRECV_AHEAD;
}

bool hp_rrecv_pop(struct hp_rrecv *r, uint32_t *seq, const char **text, uint16_t *len)
{
	struct hp_rrecv_slot *sl;
	const char *t;
	uint16_t n;

	if (!r || !r->slot)
		return false;
	if (r->have_direct) {
		r->have_direct = false;
		t = r->direct;
		n = r->direct_len;
	} else {
		rrecv_release(r);
		sl = &r->slot[r->next % W];
		if (!sl->have)
			return false;
		sl->have = false; /* its text goes at the next call */
		t = sl->text;
		n = sl->len;
	}
	if (seq)
		*seq = r->next;
	if (text)
		*text = t;
	if (len)
		*len = n;
	r->next++;
	return true;
}

/* The range of buffered lines around seq (which is buffered), beyond
 * the cumulative point. */
static struct hp_ack_range rrecv_range_at(const struct hp_rrecv *r, uint32_t seq)
{
	struct hp_ack_range g = { seq, seq };

	while (g.lo - 1 > r->next && r->slot[(g.lo - 1) % W].have)
		g.lo--;
	while (g.hi < r->top && r->slot[(g.hi + 1) % W].have)
		g.hi++;
	return g;
}

static void rrecv_add(struct hp_ack *a, struct hp_ack_range g)
{
	unsigned i = a->n_ranges;

	/* insertion into ascending order: at most HP_ACK_RANGES_MAX */
	while (i > 0 && a->range[i - 1].lo > g.lo) {
		a->range[i] = a->range[i - 1];
		i--;
	}
	a->range[i] = g;
	a->n_ranges++;
}

/*
 * As RFC 2018 s.4 asks of TCP: the range holding the latest line first
 * (the sender learns of every arrival at once), then the highest others,
 * which the sender has heard of least often. Older ones were in earlier
 * ACKs; the sender keeps what it learnt (nothing here is ever dropped).
 */
void hp_rrecv_ack(const struct hp_rrecv *r, struct hp_ack *a)
{
	struct hp_ack_range latest = { 0, 0 }, g;
	uint32_t s;

	memset(a, 0, sizeof(*a));
	if (!r || !r->slot)
		return;
	a->seq = r->next - 1;
	a->window = W;
	if (r->top <= r->next)
		return;
	if (r->recent > r->next && r->recent <= r->top && r->slot[r->recent % W].have) {
		latest = rrecv_range_at(r, r->recent);
		rrecv_add(a, latest);
	}
	for (s = r->top; s > r->next && a->n_ranges < HP_ACK_RANGES_MAX; s--) {
		if (!r->slot[s % W].have)
			continue;
		g = rrecv_range_at(r, s);
		if (g.lo != latest.lo)
			rrecv_add(a, g);
		s = g.lo; /* the loop's s-- steps over the gap below */
	}
}
