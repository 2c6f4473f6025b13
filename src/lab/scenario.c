// SPDX-License-Identifier: MIT
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "clock.h"
#include "endpoint.h"
#include "event.h"
#include "nat.h"
#include "nfq.h"
#include "plan.h"
#include "proc.h"
#include "report.h"
#include "scenario.h"
#include "scenario_int.h"
#include "sig.h"
#include "state.h"
#include "theory.h"
#include "topo.h"

#define SERVER_READY_MS 3000
#define CLIENT_TIMEOUT_S 10      /* hpclient --timeout: registration + punch */
#define RUN_BASE_MS 25000        /* whole chat phase, plus a little per line */
#define RUN_PER_MSG_MS 20
#define CLIENT_GRACE_MS 500
#define SERVER_GRACE_MS 1000
#define PROBE_MS 8000            /* both hosts' NAT discovery, at once */

static const char *sig_name(int signo)
{
	switch (signo) {
	case SIGINT: return "SIGINT";
	case SIGTERM: return "SIGTERM";
	case SIGHUP: return "SIGHUP";
	default: return "a signal";
	}
}

static struct side *side_of(struct run *r, struct lab_proc *p)
{
	for (int i = 0; i < RUN_SIDES; i++)
		if (p == &r->side[i].proc)
			return &r->side[i];
	return NULL;
}

static struct side *prober_of(struct run *r, struct lab_proc *p)
{
	return p == &r->side[0].probe ? &r->side[0] : p == &r->side[1].probe ? &r->side[1] : NULL;
}

/* 0 <-> 1, 2 <-> 3 */
static struct side *other_of(struct run *r, struct side *s)
{
	return &r->side[(s - r->side) ^ 1];
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
	other_of(r, s)->rep->delivered = s->rep->received;
	if (s->rep->received == s->want)
		lab_report_step(r->rep, "%s received all %u of %s's lines", s->nick, s->want,
				s->other_nick);
}

static void on_event(struct run *r, struct side *s, const struct lab_event *ev)
{
	struct side *o = other_of(r, s);
	const char *other_pub =
		lab_plan_public_addr(lab_plan_router_in(r->topo->plan, o->host));

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
		/* the time to a working path is the first one's; the path is the
		 * last one's: a relayed chat may be upgraded to direct later */
		if (!s->connected)
			s->rep->connect_ms = ev->ms;
		s->connected = true;
		s->rep->connects++;
		snprintf(s->rep->path, sizeof(s->rep->path), "%s", ev->path);
		snprintf(s->rep->peer_ep, sizeof(s->rep->peer_ep), "%s", ev->peer);
		if (!strcmp(ev->path, "relay"))
			lab_report_step(r->rep, "%s connected (relay) to %s through the server at %s, "
					"%lld ms after the introduction: no direct path yet",
					s->nick, s->other_nick, ev->peer, (long long)ev->ms);
		else
			lab_report_step(r->rep, "%s connected (%s) to %s at %s, %lld ms after the "
					"introduction", s->nick, ev->path, s->other_nick, ev->peer,
					(long long)ev->ms);
		if (!strcmp(ev->path, "relay")) {
			if (!ep_at(ev->peer, lab_plan_server_addr()))
				lab_report_fail(r->rep, LAB_RESULT_FAIL,
						"%s relays through %s, not the server", s->nick,
						ev->peer);
		} else if (strcmp(ev->path, "direct")) {
			lab_report_fail(r->rep, LAB_RESULT_FAIL, "%s's path is '%.15s'", s->nick,
					ev->path);
		} else if (ep_at(ev->peer, r->server_ep))
			lab_report_fail(r->rep, LAB_RESULT_FAIL,
					"%s talks to the server's address %s, not to %s", s->nick,
					ev->peer, s->other_nick);
		else if (!ep_at(ev->peer, other_pub))
			lab_report_fail(r->rep, LAB_RESULT_FAIL,
					"%s's peer %s is not %s's router (%s)", s->nick, ev->peer,
					s->other_nick, other_pub);
		break;
	case LAB_EV_MESSAGE:
		on_message(r, s, ev);
		break;
	case LAB_EV_ACKED:
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
		snprintf(s->rep->peer_ep, sizeof(s->rep->peer_ep), "%s", ev->peer);
		lab_report_step(r->rep, "%s: %s moved to %s", s->nick, s->other_nick, ev->peer);
		break;
	case LAB_EV_PEER_LOST:
		lab_report_step(r->rep, "%s lost %s: %s", s->nick, s->other_nick, ev->reason);
		lab_report_fail(r->rep, LAB_RESULT_FAIL, "%s lost %s: %s", s->nick, s->other_nick,
				ev->reason);
		break;
	case LAB_EV_ERROR:
		lab_report_step(r->rep, "%s: error: %s", s->nick, ev->reason);
		snprintf(s->error, sizeof(s->error), "%s", ev->reason[0] ? ev->reason : "error");
		/* with no server, an error is what the run waits for */
		if (r->args->fault != LAB_FAULT_SERVER_DOWN)
			lab_report_fail(r->rep, LAB_RESULT_FAIL, "%s: %s", s->nick, ev->reason);
		break;
	case LAB_EV_BYE:
		s->rep->bye = true;
		break;
	case LAB_EV_PROBE:
	case LAB_EV_OTHER:
		break;
	}
}

