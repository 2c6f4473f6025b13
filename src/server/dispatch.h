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

#endif
