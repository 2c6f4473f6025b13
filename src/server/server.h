/* SPDX-License-Identifier: MIT */
#ifndef HP_SERVER_SERVER_H
#define HP_SERVER_SERVER_H

/*
 * The server's loop: opens the sockets and the signalfd, polls, reads
 * datagrams and hands each to dispatch.c, sweeps expired registrations,
 * prints counters on SIGUSR1 and at exit. Called by main.c only; nothing
 * below it calls back (dispatch and the handlers get a server_ctx).
 */

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>

#include "stun.h"
#include "server/ctx.h"
#include "server/opts.h"

/* Datagrams one recvmmsg(2) takes at most. */
#define SERVER_BATCH 64

/* The receive side of a batch: buffers recvmmsg(2) fills. */
struct server_rx {
	struct mmsghdr msg[SERVER_BATCH];
	struct iovec iov[SERVER_BATCH];
	struct sockaddr_storage from[SERVER_BATCH];
	/* a padded STUN request (stun.h) is the longest thing accepted */
	uint8_t buf[SERVER_BATCH][STUN_MAX_REQUEST];
	/* the batch as requests, each with its lookups started ahead */
	struct server_request req[SERVER_BATCH];
	struct rooms_ahead ahead[SERVER_BATCH];
	bool ok[SERVER_BATCH]; /* its source address could be read */
};

struct server {
	struct server_opts cfg;
	struct server_rx *rx;         /* allocated by server_open */
	struct reply_queue *txq;      /* ctx.txq points here */
	struct server_ctx ctx; /* what dispatch and the handlers work with */
	int sig_fd;            /* signalfd for SIGINT, SIGTERM, SIGUSR1 */
	bool sigmask_saved;
	sigset_t old_mask;
	uint64_t timeout_ms;
	uint64_t next_sweep_ms;
};

/* Binds, prints the ready line. Returns 0 or -errno (message printed). */
int server_open(struct server *s, const struct server_opts *cfg);
/* Serves until SIGINT/SIGTERM. Returns 0 or -errno on a fatal error. */
int server_run(struct server *s);
void server_close(struct server *s);

#endif
