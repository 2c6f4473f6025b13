// SPDX-License-Identifier: MIT
/*
 * The clients' side of `labrun run`: every line a child prints, parsed as
 * an hpclient --json event (docs/hpclient.md) and checked against what
 * the lab built (the path must be direct to the peer's router, or relayed
 * by the server); hpclient --probe's verdict against the real router.
 * Everything goes into the side's state and the report.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "endpoint.h"
#include "event.h"
#include "nat.h"
#include "plan.h"
#include "report.h"
#include "scenario_int.h"

static struct side *side_of(struct run *r, struct lab_proc *p)
{
	for (int i = 0; i < RUN_SIDES; i++)
		if (p == &r->side[i].proc)
			return &r->side[i];
	return NULL;
}

static struct side *prober_of(struct run *r, struct lab_proc *p)
{
	for (int i = 0; i < RUN_SIDES; i++)
		if (p == &r->side[i].probe)
			return &r->side[i];
	return NULL;
}

/* Is ep ("IP:PORT") at the address addr? */
static bool ep_at(const char *ep, const char *addr)
{
	struct hp_endpoint e, want;

	if (hp_endpoint_parse(&e, ep, -1) < 0 || hp_endpoint_parse(&want, addr, 0) < 0)
		return false;
	return hp_endpoint_same_addr(&e, &want);
}

static void on_message(struct run *r, struct side *s, const struct lab_event *ev)
{
	char want[64];

	snprintf(want, sizeof(want), "hello %u from %s", s->rep->received + 1, s->other_nick);
	if (strcmp(ev->from, s->other_nick))
		lab_report_fail(r->rep, LAB_RESULT_FAIL, "%s got a message from '%.32s', not %s",
				s->nick, ev->from, s->other_nick);
	else if (strcmp(ev->text, want))
		lab_report_fail(r->rep, LAB_RESULT_FAIL,
				"%s got '%.80s' where '%s' was due (lost, duplicated or reordered)",
				s->nick, ev->text, want);
	else if (s->last_rx_seq >= 0 && ev->seq <= s->last_rx_seq)
		lab_report_fail(r->rep, LAB_RESULT_FAIL, "%s got seq %lld after %lld", s->nick,
				(long long)ev->seq, (long long)s->last_rx_seq);
	s->last_rx_seq = ev->seq;
	s->rep->received++;
	run_other(r, s)->rep->delivered = s->rep->received;
	if (s->rep->received == s->want)
		lab_report_step(r->rep, "%s received all %u of %s's lines", s->nick, s->want,
				s->other_nick);
}

/* A relayed path must go through the server; a direct one to the peer's
 * router (behind one CGN: the CGN's address), never the server's address; on one LAN, to the peer's router
 * (hairpinned) or to the peer itself (its host candidate). */
static void check_path(struct run *r, struct side *s, const struct lab_event *ev)
{
	const struct lab_plan *p = r->topo->plan;
	/* a shared CGN's public address is rA's of the home plan (plan.c) */
	const char *other_pub = lab_plan_public_addr(p->shared_cgn ? LAB_NODE_RA :
						     lab_plan_router_in(p, run_other(r, s)->host));
	const char *other_priv = p->one_router && !p->isolated ?
		lab_plan_host_addr_in(p, run_other(r, s)->host) : NULL;

	if (!strcmp(ev->path, "relay")) {
		if (!ep_at(ev->peer, lab_plan_server_addr()))
			lab_report_fail(r->rep, LAB_RESULT_FAIL, "%s relays through %s, not the server",
					s->nick, ev->peer);
	} else if (strcmp(ev->path, "direct")) {
		lab_report_fail(r->rep, LAB_RESULT_FAIL, "%s's path is '%.15s'", s->nick, ev->path);
	} else if (ep_at(ev->peer, r->server_ep))
		lab_report_fail(r->rep, LAB_RESULT_FAIL,
				"%s talks to the server's address %s, not to %s", s->nick, ev->peer,
				s->other_nick);
	else if (!ep_at(ev->peer, other_pub) && !(other_priv && ep_at(ev->peer, other_priv)))
		lab_report_fail(r->rep, LAB_RESULT_FAIL, "%s's peer %s is not %s's router (%s)",
				s->nick, ev->peer, s->other_nick, other_pub);
}

