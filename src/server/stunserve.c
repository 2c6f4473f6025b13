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
 * RFC 8489 s.11: a request without the magic cookie is a classic RFC 3489
 * one, answered in kind (MAPPED-ADDRESS, CHANGED-ADDRESS, SOURCE-ADDRESS;
 * stun.c picks the attributes by dialect, the rules here are the same).
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

/*
 * RESPONSE-ORIGIN (RFC 5780 s.7.3) is the address the answer leaves from:
 * the sending socket's. A wildcard-bound socket does not know which of
 * the host's addresses that is, and a wrong origin would fake a double
 * NAT, so it then sends none.
 */
static const struct hp_endpoint *stunserve_origin(const struct server_ctx *c, int sock)
{
	static const uint8_t any[16];
	const struct hp_endpoint *ep = reply_sock_local(c, sock);

	if (!ep || !memcmp(ep->addr, any, ep->family == HP_FAMILY_V4 ? 4 : 16))
		return NULL;
	return ep;
}

static void stunserve_error(struct server_ctx *c, const struct server_request *req,
			    const struct stun_request *r)
{
	uint8_t out[HP_MAX_DATAGRAM];
	int len = stun_build_error_420(out, sizeof(out), r);

	if (len < 0) {
		counters_inc(&c->counters, CNT_DROP_SEND);
		return;
	}
	/* not exempt: an error must not be longer than its request */
	if (reply_send(c, req, req->sock, &req->from, out, (size_t)len, false) == 0)
		counters_inc(&c->counters, CNT_STUN_420);
}

/*
 * The size rule (docs/protocol.md, "Anti-amplification"): the answer's
 * core (the mapped address, and the other address with --alt-addr) is the
 * documented fixed-size exception; RESPONSE-ORIGIN is added only when the
 * whole answer still fits in the request, so a client that wants it pads
 * its request (PADDING, RFC 5780 s.7.6). Only the core is ever exempt.
 */
static void stunserve_success(struct server_ctx *c, const struct server_request *req,
			      const struct stun_request *r, int sock)
{
	uint8_t out[HP_MAX_DATAGRAM];
	struct stun_answer a = {
		.mapped = &req->from,
		.other = c->socks.n > 1 ? reply_sock_local(c, req->sock ^ 3) : NULL,
		.origin = stunserve_origin(c, sock),
	};
	bool exempt = false;
	int len = a.origin ? stun_build_answer(out, sizeof(out), r, &a) : -1;

	if (len < 0 || (size_t)len > req->len) {
		a.origin = NULL;
		exempt = true;
		len = stun_build_answer(out, sizeof(out), r, &a);
	}
	if (len < 0) {
		counters_inc(&c->counters, CNT_DROP_SEND);
		return;
	}
	if (reply_send(c, req, sock, &req->from, out, (size_t)len, exempt) == 0 &&
	    sock != req->sock)
		counters_inc(&c->counters, CNT_STUN_CHANGED);
}

void stunserve_handle(struct server_ctx *c, const struct server_request *req)
{
	struct stun_request r;
	int sock;

	if (stun_parse_request(&r, req->buf, req->len) < 0) {
		counters_inc(&c->counters, CNT_DROP_STUN_BAD);
		return;
	}
	counters_inc(&c->counters, CNT_STUN);
	sock = stunserve_reply_sock(c, req, &r);
	if (sock < 0 && r.n_unknown < STUN_MAX_UNKNOWN)
		r.unknown[r.n_unknown++] = STUN_ATTR_CHANGE_REQUEST;
	if (r.n_unknown > 0)
		stunserve_error(c, req, &r);
	else
		stunserve_success(c, req, &r, sock);
}
