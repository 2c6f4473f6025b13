// SPDX-License-Identifier: MIT
/*
 * path.c owns struct path: the path state (path_set() is the only place
 * that changes it, and it emits the matching event), the peer's candidates,
 * the punch schedule, the relay fallback and the liveness checks. It calls
 * down only: wire.c to send, output.c for events. What the caller must do
 * (ask the server again, end the run, tell the chat) comes back as a
 * return value.
 */
#include <stdio.h>
#include <string.h>

#include "client/path.h"
#include "client/punchwait.h"

#define PUNCH_FAST_MS      100  /* punch interval for the first two seconds */
#define PUNCH_SLOW_MS      250
#define PUNCH_FAST_FOR_MS  2000
#define STALL_MIN_MS       1500 /* silence while awaiting an answer: path dead */
#define STALL_RTOS         4    /* ... or this many RTOs, if longer */
#define PROBE_MIN_MS       200  /* keepalive probes while an answer is overdue */
#define RELAY_PUNCH_MS     1000 /* direct punching in the background while relaying */
#define RELAY_PUNCH_FAST_FOR_MS 10000 /* ...but at PUNCH_SLOW_MS this long after the
				       * introduction: on a lossy path the relay may
				       * win the race, and direct should still follow */
#define CAND_RELAY         0xfd /* punch id index: sent through the relay */
#define CAND_PEER          0xff /* punch id index: the peer-reflexive endpoint */

static const char *const path_state_names[] = {
#define PATH_STATE_NAME(id, name) [PATH_##id] = name,
	PATH_STATES(PATH_STATE_NAME)
#undef PATH_STATE_NAME
};

static const char *const path_cand_names[] = {
	[PATH_CAND_PUBLIC] = "public",
	[PATH_CAND_PRIVATE] = "private",
	[PATH_CAND_PEER] = "peer",
	[PATH_CAND_RELAY] = "relay",
};

const char *path_state_name(enum path_state s)
{
	return path_state_names[s];
}

static bool path_via_relay(enum path_state s)
{
	return s == PATH_RELAYING || s == PATH_RELAYED || s == PATH_RECONNECTING_RELAY;
}

/*
 * The one place the state changes: a path event for each change, then the
 * event that goes with the new state. why: a short phrase, also the reason
 * of a reconnect or a failure; in: the introduction that starts a session
 * (PUNCHING).
 */
static void path_set(struct path *p, enum path_state to, uint64_t now, const char *why,
		     const struct hp_intro *in)
{
	enum path_state from = p->state;

	p->state = to;
	if (from != to)
		out_path(p->out, path_state_name(from), path_state_name(to), why);
	switch (to) {
	case PATH_WAITING:
	case PATH_CONFIRMED:
	case PATH_RELAYING:
	case PATH_RECONNECTING_RELAY:
		break;
	case PATH_PUNCHING:
	case PATH_RECONNECTING:
		if (in)
			out_introduced(p->out, p->nick, &in->peer_public, in->peer_priv,
				       in->n_priv < HP_MAX_PRIV ? in->n_priv : HP_MAX_PRIV,
				       now - p->t_start);
		else if (path_is_connected(from))
			out_reconnecting(p->out, "%s", why);
		break;
	case PATH_DIRECT:
		out_connected(p->out, false, &p->ep, now - p->t_intro);
		break;
	case PATH_RELAYED:
		out_connected(p->out, true, &p->w->server, now - p->t_intro);
		break;
	case PATH_UNREACHABLE:
		out_error(p->out, "%s", why);
		break;
	case PATH_LOST:
		out_peer_lost(p->out, why);
		break;
	}
}

void path_init(struct path *p, const struct client_opts *o, const struct output *out,
	       struct wire *w, uint64_t t_start)
{
	memset(p, 0, sizeof(*p));
	p->state = PATH_WAITING;
	p->o = o;
	p->out = out;
	p->w = w;
	p->t_start = t_start;
}

