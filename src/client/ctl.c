// SPDX-License-Identifier: MIT
/*
 * ctl.c owns struct ctl: the registration state and its timers, and the
 * decoding of the server's control messages. It calls down only: wire.c to
 * send, output.c for events. An INTRO or a refusal comes back as a verdict
 * for the driver (client.c) to act on.
 */
#include <string.h>

#include "client/ctl.h"

#define REG_FIRST_MS   200
#define REG_MAX_MS     2000
#define REG_WAITING_MS 2000 /* refresh while waiting for the peer */
#define MAP_WAIT_MS    1000 /* the verdict's answers: no longer than this */
#define NUDGE_MIN_MS   1000 /* at most one REGISTER a second for stray peer datagrams */

void ctl_init(struct ctl *ctl, const struct client_opts *o, const struct output *out,
	      const uint8_t pk[HP_KEY_LEN], const struct hp_endpoint *priv, size_t n_priv,
	      uint64_t t_start)
{
	memset(ctl, 0, sizeof(*ctl));
	ctl->state = CTL_REGISTERING;
	ctl->o = o;
	ctl->out = out;
	memcpy(ctl->pk, pk, HP_KEY_LEN);
	ctl->n_priv = n_priv < HP_MAX_PRIV ? n_priv : HP_MAX_PRIV;
	if (ctl->n_priv)
		memcpy(ctl->priv, priv, ctl->n_priv * sizeof(*priv));
	ctl->t_start = t_start;
	ctl->reg_interval = REG_FIRST_MS;
	ctl->reg_next = t_start;
	natmap_init(&ctl->map);
	if (!o->no_spray)
		ctl->map_until = t_start + MAP_WAIT_MS;
}

/* The second verdict request's destination: the server's alternate
 * address at the server's port (RFC 5780 s.4.3, test II). */
static struct hp_endpoint ctl_map_alt(const struct ctl *ctl, const struct wire *w)
{
	struct hp_endpoint alt = ctl->map.other;

	alt.port = w->server.port;
	return alt;
}

bool ctl_is_map_dest(const struct ctl *ctl, const struct wire *w, const struct hp_endpoint *to)
{
	struct hp_endpoint alt = ctl_map_alt(ctl, w);

	return ctl->map.have_other && hp_endpoint_equal(to, &alt);
}

/* The verdict's requests, while it is wanted and unknown: the first to
 * the server, the second once the first answer named the alternate. */
static void ctl_send_map(struct ctl *ctl, struct wire *w, uint64_t now)
{
	uint8_t buf[STUN_ANSWER_MAX + 4];
	struct hp_endpoint to;
	unsigned i;
	int n;

	if (now >= ctl->map_until || ctl->map.verdict != HP_MAP_UNKNOWN)
		return;
	for (i = 0; i < NATMAP_N; i++) {
		if (ctl->map.got[i] || (i == 1 && !ctl->map.have_other))
			continue;
		to = i == 0 ? w->server : ctl_map_alt(ctl, w);
		n = natmap_request(&ctl->map, i, buf, sizeof(buf));
		if (n > 0 && wire_send_raw(w, &to, buf, (size_t)n, 0) < 0)
			out_debug(ctl->out, "mapping request %u send failed", i);
	}
}

static int ctl_send_flagged(struct ctl *ctl, struct wire *w, uint16_t flags, uint64_t now)
{
	uint8_t buf[HP_MAX_DATAGRAM];
	struct hp_msg m;
	int n;

	memset(&m, 0, sizeof(m));
	m.hdr.type = HP_REGISTER;
	m.hdr.flags = HP_FLAG_TIMING | flags; /* we read an INTRO's timing (path.c) */
	memcpy(m.u.reg.token, w->token, HP_TOKEN_LEN);
	memcpy(m.u.reg.pubkey, ctl->pk, HP_KEY_LEN);
	memcpy(m.u.reg.room, ctl->o->room, sizeof(m.u.reg.room));
	memcpy(m.u.reg.nick, ctl->o->nick, sizeof(m.u.reg.nick));
	m.u.reg.n_priv = (uint8_t)ctl->n_priv;
	memcpy(m.u.reg.priv, ctl->priv, sizeof(m.u.reg.priv));
	m.u.reg.pad_to = HP_REGISTER_MIN;
	m.u.reg.mapping = (uint8_t)ctl->map.verdict;
	if (ctl->have_cookie) {
		m.u.reg.cookie_len = HP_COOKIE_LEN;
		memcpy(m.u.reg.cookie, ctl->cookie, HP_COOKIE_LEN);
	}
	n = hp_msg_encode(&m, buf, sizeof(buf));
	if (n < 0) {
		out_error(ctl->out, "cannot encode register: %s", strerror(-n));
		return n;
	}
	if (wire_send_raw(w, &w->server, buf, (size_t)n, 0) < 0)
		out_debug(ctl->out, "register send failed");
	ctl->reg_last_sent = now;
	return 0;
}

