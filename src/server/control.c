// SPDX-License-Identifier: MIT
/*
 * REGISTER and LEAVE (handlers.h), called by dispatch.c: pairs peers in
 * rooms.c and answers REGISTERED, INTRO or ERROR through reply.c.
 */
#include <errno.h>
#include <string.h>

#include "proto.h"
#include "server/handlers.h"
#include "server/reply.h"

/* a peer that moved this recently is news to its peer's every REGISTER */
#define CONTROL_MOVE_NEWS_MS 10000
/* A cookie older than this is not an answer to the COOKIE just sent (the
 * client keeps it for every later REGISTER, docs/protocol.md "Return
 * routability" 3), so its age is no round trip. */
#define CONTROL_RTT_MAX_US 2000000

static void control_send_registered(struct server_ctx *c, const struct server_request *req,
				    const struct rooms_peer *self)
{
	uint8_t out[HP_MAX_DATAGRAM];
	struct hp_msg m;
	int len;

	memset(&m, 0, sizeof(m));
	m.hdr.type = HP_REGISTERED;
	memcpy(m.u.registered.token, self->token, HP_TOKEN_LEN);
	m.u.registered.reflexive = self->public_ep;
	len = hp_msg_encode(&m, out, sizeof(out));
	if (len < 0) {
		counters_inc(&c->counters, CNT_DROP_SEND);
		return;
	}
	if (reply_send(c, req, 0, &self->public_ep, out, (size_t)len, false) == 0)
		counters_inc(&c->counters, CNT_REGISTERED);
}

/* Tells `to` about `peer`. */
static void control_send_intro(struct server_ctx *c, const struct server_request *req,
			       struct rooms_peer *to, const struct rooms_peer *peer, bool opened)
{
	uint8_t out[HP_MAX_DATAGRAM];
	char a[HP_ENDPOINT_STRLEN], b[HP_ENDPOINT_STRLEN];
	struct hp_msg m;
	int len;

	memset(&m, 0, sizeof(m));
	m.hdr.type = HP_INTRO;
	memcpy(m.u.intro.token, to->token, HP_TOKEN_LEN);
	m.u.intro.reflexive = to->public_ep;
	memcpy(m.u.intro.peer_nick, rooms_peer_nick(peer), strlen(rooms_peer_nick(peer)));
	memcpy(m.u.intro.peer_pubkey, peer->pubkey, HP_KEY_LEN);
	m.u.intro.peer_public = peer->public_ep;
	m.u.intro.n_priv = peer->n_priv;
	memcpy(m.u.intro.peer_priv, peer->priv, peer->n_priv * sizeof(peer->priv[0]));
	/* the timing only for a recipient that reads it (rtt_us is kept only
	 * for a REGISTER with HP_FLAG_TIMING) and only when both are known:
	 * what the client derives from it: src/client/punchwait.c */
	if (to->rtt_us && peer->rtt_us) {
		m.u.intro.rtt_us = to->rtt_us;
		m.u.intro.peer_rtt_us = peer->rtt_us;
	}
	m.u.intro.peer_opened = opened;
	/* the verdicts only for a recipient that reads them: one that sent
	 * its own (docs/protocol.md, "Mapping verdicts") */
	if (to->mapping != HP_MAP_UNKNOWN) {
		m.u.intro.mapping = to->mapping;
		m.u.intro.peer_mapping = peer->mapping;
	}
	to->told_ep = peer->public_ep;
	len = hp_msg_encode(&m, out, sizeof(out));
	if (len < 0) {
		counters_inc(&c->counters, CNT_DROP_SEND);
		return;
	}
	if (reply_send(c, req, 0, &to->public_ep, out, (size_t)len, false) == 0) {
		counters_inc(&c->counters, CNT_INTROS);
		if (c->log.verbosity >= SERVER_VERBOSE) /* formatting is not free */
			server_log(&c->log, "intro to %s: peer %s",
				   hp_endpoint_format(&to->public_ep, a, sizeof(a)),
				   hp_endpoint_format(&peer->public_ep, b, sizeof(b)));
	}
}

/* Room names and nicks come from anyone: never echo raw bytes to a terminal. */
static const char *control_printable(char *dst, size_t cap, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < cap && src[i]; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[i] = '\0';
	return dst;
}

