/* SPDX-License-Identifier: MIT */
#ifndef HPCLIENT_CLIENT_H
#define HPCLIENT_CLIENT_H

/*
 * hpclient state. One thread, one UDP socket, poll() on the socket and on
 * stdin plus timers: nothing ever waits for "the next datagram", every
 * datagram is sorted by type and source as it comes (nat-notes pitfall 2).
 */

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "client/linebuf.h"
#include "client/opts.h"
#include "client/output.h"
#include "crypto.h"
#include "endpoint.h"
#include "proto.h"
#include "reliab.h"

#define CLIENT_MAX_CAND  (1 + HP_MAX_PRIV + 1) /* public, private, peer-reflexive */
#define CLIENT_STASH     4   /* sealed datagrams kept while the intro is late */
#define CLIENT_QUEUE_MAX 4096 /* stop reading stdin beyond this many unsent lines */

struct client_stash {
	uint8_t buf[HP_MAX_DATAGRAM];
	size_t len;
	struct hp_endpoint from;
	bool relayed; /* came through the server's relay: from is meaningless */
};

struct client {
	struct client_opts o;
	struct output out;
	int fd;
	uint16_t port;
	struct hp_endpoint server;
	struct hp_keypair kp;
	uint8_t token[HP_TOKEN_LEN];
	struct hp_endpoint priv[HP_MAX_PRIV];
	size_t n_priv;
	uint64_t t_start;
	uint64_t now_us; /* monotonic microseconds of this loop turn (RTTs) */

	/* registration */
	bool registered;
	bool reg_fast;   /* re-registering after a dead path: retry quickly */
	struct hp_endpoint reflexive;
	uint64_t reg_next, reg_interval, reg_last_sent;
	uint64_t server_rtt;

	/* peer */
	bool introduced;
	char peer_nick[HP_NICK_MAX + 1];
	struct hp_endpoint peer_public; /* as the server last introduced it */
	uint8_t peer_pk[HP_KEY_LEN];
	struct hp_session sess;
	struct hp_endpoint cand[CLIENT_MAX_CAND];
	size_t n_cand;
	uint64_t t_intro;
	struct client_stash stash[CLIENT_STASH];
	size_t n_stash;

	/* punching */
	bool connected;  /* an authenticated datagram arrived */
	bool confirmed;  /* and the peer has heard us: punching can stop */
	bool ttl_punch_sent, public_started;
	uint64_t punch_next, public_normal_at;
	struct hp_endpoint peer_ep; /* valid once direct */

	/* relay fallback: connected = direct || (relay && something came back) */
	bool direct;        /* a direct path works: peer_ep is the peer */
	bool relay;         /* sending through the server (HP_RELAY) */
	bool relay_refused; /* the server said HP_ERR_QUOTA before we connected */
	uint64_t relay_at;  /* when to fall back to relaying */

	/* liveness: await_since = oldest send still waiting for an ACK or
	 * PUNCH_ACK (0 = none); silence beyond the stall threshold means the
	 * path died and we go back through the server (reconnecting) */
	uint64_t last_send_peer, last_recv_peer, await_since;
	bool ever_connected, reconnecting;

	/* chat */
	struct hp_rsend tx;
	struct hp_rrecv rx;
	struct linebuf lb;
	bool stdin_done, peer_bye;
	uint64_t close_deadline;  /* drain: no ACK progress until then = failure */
	bool bye_sent;            /* we are done; linger for the peer's lines */
	uint64_t bye_next, linger_until, last_chat_rx;

	/* totals for the stats event (tx is per session, these per run) */
	uint64_t st_sent, st_retx, st_delivered, st_dup;

	bool done;
	int exit_code;
	unsigned long n_bad, n_replay, n_stray;
};

int client_init(struct client *c, const struct client_opts *o);
void client_free(struct client *c);
/* Runs until the chat ends; returns the exit code. */
int client_run(struct client *c, volatile sig_atomic_t *stop);

/* client_ctl.c: the server side */
void client_ctl_tick(struct client *c, uint64_t now, uint64_t *wake);
void client_ctl_handle(struct client *c, const uint8_t *buf, size_t len, uint64_t now);
void client_ctl_send_register(struct client *c, uint64_t now);
void client_ctl_send_leave(struct client *c);

/* client_peer.c: punching, sealed datagrams, chat */
void client_peer_intro(struct client *c, const struct hp_intro *in, uint64_t now);
void client_peer_handle(struct client *c, const uint8_t *buf, size_t len,
			const struct hp_endpoint *from, uint64_t now);
/* An HP_RELAYED datagram from the server. */
void client_peer_handle_relayed(struct client *c, const uint8_t *buf, size_t len, uint64_t now);
/* The server answered a RELAY with ERROR HP_ERR_QUOTA. */
void client_peer_relay_refused(struct client *c, const char *reason);
void client_peer_tick(struct client *c, uint64_t now, uint64_t *wake);
int client_peer_send(struct client *c, struct hp_peer_msg *m, const struct hp_endpoint *to,
		     int ttl, uint64_t now);
void client_peer_bye(struct client *c, uint64_t now);
/* An INTRO with the same peer key: our own public endpoint moved if self_moved. */
void client_peer_reintro(struct client *c, const struct hp_intro *in, bool self_moved,
			 uint64_t now);
/* Ask the server again at once, retrying quickly (the path died). */
void client_ctl_reregister(struct client *c, uint64_t now);
/* Drain deadline from now: every ACK that makes progress pushes it. */
void client_drain_extend(struct client *c, uint64_t now);
void client_finish(struct client *c, int code);

static inline void client_wake_at(uint64_t *wake, uint64_t t)
{
	if (t < *wake)
		*wake = t;
}

#endif
