/* SPDX-License-Identifier: MIT */
#ifndef HP_SERVER_HANDLERS_H
#define HP_SERVER_HANDLERS_H

/*
 * The request handlers dispatch.c's table names, one file each. Each takes
 * the raw request and the server's state (ctx.h), answers through reply.c
 * and counts what it did. Called only by dispatch.c.
 */

#include "server/ctx.h"

/* control.c: REGISTER and LEAVE. */
void control_handle_register(struct server_ctx *c, const struct server_request *req);
void control_handle_leave(struct server_ctx *c, const struct server_request *req);
/* The token and room lookups a REGISTER will do, started ahead. */
void control_ahead_register(struct server_ctx *c, const struct server_request *req,
			    struct rooms_ahead *a);

/* relay.c: RELAY -> RELAYED between the two peers of a room, with quota. */
void relay_handle(struct server_ctx *c, const struct server_request *req);
/* The token lookup a RELAY will do, started ahead. */
void relay_ahead(struct server_ctx *c, const struct server_request *req, struct rooms_ahead *a);

/* stunserve.c: STUN Binding requests (RFC 8489, RFC 5780). */
void stunserve_handle(struct server_ctx *c, const struct server_request *req);

#endif
