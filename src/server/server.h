/* SPDX-License-Identifier: MIT */
#ifndef HP_SERVER_SERVER_H
#define HP_SERVER_SERVER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "endpoint.h"
#include "server/counters.h"
#include "server/rooms.h"

#define SERVER_DEFAULT_MAX_ROOMS    1024
#define SERVER_DEFAULT_ROOM_TIMEOUT 60 /* seconds */
#define SERVER_DEFAULT_RELAY_BYTES  (1024u * 1024u) /* per room */
#define SERVER_DEFAULT_RELAY_RATE   500 /* datagrams per second per room: a
					       * chat window of 32 lines plus their
					       * ACKs both ways fits in one burst */
/* Sockets: 0 = bind:port (everything), 1 = bind:alt-port, 2 = alt:port,
 * 3 = alt:alt-port (STUN only). Bit 1 = other address, bit 0 = other port,
 * so CHANGE-REQUEST flags map to an index by XOR. */
#define SERVER_SOCKS 4

enum server_verbosity {
	SERVER_QUIET = -1,  /* only fatal errors and the ready line */
	SERVER_NORMAL = 0,
	SERVER_VERBOSE = 1, /* every register/intro/error, counters at exit */
};

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
	int fd;     /* the UDP socket (socket 0), non-blocking */
	int n_alt;  /* alternate sockets open: 0 or 3 */
	int alt_fd[SERVER_SOCKS - 1];              /* sockets 1..3 */
	struct hp_endpoint alt_local[SERVER_SOCKS - 1];
	int sig_fd; /* signalfd for SIGINT, SIGTERM, SIGUSR1 */
	int family; /* AF_INET or AF_INET6, of fd */
	bool sigmask_saved;
	sigset_t old_mask;
	struct hp_endpoint local;
	struct rooms *rooms;
	uint64_t timeout_ms;
	uint64_t next_sweep_ms;
	struct server_counters counters;
};

/* One received datagram, as every handler sees it. */
struct server_request {
	const uint8_t *buf;
	size_t len;
	struct hp_endpoint from;
	uint64_t now_ms;
	int sock; /* which socket it came in on, 0..SERVER_SOCKS-1 */
};

/* Binds, prints the ready line. Returns 0 or -errno (message printed). */
int server_open(struct server *s, const struct server_config *cfg);
/* Serves until SIGINT/SIGTERM. Returns 0 or -errno on a fatal error. */
int server_run(struct server *s);
void server_close(struct server *s);

/*
 * Sends a reply caused by req. Refuses (and counts "would amplify") any
 * reply longer than the request, unless exempt (STUN Binding success only).
 * Returns 0 or -errno.
 */
int server_send(struct server *s, const struct server_request *req,
		const struct hp_endpoint *to, const uint8_t *buf, size_t len, bool exempt);
/* The same, from socket sock (0..SERVER_SOCKS-1, must be open). */
int server_send_from(struct server *s, int sock, const struct server_request *req,
		     const struct hp_endpoint *to, const uint8_t *buf, size_t len, bool exempt);
/* Local endpoint of socket sock, NULL if it is not open. */
const struct hp_endpoint *server_sock_local(const struct server *s, int sock);

/* Logs one line to stderr when -v. */
void server_log(const struct server *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* dispatch.c: classifies a datagram and hands it to its handler. */
void server_dispatch(struct server *s, const struct server_request *req);

/* control.c: REGISTER and LEAVE. */
void control_handle_register(struct server *s, const struct server_request *req);
void control_handle_leave(struct server *s, const struct server_request *req);
/* ERROR to the request's source, reason cut to fit (no amplification). */
void control_send_error(struct server *s, const struct server_request *req,
			const uint8_t token[HP_TOKEN_LEN], uint16_t code, const char *reason);

/* relay.c: RELAY -> RELAYED between the two peers of a room, with quota. */
void relay_handle(struct server *s, const struct server_request *req);

/* stunserve.c: STUN Binding requests (RFC 8489). */
void stunserve_handle(struct server *s, const struct server_request *req);

#endif
