// SPDX-License-Identifier: MIT
/*
 * The datagram header, the type names and the control messages
 * (REGISTER .. LEAVE) of proto.h; the peer plaintext is proto_peer.c's,
 * RELAY/RELAYED framing proto_relay.c's. Every field goes through the
 * bounded cursors of cursor.c. Called by the client, the server and the
 * lab; calls cursor.c only.
 */
#include <errno.h>
#include <string.h>

#include "cursor.h"
#include "proto.h"
#include "stun.h"

bool hp_is_stun(const uint8_t *buf, size_t len)
{
	/* RFC 8489 s.5: top two bits zero, then the magic cookie at offset 4 */
	if (!buf || len < STUN_HDR_LEN || (buf[0] & 0xc0) != 0)
		return false;
	return ((uint32_t)buf[4] << 24 | (uint32_t)buf[5] << 16 | (uint32_t)buf[6] << 8 | buf[7]) ==
	       STUN_MAGIC_COOKIE;
}

int hp_header_encode(uint8_t *buf, size_t cap, uint8_t type, uint16_t body_len)
{
	struct hp_wr w = { .buf = buf, .cap = cap };

	if (!buf)
		return -EINVAL;
	hp_wr_u16(&w, HP_MAGIC);
	hp_wr_u8(&w, HP_VERSION);
	hp_wr_u8(&w, type);
	hp_wr_u16(&w, body_len);
	hp_wr_u16(&w, 0);
	return w.err ? w.err : (int)w.off;
}

int hp_header_decode(struct hp_header *h, const uint8_t *buf, size_t len)
{
	struct hp_rd r = { .buf = buf, .len = len };
	struct hp_header tmp;

	if (!buf || len < HP_HDR_LEN)
		return -EBADMSG;
	if (hp_rd_u16(&r) != HP_MAGIC)
		return -EPROTO;
	tmp.version = hp_rd_u8(&r);
	if (tmp.version != HP_VERSION)
		return -EPROTO;
	tmp.type = hp_rd_u8(&r);
	tmp.length = hp_rd_u16(&r);
	tmp.flags = hp_rd_u16(&r);
	if ((size_t)tmp.length != len - HP_HDR_LEN)
		return -EBADMSG;
	if (h)
		*h = tmp;
	return 0;
}

bool hp_type_is_peer(uint8_t type)
{
	return type >= 0x10 && type <= 0x1f;
}

static void msg_encode_body(struct hp_wr *w, const struct hp_msg *m)
{
	switch (m->hdr.type) {
	case HP_REGISTER:
		hp_wr_bytes(w, m->u.reg.token, HP_TOKEN_LEN);
		hp_wr_bytes(w, m->u.reg.pubkey, HP_KEY_LEN);
		hp_wr_str(w, m->u.reg.room, 1, HP_ROOM_MAX);
		hp_wr_str(w, m->u.reg.nick, 0, HP_NICK_MAX);
		hp_wr_endpoints(w, m->u.reg.n_priv, m->u.reg.priv);
		if (m->u.reg.mapping > HP_MAP_HARD)
			hp_wr_fail(w, -EINVAL);
		if (m->u.reg.cookie_len == HP_COOKIE_LEN) {
			hp_wr_u8(w, HP_COOKIE_LEN);
			hp_wr_bytes(w, m->u.reg.cookie, HP_COOKIE_LEN);
		} else if (m->u.reg.cookie_len) {
			hp_wr_fail(w, -EINVAL);
		}
		if (!w->err && m->u.reg.pad_to > w->off) {
			size_t pad = m->u.reg.pad_to - w->off;

			if (pad > w->cap - w->off) {
				hp_wr_fail(w, -EMSGSIZE);
				break;
			}
			memset(w->buf + w->off, 0, pad);
			w->off += pad;
		}
		break;
	case HP_REGISTERED:
		hp_wr_bytes(w, m->u.registered.token, HP_TOKEN_LEN);
		hp_wr_endpoint(w, &m->u.registered.reflexive);
		break;
	case HP_INTRO:
		hp_wr_bytes(w, m->u.intro.token, HP_TOKEN_LEN);
		hp_wr_endpoint(w, &m->u.intro.reflexive);
		hp_wr_str(w, m->u.intro.peer_nick, 0, HP_NICK_MAX);
		hp_wr_bytes(w, m->u.intro.peer_pubkey, HP_KEY_LEN);
		hp_wr_endpoint(w, &m->u.intro.peer_public);
		hp_wr_endpoints(w, m->u.intro.n_priv, m->u.intro.peer_priv);
		if (m->u.intro.mapping > HP_MAP_HARD || m->u.intro.peer_mapping > HP_MAP_HARD)
			hp_wr_fail(w, -EINVAL);
		if (m->u.intro.rtt_us || m->u.intro.peer_rtt_us) {
			hp_wr_u32(w, m->u.intro.rtt_us);
			hp_wr_u32(w, m->u.intro.peer_rtt_us);
		}
		break;
	case HP_ERROR:
		hp_wr_bytes(w, m->u.error.token, HP_TOKEN_LEN);
		hp_wr_u16(w, m->u.error.code);
		hp_wr_str(w, m->u.error.reason, 0, HP_REASON_MAX);
		break;
	case HP_LEAVE:
		hp_wr_bytes(w, m->u.leave.token, HP_TOKEN_LEN);
		hp_wr_str(w, m->u.leave.room, 1, HP_ROOM_MAX);
		break;
	case HP_COOKIE:
		hp_wr_bytes(w, m->u.cookie.token, HP_TOKEN_LEN);
		hp_wr_bytes(w, m->u.cookie.cookie, HP_COOKIE_LEN);
		break;
	default:
		/* peer types are sealed elsewhere, RELAY/RELAYED have their own
		 * codec (hp_relay_*), PROBE is reserved */
		hp_wr_fail(w, -EINVAL);
		break;
	}
}

