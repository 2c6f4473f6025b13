// SPDX-License-Identifier: MIT
#include <string.h>

#include "stun.h"
#include "server/server.h"

#define STUN_ATTR_CHANGE_REQUEST 0x0003

/*
 * RFC 8489 s.6.3: a Binding request is answered with the source transport
 * address in XOR-MAPPED-ADDRESS; a request naming comprehension-required
 * attributes we do not know gets 420 with UNKNOWN-ATTRIBUTES (s.14.9).
 * This server has a single address, so it cannot honour CHANGE-REQUEST
 * (RFC 5780): answering from the same address would mislead a NAT
 * behaviour test, so that attribute is reported as unknown too.
 */
void stunserve_handle(struct server *s, const struct server_request *req)
{
	uint8_t out[HP_MAX_DATAGRAM];
	struct stun_request r;
	int len;

	if (stun_parse_request(&r, req->buf, req->len) < 0) {
		counters_inc(&s->counters, CNT_DROP_STUN_BAD);
		return;
	}
	counters_inc(&s->counters, CNT_STUN);
	if (r.has_change_request && r.change_flags != 0 && r.n_unknown < STUN_MAX_UNKNOWN)
		r.unknown[r.n_unknown++] = STUN_ATTR_CHANGE_REQUEST;
	if (r.n_unknown > 0) {
		/* not exempt: an error must not be longer than its request */
		len = stun_build_error_420(out, sizeof(out), &r);
		if (len < 0) {
			counters_inc(&s->counters, CNT_DROP_SEND);
			return;
		}
		if (server_send(s, req, &req->from, out, (size_t)len, false) == 0)
			counters_inc(&s->counters, CNT_STUN_420);
		return;
	}
	len = stun_build_success(out, sizeof(out), r.txid, &req->from);
	if (len < 0) {
		counters_inc(&s->counters, CNT_DROP_SEND);
		return;
	}
	/* the documented exception to the no-amplification rule: a fixed,
	 * small answer that STUN clients depend on */
	server_send(s, req, &req->from, out, (size_t)len, true);
}
