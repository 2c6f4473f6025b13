// SPDX-License-Identifier: MIT
/*
 * Relay fallback: when two peers cannot punch through (symmetric NAT on
 * both sides), each wraps its sealed peer datagrams in RELAY and the
 * server forwards the inner datagram, unread (it has no session key), to
 * the other peer of the room as RELAYED. Rules that keep this from being
 * abused:
 *  - only a registered token, and only from the endpoint it registered
 *    from, may relay (a spoofed source cannot aim the relay at a victim:
 *    the destination is always the other registered peer);
 *  - RELAYED is 8 bytes shorter than its RELAY (no amplification);
 *  - each room has a byte budget and a datagram rate (token bucket);
 *    over quota the datagram is dropped and, at most once a second per
 *    room, the sender gets ERROR HP_ERR_QUOTA (which also fits under the
 *    request).
 * A handler (handlers.h), called by dispatch.c; answers through reply.c.
 */
#include <string.h>

#include "proto.h"
#include "server/handlers.h"
#include "server/reply.h"

#define RELAY_MTOK_PER_DGRAM 1000u /* bucket unit: a thousandth of a datagram */
#define RELAY_ERR_GAP_MS     1000u

/* Refills the room's bucket and takes one datagram from it if it can. */
static bool relay_take_token(const struct server_ctx *c, struct rooms_room *r, uint64_t now)
{
	uint64_t cap = (uint64_t)c->relay_rate * RELAY_MTOK_PER_DGRAM;

	if (r->relay_refill_ms == 0) {
		/* a new room starts with a full second's worth */
		r->relay_mtokens = cap;
		r->relay_refill_ms = now;
	} else if (now > r->relay_refill_ms) {
		/* rate datagrams per 1000 ms = rate milli-tokens per ms */
		r->relay_mtokens += (now - r->relay_refill_ms) * c->relay_rate;
		if (r->relay_mtokens > cap)
			r->relay_mtokens = cap;
		r->relay_refill_ms = now;
	}
	if (r->relay_mtokens < RELAY_MTOK_PER_DGRAM)
		return false;
	r->relay_mtokens -= RELAY_MTOK_PER_DGRAM;
	return true;
}

static void relay_quota_error(struct server_ctx *c, const struct server_request *req,
			      struct rooms_room *r, const uint8_t token[HP_TOKEN_LEN])
{
	if (r->relay_err_ms != 0 && req->now_ms < r->relay_err_ms + RELAY_ERR_GAP_MS)
		return;
	r->relay_err_ms = req->now_ms ? req->now_ms : 1;
	reply_error(c, req, token, HP_ERR_QUOTA,
		    c->relay_bytes == 0 ? "relaying disabled on this server"
					: "relay quota exhausted");
}

void relay_ahead(struct server_ctx *c, const struct server_request *req, struct rooms_ahead *a)
{
	uint8_t token[HP_TOKEN_LEN];
	const uint8_t *inner;
	size_t inner_len;

	if (hp_relay_decode(req->buf, req->len, token, &inner, &inner_len) == 0)
		rooms_ahead(c->rooms, a, token, NULL, 0);
}

void relay_handle(struct server_ctx *c, const struct server_request *req)
{
	uint8_t token[HP_TOKEN_LEN], out[HP_MAX_DATAGRAM];
	const uint8_t *inner;
	struct rooms_peer *self, *other;
	struct rooms_room *r;
	size_t inner_len;
	int len;

	if (hp_relay_decode(req->buf, req->len, token, &inner, &inner_len) < 0) {
		counters_inc(&c->counters, CNT_RELAY_DROP_MALFORMED);
		return;
	}
	self = rooms_find_token_peer(c->rooms, token, req->now_ms);
	if (!self) {
		counters_inc(&c->counters, CNT_RELAY_DROP_UNKNOWN);
		return;
	}
	/* the token alone is not enough: it would let anyone who saw it
	 * spend the room's quota or inject from a spoofed source */
	if (!hp_endpoint_equal(&self->public_ep, &req->from)) {
		counters_inc(&c->counters, CNT_RELAY_DROP_SOURCE);
		return;
	}
	other = rooms_peer_other(c->rooms, self, req->now_ms);
	if (!other) {
		counters_inc(&c->counters, CNT_RELAY_DROP_NOPEER);
		return;
	}
	r = self->room;
	if (r->relay_bytes + inner_len > c->relay_bytes) {
		counters_inc(&c->counters, CNT_RELAY_DROP_BYTES);
		relay_quota_error(c, req, r, token);
		return;
	}
	if (!relay_take_token(c, r, req->now_ms)) {
		counters_inc(&c->counters, CNT_RELAY_DROP_RATE);
		relay_quota_error(c, req, r, token);
		return;
	}
	/* one address over many rooms: its own byte rate (limits.h) */
	if (!limits_relay_ok(&c->limits, &req->from, inner_len, req->now_ms)) {
		counters_inc(&c->counters, CNT_RELAY_DROP_SOURCE_RATE);
		relay_quota_error(c, req, r, token);
		return;
	}
	len = hp_relayed_encode(out, sizeof(out), inner, inner_len);
	if (len < 0) {
		counters_inc(&c->counters, CNT_DROP_SEND);
		return;
	}
	r->relay_bytes += inner_len;
	/* not exempt: RELAYED is always HP_TOKEN_LEN bytes shorter */
	if (reply_send(c, req, 0, &other->public_ep, out, (size_t)len, false) == 0) {
		counters_inc(&c->counters, CNT_RELAY_FWD);
		c->counters.v[CNT_RELAY_FWD_BYTES] += inner_len;
	}
}
