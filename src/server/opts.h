/* SPDX-License-Identifier: MIT */
#ifndef HP_SERVER_OPTS_H
#define HP_SERVER_OPTS_H

/*
 * hpserver's command line: the option table, its parser and the usage
 * text derived from it. Pure: reads argv, writes the struct and, on help
 * or a usage error, the given streams. Called by main.c only; calls
 * parse.c and endpoint.c.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "server/log.h"

/* Plain literals: the usage text spells them by stringification. */
#define SERVER_DEFAULT_MAX_ROOMS    1024
#define SERVER_DEFAULT_ROOM_TIMEOUT 60      /* seconds */
#define SERVER_DEFAULT_RELAY_BYTES  1048576 /* per room: 1 MiB */
#define SERVER_DEFAULT_RELAY_RATE   500 /* datagrams per second per room: a
					       * chat window of 32 lines plus their
					       * ACKs both ways fits in one burst */

#define SERVER_DEFAULT_MAX_PER_SOURCE 16  /* registrations held by one address */
#define SERVER_DEFAULT_REGISTER_RATE  20  /* registrations per second per address */
#define SERVER_DEFAULT_RELAY_SOURCE_RATE 2097152 /* relayed bytes per second per address */
/* Socket buffers: a burst of 512 small requests takes about 1 MiB of
 * receive buffer (each queued datagram is charged its whole sk_buff,
 * socket(7)); the system default (net.core.rmem_default) is ~208 KiB. */
#define SERVER_DEFAULT_RCVBUF 4194304
#define SERVER_DEFAULT_SNDBUF 1048576

struct server_opts {
	const char *bind_addr; /* IP literal, v4 or v6; NULL = 0.0.0.0 */
	uint16_t port;         /* 0 = any, the chosen one is printed */
	int verbosity;         /* enum server_verbosity */
	size_t max_rooms;
	uint32_t room_timeout_s;
	uint64_t relay_bytes;  /* per-room relay budget; 0 = relaying disabled */
	uint32_t relay_rate;   /* per-room datagrams per second (bucket depth 1 s) */
	size_t max_per_source; /* live registrations one address may hold; 0 = no limit */
	uint32_t register_rate; /* per address per second; 0 = no limit */
	uint64_t relay_source_rate; /* relayed bytes per second per address; 0 = no limit */
	const char *alt_addr;  /* RFC 5780 second address; NULL = none */
	int alt_port;          /* -1 = port + 1 (or any free one when port is 0) */
	size_t rcvbuf;         /* SO_RCVBUF per socket; 0 = the system default */
	size_t sndbuf;         /* SO_SNDBUF per socket; 0 = the system default */
};

/*
 * Fills o from argv (strings point into argv). Returns 0 = run, 1 = --help
 * or --version printed to out (exit 0), -EINVAL = usage error printed to err: one line
 * and a hint (exit 2). getopt's own complaints go to stderr, named by
 * argv[0], as getopt_long(3) prints them.
 */
int server_opts_parse(struct server_opts *o, int argc, char **argv, FILE *out, FILE *err);

#endif
