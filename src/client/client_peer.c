// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>

#include "client/client.h"
#include "client/netio.h"

#define PUNCH_FAST_MS      100  /* punch interval for the first two seconds */
#define PUNCH_SLOW_MS      250
#define PUNCH_FAST_FOR_MS  2000
#define PUBLIC_DELAY_MIN   30   /* normal-TTL punches to the public endpoint wait this long at least */
#define STALL_MIN_MS       1500 /* silence while awaiting an answer: path dead */
#define STALL_RTOS         4    /* ... or this many RTOs, if longer */
#define PROBE_MIN_MS       200  /* keepalive probes while an answer is overdue */
#define RELAY_PUNCH_MS     1000 /* direct punching in the background while relaying */
#define RELAY_PUNCH_FAST_FOR_MS 10000 /* ...but at PUNCH_SLOW_MS this long after the
				       * introduction: on a lossy path the relay may
				       * win the race, and direct should still follow */
#define CAND_RELAY         0xfd /* punch id index: sent through the relay */

int client_peer_send(struct client *c, struct hp_peer_msg *m, const struct hp_endpoint *to,
		     int ttl, uint64_t now)
{
	uint8_t buf[HP_MAX_DATAGRAM];
	int n, ret;

	n = hp_session_seal(&c->sess, m, buf, sizeof(buf));
	if (n < 0)
		return n;
	ret = netio_send(c->fd, to, buf, (size_t)n, ttl);
	if (ret < 0) {
		char b[HP_ENDPOINT_STRLEN];

		out_debug(&c->out, "send %s to %s: %s", hp_type_name(m->type),
			  hp_endpoint_format(to, b, sizeof(b)), strerror(-ret));
		return ret;
	}
	(void)now;
	return 0;
}

/* Sealed as usual, then wrapped in HP_RELAY: the server cannot read it. */
static int client_peer_send_relay(struct client *c, struct hp_peer_msg *m)
{
	uint8_t inner[HP_RELAY_INNER_MAX], buf[HP_MAX_DATAGRAM];
	int n, ret;

	n = hp_session_seal(&c->sess, m, inner, sizeof(inner));
	if (n < 0)
		return n;
	n = hp_relay_encode(buf, sizeof(buf), c->token, inner, (size_t)n);
	if (n < 0)
		return n;
	ret = netio_send(c->fd, &c->server, buf, (size_t)n, 0);
	if (ret < 0)
		out_debug(&c->out, "relay %s: %s", hp_type_name(m->type), strerror(-ret));
	return ret;
}

/* To the peer over whichever path is in use (while reconnecting: the last
 * direct endpoint, in case the path comes back by itself). */
static int client_peer_send_peer(struct client *c, struct hp_peer_msg *m, uint64_t now)
{
	c->last_send_peer = now;
	/* a CHAT or KEEPALIVE is answered (ACK): silence after it is news */
	if ((m->type == HP_CHAT || m->type == HP_KEEPALIVE) && !c->await_since)
		c->await_since = now;
	if (!c->relay)
		return client_peer_send(c, m, &c->peer_ep, 0, now);
	return client_peer_send_relay(c, m);
}

static void client_peer_send_simple(struct client *c, uint8_t type, uint64_t now)
{
	struct hp_peer_msg m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	if (type == HP_ACK)
		m.u.ack.seq = hp_rrecv_ack(&c->rx);
	client_peer_send_peer(c, &m, now);
}

static bool client_relay_allowed(const struct client *c)
{
	return !c->o.no_relay && !c->relay_refused;
}

/* to == NULL: through the relay. */
static void client_peer_punch(struct client *c, const struct hp_endpoint *to, int ttl,
			      unsigned idx, uint64_t now)
{
	struct hp_peer_msg m;

	memset(&m, 0, sizeof(m));
	m.type = HP_PUNCH;
	/* the send time (us) travels in the id so that the echo gives an RTT */
	(void)now;
	m.u.punch.id = c->now_us << 8 | (idx & 0xff);
	m.u.punch.ttl = (uint8_t)(ttl > 0 ? ttl : 64);
	if (to)
		client_peer_send(c, &m, to, ttl, now);
	else
		client_peer_send_relay(c, &m);
}