/* hpclient --probe's verdict against what the router really is. */
static void on_probe_line(struct run *r, struct side *s, const char *line, size_t len)
{
	const struct lab_nat_personality *want = r->topo->nat[lab_plan_router_in(r->topo->plan,
									      s->host)];
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

static void on_line(void *ctx, struct lab_proc *p, int stream, const char *line, size_t len)
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
	on_event(r, s, &ev);
}

/* Held packets whose time has come, in every engine. */
static void run_release(struct run *r)
{
	for (int i = 0; i < 2; i++)
		if (r->nfq[i])
			lab_nfq_release_due_us(r->nfq[i], lab_nfq_now_us());
}

void run_pump(struct run *r, int timeout_ms)
{
	struct pollfd pfd[40];
	struct lab_proc *procs[2 + RUN_SIDES + 2];
	int eng_at[2] = { -1, -1 };
	nfds_t n = 0;
	size_t i, np = 0;
	int64_t wait_us = (int64_t)(timeout_ms < 0 ? 0 : timeout_ms) * 1000;
	struct timespec ts;

	pfd[n++] = (struct pollfd){ .fd = r->sigfd, .events = POLLIN };
	if (r->server_started)
		procs[np++] = &r->server;
	for (i = 0; i < RUN_SIDES; i++) {
		if (r->side[i].started)
			procs[np++] = &r->side[i].proc;
		if (r->side[i].probe_started)
			procs[np++] = &r->side[i].probe;
	}
	for (i = 0; i < np; i++) {
		if (procs[i]->out.fd >= 0)
			pfd[n++] = (struct pollfd){ .fd = procs[i]->out.fd, .events = POLLIN };
		if (procs[i]->err.fd >= 0)
			pfd[n++] = (struct pollfd){ .fd = procs[i]->err.fd, .events = POLLIN };
		if (!procs[i]->exited && procs[i]->pidfd >= 0)
			pfd[n++] = (struct pollfd){ .fd = procs[i]->pidfd, .events = POLLIN };
	}
	/* the engines' next release bounds the wait: microseconds, with
	 * ppoll, so a 50 ms delay is not rounded to whole milliseconds */
	run_release(r);
	for (i = 0; i < 2; i++) {
		int64_t due;

		if (!r->nfq[i])
			continue;
		eng_at[i] = (int)n;
		pfd[n++] = (struct pollfd){ .fd = lab_nfq_fd(r->nfq[i]), .events = POLLIN };
		due = lab_nfq_next_due_us(r->nfq[i], lab_nfq_now_us());
		if (due >= 0 && due < wait_us)
			wait_us = due;
	}
	ts.tv_sec = (time_t)(wait_us / 1000000);
	ts.tv_nsec = (long)(wait_us % 1000000) * 1000;
	if (ppoll(pfd, n, &ts, NULL) < 0 && errno != EINTR)
		return;
	for (i = 0; i < 2; i++)
		if (eng_at[i] >= 0 && pfd[eng_at[i]].revents)
			lab_nfq_on_readable_us(r->nfq[i], lab_nfq_now_us());
	run_release(r);
	if (!r->signo)
		r->signo = lab_sig_check(r->sigfd);
	for (i = 0; i < np; i++) {
		lab_proc_pump(procs[i], 1, on_line, r);
		lab_proc_pump(procs[i], 2, on_line, r);
		lab_proc_reap(procs[i]);
	}
}

bool run_side_finished(const struct side *s)
{
	return !s->started || (s->proc.exited && s->proc.out.fd < 0 && s->proc.err.fd < 0);
}

static bool side_probe_finished(struct side *s)
{
	return !s->probe_started ||
	       (s->probe.exited && s->probe.out.fd < 0 && s->probe.err.fd < 0);
}

int run_remaining(uint64_t deadline)
{
	uint64_t now = hp_clock_ms();

	return now >= deadline ? 0 : (int)(deadline - now);
}

int run_start_server(struct run *r)
{
	struct lab_topo *t = r->topo;
	const char *bindir = r->bindir;
	char path[PATH_MAX], port[8];
	/* RFC 5780 discovery needs the server's second address */
	const char *argv_alt[] = { path, "--bind", lab_plan_server_addr(), "--alt-addr",
				   lab_plan_server_alt_addr(), port, NULL };
	const char *argv_one[] = { path, port, NULL };
	struct lab_spawn sp = { .ns_fd = t->fds[LAB_NODE_SRV],
				.argv = r->rep->probed ? argv_alt : argv_one,
				.capture_out = true, .capture_err = true, .pdeathsig = true };
	uint64_t deadline;
	int ret;

	snprintf(path, sizeof(path), "%s/hpserver", bindir);
	snprintf(port, sizeof(port), "%d", LAB_SERVER_PORT);
	ret = lab_proc_spawn(&r->server, &sp, "hpserver");
	if (ret < 0) {
		lab_report_fail(r->rep, LAB_RESULT_ERROR, "cannot start %s: %s", path, strerror(-ret));
		return ret;
	}
	r->server_started = true;
	r->server_ready = false;
	deadline = hp_clock_ms() + SERVER_READY_MS;
	while (!r->server_ready) {
		if (r->signo)
			return -EINTR;
		if (r->server.exited && r->server.err.fd < 0) {
			lab_report_fail(r->rep, LAB_RESULT_ERROR, "hpserver exited (%d): %.120s",
					r->server.exit_code, lab_proc_captured(&r->server, 2));
			return -ECHILD;
		}
		if (!run_remaining(deadline)) {
			lab_report_fail(r->rep, LAB_RESULT_ERROR,
					"hpserver did not say it was listening within %d ms",
					SERVER_READY_MS);
			return -ETIMEDOUT;
		}
		run_pump(r, run_remaining(deadline));
	}
	lab_report_step(r->rep, "hpserver listening on %s%s%s (namespace %s)", r->server_ep,
			r->rep->probed ? ", discovery answers from " : "",
			r->rep->probed ? lab_plan_server_alt_addr() : "", t->names[LAB_NODE_SRV]);
	return 0;
}

