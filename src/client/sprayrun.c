// SPDX-License-Identifier: MIT
/*
 * sprayrun.c: the birthday spray of one introduction (sprayrun.h).
 */
#include <sodium.h>
#include <string.h>

#include "client/natmap.h"
#include "client/sprayrun.h"
#include "spray_defaults.h"

#define SPRAY_START_US  100000u /* the spray starts this long after the introduction */
#define SPRAY_LINGER_US 2000000u /* hard side: sockets stay this long past the
				  * easy side's whole budget (N / R) */

static uint32_t sprayrun_rand(uint32_t upper)
{
	return randombytes_uniform(upper); /* libsodium: no modulo bias */
}

void sprayrun_init(struct sprayrun *s, const struct client_opts *o, const struct output *out,
		   struct wire *w)
{
	memset(s, 0, sizeof(*s));
	s->o = o;
	s->out = out;
	s->w = w;
}

/* What a spray of the configured budget may expect (spray_defaults.h). */
static double sprayrun_chance(unsigned ports, unsigned probes, bool both_hard)
{
	return both_hard ? hp_spray_p_hard_hard(probes, HP_SPRAY_PORT_RANGE)
			 : hp_spray_p_easy_hard(ports, probes, HP_SPRAY_PORT_RANGE);
}

static void sprayrun_start_hard(struct sprayrun *s, uint64_t now_us)
{
	struct hp_peer_msg m;
	size_t i, sent = 0;
	int ret;

	ret = sprayset_open(&s->set, s->o->spray_ports);
	if (ret < 0) {
		out_warning(s->out, "birthday spray: cannot open sockets: %s", strerror(-ret));
		return;
	}
	for (i = 0; i < s->set.n; i++) {
		memset(&m, 0, sizeof(m));
		m.type = HP_PUNCH;
		m.u.punch.id = now_us << 8 | PATH_PUNCH_OPENER;
		m.u.punch.ttl = 64;
		if (wire_send_fd(s->w, &m, &s->peer, s->set.fd[i]) == 0)
			sent++;
	}
	s->hard_on = true;
	s->hard_until_us = now_us + (uint64_t)s->o->spray_probes * 1000000u / s->o->spray_rate +
			   SPRAY_LINGER_US;
	out_spray_hard(s->out, s->set.n);
	out_debug(s->out, "birthday spray: %zu openers out of %zu sockets", sent, s->set.n);
}

static void sprayrun_start_easy(struct sprayrun *s, uint64_t now_us)
{
	spray_sched_init(&s->sched, s->o->spray_probes, s->o->spray_rate, now_us, sprayrun_rand);
	s->easy_on = true;
	out_spray_easy(s->out, s->sched.budget, s->sched.rate);
}

/* The roles, once both verdicts are known. */
static void sprayrun_decide(struct sprayrun *s, const struct hp_intro *in, uint64_t now_us)
{
	bool self_hard = in->mapping == HP_MAP_HARD, peer_hard = in->peer_mapping == HP_MAP_HARD;

	s->decided = true;
	if ((!self_hard && !peer_hard) || s->o->force_relay)
		return; /* nothing to spray for: today's punching does it */
	if (s->o->no_spray) {
		out_spray_end(s->out, self_hard ? "hard" : "easy", 0, "no-spray", -1.0);
		return;
	}
	if (self_hard && peer_hard && !s->o->spray_hard_hard) {
		out_spray_end(s->out, "hard", 0, "hard-hard",
			      sprayrun_chance(s->o->spray_ports, s->o->spray_probes, true));
		return;
	}
	/* both hard (--spray-hard-hard): each side plays both parts; not at
	 * once: where ordinary punching works (a cone that filters by address
	 * only) it wins within a few round trips, and the K sockets are not
	 * opened before the first punches are out (sprayrun_tick) */
	s->pending_hard = self_hard;
	s->pending_easy = peer_hard;
	s->start_us = now_us + SPRAY_START_US;
	out_debug(s->out, "birthday spray: %.1f %% expected",
		  100.0 * sprayrun_chance(s->o->spray_ports, s->o->spray_probes,
					  self_hard && peer_hard));
}

void sprayrun_intro(struct sprayrun *s, const struct hp_intro *in, uint64_t now_us)
{
	sprayrun_free(s);
	s->decided = false;
	s->peer = in->peer_public;
	s->t_intro_us = now_us;
	out_nat(s->out, natmap_name(in->mapping), natmap_name(in->peer_mapping));
	if (in->mapping != HP_MAP_UNKNOWN && in->peer_mapping != HP_MAP_UNKNOWN)
		sprayrun_decide(s, in, now_us);
}

void sprayrun_reintro(struct sprayrun *s, const struct hp_intro *in, const struct path *p,
		      uint64_t now_us)
{
	if (s->decided || path_is_direct(p->state) || in->mapping == HP_MAP_UNKNOWN ||
	    in->peer_mapping == HP_MAP_UNKNOWN)
		return;
	s->peer = in->peer_public;
	out_nat(s->out, natmap_name(in->mapping), natmap_name(in->peer_mapping));
	sprayrun_decide(s, in, now_us);
}