static void client_peer_add_cand(struct client *c, const struct hp_endpoint *ep)
{
	size_t i;

	if (ep->family != HP_FAMILY_V4 || ep->port == 0 || c->n_cand >= CLIENT_MAX_CAND)
		return;
	for (i = 0; i < c->n_cand; i++)
		if (hp_endpoint_equal(&c->cand[i], ep))
			return;
	c->cand[c->n_cand++] = *ep;
}

/* The public endpoint is candidate 0: the short-TTL punch goes there. */
static void client_peer_set_public(struct client *c, const struct hp_endpoint *ep)
{
	size_t i;

	c->peer_public = *ep;
	if (ep->family != HP_FAMILY_V4 || ep->port == 0)
		return;
	for (i = 0; i < c->n_cand; i++)
		if (hp_endpoint_equal(&c->cand[i], ep))
			break;
	if (i == c->n_cand && c->n_cand < CLIENT_MAX_CAND)
		c->n_cand++;
	else if (i == c->n_cand)
		i = c->n_cand - 1; /* full: the last one makes room */
	for (; i > 0; i--)
		c->cand[i] = c->cand[i - 1];
	c->cand[0] = *ep;
}

static uint64_t client_peer_public_delay(const struct client *c)
{
	return 2 * c->server_rtt > PUBLIC_DELAY_MIN ? 2 * c->server_rtt : PUBLIC_DELAY_MIN;
}

/* Everything learnt about a previous peer goes; the new one starts clean. */
static int client_peer_reset(struct client *c, const struct hp_intro *in, uint64_t now)
{
	struct hp_session fresh;
	bool had_peer = c->introduced;
	uint64_t delay;
	size_t i;
	int ret;

	/* derive aside: a bad key must leave the current session untouched */
	ret = hp_session_derive(&fresh, c->kp.pk, c->kp.sk, in->peer_pubkey, c->o.secret,
				c->o.secret ? strlen(c->o.secret) : 0);
	if (ret < 0)
		return ret;
	hp_session_clear(&c->sess);
	c->sess = fresh;
	hp_session_clear(&fresh);
	memcpy(c->peer_pk, in->peer_pubkey, HP_KEY_LEN);
	snprintf(c->peer_nick, sizeof(c->peer_nick), "%s", in->peer_nick);
	c->n_cand = 0;
	c->peer_public = in->peer_public;
	client_peer_add_cand(c, &in->peer_public);
	for (i = 0; i < in->n_priv && i < HP_MAX_PRIV; i++)
		client_peer_add_cand(c, &in->peer_priv[i]);
	c->introduced = true;
	c->connected = c->confirmed = c->peer_bye = false;
	c->direct = c->relay = c->relay_refused = false;
	c->reconnecting = c->ever_connected = c->bye_sent = false;
	c->await_since = 0;
	memset(&c->peer_ep, 0, sizeof(c->peer_ep));
	c->relay_at = now + (c->o.force_relay ? 0 : c->o.relay_after_ms);
	c->ttl_punch_sent = c->public_started = false;
	c->t_intro = now;
	c->punch_next = now;
	/* pitfall 1: our short-TTL punch must have opened our NAT before a
	 * normal one can reach the peer's NAT; the peer's intro may come up to
	 * about a server round trip after ours */
	delay = client_peer_public_delay(c);
	c->public_normal_at = c->o.punch_ttl > 0 ? now + delay : now;
	hp_rrecv_init(&c->rx);
	/* sequence numbers restart with a new session; lines typed before
	 * the first peer are simply queued for it */
	if (had_peer) {
		if (!hp_rsend_all_acked(&c->tx))
			out_warning(&c->out,
				    "%zu unacknowledged message(s) from the previous session dropped",
				    hp_rsend_pending(&c->tx));
		c->st_sent += c->tx.n_sent;
		c->st_retx += c->tx.n_retx;
		hp_rsend_free(&c->tx);
		ret = hp_rsend_init(&c->tx, HP_RELIAB_WINDOW);
		if (ret < 0)
			return ret;
	}
	/* the peer path is at least as long as ours to the server */
	if (c->server_rtt)
		hp_rsend_rtt_hint(&c->tx, c->server_rtt * 1000);
	return 0;
}