static int ctl_send_register(struct ctl *ctl, struct wire *w, uint64_t now)
{
	return ctl_send_flagged(ctl, w, 0, now);
}

void ctl_opened(struct ctl *ctl, struct wire *w, uint64_t now)
{
	/* a refresh that says so: the server passes it on to the peer */
	ctl_send_flagged(ctl, w, HP_FLAG_OPENED, now);
}

void ctl_unreachable(struct ctl *ctl, const struct wire *w, const char *words)
{
	char b[HP_ENDPOINT_STRLEN];

	hp_endpoint_format(&w->server, b, sizeof(b));
	switch (ctl->state) {
	case CTL_REGISTERING:
		/* a stopped server answers at once with port unreachable; it
		 * may be starting, so --timeout still bounds the retries */
		if (!ctl->unreach)
			out_warning(ctl->out, "no hpserver answering at %s (%s); still trying for "
				    "up to %u s", b, words, ctl->o->timeout_s);
		ctl->unreach = words;
		return;
	case CTL_REREGISTERING:
		if (!ctl->unreach)
			out_warning(ctl->out, "no hpserver answering at %s (%s); still trying",
				    b, words);
		ctl->unreach = words;
		return;
	case CTL_REGISTERED:
		/* a refresh: the chat does not need the server (docs/hpclient.md 5c) */
		out_debug(ctl->out, "server %s: %s", b, words);
		return;
	}
}

void ctl_leave(struct ctl *ctl, struct wire *w)
{
	uint8_t buf[HP_MAX_DATAGRAM];
	struct hp_msg m;
	int n;

	if (ctl->state == CTL_REGISTERING)
		return;
	memset(&m, 0, sizeof(m));
	m.hdr.type = HP_LEAVE;
	memcpy(m.u.leave.token, w->token, HP_TOKEN_LEN);
	memcpy(m.u.leave.room, ctl->o->room, sizeof(m.u.leave.room));
	n = hp_msg_encode(&m, buf, sizeof(buf));
	if (n > 0)
		wire_send_raw(w, &w->server, buf, (size_t)n, 0);
}

int ctl_nudge(struct ctl *ctl, struct wire *w, uint64_t now)
{
	/* what asks for it is not authenticated (no session before the
	 * intro): anyone can send it, so it earns one REGISTER per
	 * retransmission timeout (RFC 6298's initial 1 s), not one each */
	if (ctl->state == CTL_REGISTERING || now < ctl->reg_last_sent + NUDGE_MIN_MS)
		return 0;
	return ctl_send_register(ctl, w, now);
}

void ctl_introduced(struct ctl *ctl, uint64_t now)
{
	ctl->reg_next = now + ctl->o->keepalive_ms;
}

void ctl_reregister(struct ctl *ctl, uint64_t now)
{
	ctl->state = CTL_REREGISTERING;
	ctl->reg_interval = REG_FIRST_MS;
	ctl->reg_next = now;
}

static void ctl_schedule(struct ctl *ctl, enum path_state peer, uint64_t now)
{
	switch (ctl->state) {
	case CTL_REGISTERING:
	case CTL_REREGISTERING:
		ctl->reg_next = now + ctl->reg_interval;
		ctl->reg_interval = ctl->reg_interval * 2 > REG_MAX_MS ? REG_MAX_MS
								   : ctl->reg_interval * 2;
		break;
	case CTL_REGISTERED:
		if (!path_is_introduced(peer))
			ctl->reg_next = now + REG_WAITING_MS;
		else
			/* unanswered refreshes are fine: the chat does not need
			 * the server, and a restarted one learns us again here */
			ctl->reg_next = now + ctl->o->keepalive_ms;
		break;
	}
}

enum ctl_verdict ctl_tick(struct ctl *ctl, struct wire *w, enum path_state peer, uint64_t now,
			  uint64_t *wake)
{
	char b[HP_ENDPOINT_STRLEN];
	uint64_t deadline = ctl->t_start + (uint64_t)ctl->o->timeout_s * 1000;

	if (ctl->state == CTL_REGISTERING && now >= deadline) {
		out_error(ctl->out, "no answer from server %s after %u s%s%s%s",
			  hp_endpoint_format(&w->server, b, sizeof(b)), ctl->o->timeout_s,
			  ctl->unreach ? " (" : "", ctl->unreach ? ctl->unreach : "",
			  ctl->unreach ? ")" : "");
		return CTL_FATAL;
	}
	if (now >= ctl->reg_next) {
		if (ctl->state == CTL_REGISTERING)
			ctl_send_map(ctl, w, now);
		if (ctl_send_register(ctl, w, now) < 0)
			return CTL_FATAL;
		ctl_schedule(ctl, peer, now);
	}
	path_wake_at(wake, ctl->reg_next);
	if (ctl->state == CTL_REGISTERING)
		path_wake_at(wake, deadline);
	return CTL_NOTHING;
}

