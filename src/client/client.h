/* SPDX-License-Identifier: MIT */
#ifndef HPCLIENT_CLIENT_H
#define HPCLIENT_CLIENT_H

/*
 * hpclient: one thread, one UDP socket, poll() on the socket and on stdin
 * plus timers. client.c drives the others and nothing calls back into it:
 *
 *   client.c  event loop, stdin, socket; acts on the verdicts below
 *     ctl.c   the server: register, refresh, leave, control messages
 *     chat.c  lines: send queue, receive window, drain, BYE, linger
 *     path.c  the path state: punching, relay, liveness, reconnecting
 *     wire.c  send hook, seal/open, demultiplexing, the pre-intro stash
 *
 * Each part's state is its own struct, embedded here.
 */

#include <signal.h>
#include <stdint.h>

#include "client/chat.h"
#include "client/ctl.h"
#include "client/opts.h"
#include "client/output.h"
#include "client/path.h"
#include "client/sprayrun.h"
#include "client/wire.h"
#include "crypto.h"

struct client {
	struct client_opts o;
	struct output out;
	int fd;
	uint16_t port;
	struct hp_keypair kp;
	uint64_t now_us; /* monotonic microseconds of this loop turn (RTTs) */
	int exit_code;   /* -1 while the chat goes on */

	struct wire wire;
	struct ctl ctl;
	struct path path;
	struct chat chat;
	struct sprayrun spray;
	int rx_spray; /* index in spray.set of the socket being read, -1: the main one */
};

int client_init(struct client *c, const struct client_opts *o);
void client_free(struct client *c);
/* Runs until the chat ends; returns the exit code. */
int client_run(struct client *c, volatile sig_atomic_t *stop);

#endif