int run_start_client(struct run *r, struct side *s, const char *room)
{
	char path[PATH_MAX], cport[8], sport[8], tmo[8], ttl[12];
	const char *argv[24];
	const char *const *extra = lab_fault_client_opts(r->args);
	struct lab_spawn sp = { .ns_fd = r->topo->fds[s->host], .argv = argv, .pipe_in = true,
				.capture_out = true, .capture_err = true, .pdeathsig = true };
	size_t n = 0;
	int ret;

	snprintf(path, sizeof(path), "%s/hpclient", r->bindir);
	snprintf(cport, sizeof(cport), "%u", s->port);
	snprintf(sport, sizeof(sport), "%d", LAB_SERVER_PORT);
	snprintf(tmo, sizeof(tmo), "%d", CLIENT_TIMEOUT_S);
	argv[n++] = path;
	argv[n++] = "--json";
	argv[n++] = "--room";
	argv[n++] = room;
	argv[n++] = "--name";
	argv[n++] = s->nick;
	argv[n++] = "--timeout";
	argv[n++] = tmo;
	if (r->args->punch_ttl >= 0) {
		snprintf(ttl, sizeof(ttl), "%d", r->args->punch_ttl);
		argv[n++] = "--punch-ttl";
		argv[n++] = ttl;
	}
	/* a later option wins: the fault's (e.g. a shorter --timeout) last */
	for (; extra && *extra && n < 18; extra++)
		argv[n++] = *extra;
	argv[n++] = cport;
	argv[n++] = lab_plan_server_addr();
	argv[n++] = sport;
	argv[n] = NULL;
	s->started_ms = hp_clock_ms();
	ret = lab_proc_spawn(&s->proc, &sp, s->nick);
	if (ret < 0) {
		lab_report_fail(r->rep, LAB_RESULT_ERROR, "cannot start %s: %s", path, strerror(-ret));
		return ret;
	}
	s->started = true;
	return 0;
}

/* Both hosts classify their NAT at once, on the port the chat will use
 * (a full-cone router forwards only that one), before the chat starts. */
static void probe_nats(struct run *r, struct lab_topo *t, const char *bindir)
{
	char path[PATH_MAX], cport[8], sport[8];
	const char *argv[] = { path, "--probe", "--json", cport, lab_plan_server_addr(), sport,
			       NULL };
	uint64_t deadline = hp_clock_ms() + PROBE_MS;
	int i, ret;

	snprintf(path, sizeof(path), "%s/hpclient", bindir);
	snprintf(cport, sizeof(cport), "%d", LAB_CLIENT_PORT);
	snprintf(sport, sizeof(sport), "%d", LAB_SERVER_PORT);
	for (i = 0; i < 2; i++) {
		struct side *s = &r->side[i];
		struct lab_spawn sp = { .ns_fd = t->fds[s->host], .argv = argv,
					.capture_out = true, .capture_err = true, .pdeathsig = true };
		char name[24];

		snprintf(name, sizeof(name), "%s-probe", s->nick);
		ret = lab_proc_spawn(&s->probe, &sp, name);
		if (ret < 0) {
			lab_report_fail(r->rep, LAB_RESULT_ERROR, "cannot start %s --probe: %s", path,
					strerror(-ret));
			return;
		}
		s->probe_started = true;
	}
	while (!(side_probe_finished(&r->side[0]) && side_probe_finished(&r->side[1]))) {
		if (r->signo)
			return;
		if (!run_remaining(deadline)) {
			lab_report_step(r->rep, "the probes took longer than %d ms: stopped", PROBE_MS);
			break;
		}
		run_pump(r, run_remaining(deadline));
	}
	for (i = 0; i < 2; i++) {
		struct side *s = &r->side[i];

		lab_proc_stop(&s->probe, 0);
		if (!s->probe_said) {
			const char *tail = lab_proc_captured(&s->probe, 2);

			snprintf(s->rep->probe_error, sizeof(s->rep->probe_error), "exit %d%s%.*s",
				 s->probe.exit_code, tail[0] ? ": " : "", (int)strcspn(tail, "\n"), tail);
			lab_report_step(r->rep, "%s's probe gave no verdict (%s)", s->nick,
					s->rep->probe_error);
		}
		lab_proc_close(&s->probe);
		s->probe_started = false;
	}
}

/* Lines go in once the path is up (a fault may hold some back: at most
 * feed_limit for the first pair); stdin closes once this side has all the
 * peer's lines and the peer has all of this side's, acknowledged. */