/* intro: the answer was an INTRO, so nobody is waited for. */
static void ctl_registered(struct ctl *ctl, const struct hp_endpoint *refl, bool intro,
			   enum path_state peer, uint64_t now)
{
	ctl->unreach = NULL;
	switch (ctl->state) {
	case CTL_REREGISTERING:
		ctl->state = CTL_REGISTERED;
		ctl->reg_next = now + (path_is_introduced(peer) ? ctl->o->keepalive_ms
								: REG_WAITING_MS);
		return;
	case CTL_REGISTERED:
		return;
	case CTL_REGISTERING:
		break;
	}
	ctl->state = CTL_REGISTERED;
	ctl->reflexive = *refl;
	ctl->server_rtt = now - ctl->reg_last_sent;
	ctl->reg_next = now + REG_WAITING_MS;
	out_registered(ctl->out, refl, now - ctl->t_start, intro ? NULL : ctl->o->room);
}

/* The server wants proof that we receive where we send from: keep its
 * cookie and register again with it, at once, but at most every 100 ms
 * (a COOKIE cannot make us send more than that). */
static void ctl_cookie(struct ctl *ctl, struct wire *w, const struct hp_cookie *c, uint64_t now)
{
	memcpy(ctl->cookie, c->cookie, HP_COOKIE_LEN);
	ctl->have_cookie = true;
	if (ctl->cookie_answered && now < ctl->cookie_answered + 100)
		return;
	ctl->cookie_answered = now;
	out_debug(ctl->out, "server asks for return routability: registering with its cookie");
	ctl_send_register(ctl, w, now);
}

void ctl_stun(struct ctl *ctl, struct wire *w, const uint8_t *buf, size_t len, uint64_t now)
{
	bool had_other = ctl->map.have_other;

	if (!natmap_input(&ctl->map, buf, len)) {
		/* the first answer named the alternate: the second request now */
		if (!had_other && ctl->map.have_other)
			ctl_send_map(ctl, w, now);
		return;
	}
	out_debug(ctl->out, "our mapping is %s", natmap_name(ctl->map.verdict));
	/* a registration that went without it is refreshed at once: the
	 * server passes a new verdict on to the peer (docs/protocol.md).
	 * Never held back: the server times the cookie's round trip. */
	if (ctl->have_cookie)
		ctl_send_register(ctl, w, now);
}

static enum ctl_verdict ctl_error(struct ctl *ctl, const struct hp_error *e, enum path_state peer)
{
	if (e->code == HP_ERR_QUOTA)
		return CTL_RELAY_REFUSED;
	if (path_was_connected(peer)) {
		/* the chat does not need the server any more, even while it
		 * reconnects: a refusal (a restarted server that is full) is
		 * news, not the end */
		out_warning(ctl->out, "server error: %s", e->reason);
		return CTL_NOTHING;
	}
	if (e->code == HP_ERR_ROOM_FULL)
		out_error(ctl->out, "room \"%s\" is full: two peers already hold it", ctl->o->room);
	else
		out_error(ctl->out, "server refused: %s (code %u)", e->reason, e->code);
	return CTL_FATAL;
}

enum ctl_verdict ctl_handle(struct ctl *ctl, struct wire *w, const uint8_t *buf, size_t len,
			    enum path_state peer, uint64_t now, struct ctl_news *news)
{
	struct hp_msg *m = &news->msg;
	const uint8_t *token = w->token;

	news->self_moved = false;
	if (hp_msg_decode(m, buf, len) < 0)
		goto stray;
	switch (m->hdr.type) {
	case HP_REGISTERED:
		if (memcmp(m->u.registered.token, token, HP_TOKEN_LEN))
			break;
		ctl_registered(ctl, &m->u.registered.reflexive, false, peer, now);
		return CTL_NOTHING;
	case HP_INTRO:
		if (memcmp(m->u.intro.token, token, HP_TOKEN_LEN))
			break;
		news->self_moved = ctl->state != CTL_REGISTERING &&
				   !hp_endpoint_equal(&ctl->reflexive, &m->u.intro.reflexive);
		ctl_registered(ctl, &m->u.intro.reflexive, true, peer, now);
		ctl->reflexive = m->u.intro.reflexive;
		return CTL_INTRO;
	case HP_ERROR:
		/* only an answer to our own request: the server always echoes
		 * the token, so one without it (zeros) is forged */
		if (memcmp(m->u.error.token, token, HP_TOKEN_LEN))
			break;
		return ctl_error(ctl, &m->u.error, peer);
	case HP_COOKIE:
		if (memcmp(m->u.cookie.token, token, HP_TOKEN_LEN))
			break;
		ctl_cookie(ctl, w, &m->u.cookie, now);
		return CTL_NOTHING;
	default:
		break;
	}
stray:
	wire_drop(w, CLIENT_DROP_STRAY);
	return CTL_NOTHING;
}