static void client_peer_unstash(struct client *c, uint64_t now)
{
	struct client_stash st;
	size_t i, n = c->n_stash;

	c->n_stash = 0;
	for (i = 0; i < n; i++) {
		st = c->stash[i];
		if (st.relayed)
			client_peer_handle_relayed(c, st.buf, st.len, now);
		else
			client_peer_handle(c, st.buf, st.len, &st.from, now);
	}
}

void client_peer_intro(struct client *c, const struct hp_intro *in, uint64_t now)
{
	int ret;

	if (c->introduced && !memcmp(c->peer_pk, in->peer_pubkey, HP_KEY_LEN)) {
		client_peer_reintro(c, in, false, now);
		return;
	}
	if (c->introduced && c->connected && !c->peer_bye) {
		/* our peer is alive and talking: a different key now is a stale
		 * registration or a server lying to us */
		out_debug(&c->out, "ignoring intro with another key while connected");
		return;
	}
	ret = client_peer_reset(c, in, now);
	if (ret < 0) {
		/* anyone can register in our room: a peer with an unusable key
		 * must not end our run, we keep waiting for a real one */
		out_warning(&c->out, "ignoring peer \"%s\": %s", in->peer_nick,
			    ret == -EINVAL ? "same public key as ours" : "bad public key");
		return;
	}
	c->reg_next = now + c->o.keepalive_ms;
	out_introduced(&c->out, c->peer_nick, &in->peer_public, in->peer_priv,
		       in->n_priv < HP_MAX_PRIV ? in->n_priv : HP_MAX_PRIV, now - c->t_start);
	client_peer_unstash(c, now);
}

/* from == NULL: buf is a whole HP_RELAYED datagram. */
static void client_peer_stash(struct client *c, const uint8_t *buf, size_t len,
			      const struct hp_endpoint *from, uint64_t now)
{
	if (c->n_stash < CLIENT_STASH && len <= sizeof(c->stash[0].buf)) {
		struct client_stash *st = &c->stash[c->n_stash++];

		memcpy(st->buf, buf, len);
		st->len = len;
		st->relayed = !from;
		if (from)
			st->from = *from;
		else
			memset(&st->from, 0, sizeof(st->from));
	}
	/* the peer already knows of us: our intro must be on its way or lost */
	if (c->registered && now >= c->reg_last_sent + 100)
		client_ctl_send_register(c, now);
}

static void client_peer_on_acked(void *ctx, uint32_t seq, uint64_t rtt_us, unsigned tx)
{
	struct client *c = ctx;

	out_acked(&c->out, seq, rtt_us, tx);
}

static void client_peer_chat(struct client *c, const struct hp_peer_msg *m, uint64_t now)
{
	const char *text;
	uint16_t len;
	uint32_t seq;
	int ret;

	c->last_chat_rx = now;
	ret = hp_rrecv_accept(&c->rx, m->u.chat.seq, m->u.chat.text, m->u.chat.len);
	if (ret == HP_RRECV_NEW) {
		while (hp_rrecv_pop(&c->rx, &seq, &text, &len)) {
			out_message(&c->out, c->peer_nick, seq, text, len);
			c->st_delivered++;
		}
	} else if (ret == HP_RRECV_DUP) {
		c->st_dup++;
	}
	/* duplicates too: our earlier ACK may have been the one lost */
	client_peer_send_simple(c, HP_ACK, now);
}