static void side_advance(struct run *r, struct side *s)
{
	struct side *o = other_of(r, s);
	unsigned n = s->want, limit = s - r->side < 2 ? r->feed_limit : n, typed = 0;
	char line[64];
	bool mine_acked;

	if (limit > n)
		limit = n;
	while (s->connected && s->fed < limit && !s->proc.exited) {
		int len = snprintf(line, sizeof(line), "hello %u from %s\n", s->fed + 1, s->nick);

		if (lab_proc_write_all(&s->proc, line, (size_t)len) < 0)
			break;
		s->fed++;
		typed++;
		s->rep->sent++;
	}
	if (typed)
		lab_report_step(r->rep, "%s typed %u line%s%s", s->nick, typed, typed == 1 ? "" : "s",
				s->fed < n ? " (the rest after the fault)" : "");
	if (s->fed < n || s->stdin_closed)
		return;
	/* acks may be per line or cumulative: the peer's last seen seq of
	 * ours, acked, settles it either way */
	mine_acked = s->acked_events >= n ||
		     (o->rep->received >= n && o->last_rx_seq >= 0 && s->max_acked >= o->last_rx_seq);
	if (s->rep->received >= n && mine_acked) {
		s->stdin_closed = true;
		lab_proc_close_stdin(&s->proc);
	}
}

/* How long the chat may take: a little per line, more when every line
 * waits for a delayed round trip or a lost packet's retransmission. */
static int chat_budget_ms(const struct run *r)
{
	int64_t per = RUN_PER_MSG_MS + r->rep->path_rtt_us / 1000 / 4;

	if (lab_impair_active(&r->args->imp[0]) || lab_impair_active(&r->args->imp[1]))
		per += 40;
	return (int)(RUN_BASE_MS + per * (int64_t)r->args->messages) +
	       lab_fault_extra_ms(r->args);
}

static void side_check_exit(struct run *r, struct side *s)
{
	if (!s->proc.exited || s->exit_told)
		return;
	s->exit_told = true;
	s->exited_ms = hp_clock_ms();
	s->rep->exit_code = s->proc.exit_code;
	lab_report_step(r->rep, "%s exited with status %d%s", s->nick, s->proc.exit_code,
			s->rep->bye ? " after bye" : "");
	/* with no server, failing is the expected end */
	if (s->proc.exit_code != 0 && r->rep->result == LAB_RESULT_PASS &&
	    r->args->fault != LAB_FAULT_SERVER_DOWN) {
		const char *tail = lab_proc_captured(&s->proc, 2);
		const char *last = tail;
		const char *p;

		/* its last complaint says most */
		for (p = tail; *p; p++)
			if (p[0] == '\n' && p[1])
				last = p + 1;
		lab_report_fail(r->rep, LAB_RESULT_FAIL, "%s exited with status %d: %.*s", s->nick,
				s->proc.exit_code, (int)strcspn(last, "\n"), last);
	}
}

static bool all_finished(struct run *r)
{
	for (int i = 0; i < RUN_SIDES; i++)
		if (!run_side_finished(&r->side[i]))
			return false;
	return lab_fault_done(r);
}

static void chat(struct run *r)
{
	int budget = chat_budget_ms(r);
	uint64_t deadline = hp_clock_ms() + (uint64_t)budget;
	int i, wait, fw;

	lab_fault_begin(r);
	while (!all_finished(r)) {
		if (r->signo)
			return;
		if (!run_remaining(deadline)) {
			lab_report_fail(r->rep, LAB_RESULT_FAIL, "timed out after %d ms", budget);
			return;
		}
		wait = run_remaining(deadline);
		fw = lab_fault_wait_ms(r);
		if (fw >= 0 && fw < wait)
			wait = fw;
		run_pump(r, wait);
		/* the fault first: what it releases is typed in the same round */
		lab_fault_tick(r);
		for (i = 0; i < RUN_SIDES; i++) {
			if (!r->side[i].started)
				continue;
			side_advance(r, &r->side[i]);
			side_check_exit(r, &r->side[i]);
		}
	}
}

/* Nearest-rank median and p95 of samples (sorted in place). */
static void rtt_summary(struct lab_samples *sm, int64_t *median, int64_t *p95, unsigned *n)
{
	*n = (unsigned)sm->n;
	if (lab_percentile(sm->v, sm->n, 50, median) < 0 ||
	    lab_percentile(sm->v, sm->n, 95, p95) < 0)
		*median = *p95 = -1;
}

static void metrics(struct run *r)
{
	struct lab_samples all = { 0 };
	int i;

	for (i = 0; i < 2; i++) {
		struct side *s = &r->side[i];
		size_t k;

		rtt_summary(&s->rtt, &s->rep->rtt_median_us, &s->rep->rtt_p95_us, &s->rep->rtt_n);
		for (k = 0; k < s->rtt.n; k++)
			lab_samples_add(&all, s->rtt.v[k]);
	}
	rtt_summary(&all, &r->rep->rtt_median_us, &r->rep->rtt_p95_us, &r->rep->rtt_n);
	lab_samples_free(&all);
	if (r->rep->rtt_n)
		lab_report_step(r->rep, "message round trips: median %.1f ms, p95 %.1f ms (%u acks)"
				"%s; retransmitted: alice %u, bob %u%s",
				r->rep->rtt_median_us / 1000.0, r->rep->rtt_p95_us / 1000.0,
				r->rep->rtt_n, "", r->side[0].rep->retransmitted,
				r->side[1].rep->retransmitted,
				r->side[0].rep->stats_seen || r->side[1].rep->stats_seen ||
						r->side[0].retransmits || r->side[1].retransmits ?
					"" :
					" (the clients reported no retransmissions)");
	if (r->rep->impaired && r->rep->path_rtt_us > 0 && r->rep->rtt_n)
		lab_report_step(r->rep, "configured path RTT %.1f ms (the delays, both ways), "
				"measured median %.1f ms: %+.1f ms",
				r->rep->path_rtt_us / 1000.0, r->rep->rtt_median_us / 1000.0,
				(r->rep->rtt_median_us - r->rep->path_rtt_us) / 1000.0);
}

