// SPDX-License-Identifier: MIT
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "args.h"
#include "clock.h"
#include "endpoint.h"
#include "event.h"
#include "nat.h"
#include "plan.h"
#include "proc.h"
#include "report.h"
#include "scenario.h"
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

struct side {
	struct lab_proc proc;
	bool started;
	struct lab_proc probe;   /* hpclient --probe, before the chat */
	bool probe_started, probe_said;
	enum lab_node host;
	const char *nick, *other_nick;
	struct lab_report_side *rep;
	bool registered, introduced, connected, fed, stdin_closed, out_eof, err_eof;
	int64_t last_rx_seq, max_acked;
	unsigned acked_events;
};

struct run {
	const struct lab_args *args;
	struct lab_report *rep;
	int sigfd;
	int signo;
	struct lab_proc server;
	bool server_started, server_ready;
	struct side side[2];
	char server_ep[64];
	const struct lab_topo *topo;
};

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
	return p == &r->side[0].proc ? &r->side[0] : p == &r->side[1].proc ? &r->side[1] : NULL;
}

static struct side *prober_of(struct run *r, struct lab_proc *p)
{
	return p == &r->side[0].probe ? &r->side[0] : p == &r->side[1].probe ? &r->side[1] : NULL;
}

static struct side *other_of(struct run *r, struct side *s)
{
	return s == &r->side[0] ? &r->side[1] : &r->side[0];
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
	if (s->rep->received == r->args->messages)
		lab_report_step(r->rep, "%s received all %u of %s's lines", s->nick,
				r->args->messages, s->other_nick);
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

/* One poll round over every child's pipes and exits, plus the signalfd. */
static void run_pump(struct run *r, int timeout_ms)
{
	struct pollfd pfd[24];
	struct lab_proc *procs[5];
	nfds_t n = 0;
	size_t i, np = 0;

	pfd[n++] = (struct pollfd){ .fd = r->sigfd, .events = POLLIN };
	if (r->server_started)
		procs[np++] = &r->server;
	for (i = 0; i < 2; i++) {
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
	if (poll(pfd, n, timeout_ms) < 0 && errno != EINTR)
		return;
	if (!r->signo)
		r->signo = lab_sig_check(r->sigfd);
	for (i = 0; i < np; i++) {
		lab_proc_pump(procs[i], 1, on_line, r);
		lab_proc_pump(procs[i], 2, on_line, r);
		lab_proc_reap(procs[i]);
	}
}

static bool side_finished(struct side *s)
{
	return !s->started || (s->proc.exited && s->proc.out.fd < 0 && s->proc.err.fd < 0);
}

static bool side_probe_finished(struct side *s)
{
	return !s->probe_started ||
	       (s->probe.exited && s->probe.out.fd < 0 && s->probe.err.fd < 0);
}

static int remaining(uint64_t deadline)
{
	uint64_t now = hp_clock_ms();

	return now >= deadline ? 0 : (int)(deadline - now);
}

static int start_server(struct run *r, struct lab_topo *t, const char *bindir)
{
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
	deadline = hp_clock_ms() + SERVER_READY_MS;
	while (!r->server_ready) {
		if (r->signo)
			return -EINTR;
		if (r->server.exited && r->server.err.fd < 0) {
			lab_report_fail(r->rep, LAB_RESULT_ERROR, "hpserver exited (%d): %.120s",
					r->server.exit_code, lab_proc_captured(&r->server, 2));
			return -ECHILD;
		}
		if (!remaining(deadline)) {
			lab_report_fail(r->rep, LAB_RESULT_ERROR,
					"hpserver did not say it was listening within %d ms",
					SERVER_READY_MS);
			return -ETIMEDOUT;
		}
		run_pump(r, remaining(deadline));
	}
	lab_report_step(r->rep, "hpserver listening on %s%s%s (namespace %s)", r->server_ep,
			r->rep->probed ? ", discovery answers from " : "",
			r->rep->probed ? lab_plan_server_alt_addr() : "", t->names[LAB_NODE_SRV]);
	return 0;
}

static int start_client(struct run *r, struct side *s, struct lab_topo *t, const char *bindir,
			const char *room)
{
	char path[PATH_MAX], cport[8], sport[8], tmo[8], ttl[12];
	const char *argv[] = { path, "--json", "--room", room, "--name", s->nick, "--timeout", tmo,
			       cport, lab_plan_server_addr(), sport, NULL, NULL, NULL };
	struct lab_spawn sp = { .ns_fd = t->fds[s->host], .argv = argv, .pipe_in = true,
				.capture_out = true, .capture_err = true, .pdeathsig = true };
	int ret;

	snprintf(path, sizeof(path), "%s/hpclient", bindir);
	snprintf(cport, sizeof(cport), "%d", LAB_CLIENT_PORT);
	snprintf(sport, sizeof(sport), "%d", LAB_SERVER_PORT);
	snprintf(tmo, sizeof(tmo), "%d", CLIENT_TIMEOUT_S);
	if (r->args->punch_ttl >= 0) {
		/* options before the operands */
		snprintf(ttl, sizeof(ttl), "%d", r->args->punch_ttl);
		memmove(&argv[10], &argv[8], 3 * sizeof(argv[0]));
		argv[8] = "--punch-ttl";
		argv[9] = ttl;
	}
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
		if (!remaining(deadline)) {
			lab_report_step(r->rep, "the probes took longer than %d ms: stopped", PROBE_MS);
			break;
		}
		run_pump(r, remaining(deadline));
	}
	for (i = 0; i < 2; i++) {
		struct side *s = &r->side[i];

		lab_proc_stop(&s->probe, 0);
		if (!s->probe_said) {
			const char *tail = lab_proc_captured(&s->probe, 2);

			lab_report_step(r->rep, "%s's probe gave no verdict (exit %d)%s%.*s", s->nick,
					s->probe.exit_code, tail[0] ? ": " : "",
					(int)strcspn(tail, "\n"), tail);
		}
		lab_proc_close(&s->probe);
		s->probe_started = false;
	}
}

/* Lines go in once the path is up; stdin closes once this side has all
 * the peer's lines and the peer has all of this side's, acknowledged. */
static void side_advance(struct run *r, struct side *s)
{
	struct side *o = other_of(r, s);
	unsigned n = r->args->messages, i;
	char line[64];
	bool mine_acked;

	if (s->connected && !s->fed && !s->proc.exited) {
		s->fed = true;
		for (i = 1; i <= n; i++) {
			int len = snprintf(line, sizeof(line), "hello %u from %s\n", i, s->nick);

			if (lab_proc_write_all(&s->proc, line, (size_t)len) < 0)
				break;
			s->rep->sent++;
		}
		lab_report_step(r->rep, "%s typed %u line%s", s->nick, s->rep->sent,
				s->rep->sent == 1 ? "" : "s");
	}
	if (!s->fed || s->stdin_closed)
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


static void chat(struct run *r)
{
	uint64_t deadline = hp_clock_ms() + RUN_BASE_MS + RUN_PER_MSG_MS * r->args->messages;
	bool said[2] = { false, false };
	int i;

	while (!(side_finished(&r->side[0]) && side_finished(&r->side[1]))) {
		if (r->signo)
			return;
		if (!remaining(deadline)) {
			lab_report_fail(r->rep, LAB_RESULT_FAIL, "timed out after %d ms",
					RUN_BASE_MS + RUN_PER_MSG_MS * (int)r->args->messages);
			return;
		}
		run_pump(r, remaining(deadline));
		for (i = 0; i < 2; i++) {
			struct side *s = &r->side[i];

			side_advance(r, s);
			if (s->proc.exited && !said[i]) {
				said[i] = true;
				s->rep->exit_code = s->proc.exit_code;
				lab_report_step(r->rep, "%s exited with status %d%s", s->nick,
						s->proc.exit_code, s->rep->bye ? " after bye" : "");
				if (s->proc.exit_code != 0 && r->rep->result == LAB_RESULT_PASS) {
					const char *tail = lab_proc_captured(&s->proc, 2);
					const char *last = tail;
					const char *p;

					/* its last complaint says most */
					for (p = tail; *p; p++)
						if (p[0] == '\n' && p[1])
							last = p + 1;
					lab_report_fail(r->rep, LAB_RESULT_FAIL, "%s exited with status %d: %.*s",
							s->nick, s->proc.exit_code,
							(int)strcspn(last, "\n"), last);
				}
			}
		}
	}
}

static void verify(struct run *r)
{
	unsigned n = r->args->messages;
	int i;

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
	if (r->rep->result == LAB_RESULT_PASS && strcmp(r->rep->path, r->rep->expected))
		lab_report_fail(r->rep, LAB_RESULT_FAIL, "the chat went %s where theory predicts %s",
				r->rep->path, r->rep->expected);
	for (i = 0; i < 2 && r->rep->probed; i++) {
		struct lab_report_side *rs = r->side[i].rep;

		if (!rs->probe_nat[0])
			lab_report_fail(r->rep, LAB_RESULT_FAIL, "%s's probe gave no verdict",
					r->side[i].nick);
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

static void teardown(struct run *r, struct lab_topo *t, bool state_written)
{
	uint64_t start = hp_clock_ms();
	int i, ret;

	for (i = 0; i < 2; i++)
		if (r->side[i].probe_started) {
			lab_proc_stop(&r->side[i].probe, 0);
			lab_proc_close(&r->side[i].probe);
		}
	for (i = 0; i < 2; i++)
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
	char prefix[32], room[64], err[320];
	bool state_written = false;
	uint64_t t0 = rep->t0;
	int ret;

	memset(&r, 0, sizeof(r));
	r.args = a;
	r.rep = rep;
	r.sigfd = sigfd;
	r.topo = &topo;
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
	r.side[0] = (struct side){ .host = LAB_NODE_HA, .nick = "alice", .other_nick = "bob",
				   .rep = &rep->a, .last_rx_seq = -1, .max_acked = -1 };
	r.side[1] = (struct side){ .host = LAB_NODE_HB, .nick = "bob", .other_nick = "alice",
				   .rep = &rep->b, .last_rx_seq = -1, .max_acked = -1 };
	for (int i = 0; i < 2; i++) {
		snprintf(r.side[i].rep->nick, sizeof(r.side[i].rep->nick), "%s", r.side[i].nick);
		snprintf(r.side[i].rep->private_ep, sizeof(r.side[i].rep->private_ep), "%s:%d",
			 lab_plan_host_addr(r.side[i].host), LAB_CLIENT_PORT);
		snprintf(r.side[i].rep->router_nat, sizeof(r.side[i].rep->router_nat), "%s",
			 i == 0 || a->same_nat ? a->nat_a : a->nat_b);
	}

	ret = lab_topo_init(&topo, prefix);
	if (ret < 0) {
		lab_report_fail(rep, LAB_RESULT_ERROR, "bad prefix '%s'", prefix);
		goto out;
	}
	topo.opts = (struct lab_topo_opts){ .same_nat = a->same_nat, .hairpin = a->hairpin > 0,
					    .no_firewall = a->no_firewall,
					    .udp_timeout = a->udp_timeout };
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
	lab_report_step(rep, "theory: %s x %s%s -> %s", topo.nat[LAB_NODE_RA]->name,
			a->same_nat ? "same router" : topo.nat[LAB_NODE_RB]->name,
			a->same_nat ? (a->hairpin > 0 ? ", hairpin on" : ", hairpin off") : "",
			rep->expected);
	r.signo = lab_sig_check(sigfd);
	if (!r.signo && start_server(&r, &topo, bindir) == 0 && !r.signo) {
		if (a->probe)
			probe_nats(&r, &topo, bindir);
		if (!r.signo && rep->result == LAB_RESULT_PASS &&
		    start_client(&r, &r.side[0], &topo, bindir, room) == 0 &&
		    start_client(&r, &r.side[1], &topo, bindir, room) == 0) {
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
	lab_report_init(rep, a->json ? NULL : stdout, hp_clock_ms());
	ret = lab_scenario_exec(a, sigfd, bindir, rep);
	lab_report_finish(rep, stdout, a->json);
	if (rep->result != LAB_RESULT_PASS && a->verbose == 0 && !a->json) {
		for (int i = 0; i < 2; i++)
			if (rep->last_words[i][0])
				fprintf(stderr, "--- %s's last words:\n%s\n", i ? "bob" : "alice",
					rep->last_words[i]);
	}
	free(rep);
	return ret;
}