static void on_connected(struct run *r, struct side *s, const struct lab_event *ev)
{
	/* the time to a working path is the first one's; the path is the
	 * last one's: a relayed chat may be upgraded to direct later */
	if (!s->connected)
		s->rep->connect_ms = ev->ms;
	if (!strcmp(ev->path, "direct") && s->rep->direct_ms < 0)
		s->rep->direct_ms = ev->ms;
	s->connected = true;
	s->rep->connects++;
	snprintf(s->rep->path, sizeof(s->rep->path), "%s", ev->path);
	/* an endpoint here, never a nick */
	snprintf(s->rep->peer_ep, sizeof(s->rep->peer_ep), "%.63s", ev->peer);
	if (!strcmp(ev->path, "relay"))
		lab_report_step(r->rep, "%s connected (relay) to %s through the server at %s, "
				"%lld ms after the introduction: no direct path yet",
				s->nick, s->other_nick, ev->peer, (long long)ev->ms);
	else
		lab_report_step(r->rep, "%s connected (%s) to %s at %s, %lld ms after the "
				"introduction", s->nick, ev->path, s->other_nick, ev->peer,
				(long long)ev->ms);
	check_path(r, s, ev);
}

static void on_acked(struct run *r, struct side *s, const struct lab_event *ev)
{
	s->acked_events++;
	if (ev->seq > s->max_acked)
		s->max_acked = ev->seq;
	s->rep->acked = s->acked_events;
	/* samples in microseconds: sub-ms precision where the client gives it */
	if (ev->rtt_us >= 0 || ev->rtt_ms >= 0) {
		int64_t us = ev->rtt_us >= 0 ? ev->rtt_us : ev->rtt_ms * 1000;

		if (lab_samples_add(&s->rtt, us) < 0)
			lab_report_fail(r->rep, LAB_RESULT_ERROR, "out of memory");
	}
}

static void on_error(struct run *r, struct side *s, const struct lab_event *ev)
{
	lab_report_step(r->rep, "%s: error: %s", s->nick, ev->reason);
	snprintf(s->error, sizeof(s->error), "%.199s", ev->reason[0] ? ev->reason : "error");
	/* a fault may make errors the expected end (no server at all) */
	if (!lab_fault_has(&r->fault, LAB_FAULT_CLIENTS_FAIL))
		lab_report_fail(r->rep, LAB_RESULT_FAIL, "%s: %s", s->nick, ev->reason);
}

static void on_event(struct run *r, struct side *s, const struct lab_event *ev)
{
	switch (ev->type) {
	case LAB_EV_REGISTERED:
		s->registered = true;
		snprintf(s->rep->public_ep, sizeof(s->rep->public_ep), "%s", ev->public_ep);
		lab_report_step(r->rep, "%s registered; the server sees %s at %s (its NAT mapping of %s)",
				s->nick, s->nick, ev->public_ep, s->rep->private_ep);
		break;
	case LAB_EV_INTRODUCED:
		s->introduced = true;
		lab_report_step(r->rep, "%s introduced to %.32s at %s", s->nick, ev->peer,
				ev->public_ep);
		break;
	case LAB_EV_CONNECTED:
		on_connected(r, s, ev);
		break;
	case LAB_EV_MESSAGE:
		on_message(r, s, ev);
		break;
	case LAB_EV_ACKED:
		on_acked(r, s, ev);
		break;
	case LAB_EV_RETRANSMIT:
		s->retransmits++;
		if (!s->rep->stats_seen)
			s->rep->retransmitted = s->retransmits;
		break;
	case LAB_EV_STATS:
		/* the client's own count is the truth; events may be fewer if
		 * it rate-limits them */
		s->rep->stats_seen = true;
		if (ev->st_retransmitted >= 0)
			s->rep->retransmitted = (unsigned)ev->st_retransmitted;
		break;
	case LAB_EV_RECONNECTING:
		s->rep->reconnects++;
		lab_report_step(r->rep, "%s noticed the path to %s died (%s) and goes back "
				"through the server", s->nick, s->other_nick,
				ev->reason[0] ? ev->reason : "no reason given");
		break;
	case LAB_EV_PEER_MOVED:
		/* an endpoint here, never a nick */
		snprintf(s->rep->peer_ep, sizeof(s->rep->peer_ep), "%.63s", ev->peer);
		s->rep->moves++;
		lab_report_step(r->rep, "%s: %s moved to %s", s->nick, s->other_nick, ev->peer);
		break;
	case LAB_EV_PEER_LOST:
		lab_report_step(r->rep, "%s lost %s: %s", s->nick, s->other_nick, ev->reason);
		lab_report_fail(r->rep, LAB_RESULT_FAIL, "%s lost %s: %s", s->nick, s->other_nick,
				ev->reason);
		break;
	case LAB_EV_ERROR:
		on_error(r, s, ev);
		break;
	case LAB_EV_BYE:
		s->rep->bye = true;
		break;
	case LAB_EV_NAT:
		s->spray_due = !strcmp(ev->self_nat, "easy") && !strcmp(ev->peer_nat, "hard");
		break;
	case LAB_EV_SPRAY_END:
		/* a hit, or a direct path some other way: both go direct soon */
		if (strcmp(ev->reason, "hit") && strcmp(ev->reason, "connected"))
			s->spray_due = false;
		break;
	case LAB_EV_PROBE:
	case LAB_EV_PUNCH:
	case LAB_EV_ICMP:
	case LAB_EV_PATH:
	case LAB_EV_SPRAY:
	case LAB_EV_SPRAY_HIT:
	case LAB_EV_OTHER:
		break;
	}
}

