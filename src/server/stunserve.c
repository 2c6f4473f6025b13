// SPDX-License-Identifier: MIT
/*
 * STUN Binding server (handlers.h), called by dispatch.c: parses with
 * stun.c, answers through reply.c.
 */
#include <string.h>

#include "stun.h"
#include "server/handlers.h"
#include "server/reply.h"

#define STUN_ATTR_CHANGE_REQUEST 0x0003

/*
 * RFC 8489 s.6.3: a Binding request is answered with the source transport
 * address in XOR-MAPPED-ADDRESS; a request naming comprehension-required
 * attributes we do not know gets 420 with UNKNOWN-ATTRIBUTES (s.14.9).
 *
 * RFC 5780: with --alt-addr the server has four sockets (ctx.h) and
 * answers CHANGE-REQUEST from the socket that differs in address and/or
 * port, and names the "both changed" socket in OTHER-ADDRESS. Without it
 * the server cannot honour CHANGE-REQUEST: answering from the same
 * address would mislead a NAT behaviour test, so that attribute is then
 * reported as unknown (420).
 */
static int stunserve_reply_sock(const struct server_ctx *c, const struct server_request *req,
				const struct stun_request *r)
{
	int sock = req->sock;

	if (r->has_change_request) {
		if (r->change_flags & STUN_CHANGE_IP)
			sock ^= 2;
		if (r->change_flags & STUN_CHANGE_PORT)
			sock ^= 1;
	}
	return reply_sock_local(c, sock) ? sock : -1;
}

void stunserve_handle(struct server_ctx *c, const struct server_request *req)
{
	uint8_t out[HP_MAX_DATAGRAM];
	struct stun_request r;
	int len, sock;

	if (stun_parse_request(&r, req->buf, req->len) < 0) {
		counters_inc(&c->counters, CNT_DROP_STUN_BAD);
		return;
	}
	counters_inc(&c->counters, CNT_STUN);
	sock = stunserve_reply_sock(c, req, &r);
	if (sock < 0 && r.n_unknown < STUN_MAX_UNKNOWN)
		r.unknown[r.n_unknown++] = STUN_ATTR_CHANGE_REQUEST;
	if (r.n_unknown > 0) {
		/* not exempt: an error must not be longer than its request */
		len = stun_build_error_420(out, sizeof(out), &r);
		if (len < 0) {
			counters_inc(&c->counters, CNT_DROP_SEND);
			return;
		}
		if (reply_send(c, req, req->sock, &req->from, out, (size_t)len, false) == 0)
			counters_inc(&c->counters, CNT_STUN_420);
		return;
	}
	len = stun_build_success_other(out, sizeof(out), r.txid, &req->from,
				       c->socks.n > 1 ? reply_sock_local(c, req->sock ^ 3) : NULL);
	if (len < 0) {
		counters_inc(&c->counters, CNT_DROP_SEND);
		return;
	}
	/* the documented exception to the no-amplification rule: a fixed,
	 * small answer that STUN clients depend on */
	if (reply_send(c, req, sock, &req->from, out, (size_t)len, true) == 0 &&
	    sock != req->sock)
		counters_inc(&c->counters, CNT_STUN_CHANGED);
}