static const char *control_reason(int err, uint16_t *code)
{
	switch (err) {
	case -EBUSY:
		*code = HP_ERR_ROOM_FULL;
		return "room full";
	case -EKEYREJECTED:
		*code = HP_ERR_KEY_CHANGED;
		return "public key changed for this token";
	case -ENOSPC:
		*code = HP_ERR_TOO_MANY;
		return "too many rooms";
	case -EEXIST:
		*code = HP_ERR_TOKEN_TAKEN;
		return "token registered in another room";
	case -EDQUOT:
		*code = HP_ERR_TOO_MANY;
		return "too many registrations from this address";
	case -ENOMEM:
		*code = HP_ERR_TOO_MANY;
		return "server out of memory";
	default:
		*code = HP_ERR_BAD_REQUEST;
		return "bad request";
	}
}

/* The answer to a REGISTER from a source that has not proved it receives
 * there: 32 bytes, under the 256 a REGISTER has, and nothing kept. */
static void control_send_cookie(struct server_ctx *c, const struct server_request *req,
				const uint8_t token[HP_TOKEN_LEN])
{
	uint8_t out[HP_HDR_LEN + HP_TOKEN_LEN + HP_COOKIE_LEN];
	struct hp_msg m;
	int len;

	memset(&m, 0, sizeof(m));
	m.hdr.type = HP_COOKIE;
	memcpy(m.u.cookie.token, token, HP_TOKEN_LEN);
	cookie_make(&c->cookies, req->now_us, &req->from, token, m.u.cookie.cookie);
	len = hp_msg_encode(&m, out, sizeof(out));
	if (len < 0) {
		counters_inc(&c->counters, CNT_DROP_SEND);
		return;
	}
	if (reply_send(c, req, 0, &req->from, out, (size_t)len, false) == 0)
		counters_inc(&c->counters, CNT_COOKIES);
}

/*
 * Has the REGISTER's source proved it receives there? It returned the
 * cookie made for it and this token, or it is where the token's live
 * registration already is (it proved that when it registered). Anything
 * else gets a COOKIE and no state: a spoofed source never becomes a peer
 * (docs/protocol.md, "Return routability"). *rtt_us: the cookie's age if
 * it is young enough to be the answer to our COOKIE (the client answers
 * one at once, docs/protocol.md), else 0.
 */
static bool control_proven(struct server_ctx *c, const struct server_request *req,
			   const struct hp_register *reg, uint32_t *rtt_us)
{
	const struct rooms_peer *p;
	uint64_t age;

	*rtt_us = 0;
	/* the registration first: a lookup, where the cookie is a keyed
	 * BLAKE2b that clients resend on every refresh */
	p = rooms_find_token_peer(c->rooms, reg->token, req->now_ms);
	if (p && hp_endpoint_equal(&p->public_ep, &req->from))
		return true;
	if (reg->cookie_len) {
		if (cookie_valid(&c->cookies, req->now_us, &req->from, reg->token, reg->cookie,
				 &age)) {
			if (age < CONTROL_RTT_MAX_US)
				*rtt_us = age ? (uint32_t)age : 1; /* 0 would say "unknown" */
			return true;
		}
		counters_inc(&c->counters, CNT_DROP_COOKIE); /* stale, or not made for it */
	}
	return false;
}

/* Only the REGISTER that proved a new source (a new registration, or a
 * rebind) answers the COOKIE just sent: a refresh may carry the same
 * cookie a few hundred ms later (the client keeps it), and its age is no
 * round trip, so the one measured stays. A client that does not read
 * INTRO timing gets no round trip: that keeps the timing out of every
 * INTRO it is sent. */
static void control_note_rtt(struct rooms_peer *self, const struct hp_msg *m, uint32_t rtt_us,
			     bool new_source)
{
	if (!(m->hdr.flags & HP_FLAG_TIMING))
		self->rtt_us = 0;
	else if (new_source)
		self->rtt_us = rtt_us;
}

void control_ahead_register(struct server_ctx *c, const struct server_request *req,
			    struct rooms_ahead *a)
{
	const uint8_t *token, *room;
	size_t room_len;

	if (hp_register_peek(req->buf, req->len, &token, &room, &room_len) < 0)
		return;
	rooms_ahead(c->rooms, a, token, room, room_len);
}