int path_send(struct path *p, struct hp_peer_msg *m, uint64_t now_us)
{
	uint64_t now = now_us / 1000;

	p->last_send = now;
	/* a CHAT or KEEPALIVE is answered (ACK): silence after it is news */
	if ((m->type == HP_CHAT || m->type == HP_KEEPALIVE) && !p->await_since)
		p->await_since = now;
	if (!path_via_relay(p->state))
		return wire_send(p->w, m, &p->ep, 0);
	return wire_send_relay(p->w, m);
}

static bool path_relay_allowed(const struct path *p)
{
	return !p->o->no_relay && !p->relay_refused;
}

/* to == NULL: through the relay. Each punch that leaves is an event. */
static void path_punch(struct path *p, const struct hp_endpoint *to, int ttl, unsigned idx,
		       enum path_cand_kind kind, uint64_t now_us)
{
	struct hp_peer_msg m;
	int ret;

	memset(&m, 0, sizeof(m));
	m.type = HP_PUNCH;
	/* the send time (us) travels in the id so that the echo gives an RTT */
	m.u.punch.id = now_us << 8 | (idx & 0xff);
	m.u.punch.ttl = (uint8_t)(ttl > 0 ? ttl : 64);
	if (to)
		ret = wire_send(p->w, &m, to, ttl);
	else
		ret = wire_send_relay(p->w, &m);
	if (ret == 0)
		out_punch(p->out, to ? to : &p->w->server, m.u.punch.ttl, path_cand_names[kind],
			  ++p->n_punch);
}

/* A candidate that has not answered its share is left alone: whoever
 * named it (anyone can register into a waiting client's room) gets a
 * bounded number of datagrams aimed at it, not a stream. */
static void path_punch_cand(struct path *p, size_t i, int ttl, unsigned idx, uint64_t now_us)
{
	if (!cand_take(&p->cand[i]))
		return;
	path_punch(p, &p->cand[i].ep, ttl, idx, p->cand[i].kind, now_us);
}


void path_intro(struct path *p, const struct hp_intro *in, uint64_t server_rtt, uint64_t now_us)
{
	uint64_t now = now_us / 1000;
	char why[64];
	size_t i;

	/* everything learnt about a previous peer goes; the new one starts clean */
	memcpy(p->pk, in->peer_pubkey, HP_KEY_LEN);
	snprintf(p->nick, sizeof(p->nick), "%s", in->peer_nick);
	p->server_rtt = server_rtt;
	p->n_cand = 0;
	p->public = in->peer_public;
	cand_add(p->cand, &p->n_cand, &in->peer_public, PATH_CAND_PUBLIC, p->out);
	for (i = 0; i < in->n_priv && i < HP_MAX_PRIV; i++)
		cand_add(p->cand, &p->n_cand, &in->peer_priv[i], PATH_CAND_PRIVATE, p->out);
	p->relay_refused = false;
	p->await_since = 0;
	memset(&p->ep, 0, sizeof(p->ep));
	p->relay_at = now + (p->o->force_relay ? 0 : p->o->relay_after_ms);
	p->public_punch = PATH_PUBLIC_FIRST;
	p->t_intro = now;
	p->punch_next = now;
	p->public_wait = p->o->punch_ttl > 0 ? punch_wait_us(in, p->server_rtt) : 0;
	p->public_normal_at = now_us + p->public_wait;
	p->timed = in->rtt_us && in->peer_rtt_us;
	p->peer_opened = in->peer_opened;
	snprintf(why, sizeof(why), "the server introduced %s", p->nick);
	path_set(p, PATH_PUNCHING, now, why, in);
}

/*
 * The path went silent (or the server says an endpoint moved): keep the
 * session (keys, sequence numbers, unacknowledged lines), ask the server
 * again at once and punch again; relaying takes over after --relay-after.
 */