static void verify(struct run *r)
{
	unsigned n = r->args->messages;
	int i;

	metrics(r);
	if (r->args->fault == LAB_FAULT_SERVER_DOWN) {
		lab_fault_verify(r); /* failing clearly is its pass */
		return;
	}
	for (i = 0; i < 2; i++) {
		struct side *s = &r->side[i], *o = other_of(r, s);

		if (!s->connected)
			lab_report_fail(r->rep, LAB_RESULT_FAIL, "%s never connected to %s", s->nick,
					o->nick);
		else if (s->rep->received != n)
			lab_report_fail(r->rep, LAB_RESULT_FAIL, "%s received %u of %s's %u lines",
					s->nick, s->rep->received, o->nick, n);
		else if (s->rep->sent != n)
			lab_report_fail(r->rep, LAB_RESULT_FAIL, "%s sent only %u of %u lines",
					s->nick, s->rep->sent, n);
		else if (s->proc.exited && s->proc.exit_code == 0 && !s->rep->bye)
			lab_report_fail(r->rep, LAB_RESULT_FAIL, "%s exited without saying bye",
					s->nick);
	}
	if (r->side[0].connected && r->side[1].connected) {
		/* a chat that ends relayed counts as relay, never direct */
		bool direct = !strcmp(r->side[0].rep->path, "direct") &&
			      !strcmp(r->side[1].rep->path, "direct");

		snprintf(r->rep->path, sizeof(r->rep->path), "%s", direct ? "direct" : "relay");
		r->rep->connect_ms = r->side[0].rep->connect_ms > r->side[1].rep->connect_ms ?
					     r->side[0].rep->connect_ms :
					     r->side[1].rep->connect_ms;
	}
	if (r->args->fault)
		lab_fault_verify(r);
	if (r->rep->result == LAB_RESULT_PASS && strcmp(r->rep->path, r->rep->expected))
		lab_report_fail(r->rep, LAB_RESULT_FAIL, "the chat went %s where theory predicts %s",
				r->rep->path, r->rep->expected);
	for (i = 0; i < 2 && r->rep->probed; i++) {
		struct lab_report_side *rs = r->side[i].rep;

		if (!rs->probe_nat[0])
			lab_report_fail(r->rep, LAB_RESULT_FAIL, "%s's probe gave no verdict (%s)",
					r->side[i].nick, rs->probe_error);
		else if (!rs->probe_match)
			lab_report_fail(r->rep, LAB_RESULT_FAIL,
					"%s's probe says %s (%s mapping, %s filtering), the router is %s",
					r->side[i].nick, rs->probe_nat, rs->probe_mapping,
					rs->probe_filtering, rs->router_nat);
	}
	if (r->rep->result == LAB_RESULT_PASS)
		lab_report_step(r->rep,
				"messages crossed %s: %s -> %s %u/%u, %s -> %s %u/%u, each "
				"once and in order",
				!strcmp(r->rep->path, "direct") ? "directly" : "through the relay",
				r->side[0].nick, r->side[1].nick, r->side[1].rep->received, n,
				r->side[1].nick, r->side[0].nick, r->side[0].rep->received, n);
}

static void describe_topology(struct lab_report *rep, const struct lab_topo *t)
{
	char text[LAB_REPORT_STEP_LEN];
	size_t off = 0, i;
	int n;

	int nodes = 0;

	for (n = 0; n < LAB_NODE_COUNT; n++)
		nodes += lab_plan_has_node(t->plan, (enum lab_node)n);
	off += (size_t)snprintf(text, sizeof(text),
				"topology built in %lld ms: %d namespaces %s-*%s",
				(long long)rep->setup_ms, nodes, t->prefix,
				t->plan->same_nat ? " (same NAT: both hosts behind rA)" : "");
	for (n = 0; n < LAB_NODE_COUNT && off < sizeof(text); n++) {
		if (!lab_plan_has_node(t->plan, (enum lab_node)n))
			continue;
		off += (size_t)snprintf(text + off, sizeof(text) - off, "\n  %-4s",
					lab_plan_nodes[n].suffix);
		for (i = 0; i < t->plan->nlinks * 2 && off < sizeof(text); i++) {
			const struct lab_iface *f =
				i % 2 ? &t->plan->links[i / 2].b : &t->plan->links[i / 2].a;

			if (f->node == (enum lab_node)n)
				off += (size_t)snprintf(text + off, sizeof(text) - off, " %s %s/%u",
							f->name, f->addr, f->prefixlen);
		}
		if (off < sizeof(text))
			off += (size_t)snprintf(text + off, sizeof(text) - off, "  (%s%s%s%s%s)",
						lab_plan_nodes[n].role,
						t->nat[n] ? ", NAT " : "",
						t->nat[n] ? t->nat[n]->name : "",
						t->nat[n] && t->opts.no_firewall ? ", no firewall" : "",
						t->nat[n] && t->plan->same_nat ?
							(t->opts.hairpin ? ", hairpin on" : ", hairpin off") :
							"");
	}
	if (t->opts.udp_timeout && off < sizeof(text))
		off += (size_t)snprintf(text + off, sizeof(text) - off,
					"\n  routers forget idle UDP mappings after %u s",
					t->opts.udp_timeout);
	lab_report_step(rep, "%s", text);
}