static void sprayrun_stop_easy(struct sprayrun *s, const char *why)
{
	if (!s->easy_on)
		return;
	spray_sched_stop(&s->sched);
	s->easy_on = false;
	out_spray_end(s->out, "easy", s->sched.sent, why, -1.0);
}

static void sprayrun_stop_hard(struct sprayrun *s, const char *why)
{
	if (!s->hard_on)
		return;
	s->hard_on = false;
	if (!s->won)
		sprayset_close(&s->set);
	out_spray_end(s->out, "hard", s->set.n, why, -1.0);
}

/* Direct to the peer's public address at a port other than the one the
 * server saw: the path came through the spray. */
static bool sprayrun_via_spray(const struct sprayrun *s, const struct hp_endpoint *ep)
{
	return hp_endpoint_same_addr(ep, &s->peer) && ep->port != s->peer.port;
}

static void sprayrun_probe(struct sprayrun *s, uint16_t port)
{
	struct hp_endpoint to = s->peer;
	struct hp_peer_msg m;

	memset(&m, 0, sizeof(m));
	m.type = HP_PUNCH;
	/* the port travels in the id: the hard side learns its winning port */
	m.u.punch.id = (uint64_t)port << 8 | PATH_PUNCH_PROBE;
	m.u.punch.ttl = 64;
	to.port = port;
	wire_send(s->w, &m, &to, 0);
}

static void sprayrun_easy_tick(struct sprayrun *s, const struct path *p, uint64_t now_us,
			       uint64_t *wake_ms)
{
	uint64_t next_us;
	uint16_t port;

	if (path_is_direct(p->state)) {
		if (sprayrun_via_spray(s, &p->ep))
			out_spray_hit(s->out, "easy", p->ep.port, s->sched.sent,
				      (now_us - s->t_intro_us) / 1000);
		sprayrun_stop_easy(s, sprayrun_via_spray(s, &p->ep) ? "hit" : "connected");
		return;
	}
	while ((port = spray_sched_next(&s->sched, now_us, &next_us)) != 0)
		sprayrun_probe(s, port);
	if (spray_sched_done(&s->sched)) {
		sprayrun_stop_easy(s, "budget");
		return;
	}
	path_wake_at(wake_ms, (next_us + 999) / 1000);
}

/* The spray's start, SPRAY_START_US after the introduction, unless the
 * path is direct by then (no spray at all). */
static void sprayrun_maybe_start(struct sprayrun *s, const struct path *p, uint64_t now_us,
				 uint64_t *wake_ms)
{
	if (!s->pending_easy && !s->pending_hard)
		return;
	if (now_us < s->start_us) {
		path_wake_at(wake_ms, (s->start_us + 999) / 1000);
		return;
	}
	if (!path_is_direct(p->state)) {
		if (s->pending_hard)
			sprayrun_start_hard(s, now_us);
		if (s->pending_easy)
			sprayrun_start_easy(s, now_us);
	}
	s->pending_easy = s->pending_hard = false;
}

void sprayrun_tick(struct sprayrun *s, const struct path *p, uint64_t now_us, uint64_t *wake_ms)
{
	sprayrun_maybe_start(s, p, now_us, wake_ms);
	if (s->easy_on)
		sprayrun_easy_tick(s, p, now_us, wake_ms);
	if (!s->hard_on)
		return;
	if (s->won) {
		sprayrun_stop_hard(s, "hit");
	} else if (path_is_direct(p->state)) {
		sprayrun_stop_hard(s, "connected");
	} else if (now_us >= s->hard_until_us) {
		sprayrun_stop_hard(s, "budget");
	} else {
		path_wake_at(wake_ms, (s->hard_until_us + 999) / 1000);
	}
}

void sprayrun_won(struct sprayrun *s, size_t idx, const struct hp_peer_msg *m,
		  const struct hp_endpoint *from, uint64_t now_us)
{
	uint16_t port = 0;

	if (s->won || idx >= s->set.n)
		return;
	if (m->type == HP_PUNCH && (m->u.punch.id & 0xff) == PATH_PUNCH_PROBE)
		port = (uint16_t)(m->u.punch.id >> 8);
	s->won = true;
	wire_use_socket(s->w, s->set.fd[idx], from);
	sprayset_keep(&s->set, idx);
	out_spray_hit(s->out, "hard", port, s->o->spray_ports, (now_us - s->t_intro_us) / 1000);
}

bool sprayrun_probed(const struct sprayrun *s, const struct hp_endpoint *to)
{
	return s->sched.sent && hp_endpoint_same_addr(to, &s->peer) &&
	       spray_sched_probed(&s->sched, to->port);
}

void sprayrun_free(struct sprayrun *s)
{
	if (s->won && s->w->direct_fd == s->set.fd[0])
		s->w->direct_fd = -1;
	sprayset_close(&s->set);
	s->easy_on = s->hard_on = s->won = false;
	s->pending_easy = s->pending_hard = false;
	s->sched.sent = 0;
}