static enum path_verdict path_reconnect(struct path *p, uint64_t now, const char *why)
{
	path_set(p, PATH_RECONNECTING, now, why, NULL);
	p->relay_refused = false;
	p->await_since = 0;
	/* the path worked until now: every candidate gets its share again */
	cand_reset(p->cand, p->n_cand);
	if (p->ep.family)
		cand_add(p->cand, &p->n_cand, &p->ep, PATH_CAND_PEER, p->out);
	p->t_intro = now;
	p->punch_next = now;
	p->relay_at = now + (p->o->force_relay ? 0 : p->o->relay_after_ms);
	return PATH_REREGISTER;
}

/* The server passed on the peer's HP_FLAG_OPENED: its NAT maps towards
 * us, our normal punches cannot arrive too early any more. */
static void path_peer_opened(struct path *p, const struct hp_intro *in, uint64_t now_us)
{
	if (!in->peer_opened)
		return;
	p->peer_opened = true;
	if (p->public_punch == PATH_PUBLIC_DELAY && now_us < p->public_normal_at)
		p->public_normal_at = now_us;
}

enum path_verdict path_reintro(struct path *p, const struct hp_intro *in, bool self_moved,
			       bool peer_bye, uint64_t now_us)
{
	char b[HP_ENDPOINT_STRLEN], why[96];
	bool moved = !hp_endpoint_equal(&in->peer_public, &p->public);
	uint64_t now = now_us / 1000;
	size_t i;

	if (moved) {
		p->public = in->peer_public;
		cand_set_public(p->cand, &p->n_cand, &in->peer_public);
		/* the short-TTL trick again for the new public endpoint */
		p->public_punch = p->o->punch_ttl <= 0 ? PATH_PUBLIC_DELAY : PATH_PUBLIC_FIRST;
		p->public_wait = p->o->punch_ttl > 0 ? punch_wait_us(in, p->server_rtt) : 0;
		p->public_normal_at = now_us + p->public_wait;
		p->timed = in->rtt_us && in->peer_rtt_us;
		p->peer_opened = false;
	}
	path_peer_opened(p, in, now_us);
	for (i = 0; i < in->n_priv && i < HP_MAX_PRIV; i++)
		cand_add(p->cand, &p->n_cand, &in->peer_priv[i], PATH_CAND_PRIVATE, p->out);
	if (peer_bye || p->o->force_relay)
		return PATH_GOING;
	if (path_is_direct(p->state) && (moved || self_moved)) {
		if (moved)
			snprintf(why, sizeof(why), "the server says %s moved to %s", p->nick,
				 hp_endpoint_format(&in->peer_public, b, sizeof(b)));
		else
			snprintf(why, sizeof(why), "our public endpoint moved to %s",
				 hp_endpoint_format(&in->reflexive, b, sizeof(b)));
		return path_reconnect(p, now, why);
	}
	if (moved && p->state != PATH_CONFIRMED)
		p->punch_next = now;
	return PATH_GOING;
}

static enum path_news path_connect(struct path *p, enum path_state to, uint64_t now,
				   const char *why)
{
	bool was_reconnecting = path_is_reconnecting(p->state);

	p->last_send = now;
	p->await_since = 0;
	path_set(p, to, now, why, NULL);
	return was_reconnecting ? PATH_NEWS_RECONNECTED : PATH_NEWS_CONNECTED;
}

/*
 * An authenticated datagram arrived directly from `from`. The first one
 * connects us, to its source: the peer-reflexive endpoint, which need not
 * be among the candidates (RFC 8445 section 7.3.1.3). While relaying, a
 * PUNCH only proves the peer reaches us, so we answer it and punch back;
 * we go direct on a PUNCH_ACK (proven both ways) or on any other message
 * (the peer already sends directly).
 */
