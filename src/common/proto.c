// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>

#include "proto.h"
#include "stun.h"

/*
 * Encoding and decoding both go through a cursor that knows how much room
 * is left, so no field can be written or read past the buffer: every
 * length check lives in the four put/take primitives below.
 */
struct wr {
	uint8_t *buf;
	size_t cap;
	size_t off;
	int err; /* first error; later writes are ignored */
};

struct rd {
	const uint8_t *buf;
	size_t len;
	size_t off;
	int err;
};

static void wr_bytes(struct wr *w, const void *p, size_t n)
{
	if (w->err)
		return;
	if (n > w->cap - w->off) {
		w->err = -EMSGSIZE;
		return;
	}
	if (n)
		memcpy(w->buf + w->off, p, n);
	w->off += n;
}

static void wr_u8(struct wr *w, uint8_t v)
{
	wr_bytes(w, &v, 1);
}

static void wr_u16(struct wr *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	wr_bytes(w, b, sizeof(b));
}

static void wr_u32(struct wr *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	wr_bytes(w, b, sizeof(b));
}

static void wr_u64(struct wr *w, uint64_t v)
{
	wr_u32(w, (uint32_t)(v >> 32));
	wr_u32(w, (uint32_t)v);
}

static void wr_fail(struct wr *w, int err)
{
	if (!w->err)
		w->err = err;
}

/* u8 length + bytes; min..max bytes, no embedded NUL (the C string ends it). */
static void wr_str(struct wr *w, const char *s, size_t min, size_t max)
{
	size_t n = strnlen(s, max + 1);

	if (n > max) {
		wr_fail(w, -EMSGSIZE);
		return;
	}
	if (n < min) {
		wr_fail(w, -EINVAL);
		return;
	}
	wr_u8(w, (uint8_t)n);
	wr_bytes(w, s, n);
}

static void wr_endpoint(struct wr *w, const struct hp_endpoint *ep)
{
	size_t n;

	if (ep->family == HP_FAMILY_V4)
		n = 4;
	else if (ep->family == HP_FAMILY_V6)
		n = 16;
	else {
		wr_fail(w, -EINVAL);
		return;
	}
	wr_u8(w, ep->family);
	wr_u16(w, ep->port);
	wr_bytes(w, ep->addr, n);
}

static void wr_endpoints(struct wr *w, uint8_t n, const struct hp_endpoint *eps)
{
	uint8_t i;

	if (n > HP_MAX_PRIV) {
		wr_fail(w, -EINVAL);
		return;
	}
	wr_u8(w, n);
	for (i = 0; i < n; i++)
		wr_endpoint(w, &eps[i]);
}

static const uint8_t *rd_bytes(struct rd *r, size_t n)
{
	const uint8_t *p;

	if (r->err)
		return NULL;
	if (n > r->len - r->off) {
		r->err = -EBADMSG;
		return NULL;
	}
	p = r->buf + r->off;
	r->off += n;
	return p;
}

static void rd_copy(struct rd *r, void *dst, size_t n)
{
	const uint8_t *p = rd_bytes(r, n);

	if (p)
		memcpy(dst, p, n);
	else
		memset(dst, 0, n);
}

static uint8_t rd_u8(struct rd *r)
{
	const uint8_t *p = rd_bytes(r, 1);

	return p ? p[0] : 0;
}

static uint16_t rd_u16(struct rd *r)
{
	const uint8_t *p = rd_bytes(r, 2);

	return p ? (uint16_t)((p[0] << 8) | p[1]) : 0;
}

static uint32_t rd_u32(struct rd *r)
{
	const uint8_t *p = rd_bytes(r, 4);

	return p ? ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3] : 0;
}

static uint64_t rd_u64(struct rd *r)
{
	uint64_t hi = rd_u32(r);

	return (hi << 32) | rd_u32(r);
}

static void rd_fail(struct rd *r, int err)
{
	if (!r->err)
		r->err = err;
}

/* Into dst[max + 1], NUL-terminated. */
static void rd_str(struct rd *r, char *dst, size_t min, size_t max)
{
	size_t n = rd_u8(r);
	const uint8_t *p;

	dst[0] = '\0';
	if (r->err)
		return;
	if (n < min || n > max) {
		rd_fail(r, -EBADMSG);
		return;
	}
	p = rd_bytes(r, n);
	if (!p)
		return;
	if (memchr(p, '\0', n)) {
		rd_fail(r, -EBADMSG);
		return;
	}
	memcpy(dst, p, n);
	dst[n] = '\0';
}