/* The verdicts as header bits (proto.h, HP_FLAG_MAP_SHIFT). */
static uint16_t msg_mapping_flags(const struct hp_msg *m)
{
	if (m->hdr.type == HP_REGISTER)
		return (uint16_t)((m->u.reg.mapping & HP_FLAG_MAP_MASK) << HP_FLAG_MAP_SHIFT);
	if (m->hdr.type == HP_INTRO)
		return (uint16_t)((m->u.intro.mapping & HP_FLAG_MAP_MASK) << HP_FLAG_MAP_SHIFT |
				  (m->u.intro.peer_mapping & HP_FLAG_MAP_MASK) << HP_FLAG_PEER_SHIFT);
	return 0;
}

/* Two verdict bits of the header: both set is no verdict at all. */
static uint8_t msg_mapping_decode(struct hp_rd *r, uint16_t flags, unsigned shift)
{
	uint8_t v = (uint8_t)((flags >> shift) & HP_FLAG_MAP_MASK);

	if (v == HP_FLAG_MAP_MASK) {
		hp_rd_fail(r, -EBADMSG);
		return HP_MAP_UNKNOWN;
	}
	return v;
}

int hp_msg_encode(const struct hp_msg *m, uint8_t *buf, size_t cap)
{
	struct hp_wr w = { .buf = buf, .cap = cap };
	uint16_t flags;
	size_t body;
	int ret;

	if (!m || !buf)
		return -EINVAL;
	if (cap < HP_HDR_LEN)
		return -EMSGSIZE;
	w.off = HP_HDR_LEN;
	msg_encode_body(&w, m);
	if (w.err)
		return w.err;
	body = w.off - HP_HDR_LEN;
	if (body > UINT16_MAX)
		return -EMSGSIZE;
	ret = hp_header_encode(buf, cap, m->hdr.type, (uint16_t)body);
	if (ret < 0)
		return ret;
	/* the flags field (offset 6) as the message has it */
	flags = m->hdr.flags;
	if (m->hdr.type == HP_INTRO && m->u.intro.peer_opened)
		flags |= HP_FLAG_OPENED;
	flags |= msg_mapping_flags(m);
	buf[6] = (uint8_t)(flags >> 8);
	buf[7] = (uint8_t)flags;
	return (int)w.off;
}

/* After the endpoints, a REGISTER's padding starts with the cookie's
 * length: 0 (the rest is zeros, checked by hp_rd_end) or HP_COOKIE_LEN. */
static void reg_decode_cookie(struct hp_rd *r, struct hp_register *reg)
{
	if (r->err || r->off >= r->len)
		return;
	reg->cookie_len = hp_rd_u8(r);
	if (reg->cookie_len == 0)
		return;
	if (reg->cookie_len != HP_COOKIE_LEN) {
		hp_rd_fail(r, -EBADMSG);
		return;
	}
	hp_rd_copy(r, reg->cookie, HP_COOKIE_LEN);
}

/* The timing an INTRO may append: absent (nothing left), or both round
 * trips (8 bytes, not both zero: the encoder leaves those out, so each
 * INTRO has one spelling); anything else is -EBADMSG (hp_rd_u32,
 * hp_rd_end). */
static void intro_decode_timing(struct hp_rd *r, struct hp_intro *in)
{
	if (r->err || r->off >= r->len)
		return;
	in->rtt_us = hp_rd_u32(r);
	in->peer_rtt_us = hp_rd_u32(r);
	if (!r->err && !in->rtt_us && !in->peer_rtt_us)
		hp_rd_fail(r, -EBADMSG);
}

