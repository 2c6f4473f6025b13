// SPDX-License-Identifier: MIT
/*
 * The dispatch table (dispatch.h): which handler serves each hplab type.
 * Called by the loop (server.c); calls the handlers and counters only.
 */
#include <errno.h>

#include "proto.h"
#include "stun.h"
#include "server/dispatch.h"
#include "server/handlers.h"

typedef void (*dispatch_fn)(struct server_ctx *c, const struct server_request *req);
typedef void (*dispatch_ahead_fn)(struct server_ctx *c, const struct server_request *req,
				  struct rooms_ahead *a);

/*
 * What the server does with each hplab type. A NULL handler drops the
 * datagram and counts it under drop. Every handler sees the raw request.
 * ahead: the handler's lookups, started before the batch is served
 * (rooms.h, "Lookups started ahead"); NULL for a type that looks
 * nothing up.
 */
struct dispatch_entry {
	dispatch_fn fn;
	dispatch_ahead_fn ahead;
	enum server_counter drop;
};

static const struct dispatch_entry dispatch_table[256] = {
	[HP_REGISTER] = { control_handle_register, control_ahead_register, CNT__MAX },
	[HP_LEAVE] = { control_handle_leave, NULL, CNT__MAX },
	/* answers the server itself sends: a client never sends them here */
	[HP_REGISTERED] = { NULL, NULL, CNT_DROP_UNEXPECTED },
	[HP_INTRO] = { NULL, NULL, CNT_DROP_UNEXPECTED },
	[HP_ERROR] = { NULL, NULL, CNT_DROP_UNEXPECTED },
	[HP_RELAYED] = { NULL, NULL, CNT_DROP_UNEXPECTED },
	[HP_COOKIE] = { NULL, NULL, CNT_DROP_UNEXPECTED },
	[HP_RELAY] = { relay_handle, relay_ahead, CNT__MAX },
	/* reserved: NAT discovery uses STUN (RFC 5780) instead */
	[HP_PROBE] = { NULL, NULL, CNT_DROP_RESERVED },
};

void server_dispatch_ahead(struct server_ctx *c, const struct server_request *req,
			   struct rooms_ahead *a)
{
	struct hp_header hdr;

	*a = (struct rooms_ahead){ 0 };
	/* what server_dispatch would serve, roughly: STUN fails the magic */
	if (req->sock != 0 || req->len > HP_MAX_DATAGRAM ||
	    hp_header_decode(&hdr, req->buf, req->len) < 0 || !dispatch_table[hdr.type].ahead)
		return;
	dispatch_table[hdr.type].ahead(c, req, a);
}

void server_dispatch(struct server_ctx *c, const struct server_request *req)
{
	const struct dispatch_entry *e;
	struct hp_header hdr;
	int ret;

	counters_inc(&c->counters, CNT_RX);
	/* STUN may be longer than hplab: PADDING to the MTU (stun.h) */
	if (req->len > STUN_MAX_REQUEST) {
		counters_inc(&c->counters, CNT_DROP_OVERSIZED);
		return;
	}
	/* the first byte tells them apart (docs/protocol.md): 0x00..0x3f is
	 * STUN, with the cookie (RFC 8489) or without (RFC 3489); hplab 0x48 */
	if (hp_is_stun(req->buf, req->len) || stun_is_classic_request(req->buf, req->len)) {
		stunserve_handle(c, req);
		return;
	}
	if (req->len > HP_MAX_DATAGRAM) {
		counters_inc(&c->counters, CNT_DROP_OVERSIZED);
		return;
	}
	/* the alternate sockets exist for RFC 5780 tests only */
	if (req->sock != 0) {
		counters_inc(&c->counters, CNT_DROP_NOT_PRIMARY);
		return;
	}
	ret = hp_header_decode(&hdr, req->buf, req->len);
	if (ret == -EPROTO) {
		counters_inc(&c->counters, CNT_DROP_BAD_MAGIC);
		return;
	}
	if (ret < 0) {
		counters_inc(&c->counters, CNT_DROP_BAD_HEADER);
		return;
	}
	e = &dispatch_table[hdr.type];
	if (e->fn) {
		e->fn(c, req);
		return;
	}
	/* Types absent from the table (drop left 0) include the peer types,
	 * which travel between clients only, and unknown ones. */
	counters_inc(&c->counters, e->drop != CNT_RX ? e->drop : CNT_DROP_UNEXPECTED);
}