static void rd_endpoint(struct rd *r, struct hp_endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->family = rd_u8(r);
	if (r->err)
		return;
	if (ep->family != HP_FAMILY_V4 && ep->family != HP_FAMILY_V6) {
		ep->family = 0;
		rd_fail(r, -EBADMSG);
		return;
	}
	ep->port = rd_u16(r);
	rd_copy(r, ep->addr, ep->family == HP_FAMILY_V4 ? 4 : 16);
}

static void rd_endpoints(struct rd *r, uint8_t *n, struct hp_endpoint *eps)
{
	uint8_t i;

	*n = rd_u8(r);
	if (r->err)
		return;
	if (*n > HP_MAX_PRIV) {
		*n = 0;
		rd_fail(r, -EBADMSG);
		return;
	}
	for (i = 0; i < *n && !r->err; i++)
		rd_endpoint(r, &eps[i]);
}

/* Nothing may follow the last field, except REGISTER's zero padding. */
static void rd_end(struct rd *r, bool zero_pad_ok)
{
	size_t i;

	if (r->err || r->off == r->len)
		return;
	if (!zero_pad_ok) {
		rd_fail(r, -EBADMSG);
		return;
	}
	for (i = r->off; i < r->len; i++) {
		if (r->buf[i] != 0) {
			rd_fail(r, -EBADMSG);
			return;
		}
	}
	r->off = r->len;
}

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
	struct wr w = { .buf = buf, .cap = cap };

	if (!buf)
		return -EINVAL;
	wr_u16(&w, HP_MAGIC);
	wr_u8(&w, HP_VERSION);
	wr_u8(&w, type);
	wr_u16(&w, body_len);
	wr_u16(&w, 0);
	return w.err ? w.err : (int)w.off;
}

