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

#include "server/ctx.h"

#define SERVER_DEFAULT_MAX_ROOMS    1024
#define SERVER_DEFAULT_ROOM_TIMEOUT 60 /* seconds */
#define SERVER_DEFAULT_RELAY_BYTES  (1024u * 1024u) /* per room */
#define SERVER_DEFAULT_RELAY_RATE   500 /* datagrams per second per room: a
					       * chat window of 32 lines plus their
					       * ACKs both ways fits in one burst */

struct server_config {
	const char *bind_addr; /* IP literal, v4 or v6; NULL = 0.0.0.0 */
	uint16_t port;         /* 0 = any, the chosen one is printed */
	int verbosity;
	size_t max_rooms;
	uint32_t room_timeout_s;
	uint64_t relay_bytes;  /* per-room relay budget; 0 = relaying disabled */
	uint32_t relay_rate;   /* per-room datagrams per second (bucket depth 1 s) */
	const char *alt_addr;  /* RFC 5780 second address; NULL = none */
	int alt_port;          /* -1 = port + 1 (or any free one when port is 0) */
};

struct server {
	struct server_config cfg;
	struct server_ctx ctx; /* what dispatch and the handlers work with */
	int sig_fd;            /* signalfd for SIGINT, SIGTERM, SIGUSR1 */
	bool sigmask_saved;
	sigset_t old_mask;
	uint64_t timeout_ms;
	uint64_t next_sweep_ms;
};

/* Binds, prints the ready line. Returns 0 or -errno (message printed). */
int server_open(struct server *s, const struct server_config *cfg);
/* Serves until SIGINT/SIGTERM. Returns 0 or -errno on a fatal error. */
int server_run(struct server *s);
void server_close(struct server *s);

#endif