/* What each engine measured, then its held packets go (close accepts
 * them) so nothing is left queued while the processes stop. */
static void engines_close(struct run *r)
{
	for (int i = 0; i < 2; i++) {
		struct lab_report_engine *e;
		struct lab_nfq_stats st;

		if (!r->nfq[i])
			continue;
		lab_nfq_stats(r->nfq[i], &st);
		e = &r->rep->engines[r->rep->nengines++];
		snprintf(e->router, sizeof(e->router), "%s", i ? "rB" : "rA");
		e->queued = st.queued;
		e->delayed = st.delayed;
		e->reordered = st.reordered;
		e->duplicated = st.duplicated;
		e->dup_failed = st.dup_failed;
		e->late_median_us = lab_nfq_lateness_pct_us(&st, 50);
		e->late_p99_us = lab_nfq_lateness_pct_us(&st, 99);
		e->late_max_us = st.late_max_us;
		/* the histogram gives bucket edges: never above the real worst */
		if (e->late_median_us > e->late_max_us)
			e->late_median_us = e->late_max_us;
		if (e->late_p99_us > e->late_max_us)
			e->late_p99_us = e->late_max_us;
		lab_report_step(r->rep, "delay engine of %s: %llu packets queued, %llu delayed, "
				"%llu reordered, %llu duplicated; released late by median %llu us, "
				"max %llu us", e->router, (unsigned long long)e->queued,
				(unsigned long long)e->delayed, (unsigned long long)e->reordered,
				(unsigned long long)e->duplicated,
				(unsigned long long)e->late_median_us,
				(unsigned long long)e->late_max_us);
		lab_nfq_close(r->nfq[i]);
		r->nfq[i] = NULL;
	}
}

static void teardown(struct run *r, struct lab_topo *t, bool state_written)
{
	uint64_t start = hp_clock_ms();
	int i, ret;

	engines_close(r);
	for (i = 0; i < 2; i++)
		if (r->side[i].probe_started) {
			lab_proc_stop(&r->side[i].probe, 0);
			lab_proc_close(&r->side[i].probe);
		}
	for (i = 0; i < RUN_SIDES; i++)
		if (r->side[i].started) {
			lab_proc_stop(&r->side[i].proc, CLIENT_GRACE_MS);
			if (r->side[i].rep->exit_code < 0 && r->side[i].proc.exited &&
			    r->side[i].proc.exit_code < 128)
				r->side[i].rep->exit_code = r->side[i].proc.exit_code;
			lab_proc_close(&r->side[i].proc);
		}
	if (r->server_started) {
		lab_proc_stop(&r->server, SERVER_GRACE_MS);
		lab_proc_close(&r->server);
	}
	ret = lab_topo_destroy(t);
	if (state_written)
		lab_state_remove(t->prefix);
	r->rep->teardown_ms = (int64_t)(hp_clock_ms() - start);
	if (ret < 0) {
		lab_report_fail(r->rep, LAB_RESULT_ERROR, "teardown: %s", strerror(-ret));
		lab_report_step(r->rep, "teardown incomplete: %s (try: labrun clean)",
				strerror(-ret));
	} else {
		lab_report_step(r->rep, "teardown in %lld ms: processes stopped, namespaces deleted",
				(long long)r->rep->teardown_ms);
	}
}

/* What was asked, into the report; the path RTT the delays add: A -> B
 * crosses rA's wan side and rB's once each, B -> A again (same NAT: rA's
 * lan ports only, once each way). */
static void impair_describe(struct run *r)
{
	const struct lab_args *a = r->args;
	struct lab_report *rep = r->rep;
	char text[LAB_REPORT_STEP_LEN];
	size_t off = 0;
	int i, nr = a->same_nat ? 1 : 2;

	for (i = 0; i < 2; i++) {
		rep->imp_delay_us[i] = a->imp[i].delay_us;
		rep->imp_jitter_us[i] = a->imp[i].jitter_us;
		rep->imp_loss_ppm[i] = a->imp[i].loss_ppm;
		rep->imp_reorder_ppm[i] = a->imp[i].reorder_ppm;
		rep->imp_dup_ppm[i] = a->imp[i].dup_ppm;
	}
	rep->impaired = lab_impair_active(&a->imp[0]) || (nr == 2 && lab_impair_active(&a->imp[1]));
	if (!rep->impaired)
		return;
	rep->path_rtt_us = 2 * ((int64_t)a->imp[0].delay_us + (nr == 2 ? a->imp[1].delay_us : 0));
	off += (size_t)snprintf(text, sizeof(text), "impairments (each direction through the "
				"router, udp only):");
	for (i = 0; i < nr && off < sizeof(text); i++) {
		const struct lab_impair *m = &a->imp[i];

		if (!lab_impair_active(m)) {
			off += (size_t)snprintf(text + off, sizeof(text) - off, "\n  r%c wan: none",
						'A' + i);
			continue;
		}
		off += (size_t)snprintf(text + off, sizeof(text) - off,
					"\n  r%c wan: delay %.3g ms +- %.3g ms, loss %.4g %%, "
					"reorder %.4g %%, duplicate %.4g %%",
					'A' + i, m->delay_us / 1000.0, m->jitter_us / 1000.0,
					m->loss_ppm / 1e4, m->reorder_ppm / 1e4, m->dup_ppm / 1e4);
	}
	if (off < sizeof(text))
		snprintf(text + off, sizeof(text) - off,
			 "\n  configured path RTT alice <-> bob: %.3g ms (plus the lab's own)",
			 rep->path_rtt_us / 1000.0);
	lab_report_step(rep, "%s", text);
}