int hp_header_decode(struct hp_header *h, const uint8_t *buf, size_t len)
{
	struct rd r = { .buf = buf, .len = len };
	struct hp_header tmp;

	if (!buf || len < HP_HDR_LEN)
		return -EBADMSG;
	if (rd_u16(&r) != HP_MAGIC)
		return -EPROTO;
	tmp.version = rd_u8(&r);
	if (tmp.version != HP_VERSION)
		return -EPROTO;
	tmp.type = rd_u8(&r);
	tmp.length = rd_u16(&r);
	tmp.flags = rd_u16(&r);
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

static void msg_encode_body(struct wr *w, const struct hp_msg *m)
{
	switch (m->hdr.type) {
	case HP_REGISTER:
		wr_bytes(w, m->u.reg.token, HP_TOKEN_LEN);
		wr_bytes(w, m->u.reg.pubkey, HP_KEY_LEN);
		wr_str(w, m->u.reg.room, 1, HP_ROOM_MAX);
		wr_str(w, m->u.reg.nick, 0, HP_NICK_MAX);
		wr_endpoints(w, m->u.reg.n_priv, m->u.reg.priv);
		if (!w->err && m->u.reg.pad_to > w->off) {
			size_t pad = m->u.reg.pad_to - w->off;

			if (pad > w->cap - w->off) {
				wr_fail(w, -EMSGSIZE);
				break;
			}
			memset(w->buf + w->off, 0, pad);
			w->off += pad;
		}
		break;
	case HP_REGISTERED:
		wr_bytes(w, m->u.registered.token, HP_TOKEN_LEN);
		wr_endpoint(w, &m->u.registered.reflexive);
		break;
	case HP_INTRO:
		wr_bytes(w, m->u.intro.token, HP_TOKEN_LEN);
		wr_endpoint(w, &m->u.intro.reflexive);
		wr_str(w, m->u.intro.peer_nick, 0, HP_NICK_MAX);
		wr_bytes(w, m->u.intro.peer_pubkey, HP_KEY_LEN);
		wr_endpoint(w, &m->u.intro.peer_public);
		wr_endpoints(w, m->u.intro.n_priv, m->u.intro.peer_priv);
		break;
	case HP_ERROR:
		wr_bytes(w, m->u.error.token, HP_TOKEN_LEN);
		wr_u16(w, m->u.error.code);
		wr_str(w, m->u.error.reason, 0, HP_REASON_MAX);
		break;
	case HP_LEAVE:
		wr_bytes(w, m->u.leave.token, HP_TOKEN_LEN);
		wr_str(w, m->u.leave.room, 1, HP_ROOM_MAX);
		break;
	default:
		/* peer types are sealed elsewhere, RELAY/RELAYED have their own
		 * codec (hp_relay_*), PROBE is reserved */
		wr_fail(w, -EINVAL);
		break;
	}
}

int hp_msg_encode(const struct hp_msg *m, uint8_t *buf, size_t cap)
{
	struct wr w = { .buf = buf, .cap = cap };
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
	return (int)w.off;
}

int hp_msg_decode(struct hp_msg *m, const uint8_t *buf, size_t len)
{
	struct rd r = { .buf = buf, .len = len, .off = HP_HDR_LEN };
	int ret;

	if (!m || !buf)
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	ret = hp_header_decode(&m->hdr, buf, len);
	if (ret < 0)
		return ret;
	switch (m->hdr.type) {
	case HP_REGISTER:
		rd_copy(&r, m->u.reg.token, HP_TOKEN_LEN);
		rd_copy(&r, m->u.reg.pubkey, HP_KEY_LEN);
		rd_str(&r, m->u.reg.room, 1, HP_ROOM_MAX);
		rd_str(&r, m->u.reg.nick, 0, HP_NICK_MAX);
		rd_endpoints(&r, &m->u.reg.n_priv, m->u.reg.priv);
		rd_end(&r, true);
		break;
	case HP_REGISTERED:
		rd_copy(&r, m->u.registered.token, HP_TOKEN_LEN);
		rd_endpoint(&r, &m->u.registered.reflexive);
		rd_end(&r, false);
		break;
	case HP_INTRO:
		rd_copy(&r, m->u.intro.token, HP_TOKEN_LEN);
		rd_endpoint(&r, &m->u.intro.reflexive);
		rd_str(&r, m->u.intro.peer_nick, 0, HP_NICK_MAX);
		rd_copy(&r, m->u.intro.peer_pubkey, HP_KEY_LEN);
		rd_endpoint(&r, &m->u.intro.peer_public);
		rd_endpoints(&r, &m->u.intro.n_priv, m->u.intro.peer_priv);
		rd_end(&r, false);
		break;
	case HP_ERROR:
		rd_copy(&r, m->u.error.token, HP_TOKEN_LEN);
		m->u.error.code = rd_u16(&r);
		rd_str(&r, m->u.error.reason, 0, HP_REASON_MAX);
		rd_end(&r, false);
		break;
	case HP_LEAVE:
		rd_copy(&r, m->u.leave.token, HP_TOKEN_LEN);
		rd_str(&r, m->u.leave.room, 1, HP_ROOM_MAX);
		rd_end(&r, false);
		break;
	default:
		r.err = -EINVAL;
		break;
	}
	return r.err;
}

int hp_peer_encode(const struct hp_peer_msg *m, uint8_t *buf, size_t cap)
{
	struct wr w = { .buf = buf, .cap = cap };

	if (!m || !buf)
		return -EINVAL;
	switch (m->type) {
	case HP_PUNCH:
	case HP_PUNCH_ACK:
		wr_u64(&w, m->counter);
		wr_u64(&w, m->u.punch.id);
		wr_u8(&w, m->u.punch.ttl);
		break;
	case HP_CHAT:
		if (m->u.chat.len > HP_CHAT_MAX)
			return -EMSGSIZE;
		if (memchr(m->u.chat.text, '\0', m->u.chat.len))
			return -EINVAL;
		wr_u64(&w, m->counter);
		wr_u32(&w, m->u.chat.seq);
		wr_u16(&w, m->u.chat.len);
		wr_bytes(&w, m->u.chat.text, m->u.chat.len);
		break;
	case HP_ACK:
		wr_u64(&w, m->counter);
		wr_u32(&w, m->u.ack.seq);
		break;
	case HP_KEEPALIVE:
	case HP_BYE:
		wr_u64(&w, m->counter);
		break;
	default:
		return -EINVAL;
	}
	return w.err ? w.err : (int)w.off;
}

int hp_peer_decode(struct hp_peer_msg *m, uint8_t type, const uint8_t *buf, size_t len)
{
	struct rd r = { .buf = buf, .len = len };
	const uint8_t *text;

	if (!m || (!buf && len))
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	m->type = type;
	switch (type) {
	case HP_PUNCH:
	case HP_PUNCH_ACK:
		m->counter = rd_u64(&r);
		m->u.punch.id = rd_u64(&r);
		m->u.punch.ttl = rd_u8(&r);
		break;
	case HP_CHAT:
		m->counter = rd_u64(&r);
		m->u.chat.seq = rd_u32(&r);
		m->u.chat.len = rd_u16(&r);
		if (r.err)
			break;
		if (m->u.chat.len > HP_CHAT_MAX) {
			rd_fail(&r, -EBADMSG);
			break;
		}
		text = rd_bytes(&r, m->u.chat.len);
		if (!text)
			break;
		/* the text is handed on as a C string: a NUL would cut it short */
		if (memchr(text, '\0', m->u.chat.len)) {
			rd_fail(&r, -EBADMSG);
			break;
		}
		memcpy(m->u.chat.text, text, m->u.chat.len);
		m->u.chat.text[m->u.chat.len] = '\0';
		break;
	case HP_ACK:
		m->counter = rd_u64(&r);
		m->u.ack.seq = rd_u32(&r);
		break;
	case HP_KEEPALIVE:
	case HP_BYE:
		m->counter = rd_u64(&r);
		break;
	default:
		return -EINVAL;
	}
	rd_end(&r, false);
	return r.err;
}

/* The inner datagram must be a sealed peer datagram; anything else is
 * refused here so neither the server nor a client forwards or opens it. */
static int hp_relay_check_inner(const uint8_t *inner, size_t len)
{
	struct hp_header h;

	if (len < HP_RELAY_INNER_MIN || len > HP_RELAY_INNER_MAX)
		return -EBADMSG;
	if (hp_header_decode(&h, inner, len) < 0 || !hp_type_is_peer(h.type))
		return -EBADMSG;
	return 0;
}

static int hp_relay_wrap(uint8_t *buf, size_t cap, uint8_t type, const uint8_t *token,
			 const uint8_t *inner, size_t inner_len)
{
	struct wr w = { .buf = buf, .cap = cap, .off = HP_HDR_LEN };
	int ret;

	if (!buf || !inner)
		return -EINVAL;
	if (hp_relay_check_inner(inner, inner_len) < 0)
		return -EINVAL;
	if (cap < HP_HDR_LEN)
		return -EMSGSIZE;
	if (token)
		wr_bytes(&w, token, HP_TOKEN_LEN);
	wr_bytes(&w, inner, inner_len);
	if (w.err)
		return w.err;
	if (w.off > HP_MAX_DATAGRAM)
		return -EMSGSIZE;
	ret = hp_header_encode(buf, cap, type, (uint16_t)(w.off - HP_HDR_LEN));
	return ret < 0 ? ret : (int)w.off;
}

static int hp_relay_unwrap(const uint8_t *buf, size_t len, uint8_t type, uint8_t *token,
			   const uint8_t **inner, size_t *inner_len)
{
	struct hp_header h;
	size_t off = HP_HDR_LEN;
	int ret;

	if (!buf || !inner || !inner_len)
		return -EINVAL;
	ret = hp_header_decode(&h, buf, len);
	if (ret < 0)
		return ret;
	if (h.type != type)
		return -EINVAL;
	if (token) {
		if (len - off < HP_TOKEN_LEN)
			return -EBADMSG;
		memcpy(token, buf + off, HP_TOKEN_LEN);
		off += HP_TOKEN_LEN;
	}
	ret = hp_relay_check_inner(buf + off, len - off);
	if (ret < 0)
		return ret;
	*inner = buf + off;
	*inner_len = len - off;
	return 0;
}

int hp_relay_encode(uint8_t *buf, size_t cap, const uint8_t token[HP_TOKEN_LEN],
		    const uint8_t *inner, size_t inner_len)
{
	if (!token)
		return -EINVAL;
	return hp_relay_wrap(buf, cap, HP_RELAY, token, inner, inner_len);
}

int hp_relay_decode(const uint8_t *buf, size_t len, uint8_t token[HP_TOKEN_LEN],
		    const uint8_t **inner, size_t *inner_len)
{
	if (!token)
		return -EINVAL;
	return hp_relay_unwrap(buf, len, HP_RELAY, token, inner, inner_len);
}

int hp_relayed_encode(uint8_t *buf, size_t cap, const uint8_t *inner, size_t inner_len)
{
	return hp_relay_wrap(buf, cap, HP_RELAYED, NULL, inner, inner_len);
}

int hp_relayed_decode(const uint8_t *buf, size_t len, const uint8_t **inner, size_t *inner_len)
{
	return hp_relay_unwrap(buf, len, HP_RELAYED, NULL, inner, inner_len);
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
	case HP_PUNCH:      return "punch";
	case HP_PUNCH_ACK:  return "punch_ack";
	case HP_CHAT:       return "chat";
	case HP_ACK:        return "ack";
	case HP_KEEPALIVE:  return "keepalive";
	case HP_BYE:        return "bye";
	default:            return "unknown";
	}
}
