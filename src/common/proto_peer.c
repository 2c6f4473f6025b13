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
		hp_wr_u32(&w, m->u.ack.seq);
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
		m->u.ack.seq = hp_rd_u32(&r);
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
