/* SPDX-License-Identifier: MIT */
#ifndef HPCLIENT_WIRE_H
#define HPCLIENT_WIRE_H

/*
 * The client's datagrams on the wire, below everything else: every send
 * goes through one hook (a UDP socket in the client, a recorder in the
 * unit tests), peer messages are sealed and opened with the session here,
 * and each incoming datagram is sorted by type and source as it comes
 * (docs/hpclient.md, "Demultiplexing"): nothing ever waits for "the next
 * datagram", so a late or stray one cannot be mistaken for an answer.
 *
 *   socket -> wire_demux -> WIRE_PEER / WIRE_RELAYED -> wire_open -> path, chat
 *                        -> WIRE_CTL                 -> ctl
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/drops.h"
#include "client/netio.h"
#include "client/output.h"
#include "crypto.h"
#include "endpoint.h"
#include "proto.h"

#define WIRE_STASH 4 /* sealed datagrams kept while the intro is late */

/* Sends one datagram; ttl > 0 sends it with that IP TTL. 0 or -errno. */
typedef int (*wire_send_fn)(void *ctx, const struct hp_endpoint *to, const uint8_t *buf,
			    size_t len, int ttl);

struct wire_stash {
	uint8_t buf[HP_MAX_DATAGRAM];
	size_t len;
	struct hp_endpoint from;
};

struct wire {
	wire_send_fn send;
	void *send_ctx;
	int fd; /* the default hook's socket */
	/* the birthday spray's winning socket (-1: none): what the default
	 * hook sends from to direct_to, the peer it won with */
	int direct_fd;
	struct hp_endpoint direct_to;
	const struct output *out;
	struct hp_endpoint server;
	uint8_t token[HP_TOKEN_LEN];
	struct hp_session sess;
	struct wire_stash stash[WIRE_STASH];
	size_t n_stash;
	uint64_t drops[CLIENT_N_DROPS]; /* per reason, drops.h */
};

enum wire_kind {
	WIRE_PEER,    /* a sealed peer datagram, straight from the peer */
	WIRE_RELAYED, /* a sealed peer datagram inside the server's RELAYED */
	WIRE_CTL,     /* a control message from the server */
	WIRE_STUN,    /* a STUN datagram: perhaps an answer for ctl's verdict */
	WIRE_STRAY,   /* anything else: counted and dropped */
};

/* Sends through netio on fd until a test replaces w->send. */
void wire_init(struct wire *w, int fd, const struct hp_endpoint *server,
	       const uint8_t token[HP_TOKEN_LEN], const struct output *out);
void wire_free(struct wire *w);
int wire_send_raw(struct wire *w, const struct hp_endpoint *to, const uint8_t *buf, size_t len,
		  int ttl);
/* Sealed with the session, to `to` (ttl as for wire_send_fn). */
int wire_send(struct wire *w, struct hp_peer_msg *m, const struct hp_endpoint *to, int ttl);
/* Sealed, from socket fd rather than through the hook (the spray's
 * openers, each from its own socket). */
int wire_send_fd(struct wire *w, struct hp_peer_msg *m, const struct hp_endpoint *to, int fd);
/* From now on what goes to `to` leaves from fd (the spray won there). */
void wire_use_socket(struct wire *w, int fd, const struct hp_endpoint *to);
/* Sealed, then wrapped in RELAY to the server: the server cannot read it. */
int wire_send_relay(struct wire *w, struct hp_peer_msg *m);
/* A new session with that peer key; on error the current one is untouched. */
int wire_rekey(struct wire *w, const struct hp_keypair *kp, const uint8_t peer_pk[HP_KEY_LEN],
	       const char *secret);
/* Sorts one datagram; a peer one's sealed bytes are in *inner. */
enum wire_kind wire_demux(struct wire *w, const uint8_t *buf, size_t len,
			  const struct hp_endpoint *from, const uint8_t **inner, size_t *inner_len);
/* Opens a sealed peer datagram (from == NULL: it came through the relay).
 * Returns hp_session_open()'s result: < 0 dropped (and counted). */
int wire_open(struct wire *w, const uint8_t *buf, size_t len, const struct hp_endpoint *from,
	      struct hp_peer_msg *m);
/*
 * An error from the socket's error queue, judged: the words for an ICMP
 * destination unreachable about the server's endpoint ("port
 * unreachable"), or NULL for anything else (a punch to a peer candidate
 * that is not there, a short-TTL punch's time exceeded, a local error):
 * those are normal while punching.
 */
const char *wire_server_unreachable(const struct wire *w, const struct netio_err *e);
/* Counts one datagram dropped above the wire (ctl: not for our token). */
void wire_drop(struct wire *w, enum client_drop why);
/* Keeps a whole datagram until the intro brings the keys (bounded: beyond
 * WIRE_STASH it is dropped and counted). */
void wire_stash(struct wire *w, const uint8_t *buf, size_t len, const struct hp_endpoint *from);
/* Moves the stash out into out[WIRE_STASH]; returns how many. */
size_t wire_unstash(struct wire *w, struct wire_stash *out);

#endif
