/* SPDX-License-Identifier: MIT */
#ifndef HP_SERVER_REPLY_H
#define HP_SERVER_REPLY_H

/*
 * Replies: everything the server sends goes out through here, so the
 * no-amplification rule (docs/protocol.md) is enforced in one place: a
 * reply longer than the request that caused it is refused and counted,
 * unless exempt (STUN Binding success only). Failures are counted too;
 * the caller counts what its successful reply was (INTRO sent, ...).
 *
 * Called by the handlers (control.c, relay.c, stunserve.c); calls only
 * counters, log and the socket API. Never stalls: a full socket buffer
 * loses the reply.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"
#include "server/ctx.h"

/* Sends buf to `to` from socket sock (0..SERVER_SOCKS-1, must be open).
 * Returns 0 or -errno. */
int reply_send(struct server_ctx *c, const struct server_request *req, int sock,
	       const struct hp_endpoint *to, const uint8_t *buf, size_t len, bool exempt);

/*
 * ERROR to the request's source from socket 0, logged; the reason is cut
 * so the answer is no longer than the request, and nothing is sent when
 * even an empty reason would not fit. token may be NULL (zeros).
 */
void reply_error(struct server_ctx *c, const struct server_request *req,
		 const uint8_t token[HP_TOKEN_LEN], uint16_t code, const char *reason);

/* Local endpoint of socket sock, NULL if it is not open. */
const struct hp_endpoint *reply_sock_local(const struct server_ctx *c, int sock);

#endif