/* The client events the glass box tells (trace.h), one row each; the
 * others (messages, acks, counters) are the narrative's. */
static const struct {
	enum lab_event_type type;
	enum lab_tr_client what;
} trace_rows[] = {
	{ LAB_EV_REGISTERED, LAB_TRC_REGISTERED }, { LAB_EV_INTRODUCED, LAB_TRC_INTRODUCED },
	{ LAB_EV_PUNCH, LAB_TRC_PUNCH },           { LAB_EV_ICMP, LAB_TRC_ICMP },
	{ LAB_EV_PATH, LAB_TRC_PATH },             { LAB_EV_CONNECTED, LAB_TRC_CONNECTED },
	{ LAB_EV_ERROR, LAB_TRC_OTHER },           { LAB_EV_PEER_MOVED, LAB_TRC_OTHER },
	{ LAB_EV_PEER_LOST, LAB_TRC_OTHER },       { LAB_EV_RECONNECTING, LAB_TRC_OTHER },
	{ LAB_EV_NAT, LAB_TRC_NAT },               { LAB_EV_SPRAY, LAB_TRC_SPRAY },
	{ LAB_EV_SPRAY_HIT, LAB_TRC_SPRAY_HIT },   { LAB_EV_SPRAY_END, LAB_TRC_SPRAY_END },
};

/* "IP:PORT" (or a bare IP) into addr and port; nothing on a malformed one. */
static void ep_split(const char *ep, struct in_addr *addr, uint16_t *port)
{
	char ip[INET_ADDRSTRLEN];
	const char *colon = strrchr(ep, ':');
	size_t n = colon ? (size_t)(colon - ep) : strlen(ep);
	char *end;
	unsigned long p = 0;

	if (n >= sizeof(ip))
		return;
	memcpy(ip, ep, n);
	ip[n] = '\0';
	if (colon) {
		p = strtoul(colon + 1, &end, 10);
		if (*end || end == colon + 1 || p > 65535)
			return;
	}
	if (inet_pton(AF_INET, ip, addr) == 1)
		*port = (uint16_t)p;
}

