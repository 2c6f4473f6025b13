/* SPDX-License-Identifier: MIT */
#ifndef HP_SERVER_DISPATCH_H
#define HP_SERVER_DISPATCH_H

/*
 * Classifies one received datagram (size, STUN or hplab, which socket,
 * header, type) and hands it to its handler (handlers.h), or drops and
 * counts it. Called by the loop (server.c) and the dispatch unit test.
 */

#include "server/ctx.h"

void server_dispatch(struct server_ctx *c, const struct server_request *req);
/* Before a batch is served: starts the lookups req's handler will do
 * (rooms.h, "Lookups started ahead"); *a is set, to nothing if none. */
void server_dispatch_ahead(struct server_ctx *c, const struct server_request *req,
			   struct rooms_ahead *a);

#endif