static void client_peer_mark_connected(struct client *c, uint64_t now)
{
	c->connected = true;
	c->ever_connected = true;
	c->last_send_peer = now;
	c->await_since = 0;
	if (c->reconnecting) {
		/* lines waited out the outage under a backed-off RTO */
		c->reconnecting = false;
		hp_rsend_retry_now(&c->tx, c->now_us);
	}
	client_drain_extend(c, now);
}

/* Fatal: before the first connection an error, afterwards the peer is lost. */
static void client_peer_give_up(struct client *c, const char *why)
{
	if (c->ever_connected)
		out_peer_lost(&c->out, why);
	else
		out_error(&c->out, "%s", why);
	client_finish(c, 1);
}

/*
 * The path went silent (or the server says an endpoint moved): keep the
 * session (keys, sequence numbers, unacknowledged lines), ask the server
 * again at once and punch again; relaying takes over after --relay-after.
 */
static void client_peer_reconnect(struct client *c, uint64_t now, const char *why)
{
	out_reconnecting(&c->out, "%s", why);
	c->reconnecting = true;
	c->connected = c->confirmed = c->direct = c->relay = c->relay_refused = false;
	c->await_since = 0;
	if (c->peer_ep.family)
		client_peer_add_cand(c, &c->peer_ep);
	c->t_intro = now;
	c->punch_next = now;
	c->relay_at = now + (c->o.force_relay ? 0 : c->o.relay_after_ms);
	client_ctl_reregister(c, now);
}

void client_peer_reintro(struct client *c, const struct hp_intro *in, bool self_moved,
			 uint64_t now)
{
	char b[HP_ENDPOINT_STRLEN], why[96];
	bool moved = !hp_endpoint_equal(&in->peer_public, &c->peer_public);
	size_t i;

	if (moved) {
		client_peer_set_public(c, &in->peer_public);
		/* the short-TTL trick again for the new public endpoint */
		c->ttl_punch_sent = c->o.punch_ttl <= 0;
		c->public_started = false;
		c->public_normal_at = c->o.punch_ttl > 0 ? now + client_peer_public_delay(c) : now;
	}
	for (i = 0; i < in->n_priv && i < HP_MAX_PRIV; i++)
		client_peer_add_cand(c, &in->peer_priv[i]);
	if (c->peer_bye || c->o.force_relay)
		return;
	if (c->connected && c->direct && (moved || self_moved)) {
		if (moved)
			snprintf(why, sizeof(why), "the server says %s moved to %s", c->peer_nick,
				 hp_endpoint_format(&in->peer_public, b, sizeof(b)));
		else
			snprintf(why, sizeof(why), "our public endpoint moved to %s",
				 hp_endpoint_format(&in->reflexive, b, sizeof(b)));
		client_peer_reconnect(c, now, why);
	} else if (moved && !c->confirmed) {
		c->punch_next = now;
	}
}

/*
 * An authenticated datagram arrived directly from `from`. The first one
 * connects us (peer-reflexive endpoint, nat-notes). While relaying, a
 * PUNCH only proves the peer reaches us, so we answer it and punch back;
 * we go direct on a PUNCH_ACK (proven both ways) or on any other message
 * (the peer already sends directly).
 */
static void client_peer_direct_path(struct client *c, const struct hp_peer_msg *m, int fresh,
				    const struct hp_endpoint *from, uint64_t now)
{
	if (c->o.force_relay)
		return;
	if (!c->connected || !c->direct) {
		if (c->connected && m->type == HP_PUNCH) {
			client_peer_add_cand(c, from);
			return;
		}
		c->direct = true;
		c->relay = false;
		c->peer_ep = *from;
		client_peer_mark_connected(c, now);
		out_connected(&c->out, false, from, now - c->t_intro);
		return;
	}
	if (hp_endpoint_equal(from, &c->peer_ep))
		return;
	if (m->type == HP_PUNCH_ACK && !c->confirmed) {
		/* this path is proven both ways: prefer it */
		c->peer_ep = *from;
	} else if (fresh == 1 && m->type != HP_PUNCH && m->type != HP_PUNCH_ACK) {
		c->peer_ep = *from;
		out_peer_moved(&c->out, from);
	}
}