static void trace_text(struct lab_tr_ev *e, const struct lab_event *ev)
{
	switch (ev->type) {
	case LAB_EV_REGISTERED:
		snprintf(e->text, sizeof(e->text), "%.63s", ev->public_ep);
		break;
	case LAB_EV_INTRODUCED:
		snprintf(e->text, sizeof(e->text), "%.32s at %.56s", ev->peer, ev->public_ep);
		break;
	case LAB_EV_PUNCH:
	case LAB_EV_ICMP:
		snprintf(e->text, sizeof(e->text), "%s", ev->what);
		break;
	case LAB_EV_PATH:
		snprintf(e->text, sizeof(e->text), "%.15s -> %.15s%s%.59s", ev->from, ev->to,
			 ev->reason[0] ? ": " : "", ev->reason);
		break;
	case LAB_EV_CONNECTED:
		snprintf(e->text, sizeof(e->text), "%.15s at %.63s", ev->path, ev->peer);
		break;
	case LAB_EV_SPRAY_END:
		snprintf(e->text, sizeof(e->text), "%.40s", ev->reason);
		break;
	case LAB_EV_NAT:
	case LAB_EV_SPRAY:
	case LAB_EV_SPRAY_HIT:
	case LAB_EV_PEER_MOVED:
		snprintf(e->text, sizeof(e->text), "the peer moved to %.63s", ev->peer);
		break;
	case LAB_EV_ERROR:
	case LAB_EV_PEER_LOST:
	case LAB_EV_RECONNECTING:
		snprintf(e->text, sizeof(e->text), "%s: %.80s",
			 ev->type == LAB_EV_ERROR ? "error" :
			 ev->type == LAB_EV_PEER_LOST ? "lost the peer" : "reconnecting", ev->reason);
		break;
	case LAB_EV_MESSAGE:
	case LAB_EV_ACKED:
	case LAB_EV_BYE:
	case LAB_EV_PROBE:
	case LAB_EV_RETRANSMIT:
	case LAB_EV_STATS:
	case LAB_EV_OTHER:
		break;
	}
}

static uint8_t hardness(const char *verdict)
{
	return !strcmp(verdict, "hard") ? LAB_TRH_HARD :
	       !strcmp(verdict, "easy") ? LAB_TRH_EASY : LAB_TRH_UNKNOWN;
}

