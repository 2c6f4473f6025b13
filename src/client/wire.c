// SPDX-License-Identifier: MIT
/*
 * wire.c owns the session keys, the send hook, the pre-intro stash and the
 * drop counters (one per reason, drops.h). It calls only netio, the common codecs and output (debug
 * lines); everything above calls it.
 */
#include <errno.h>
#include <string.h>

#include "client/icmp.h"
#include "client/netio.h"
#include "client/wire.h"

static int wire_udp_send(void *ctx, const struct hp_endpoint *to, const uint8_t *buf,
			 size_t len, int ttl)
{
	const struct wire *w = ctx;
	int fd = w->fd;

	if (w->direct_fd >= 0 && hp_endpoint_equal(to, &w->direct_to))
		fd = w->direct_fd;
	return netio_send(fd, to, buf, len, ttl);
}

void wire_init(struct wire *w, int fd, const struct hp_endpoint *server,
	       const uint8_t token[HP_TOKEN_LEN], const struct output *out)
{
	memset(w, 0, sizeof(*w));
	w->send = wire_udp_send;
	w->send_ctx = w;
	w->fd = fd;
	w->direct_fd = -1;
	w->out = out;
	w->server = *server;
	memcpy(w->token, token, HP_TOKEN_LEN);
}

void wire_free(struct wire *w)
{
	hp_session_clear(&w->sess);
}

int wire_send_raw(struct wire *w, const struct hp_endpoint *to, const uint8_t *buf, size_t len,
		  int ttl)
{
	return w->send(w->send_ctx, to, buf, len, ttl);
}

int wire_send(struct wire *w, struct hp_peer_msg *m, const struct hp_endpoint *to, int ttl)
{
	uint8_t buf[HP_MAX_DATAGRAM];
	int n, ret;

	n = hp_session_seal(&w->sess, m, buf, sizeof(buf));
	if (n < 0)
		return n;
	ret = wire_send_raw(w, to, buf, (size_t)n, ttl);
	if (ret < 0) {
		char b[HP_ENDPOINT_STRLEN];

		out_debug(w->out, "send %s to %s: %s", hp_type_name(m->type),
			  hp_endpoint_format(to, b, sizeof(b)), strerror(-ret));
		return ret;
	}
	return 0;
}

int wire_send_fd(struct wire *w, struct hp_peer_msg *m, const struct hp_endpoint *to, int fd)
{
	uint8_t buf[HP_MAX_DATAGRAM];
	int n;

	n = hp_session_seal(&w->sess, m, buf, sizeof(buf));
	if (n < 0)
		return n;
	return netio_send(fd, to, buf, (size_t)n, 0);
}

void wire_use_socket(struct wire *w, int fd, const struct hp_endpoint *to)
{
	w->direct_fd = fd;
	w->direct_to = *to;
}

int wire_send_relay(struct wire *w, struct hp_peer_msg *m)
{
	uint8_t inner[HP_RELAY_INNER_MAX], buf[HP_MAX_DATAGRAM];
	int n, ret;

	n = hp_session_seal(&w->sess, m, inner, sizeof(inner));
	if (n < 0)
		return n;
	n = hp_relay_encode(buf, sizeof(buf), w->token, inner, (size_t)n);
	if (n < 0)
		return n;
	ret = wire_send_raw(w, &w->server, buf, (size_t)n, 0);
	if (ret < 0)
		out_debug(w->out, "relay %s: %s", hp_type_name(m->type), strerror(-ret));
	return ret;
}

int wire_rekey(struct wire *w, const struct hp_keypair *kp, const uint8_t peer_pk[HP_KEY_LEN],
	       const char *secret)
{
	struct hp_session fresh;
	int ret;

	/* derive aside: a bad key must leave the current session untouched */
	ret = hp_session_derive(&fresh, kp->pk, kp->sk, peer_pk, secret,
				secret ? strlen(secret) : 0);
	if (ret < 0)
		return ret;
	hp_session_clear(&w->sess);
	w->sess = fresh;
	hp_session_clear(&fresh);
	return 0;
}

const char *wire_server_unreachable(const struct wire *w, const struct netio_err *e)
{
	if (!e->icmp || !hp_endpoint_equal(&e->to, &w->server))
		return NULL;
	return icmp_unreach_words(e->type, e->code);
}

void wire_drop(struct wire *w, enum client_drop why)
{
	w->drops[why]++;
}

enum wire_kind wire_demux(struct wire *w, const uint8_t *buf, size_t len,
			  const struct hp_endpoint *from, const uint8_t **inner, size_t *inner_len)
{
	struct hp_header h;

	/* STUN answers come from the server or its alternate address
	 * (natmap.h); their transaction IDs tell ours from anything else */
	if (hp_is_stun(buf, len))
		return WIRE_STUN;
	if (len > HP_MAX_DATAGRAM || hp_header_decode(&h, buf, len) < 0)
		goto stray;
	if (hp_type_is_peer(h.type)) {
		*inner = buf;
		*inner_len = len;
		return WIRE_PEER;
	}
	/* control messages count only from the server's address */
	if (!hp_endpoint_equal(from, &w->server))
		goto stray;
	if (h.type != HP_RELAYED)
		return WIRE_CTL;
	if (hp_relayed_decode(buf, len, inner, inner_len) < 0) {
		wire_drop(w, CLIENT_DROP_BAD_RELAY);
		return WIRE_STRAY;
	}
	return WIRE_RELAYED;
stray:
	wire_drop(w, CLIENT_DROP_STRAY);
	return WIRE_STRAY;
}

int wire_open(struct wire *w, const uint8_t *buf, size_t len, const struct hp_endpoint *from,
	      struct hp_peer_msg *m)
{
	char b[HP_ENDPOINT_STRLEN];
	int ret;

	ret = hp_session_open(&w->sess, buf, len, m);
	if (ret >= 0)
		return ret;
	/* never shown, never moves the peer: a forged datagram must not
	 * redirect the chat (docs/hpclient.md, "Security model") */
	wire_drop(w, ret == -EALREADY ? CLIENT_DROP_REPLAYED : CLIENT_DROP_AUTH_FAILED);
	out_debug(w->out, "dropped unauthenticated datagram from %s (%s)",
		  from ? hp_endpoint_format(from, b, sizeof(b)) : "the relay",
		  ret == -EALREADY ? "replay" : "bad");
	return ret;
}

void wire_stash(struct wire *w, const uint8_t *buf, size_t len, const struct hp_endpoint *from)
{
	struct wire_stash *st;

	if (w->n_stash >= WIRE_STASH || len > sizeof(w->stash[0].buf)) {
		wire_drop(w, CLIENT_DROP_STASH_FULL);
		return;
	}
	st = &w->stash[w->n_stash++];
	memcpy(st->buf, buf, len);
	st->len = len;
	st->from = *from;
}

size_t wire_unstash(struct wire *w, struct wire_stash *out)
{
	size_t n = w->n_stash;

	memcpy(out, w->stash, n * sizeof(*out));
	w->n_stash = 0;
	return n;
}