static enum path_news path_direct_input(struct path *p, const struct hp_peer_msg *m, int fresh,
					const struct hp_endpoint *from, uint64_t now)
{
	char b[HP_ENDPOINT_STRLEN], why[96];

	if (p->o->force_relay)
		return PATH_NEWS_NONE;
	if (!path_is_direct(p->state)) {
		if (p->state == PATH_RELAYED && m->type == HP_PUNCH) {
			cand_add(p->cand, &p->n_cand, from, PATH_CAND_PEER, p->out);
			return PATH_NEWS_NONE;
		}
		p->ep = *from;
		hp_endpoint_format(from, b, sizeof(b));
		if (p->state == PATH_RELAYED)
			snprintf(why, sizeof(why), "authenticated %s directly from %s",
				 hp_type_name(m->type), b);
		else
			snprintf(why, sizeof(why), "first authenticated datagram from %s", b);
		return path_connect(p, PATH_DIRECT, now, why);
	}
	if (hp_endpoint_equal(from, &p->ep))
		return PATH_NEWS_NONE;
	if (m->type == HP_PUNCH_ACK && p->state != PATH_CONFIRMED) {
		/* this path is proven both ways: prefer it */
		p->ep = *from;
	} else if (fresh == 1 && m->type != HP_PUNCH && m->type != HP_PUNCH_ACK) {
		p->ep = *from;
		out_peer_moved(p->out, from);
	}
	return PATH_NEWS_NONE;
}

/* An authenticated datagram came through the relay: it never moves the
 * direct peer endpoint, and if we are not connected yet it makes us relay
 * too, so both ends agree on the path. */
static enum path_news path_relayed_input(struct path *p, uint64_t now)
{
	if (path_is_connected(p->state))
		return PATH_NEWS_NONE;
	return path_connect(p, PATH_RELAYED, now, "first authenticated datagram through the relay");
}

static void path_punch_ack(struct path *p, const struct hp_peer_msg *m,
			   const struct hp_endpoint *from)
{
	struct hp_peer_msg ack;

	memset(&ack, 0, sizeof(ack));
	ack.type = HP_PUNCH_ACK;
	ack.u.punch.id = m->u.punch.id;
	ack.u.punch.ttl = m->u.punch.ttl;
	if (from && !p->o->force_relay)
		wire_send(p->w, &ack, from, 0);
	else
		wire_send_relay(p->w, &ack);
}

enum path_news path_input(struct path *p, const struct hp_peer_msg *m, int fresh,
			  const struct hp_endpoint *from, uint64_t now_us, uint64_t *rtt_us)
{
	bool was_confirmed = p->state == PATH_CONFIRMED;
	uint64_t now = now_us / 1000, sent_us;
	char b[HP_ENDPOINT_STRLEN], why[96];
	enum path_news news;

	*rtt_us = 0;
	if (from)
		cand_answered(p->cand, p->n_cand, from);
	if (from)
		news = path_direct_input(p, m, fresh, from, now);
	else
		news = path_relayed_input(p, now);
	/* "the peer hears us" is about the direct path only */
	if (from && p->state == PATH_DIRECT && m->type != HP_PUNCH) {
		snprintf(why, sizeof(why), "the peer hears us: %s from %s", hp_type_name(m->type),
			 hp_endpoint_format(from, b, sizeof(b)));
		path_set(p, PATH_CONFIRMED, now, why, NULL);
	}
	switch (m->type) {
	case HP_PUNCH:
		path_punch_ack(p, m, from);
		break;
	case HP_PUNCH_ACK:
		p->await_since = 0; /* the peer hears us */
		sent_us = m->u.punch.id >> 8;
		/* a relayed round trip says nothing about the direct path */
		if (from && !was_confirmed && (m->u.punch.id & 0xff) != CAND_RELAY &&
		    (m->u.punch.id & 0xff) != PATH_PUNCH_PROBE && sent_us <= now_us)
			*rtt_us = now_us - sent_us;
		break;
	case HP_ACK:
		p->await_since = 0;
		break;
	default:
		break;
	}
	return news;
}