static uint32_t count_of(int64_t v)
{
	return v < 0 ? 0 : v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* The spray's numbers, and its endpoints from what the server saw: the
 * hard side aims at the easy side's mapping, the easy side probes the
 * hard side's address, and a hit names the hard side's winning port. */
static void trace_spray(struct run *r, const struct side *s, const struct lab_event *ev,
			struct lab_tr_ev *e)
{
	const struct side *o = run_other(r, s);
	const struct side *hard;

	e->a = (struct lab_ct_tuple){ 0 };
	if (ev->type == LAB_EV_NAT) {
		e->role = hardness(ev->self_nat);
		e->peer_role = hardness(ev->peer_nat);
		return;
	}
	e->role = hardness(ev->role);
	hard = e->role == LAB_TRH_HARD ? s : o;
	e->count = count_of(ev->type == LAB_EV_SPRAY && e->role == LAB_TRH_HARD ? ev->sockets :
			    ev->probes);
	e->rate = count_of(ev->rate);
	e->ms = count_of(ev->ms);
	if (ev->type == LAB_EV_SPRAY)
		ep_split(o->rep->public_ep, &e->a.dst, &e->a.dport);
	if (ev->type == LAB_EV_SPRAY_HIT) {
		ep_split(hard->rep->public_ep, &e->a.dst, &e->a.dport);
		e->a.dport = (uint16_t)count_of(ev->port);
	}
}

/* A client's event into the trace, on the run's clock (t_us is
 * CLOCK_MONOTONIC, as the run's t0). */
static void trace_client(struct run *r, const struct side *s, const struct lab_event *ev)
{
	struct lab_trace *t = &r->rep->trace;
	uint64_t t0_us = r->rep->t0 * 1000;
	struct lab_tr_ev e = { .kind = LAB_TR_CLIENT, .node = (uint8_t)s->host,
			       .side = (uint8_t)(s - r->side) };
	size_t i;

	for (i = 0; i < sizeof(trace_rows) / sizeof(trace_rows[0]); i++)
		if (trace_rows[i].type == ev->type)
			break;
	if (!t->on || ev->t_us < 0 || i == sizeof(trace_rows) / sizeof(trace_rows[0]))
		return;
	/* a verdict still unknown at the introduction comes again once known
	 * (hpclient's re-introduction): the story tells the known one only */
	if (ev->type == LAB_EV_NAT && (hardness(ev->self_nat) == LAB_TRH_UNKNOWN ||
				       hardness(ev->peer_nat) == LAB_TRH_UNKNOWN))
		return;
	e.what = (uint8_t)trace_rows[i].what;
	e.us = (uint64_t)ev->t_us > t0_us ? (uint64_t)ev->t_us - t0_us : 0;
	ep_split(s->rep->private_ep, &e.a.src, &e.a.sport);
	if (ev->type == LAB_EV_PUNCH) {
		ep_split(ev->to, &e.a.dst, &e.a.dport);
		e.ttl = (uint8_t)ev->ttl;
	} else if (ev->type == LAB_EV_ICMP) {
		e.a = (struct lab_ct_tuple){ 0 };
		if (ev->from[0])
			ep_split(ev->from, &e.a.src, &e.a.sport);
		ep_split(ev->about, &e.a.dst, &e.a.dport);
		e.icmp_type = (uint8_t)ev->icmp_type;
		e.icmp_code = (uint8_t)ev->icmp_code;
	} else if (ev->type == LAB_EV_CONNECTED || ev->type == LAB_EV_PEER_MOVED) {
		ep_split(ev->peer, &e.a.dst, &e.a.dport);
	} else if (ev->type == LAB_EV_NAT || ev->type == LAB_EV_SPRAY ||
		   ev->type == LAB_EV_SPRAY_HIT || ev->type == LAB_EV_SPRAY_END) {
		trace_spray(r, s, ev, &e);
	}
	trace_text(&e, ev);
	/* the text is the client's: printable ASCII only */
	for (char *c = e.text; *c; c++)
		if (*c < 0x20 || *c > 0x7e)
			*c = '?';
	lab_trace_add(t, &e);
}

/* hpclient --probe's verdict against what the router really is. */
static void on_probe_line(struct run *r, struct side *s, const char *line, size_t len)
{
	struct lab_nat_props props = lab_topo_props(r->topo, s->host);
	const struct lab_nat_personality *want = lab_nat_find_props(&props);
	struct lab_report_side *rs = s->rep;
	struct lab_event ev;

	if (lab_event_parse(&ev, (const uint8_t *)line, len) < 0) {
		lab_report_fail(r->rep, LAB_RESULT_FAIL, "%s's probe printed a line that is not a "
				"valid event: %.60s", s->nick, line);
		return;
	}
	if (ev.type == LAB_EV_ERROR) {
		lab_report_step(r->rep, "%s's probe failed: %s", s->nick, ev.reason);
		return;
	}
	if (ev.type != LAB_EV_PROBE)
		return;
	s->probe_said = true;
	snprintf(rs->probe_nat, sizeof(rs->probe_nat), "%s", ev.nat);
	snprintf(rs->probe_mapping, sizeof(rs->probe_mapping), "%s", ev.mapping);
	snprintf(rs->probe_filtering, sizeof(rs->probe_filtering), "%s", ev.filtering);
	snprintf(rs->probe_public, sizeof(rs->probe_public), "%s", ev.public_ep);
	rs->probe_ms = ev.ms;
	rs->probe_match = want && !strcmp(ev.nat, want->name) &&
			  !strcmp(ev.mapping, lab_mapping_name(want->props.mapping)) &&
			  !strcmp(ev.filtering, lab_filtering_name(want->props.filtering));
	lab_report_step(r->rep, "%s's probe: %s NAT (mapping %s, filtering %s), public %s, "
			"%lld ms: %s", s->nick, ev.nat, ev.mapping, ev.filtering, ev.public_ep,
			(long long)ev.ms,
			rs->probe_match ? "right" : "WRONG, the router is something else");
}

void run_on_line(void *ctx, struct lab_proc *p, int stream, const char *line, size_t len)
{
	struct run *r = ctx;
	struct side *s = side_of(r, p), *pr = prober_of(r, p);
	struct lab_event ev;

	if (pr && stream == 1) {
		if (r->args->verbose > 1)
			fprintf(stderr, "  %s> %.*s\n", p->name, (int)len, line);
		on_probe_line(r, pr, line, len);
		return;
	}
	if (stream == 2 || !s) {
		if (p == &r->server && !r->server_ready && strstr(line, "hpserver: listening on"))
			r->server_ready = true;
		if (r->args->verbose)
			fprintf(stderr, "  %s| %.*s\n", p->name, (int)len, line);
		return;
	}
	if (r->args->verbose > 1)
		fprintf(stderr, "  %s> %.*s\n", p->name, (int)len, line);
	if (lab_event_parse(&ev, (const uint8_t *)line, len) < 0) {
		lab_report_fail(r->rep, LAB_RESULT_FAIL, "%s printed a line that is not a valid event: %.60s",
				s->nick, line);
		return;
	}
	trace_client(r, s, &ev);
	on_event(r, s, &ev);
}
