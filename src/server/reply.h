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
 * Called by the handlers (control.c, relay.c, stunserve.c), and by the
 * loop (server.c) to flush; calls only counters, log and the socket API.
 * Never stalls: a full socket buffer loses the reply.
 *
 * Batching: with a queue (ctx.txq), replies are copied into it and leave
 * together in one sendmmsg(2) when it is full, when a reply needs another
 * socket, or when the loop flushes after each received batch; a queued
 * reply counts as sent, and a send that fails at the flush is counted
 * under drop_send. Without a queue each reply is one sendto(2).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "proto.h"
#include "server/ctx.h"

/* Replies one sendmmsg(2) takes at most. */
#define REPLY_BATCH 64

struct reply_queue {
	int n;  /* queued */
	int fd; /* the socket they leave from */
	struct mmsghdr msg[REPLY_BATCH];
	struct iovec iov[REPLY_BATCH];
	struct sockaddr_storage to[REPLY_BATCH];
	uint8_t buf[REPLY_BATCH][HP_MAX_DATAGRAM];
};

/* Sends what c->txq holds, if anything. */
void reply_flush(struct server_ctx *c);

/* Sends (or queues) buf to `to` from socket sock (0..SERVER_SOCKS-1, must
 * be open). Returns 0 or -errno. */
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