void path_relay_refused(struct path *p, const char *reason)
{
	if (path_is_direct(p->state))
		return;
	out_warning(p->out, "server refused to relay: %s", reason);
	if (path_is_connected(p->state))
		return;
	/* back to punching alone: its timeout applies again */
	p->relay_refused = true;
	if (p->state == PATH_RELAYING)
		path_set(p, PATH_PUNCHING, 0, "the server refused to relay", NULL);
	else if (p->state == PATH_RECONNECTING_RELAY)
		path_set(p, PATH_RECONNECTING, 0, "the server refused to relay", NULL);
}

/* Returns whether the short-TTL punch went in this round. */
static bool path_punch_round(struct path *p, uint64_t now_us)
{
	bool direct = path_is_direct(p->state), sent_peer = false, opened = false;
	size_t i;

	for (i = 0; i < p->n_cand; i++) {
		if (direct && hp_endpoint_equal(&p->cand[i].ep, &p->ep))
			sent_peer = true;
		if (i == 0 && p->o->punch_ttl > 0 && p->public_punch == PATH_PUBLIC_FIRST) {
			path_punch_cand(p, 0, p->o->punch_ttl, 0, now_us);
			p->public_punch = PATH_PUBLIC_DELAY;
			/* counted from this punch, not from the INTRO: the time
			 * each host takes to read an INTRO and set up the session
			 * before this punch cancels out between the two */
			p->public_normal_at = now_us + (p->peer_opened ? 0 : p->public_wait);
			opened = true;
			continue;
		}
		if (i == 0 && now_us < p->public_normal_at)
			continue;
		if (i == 0)
			p->public_punch = PATH_PUBLIC_NORMAL;
		path_punch_cand(p, i, 0, (unsigned)i, now_us);
	}
	/* a peer-reflexive endpoint (symmetric NAT) is not among the candidates */
	if (direct && !sent_peer)
		path_punch(p, &p->ep, 0, CAND_PEER, PATH_CAND_PEER, now_us);
	return opened;
}

/* Fatal: before the first connection an error, afterwards the peer is lost. */
static enum path_verdict path_give_up(struct path *p, uint64_t now, const char *why)
{
	path_set(p, path_was_connected(p->state) ? PATH_LOST : PATH_UNREACHABLE, now, why, NULL);
	return PATH_GAVE_UP;
}

/* Not connected directly: relaying, or its absence, bounds the wait. */
static enum path_verdict path_punch_expired(struct path *p, uint64_t now, uint64_t *wake)
{
	uint64_t limit = (uint64_t)p->o->timeout_s * 1000;
	uint64_t deadline = p->t_intro + limit;
	char why[96];

	if (!path_via_relay(p->state) && path_relay_allowed(p)) {
		/* relaying has not started yet: it will, punching cannot fail */
		path_wake_at(wake, p->relay_at);
		return PATH_GOING;
	}
	if (path_via_relay(p->state)) {
		/* the relay gets its own --timeout to bring an answer */
		if (p->state == PATH_RELAYED)
			return PATH_GOING;
		if (now >= p->relay_at + limit) {
			snprintf(why, sizeof(why), "could not reach peer %s directly or through the relay",
				 p->nick);
			return path_give_up(p, now, why);
		}
		path_wake_at(wake, p->relay_at + limit);
		return PATH_GOING;
	}
	if (now >= deadline) {
		snprintf(why, sizeof(why), "could not reach peer %s: punching timed out", p->nick);
		return path_give_up(p, now, why);
	}
	path_wake_at(wake, deadline);
	return PATH_GOING;
}

static uint64_t path_punch_interval(const struct path *p, uint64_t now)
{
	if (p->state == PATH_RELAYED)
		return now - p->t_intro < RELAY_PUNCH_FAST_FOR_MS ? PUNCH_SLOW_MS : RELAY_PUNCH_MS;
	if (now - p->t_intro < PUNCH_FAST_FOR_MS)
		return PUNCH_FAST_MS;
	return PUNCH_SLOW_MS;
}