void control_handle_register(struct server_ctx *c, const struct server_request *req)
{
	struct rooms_join j;
	struct hp_msg m;
	struct rooms_peer *self, *other;
	char from[HP_ENDPOINT_STRLEN], room[HP_ROOM_MAX + 1], nick[HP_NICK_MAX + 1];
	bool other_moved, other_uninformed, recent, opened, remapped;
	uint32_t rtt_us;
	uint16_t code;
	int ret;

	if (hp_msg_decode(&m, req->buf, req->len) < 0) {
		counters_inc(&c->counters, CNT_DROP_MALFORMED);
		return;
	}
	/* Unpadded, its INTRO could not be sent without amplifying: refuse it
	 * now rather than pair it and then stay silent. */
	if (req->len < HP_REGISTER_MIN) {
		reply_error(c, req, m.u.reg.token, HP_ERR_BAD_REQUEST,
			    "register shorter than 256 bytes");
		return;
	}
	if (!control_proven(c, req, &m.u.reg, &rtt_us)) {
		control_send_cookie(c, req, m.u.reg.token);
		return;
	}
	if (!limits_register_ok(&c->limits, &req->from, req->now_ms)) {
		counters_inc(&c->counters, CNT_DROP_SOURCE_RATE);
		reply_error(c, req, m.u.reg.token, HP_ERR_TOO_MANY,
			    "too many registrations per second from this address");
		return;
	}
	ret = rooms_register(c->rooms, &m.u.reg, &req->from, req->now_ms, &j);
	if (ret == -EDQUOT)
		counters_inc(&c->counters, CNT_DROP_SOURCE_FULL);
	if (ret < 0) {
		const char *reason = control_reason(ret, &code);

		reply_error(c, req, m.u.reg.token, code, reason);
		return;
	}
	counters_inc(&c->counters, CNT_REGISTERS);
	self = j.room->peer[j.self];
	other = j.room->peer[rooms_other(j.self)]; /* NULL unless paired */
	control_note_rtt(self, &m, rtt_us, j.fresh || j.moved);
	/* a verdict that arrives (or changes) is news for the peer */
	remapped = self->mapping != m.u.reg.mapping;
	self->mapping = m.u.reg.mapping;
	if (c->log.verbosity >= SERVER_VERBOSE) /* formatting is not free */
		server_log(&c->log, "register room \"%s\" nick \"%s\" from %s%s%s",
			   control_printable(room, sizeof(room), j.room->name),
			   control_printable(nick, sizeof(nick), rooms_peer_nick(self)),
			   hp_endpoint_format(&req->from, from, sizeof(from)),
			   j.fresh ? " (new)" : " (refresh)", j.moved ? " (moved)" : "");
	if (!j.paired) {
		control_send_registered(c, req, self);
		return;
	}
	/* Each INTRO records what it told, so a move on either side reaches
	 * both peers at once: the one that moved (rebind) asks again from its
	 * new endpoint, and its peer must punch there too; a peer asking again
	 * because its path died gets the other's new endpoint, and for a while
	 * after such a move the other gets a fresh INTRO as well (its punches
	 * may have stopped). Otherwise a refresh gets one INTRO. */
	other_moved = !hp_endpoint_equal(&self->told_ep, &other->public_ep);
	other_uninformed = !hp_endpoint_equal(&other->told_ep, &self->public_ep);
	recent = other->moved_ms && req->now_ms - other->moved_ms < CONTROL_MOVE_NEWS_MS;
	/* "my NAT is open to you" (HP_FLAG_OPENED) goes on to the other at
	 * once: it may start its normal punches (src/client/punchwait.c) */
	opened = (m.hdr.flags & HP_FLAG_OPENED) != 0;
	control_send_intro(c, req, self, other, false);
	if (j.fresh || j.moved || other_moved || other_uninformed || recent || opened || remapped)
		control_send_intro(c, req, other, self, opened);
}

void control_handle_leave(struct server_ctx *c, const struct server_request *req)
{
	const struct rooms_peer *p;
	struct hp_msg m;
	char from[HP_ENDPOINT_STRLEN], room[HP_ROOM_MAX + 1];

	if (hp_msg_decode(&m, req->buf, req->len) < 0) {
		counters_inc(&c->counters, CNT_DROP_MALFORMED);
		return;
	}
	/* only the registration itself may end it: a LEAVE from anywhere
	 * else (spoofed, or a guessed token) would empty the room and reset
	 * its relay budget */
	p = rooms_find_token_peer(c->rooms, m.u.leave.token, req->now_ms);
	if (!p || !hp_endpoint_equal(&p->public_ep, &req->from)) {
		counters_inc(&c->counters, CNT_DROP_LEAVE_SOURCE);
		return;
	}
	if (rooms_leave(c->rooms, m.u.leave.room, m.u.leave.token) == 0) {
		counters_inc(&c->counters, CNT_LEAVES);
		server_log(&c->log, "leave room \"%s\" from %s",
			   control_printable(room, sizeof(room), m.u.leave.room),
			   hp_endpoint_format(&req->from, from, sizeof(from)));
	}
}