/* An authenticated datagram came through the relay: it never moves the
 * direct peer endpoint, and if we are not connected yet it makes us relay
 * too, so both ends agree on the path. */
static void client_peer_relay_path(struct client *c, uint64_t now)
{
	if (c->connected)
		return;
	c->relay = true;
	client_peer_mark_connected(c, now);
	out_connected(&c->out, true, &c->server, now - c->t_intro);
}

/* from == NULL: buf is the inner datagram of an HP_RELAYED. */
static void client_peer_input(struct client *c, const uint8_t *buf, size_t len,
			      const struct hp_endpoint *from, uint64_t now)
{
	char b[HP_ENDPOINT_STRLEN];
	struct hp_peer_msg m, ack;
	bool was_confirmed = c->confirmed;
	int ret;

	ret = hp_session_open(&c->sess, buf, len, &m);
	if (ret < 0) {
		/* never shown, never moves the peer (pitfall 3) */
		if (ret == -EALREADY)
			c->n_replay++;
		else
			c->n_bad++;
		out_debug(&c->out, "dropped unauthenticated datagram from %s (%s)",
			  from ? hp_endpoint_format(from, b, sizeof(b)) : "the relay",
			  ret == -EALREADY ? "replay" : "bad");
		return;
	}
	c->last_recv_peer = now;
	if (from)
		client_peer_direct_path(c, &m, ret, from, now);
	else
		client_peer_relay_path(c, now);
	/* "the peer hears us" is about the direct path only */
	if (from && c->direct && m.type != HP_PUNCH)
		c->confirmed = true;
	switch (m.type) {
	case HP_PUNCH:
		memset(&ack, 0, sizeof(ack));
		ack.type = HP_PUNCH_ACK;
		ack.u.punch.id = m.u.punch.id;
		ack.u.punch.ttl = m.u.punch.ttl;
		if (from && !c->o.force_relay)
			client_peer_send(c, &ack, from, 0, now);
		else
			client_peer_send_relay(c, &ack);
		break;
	case HP_PUNCH_ACK:
		/* a relayed round trip says nothing about the direct path */
		c->await_since = 0; /* the peer hears us */
		if (from && !was_confirmed && (m.u.punch.id & 0xff) != CAND_RELAY &&
		    (m.u.punch.id >> 8) <= c->now_us)
			hp_rsend_rtt_sample(&c->tx, c->now_us - (m.u.punch.id >> 8));
		break;
	case HP_CHAT:
		client_peer_chat(c, &m, now);
		break;
	case HP_ACK:
		c->await_since = 0;
		ret = hp_rsend_ack(&c->tx, m.u.ack.seq, c->now_us, client_peer_on_acked, c);
		if (ret < 0)
			out_debug(&c->out, "ack %u for a message never sent", m.u.ack.seq);
		else if (ret > 0 && c->stdin_done)
			client_drain_extend(c, now);
		break;
	case HP_KEEPALIVE:
		/* answered, so the peer can tell a live path from a dead one */
		client_peer_send_simple(c, HP_ACK, now);
		break;
	case HP_BYE:
		if (c->peer_bye)
			break;
		c->peer_bye = true;
		out_bye(&c->out, true, c->peer_nick);
		/* with lines still unacknowledged we go on: the peer lingers */
		if (c->stdin_done && hp_rsend_all_acked(&c->tx))
			client_finish(c, 0);
		break;
	default:
		break;
	}
}

void client_peer_handle(struct client *c, const uint8_t *buf, size_t len,
			const struct hp_endpoint *from, uint64_t now)
{
	if (!c->introduced) {
		client_peer_stash(c, buf, len, from, now);
		return;
	}
	client_peer_input(c, buf, len, from, now);
}