/* Relaying starts --relay-after the introduction (or the reconnect). */
static void path_maybe_relay(struct path *p, uint64_t now)
{
	char why[48];

	if (!path_relay_allowed(p) || now < p->relay_at)
		return;
	snprintf(why, sizeof(why), "relay after %llu ms", (unsigned long long)(now - p->t_intro));
	if (p->state == PATH_PUNCHING)
		path_set(p, PATH_RELAYING, now, why, NULL);
	else if (p->state == PATH_RECONNECTING)
		path_set(p, PATH_RECONNECTING_RELAY, now, why, NULL);
}

enum path_verdict path_punch_tick(struct path *p, uint64_t now_us, uint64_t *wake)
{
	uint64_t now = now_us / 1000;
	uint64_t deadline = p->t_intro + (uint64_t)p->o->timeout_s * 1000;
	bool direct = path_is_direct(p->state), opened = false;

	if (!path_is_introduced(p->state) || p->state == PATH_CONFIRMED)
		return PATH_GOING;
	if (direct && now >= deadline) {
		/* stop punching; liveness takes over */
		path_set(p, PATH_CONFIRMED, now, "direct for --timeout: punching stops", NULL);
		return PATH_GOING;
	}
	if (!direct) {
		path_maybe_relay(p, now);
		if (path_punch_expired(p, now, wake) == PATH_GAVE_UP)
			return PATH_GAVE_UP;
	}
	if (!p->o->force_relay && p->public_punch == PATH_PUBLIC_DELAY &&
	    now_us >= p->public_normal_at) {
		path_punch_cand(p, 0, 0, 0, now_us);
		p->public_punch = PATH_PUBLIC_NORMAL;
	}
	if (now >= p->punch_next) {
		if (!p->o->force_relay)
			opened = path_punch_round(p, now_us);
		/* until the peer answers through the relay, ask it there too */
		if (p->state == PATH_RELAYING || p->state == PATH_RECONNECTING_RELAY)
			path_punch(p, NULL, 0, CAND_RELAY, PATH_CAND_RELAY, now_us);
		p->punch_next = now + path_punch_interval(p, now);
	}
	path_wake_at(wake, p->punch_next);
	if (p->public_punch != PATH_PUBLIC_NORMAL && !p->o->force_relay)
		path_wake_at(wake, (p->public_normal_at + 999) / 1000); /* wake is in ms */
	if (direct)
		path_wake_at(wake, deadline);
	/* the peer waits for this word only if the server passes it on */
	return opened && p->timed ? PATH_OPENED : PATH_GOING;
}

static void path_keepalive(struct path *p, uint64_t now_us)
{
	struct hp_peer_msg m;

	memset(&m, 0, sizeof(m));
	m.type = HP_KEEPALIVE;
	path_send(p, &m, now_us);
}

enum path_verdict path_live_tick(struct path *p, uint64_t now_us, uint64_t rto_ms, uint64_t *wake)
{
	uint64_t now = now_us / 1000, ka = p->o->keepalive_ms;
	uint64_t stall = STALL_RTOS * rto_ms > STALL_MIN_MS ? STALL_RTOS * rto_ms : STALL_MIN_MS;
	uint64_t probe = rto_ms > PROBE_MIN_MS ? rto_ms : PROBE_MIN_MS, at;
	char why[96];

	/* on idle time too: this is what keeps the NAT mappings open */
	if (now >= p->last_send + ka)
		path_keepalive(p, now_us);
	path_wake_at(wake, p->last_send + ka);
	if (path_is_reconnecting(p->state) || !p->await_since)
		return PATH_GOING;
	if (now >= p->await_since + stall) {
		snprintf(why, sizeof(why), "no answer from %s for %llu ms", p->nick,
			 (unsigned long long)(now - p->await_since));
		return path_reconnect(p, now, why);
	}
	path_wake_at(wake, p->await_since + stall);
	/* an answer is overdue: ask at RTO pace, so a dead path shows soon */
	at = p->last_send > p->await_since ? p->last_send : p->await_since;
	if (now >= at + probe) {
		path_keepalive(p, now_us);
		at = now;
	}
	path_wake_at(wake, at + probe);
	return PATH_GOING;
}