/* One delay engine per router whose impairment needs the queue. */
static int engines_open(struct run *r, char *err, size_t errlen)
{
	const struct lab_topo *t = r->topo;
	int i, ret;

	for (i = 0; i < 2; i++) {
		enum lab_node rt = i ? LAB_NODE_RB : LAB_NODE_RA;
		const struct lab_impair *m = &r->args->imp[i];

		if (!lab_plan_has_node(t->plan, rt) || !lab_impair_needs_queue(m))
			continue;
		ret = lab_nfq_open(&r->nfq[i], t->fds[rt], LAB_TOPO_NFQ(i), m,
				   (uint32_t)(getpid() * 2 + i));
		if (ret < 0) {
			snprintf(err, errlen, "cannot open the delay engine of %s: %s",
				 t->names[rt], strerror(-ret));
			return ret;
		}
		if (!m->dup_ppm)
			continue;
		/* a duplicate is re-sent from the far end of the link it came in
		 * on, so it travels exactly like the original */
		ret = lab_nfq_add_dup_path(r->nfq[i], "wan", t->fds[LAB_NODE_CORE],
					   i ? "toB" : "toA");
		if (!ret)
			ret = lab_nfq_add_dup_path(r->nfq[i], "lan", t->fds[i ? LAB_NODE_HB : LAB_NODE_HA],
						   "eth0");
		if (!ret && t->plan->same_nat)
			ret = lab_nfq_add_dup_path(r->nfq[i], "lan2", t->fds[LAB_NODE_HB], "eth0");
		if (ret < 0) {
			snprintf(err, errlen, "%s: cannot set up duplicates: %s", t->names[rt],
				 strerror(-ret));
			return ret;
		}
	}
	/* the default 50 us slack would make every release that much late */
	if (r->nfq[0] || r->nfq[1])
		prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	return 0;
}

static void side_setup(struct run *r, int i, enum lab_node host, const char *nick,
		       const char *other, unsigned port, unsigned want,
		       struct lab_report_side *rs)
{
	const struct lab_args *a = r->args;

	r->side[i] = (struct side){ .host = host, .nick = nick, .other_nick = other, .port = port,
				    .want = want, .rep = rs, .last_rx_seq = -1, .max_acked = -1 };
	snprintf(rs->nick, sizeof(rs->nick), "%s", nick);
	snprintf(rs->private_ep, sizeof(rs->private_ep), "%s:%u", lab_plan_host_addr(host), port);
	snprintf(rs->router_nat, sizeof(rs->router_nat), "%s",
		 host == LAB_NODE_HA || a->same_nat ? a->nat_a : a->nat_b);
}

/* The prediction for this run's routers, from their RFC 4787 properties. */
static const char *predict(const struct lab_topo *t)
{
	struct lab_theory_case c = { .relay = true, .same_nat = t->plan->same_nat,
				     .hairpin = t->opts.hairpin };

	c.a = t->nat[LAB_NODE_RA]->props;
	c.b = t->plan->same_nat ? c.a : t->nat[LAB_NODE_RB]->props;
	return lab_outcome_name(lab_theory_predict(&c));
}

int lab_scenario_exec(const struct lab_args *a, int sigfd, const char *bindir,
		      struct lab_report *rep)
{
	struct lab_topo topo;
	struct lab_state st = { 0 };
	struct run r;
	/* the second pair of the server-restart fault: not in the report's sides */
	struct lab_report_side pair2[2];
	char prefix[32], room[64], err[320];
	bool state_written = false;
	uint64_t t0 = rep->t0;
	int ret;

	memset(&r, 0, sizeof(r));
	r.args = a;
	r.rep = rep;
	r.sigfd = sigfd;
	r.topo = &topo;
	r.bindir = bindir;
	r.map_before = r.map_after = -1;
	rep->messages = a->messages;
	rep->same_nat = a->same_nat;
	rep->hairpin = a->same_nat ? a->hairpin : -1;
	rep->no_firewall = a->no_firewall;
	rep->udp_timeout = a->udp_timeout;
	rep->probed = a->probe;
	snprintf(rep->nat_a, sizeof(rep->nat_a), "%s", a->nat_a);
	snprintf(rep->nat_b, sizeof(rep->nat_b), "%s", a->same_nat ? a->nat_a : a->nat_b);
	if (a->prefix_set)
		snprintf(prefix, sizeof(prefix), "%s", a->prefix);
	else
		snprintf(prefix, sizeof(prefix), "hpl%d", (int)getpid());
	snprintf(rep->prefix, sizeof(rep->prefix), "%s", prefix);
	snprintf(room, sizeof(room), "lab-%s-%llu", prefix, (unsigned long long)t0);
	snprintf(r.server_ep, sizeof(r.server_ep), "%s:%d", lab_plan_server_addr(),
		 LAB_SERVER_PORT);
	snprintf(r.room, sizeof(r.room), "%s", room);
	side_setup(&r, 0, LAB_NODE_HA, "alice", "bob", LAB_CLIENT_PORT, a->messages, &rep->a);
	side_setup(&r, 1, LAB_NODE_HB, "bob", "alice", LAB_CLIENT_PORT, a->messages, &rep->b);
	memset(pair2, 0, sizeof(pair2));
	side_setup(&r, 2, LAB_NODE_HA, "carol", "dave", LAB_CLIENT_PORT + 1, 1, &pair2[0]);
	side_setup(&r, 3, LAB_NODE_HB, "dave", "carol", LAB_CLIENT_PORT + 1, 1, &pair2[1]);
	if (a->fault)
		snprintf(rep->fault, sizeof(rep->fault), "%s", lab_args_fault_name(a->fault));