void client_peer_handle_relayed(struct client *c, const uint8_t *buf, size_t len, uint64_t now)
{
	const uint8_t *inner;
	size_t inner_len;

	if (hp_relayed_decode(buf, len, &inner, &inner_len) < 0) {
		c->n_stray++;
		return;
	}
	if (!c->introduced) {
		client_peer_stash(c, buf, len, NULL, now);
		return;
	}
	client_peer_input(c, inner, inner_len, NULL, now);
}

void client_peer_relay_refused(struct client *c, const char *reason)
{
	if (c->direct)
		return;
	out_warning(&c->out, "server refused to relay: %s", reason);
	if (!c->connected) {
		/* back to punching alone: its timeout applies again */
		c->relay_refused = true;
		c->relay = false;
	}
}

static void client_peer_punch_round(struct client *c, uint64_t now)
{
	size_t i;
	bool sent_peer = false;

	for (i = 0; i < c->n_cand; i++) {
		if (c->direct && hp_endpoint_equal(&c->cand[i], &c->peer_ep))
			sent_peer = true;
		if (i == 0 && c->o.punch_ttl > 0 && !c->ttl_punch_sent) {
			client_peer_punch(c, &c->cand[0], c->o.punch_ttl, 0, now);
			c->ttl_punch_sent = true;
			continue;
		}
		if (i == 0 && now < c->public_normal_at)
			continue;
		if (i == 0)
			c->public_started = true;
		client_peer_punch(c, &c->cand[i], 0, (unsigned)i, now);
	}
	/* a peer-reflexive endpoint (symmetric NAT) is not among the candidates */
	if (c->direct && !sent_peer)
		client_peer_punch(c, &c->peer_ep, 0, 0xff, now);
}

/* Returns true when the run must end: no path at all within the limits. */
static bool client_peer_punch_expired(struct client *c, uint64_t now, uint64_t *wake)
{
	uint64_t limit = (uint64_t)c->o.timeout_s * 1000;
	uint64_t deadline = c->t_intro + limit;

	if (!c->relay && client_relay_allowed(c)) {
		/* relaying has not started yet: it will, punching cannot fail */
		client_wake_at(wake, c->relay_at);
		return false;
	}
	if (c->relay) {
		/* the relay gets its own --timeout to bring an answer */
		if (c->connected)
			return false;
		if (now >= c->relay_at + limit) {
			char why[96];

			snprintf(why, sizeof(why), "could not reach peer %s directly or through the relay",
				 c->peer_nick);
			client_peer_give_up(c, why);
			return true;
		}
		client_wake_at(wake, c->relay_at + limit);
		return false;
	}
	if (now >= deadline) {
		char why[96];

		snprintf(why, sizeof(why), "could not reach peer %s: punching timed out",
			 c->peer_nick);
		client_peer_give_up(c, why);
		return true;
	}
	client_wake_at(wake, deadline);
	return false;
}

static void client_peer_punch_tick(struct client *c, uint64_t now, uint64_t *wake)
{
	uint64_t deadline = c->t_intro + (uint64_t)c->o.timeout_s * 1000;
	uint64_t interval;

	if (c->direct && now >= deadline) {
		c->confirmed = true; /* stop punching; liveness takes over */
		return;
	}
	if (!c->direct && !c->relay && client_relay_allowed(c) && now >= c->relay_at) {
		c->relay = true;
		out_debug(&c->out, "no direct path after %llu ms: relaying through the server",
			  (unsigned long long)(now - c->t_intro));
	}
	if (!c->direct && client_peer_punch_expired(c, now, wake))
		return;
	if (!c->o.force_relay && c->ttl_punch_sent && !c->public_started &&
	    now >= c->public_normal_at) {
		client_peer_punch(c, &c->cand[0], 0, 0, now);
		c->public_started = true;
	}
	if (now >= c->punch_next) {
		if (!c->o.force_relay)
			client_peer_punch_round(c, now);
		/* until the peer answers through the relay, ask it there too */
		if (c->relay && !c->connected)
			client_peer_punch(c, NULL, 0, CAND_RELAY, now);
		if (c->relay && c->connected)
			interval = now - c->t_intro < RELAY_PUNCH_FAST_FOR_MS ? PUNCH_SLOW_MS :
										 RELAY_PUNCH_MS;
		else if (now - c->t_intro < PUNCH_FAST_FOR_MS)
			interval = PUNCH_FAST_MS;
		else
			interval = PUNCH_SLOW_MS;
		c->punch_next = now + interval;
	}
	client_wake_at(wake, c->punch_next);
	if (!c->public_started && !c->o.force_relay)
		client_wake_at(wake, c->public_normal_at);
	if (c->direct)
		client_wake_at(wake, deadline);
}

