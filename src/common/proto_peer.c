// SPDX-License-Identifier: MIT
/*
 * The peer messages' plaintext (proto.h, hp_peer_*): what goes inside the
 * AEAD of a sealed PUNCH .. BYE, after the u64 counter. Sealing is
 * crypto.c's. Called by the client; calls cursor.c only.
 */
#include <errno.h>
#include <string.h>

#include "cursor.h"
#include "proto.h"

/*
 * ACK body after the counter: seq u32, window u16, n u8, then n times
 * (gap u16, len u16): range i starts gap + 1 lines after the end of the
 * one before (range 0: after seq) and holds len lines. gap >= 1 and
 * len >= 1, so ranges are ascending, disjoint and never touch; every
 * line of them lies within seq + window (docs/protocol.md, "ACK").
 */
static bool ack_valid(const struct hp_ack *a)
{
	uint64_t prev = a->seq, top = (uint64_t)a->seq + a->window;
	unsigned i;

	if (a->window < HP_ACK_MIN_WINDOW || a->n_ranges > HP_ACK_RANGES_MAX)
		return false;
	for (i = 0; i < a->n_ranges; i++) {
		const struct hp_ack_range *r = &a->range[i];

		if (r->lo < prev + 2 || r->hi < r->lo || r->hi > top || r->lo - prev - 1 > UINT16_MAX ||
		    r->hi - r->lo + 1 > UINT16_MAX)
			return false;
		prev = r->hi;
	}
	return true;
}

static void ack_encode(struct hp_wr *w, const struct hp_ack *a)
{
	uint32_t prev = a->seq;
	unsigned i;

	if (!ack_valid(a)) {
		hp_wr_fail(w, -EINVAL);
		return;
	}
	hp_wr_u32(w, a->seq);
	hp_wr_u16(w, a->window);
	hp_wr_u8(w, a->n_ranges);
	for (i = 0; i < a->n_ranges; i++) {
		hp_wr_u16(w, (uint16_t)(a->range[i].lo - prev - 1));
		hp_wr_u16(w, (uint16_t)(a->range[i].hi - a->range[i].lo + 1));
		prev = a->range[i].hi;
	}
}

static void ack_decode(struct hp_rd *r, struct hp_ack *a)
{
	uint64_t prev, lo, len;
	unsigned i;

	a->seq = hp_rd_u32(r);
	a->window = hp_rd_u16(r);
	a->n_ranges = hp_rd_u8(r);
	if (r->err)
		return;
	if (a->n_ranges > HP_ACK_RANGES_MAX) {
		hp_rd_fail(r, -EBADMSG);
		return;
	}
	prev = a->seq;
	for (i = 0; i < a->n_ranges && !r->err; i++) {
		lo = prev + 1 + hp_rd_u16(r);
		len = hp_rd_u16(r);
		/* 64-bit sums: a range past UINT32_MAX is refused, not wrapped */
		if (lo + len - 1 > UINT32_MAX) {
			hp_rd_fail(r, -EBADMSG);
			break;
		}
		a->range[i].lo = (uint32_t)lo;
		a->range[i].hi = (uint32_t)(lo + len - 1);
		prev = lo + len - 1;
		if (len == 0) /* hi < lo: ack_valid() refuses it */
			break;
	}
	if (!r->err && !ack_valid(a))
		hp_rd_fail(r, -EBADMSG);
}

int hp_peer_encode(const struct hp_peer_msg *m, uint8_t *buf, size_t cap)
{
	struct hp_wr w = { .buf = buf, .cap = cap };

	if (!m || !buf)
		return -EINVAL;
	switch (m->type) {
	case HP_PUNCH:
	case HP_PUNCH_ACK:
		hp_wr_u64(&w, m->counter);
		hp_wr_u64(&w, m->u.punch.id);
		hp_wr_u8(&w, m->u.punch.ttl);
		break;
	case HP_CHAT:
		if (m->u.chat.len > HP_CHAT_MAX)
			return -EMSGSIZE;
		if (memchr(m->u.chat.text, '\0', m->u.chat.len))
			return -EINVAL;
		hp_wr_u64(&w, m->counter);
		hp_wr_u32(&w, m->u.chat.seq);
		hp_wr_u16(&w, m->u.chat.len);
		hp_wr_bytes(&w, m->u.chat.text, m->u.chat.len);
		break;
	case HP_ACK:
		hp_wr_u64(&w, m->counter);
		ack_encode(&w, &m->u.ack);
		break;
	case HP_KEEPALIVE:
	case HP_BYE:
		hp_wr_u64(&w, m->counter);
		break;
	default:
		return -EINVAL;
	}
	return w.err ? w.err : (int)w.off;
}

int hp_peer_decode(struct hp_peer_msg *m, uint8_t type, const uint8_t *buf, size_t len)
{
	struct hp_rd r = { .buf = buf, .len = len };
	const uint8_t *text;

	if (!m || (!buf && len))
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	m->type = type;
	switch (type) {
	case HP_PUNCH:
	case HP_PUNCH_ACK:
		m->counter = hp_rd_u64(&r);
		m->u.punch.id = hp_rd_u64(&r);
		m->u.punch.ttl = hp_rd_u8(&r);
		break;
	case HP_CHAT:
		m->counter = hp_rd_u64(&r);
		m->u.chat.seq = hp_rd_u32(&r);
		m->u.chat.len = hp_rd_u16(&r);
		if (r.err)
			break;
		if (m->u.chat.len > HP_CHAT_MAX) {
			hp_rd_fail(&r, -EBADMSG);
			break;
		}
		text = hp_rd_bytes(&r, m->u.chat.len);
		if (!text)
			break;
		/* the text is handed on as a C string: a NUL would cut it short */
		if (memchr(text, '\0', m->u.chat.len)) {
			hp_rd_fail(&r, -EBADMSG);
			break;
		}
		memcpy(m->u.chat.text, text, m->u.chat.len);
		m->u.chat.text[m->u.chat.len] = '\0';
		break;
	case HP_ACK:
		m->counter = hp_rd_u64(&r);
		ack_decode(&r, &m->u.ack);
		break;
	case HP_KEEPALIVE:
	case HP_BYE:
		m->counter = hp_rd_u64(&r);
		break;
	default:
		return -EINVAL;
	}
	hp_rd_end(&r, false);
	return r.err;
}