	ret = lab_topo_init(&topo, prefix);
	if (ret < 0) {
		lab_report_fail(rep, LAB_RESULT_ERROR, "bad prefix '%s'", prefix);
		goto out;
	}
	topo.opts = (struct lab_topo_opts){ .same_nat = a->same_nat, .hairpin = a->hairpin > 0,
					    .no_firewall = a->no_firewall,
					    .udp_timeout = a->udp_timeout };
	memcpy(topo.opts.imp, a->imp, sizeof(topo.opts.imp));
	lab_fault_topo_opts(a, &topo.opts);
	rep->udp_timeout = topo.opts.udp_timeout;
	if (lab_netns_list(prefix, NULL, 0) > 0) {
		lab_report_fail(rep, LAB_RESULT_ERROR,
				"namespaces %s-* exist already (another run? try: labrun clean)",
				prefix);
		goto out;
	}
	snprintf(st.prefix, sizeof(st.prefix), "%s", prefix);
	st.kind = LAB_STATE_RUN;
	st.pid = getpid();
	st.starttime = lab_state_starttime(st.pid);
	ret = lab_state_write(&st);
	if (ret < 0) {
		lab_report_fail(rep, LAB_RESULT_ERROR, "cannot record the run in %s: %s",
				LAB_STATE_DIR, strerror(-ret));
		goto out;
	}
	state_written = true;

	ret = lab_topo_build(&topo, lab_nat_find(a->nat_a), lab_nat_find(a->nat_b), err,
			     sizeof(err));
	rep->setup_ms = (int64_t)(hp_clock_ms() - t0);
	if (ret < 0) {
		lab_report_fail(rep, LAB_RESULT_ERROR, "%s", err);
		goto teardown;
	}
	snprintf(rep->expected, sizeof(rep->expected), "%s", predict(&topo));
	describe_topology(rep, &topo);
	impair_describe(&r);
	ret = engines_open(&r, err, sizeof(err));
	if (ret < 0) {
		lab_report_fail(rep, LAB_RESULT_ERROR, "%s", err);
		goto teardown;
	}
	if (a->fault == LAB_FAULT_SERVER_DOWN)
		snprintf(rep->expected, sizeof(rep->expected), "none");
	lab_report_step(rep, "theory: %s x %s%s -> %s%s", topo.nat[LAB_NODE_RA]->name,
			a->same_nat ? "same router" : topo.nat[LAB_NODE_RB]->name,
			a->same_nat ? (a->hairpin > 0 ? ", hairpin on" : ", hairpin off") : "",
			rep->expected,
			a->fault == LAB_FAULT_SERVER_DOWN ? " (no server: nobody can meet)" : "");
	r.signo = lab_sig_check(sigfd);
	if (a->fault == LAB_FAULT_SERVER_DOWN)
		lab_report_step(rep, "fault server-down: hpserver is not started; %s is "
				"unreachable from the start", r.server_ep);
	if (!r.signo && (a->fault == LAB_FAULT_SERVER_DOWN || run_start_server(&r) == 0) &&
	    !r.signo) {
		if (a->probe)
			probe_nats(&r, &topo, bindir);
		if (!r.signo && rep->result == LAB_RESULT_PASS &&
		    run_start_client(&r, &r.side[0], room) == 0 &&
		    run_start_client(&r, &r.side[1], room) == 0) {
			lab_report_step(rep, "alice (%s, behind rA) and bob (%s, behind %s) started, "
					"room %s", rep->a.private_ep, rep->b.private_ep,
					a->same_nat ? "rA too" : "rB", room);
			chat(&r);
		}
	}
	if (r.signo) {
		lab_report_step(rep, "interrupted by %s", sig_name(r.signo));
		lab_report_fail(rep, LAB_RESULT_FAIL, "interrupted by %s", sig_name(r.signo));
	}
	verify(&r);
teardown:
	teardown(&r, &topo, state_written);
out:
	for (int i = 0; i < 2; i++)
		snprintf(rep->last_words[i], sizeof(rep->last_words[i]), "%s",
			 r.side[i].proc.err.tail_len ? r.side[i].proc.err.tail : "");
	for (int i = 0; i < RUN_SIDES; i++)
		lab_samples_free(&r.side[i].rtt);
	return lab_report_exit_code(rep);
}

int lab_scenario_run(const struct lab_args *a, int sigfd, const char *bindir)
{
	struct lab_report *rep = malloc(sizeof(*rep));
	int ret;

	if (!rep) {
		fprintf(stderr, "labrun: out of memory\n");
		return 2;
	}
	lab_report_init(rep, lab_args_format(a), stdout, hp_clock_ms());
	ret = lab_scenario_exec(a, sigfd, bindir, rep);
	lab_report_finish(rep);
	/* with -v they were shown as they came */
	if (rep->result != LAB_RESULT_PASS && a->verbose == 0)
		lab_report_last_words(rep, stderr);
	free(rep);
	return ret;
}