static void client_peer_chat_tick(struct client *c, uint64_t now, uint64_t *wake)
{
	const struct hp_rsend_item *it;
	struct hp_peer_msg m;
	uint64_t d;

	while ((it = hp_rsend_due(&c->tx, c->now_us))) {
		if (it->tx > 1)
			out_retransmit(&c->out, it->seq, it->tx);
		memset(&m, 0, sizeof(m));
		m.type = HP_CHAT;
		m.u.chat.seq = it->seq;
		m.u.chat.len = it->len;
		memcpy(m.u.chat.text, it->text, it->len);
		client_peer_send_peer(c, &m, now);
	}
	d = hp_rsend_deadline(&c->tx);
	if (d != UINT64_MAX)
		client_wake_at(wake, (d + 999) / 1000);
}

static void client_peer_live_tick(struct client *c, uint64_t now, uint64_t *wake)
{
	uint64_t ka = c->o.keepalive_ms, rto = hp_rsend_rto(&c->tx) / 1000;
	uint64_t stall = STALL_RTOS * rto > STALL_MIN_MS ? STALL_RTOS * rto : STALL_MIN_MS;
	uint64_t probe = rto > PROBE_MIN_MS ? rto : PROBE_MIN_MS, at;
	char why[96];

	/* on idle time too: this is what keeps the NAT mappings open */
	if (now >= c->last_send_peer + ka)
		client_peer_send_simple(c, HP_KEEPALIVE, now);
	client_wake_at(wake, c->last_send_peer + ka);
	if (c->reconnecting || !c->await_since)
		return;
	if (now >= c->await_since + stall) {
		snprintf(why, sizeof(why), "no answer from %s for %llu ms", c->peer_nick,
			 (unsigned long long)(now - c->await_since));
		client_peer_reconnect(c, now, why);
		return;
	}
	client_wake_at(wake, c->await_since + stall);
	/* an answer is overdue: ask at RTO pace, so a dead path shows soon */
	at = c->last_send_peer > c->await_since ? c->last_send_peer : c->await_since;
	if (now >= at + probe) {
		client_peer_send_simple(c, HP_KEEPALIVE, now);
		at = now;
	}
	client_wake_at(wake, at + probe);
}

void client_peer_tick(struct client *c, uint64_t now, uint64_t *wake)
{
	if (!c->introduced)
		return;
	if (!c->confirmed && !c->peer_bye) {
		client_peer_punch_tick(c, now, wake);
		if (c->done)
			return;
	}
	if (!c->connected && !c->reconnecting)
		return;
	/* after the peer's BYE our unacknowledged lines still go: it lingers */
	client_peer_chat_tick(c, now, wake);
	if (!c->peer_bye)
		client_peer_live_tick(c, now, wake);
}

void client_peer_bye(struct client *c, uint64_t now)
{
	int i;

	/* also after the peer's BYE: it lingers until ours */
	if (!c->ever_connected)
		return;
	/* the ACK rides along: our last one may have been lost, and the peer
	 * would otherwise retransmit into the void */
	for (i = 0; i < 3; i++) {
		client_peer_send_simple(c, HP_ACK, now);
		client_peer_send_simple(c, HP_BYE, now);
	}
}
