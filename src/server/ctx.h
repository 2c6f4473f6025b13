/* SPDX-License-Identifier: MIT */
#ifndef HP_SERVER_CTX_H
#define HP_SERVER_CTX_H

/*
 * What a request handler works with, and nothing more: one received
 * datagram (struct server_request) and the server's state below the loop
 * (struct server_ctx: rooms, counters, the sockets replies leave from, the
 * log, the relay limits). Types only. server.c owns the loop and fills a
 * server_ctx; dispatch.c and the handlers (handlers.h) take it as an
 * argument, so nothing under the loop ever calls back into server.c:
 *
 *   main -> server (loop, sockets) -> dispatch -> control, relay, stunserve
 *                                                   -> rooms, reply, counters, log
 */

#include <stddef.h>
#include <stdint.h>

#include "endpoint.h"
#include "server/cookie.h"
#include "server/counters.h"
#include "server/limits.h"
#include "server/log.h"
#include "server/rooms.h"

/* Sockets: 0 = bind:port (everything), 1 = bind:alt-port, 2 = alt:port,
 * 3 = alt:alt-port (STUN only). Bit 1 = other address, bit 0 = other port,
 * so CHANGE-REQUEST flags map to an index by XOR. */
#define SERVER_SOCKS 4

struct reply_queue;

/* One received datagram, as every handler sees it. */
struct server_request {
	const uint8_t *buf;
	size_t len;
	struct hp_endpoint from;
	uint64_t now_ms;
	uint64_t now_us; /* the same instant in µs: a cookie's issue time (cookie.h) */
	int sock; /* which socket it came in on, 0..SERVER_SOCKS-1 */
};

/* The sockets replies are sent from (reply.c); server.c opens them. */
struct server_socks {
	int n;                       /* open: 1, or SERVER_SOCKS with --alt-addr */
	int fd[SERVER_SOCKS];        /* non-blocking UDP sockets; -1 = not open */
	struct hp_endpoint local[SERVER_SOCKS];
	int family;                  /* AF_INET or AF_INET6, of fd[0] */
};

struct server_ctx {
	struct rooms *rooms;
	struct server_counters counters;
	struct server_socks socks;
	struct server_log log;
	uint64_t relay_bytes; /* per-room relay budget; 0 = relaying disabled */
	uint32_t relay_rate;  /* per-room datagrams per second (bucket depth 1 s) */
	struct cookie_jar cookies; /* return routability (cookie.h) */
	struct limits limits;      /* per-source rates (limits.h) */
	struct reply_queue *txq;   /* replies waiting for one sendmmsg (reply.h);
				    * NULL: each is sent at once */
};

#endif