int hp_register_peek(const uint8_t *buf, size_t len, const uint8_t **token,
		     const uint8_t **room, size_t *room_len)
{
	/* docs/protocol.md, REGISTER: token, pubkey, then the room's length */
	const size_t at = HP_HDR_LEN + HP_TOKEN_LEN + HP_KEY_LEN;
	size_t n;

	if (!buf || !token || !room || !room_len || len <= at)
		return -EBADMSG;
	n = buf[at];
	if (n < 1 || n > HP_ROOM_MAX || len - at - 1 < n)
		return -EBADMSG;
	*token = buf + HP_HDR_LEN;
	*room = buf + at + 1;
	*room_len = n;
	return 0;
}

int hp_msg_decode(struct hp_msg *m, const uint8_t *buf, size_t len)
{
	struct hp_rd r = { .buf = buf, .len = len, .off = HP_HDR_LEN };
	int ret;

	if (!m || !buf)
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	ret = hp_header_decode(&m->hdr, buf, len);
	if (ret < 0)
		return ret;
	switch (m->hdr.type) {
	case HP_REGISTER:
		hp_rd_copy(&r, m->u.reg.token, HP_TOKEN_LEN);
		hp_rd_copy(&r, m->u.reg.pubkey, HP_KEY_LEN);
		hp_rd_str(&r, m->u.reg.room, 1, HP_ROOM_MAX);
		hp_rd_str(&r, m->u.reg.nick, 0, HP_NICK_MAX);
		hp_rd_endpoints(&r, &m->u.reg.n_priv, m->u.reg.priv);
		reg_decode_cookie(&r, &m->u.reg);
		m->u.reg.mapping = msg_mapping_decode(&r, m->hdr.flags, HP_FLAG_MAP_SHIFT);
		hp_rd_end(&r, true);
		break;
	case HP_REGISTERED:
		hp_rd_copy(&r, m->u.registered.token, HP_TOKEN_LEN);
		hp_rd_endpoint(&r, &m->u.registered.reflexive);
		hp_rd_end(&r, false);
		break;
	case HP_INTRO:
		hp_rd_copy(&r, m->u.intro.token, HP_TOKEN_LEN);
		hp_rd_endpoint(&r, &m->u.intro.reflexive);
		hp_rd_str(&r, m->u.intro.peer_nick, 0, HP_NICK_MAX);
		hp_rd_copy(&r, m->u.intro.peer_pubkey, HP_KEY_LEN);
		hp_rd_endpoint(&r, &m->u.intro.peer_public);
		hp_rd_endpoints(&r, &m->u.intro.n_priv, m->u.intro.peer_priv);
		intro_decode_timing(&r, &m->u.intro);
		m->u.intro.peer_opened = (m->hdr.flags & HP_FLAG_OPENED) != 0;
		m->u.intro.mapping = msg_mapping_decode(&r, m->hdr.flags, HP_FLAG_MAP_SHIFT);
		m->u.intro.peer_mapping = msg_mapping_decode(&r, m->hdr.flags, HP_FLAG_PEER_SHIFT);
		hp_rd_end(&r, false);
		break;
	case HP_ERROR:
		hp_rd_copy(&r, m->u.error.token, HP_TOKEN_LEN);
		m->u.error.code = hp_rd_u16(&r);
		hp_rd_str(&r, m->u.error.reason, 0, HP_REASON_MAX);
		hp_rd_end(&r, false);
		break;
	case HP_LEAVE:
		hp_rd_copy(&r, m->u.leave.token, HP_TOKEN_LEN);
		hp_rd_str(&r, m->u.leave.room, 1, HP_ROOM_MAX);
		hp_rd_end(&r, false);
		break;
	case HP_COOKIE:
		hp_rd_copy(&r, m->u.cookie.token, HP_TOKEN_LEN);
		hp_rd_copy(&r, m->u.cookie.cookie, HP_COOKIE_LEN);
		hp_rd_end(&r, false);
		break;
	default:
		r.err = -EINVAL;
		break;
	}
	return r.err;
}

const char *hp_type_name(uint8_t type)
{
	switch (type) {
	case HP_REGISTER:   return "register";
	case HP_REGISTERED: return "registered";
	case HP_INTRO:      return "intro";
	case HP_ERROR:      return "error";
	case HP_LEAVE:      return "leave";
	case HP_RELAY:      return "relay";
	case HP_RELAYED:    return "relayed";
	case HP_PROBE:      return "probe";
	case HP_COOKIE:     return "cookie";
	case HP_PUNCH:      return "punch";
	case HP_PUNCH_ACK:  return "punch_ack";
	case HP_CHAT:       return "chat";
	case HP_ACK:        return "ack";
	case HP_KEEPALIVE:  return "keepalive";
	case HP_BYE:        return "bye";
	default:            return "unknown";
	}
}
