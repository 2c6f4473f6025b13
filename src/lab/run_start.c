// SPDX-License-Identifier: MIT
/*
 * The children of `labrun run` and their ends: the table of sides (who
 * runs where), hpserver, the hpclients, their NAT probes, the delay
 * engines, and the teardown that stops all of them and the topology.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "commands.h"
#include "args.h"
#include "capture.h"
#include "glass.h"
#include "nfq.h"
#include "pace.h"
#include "plan.h"
#include "report.h"
#include "scenario_int.h"
#include "state.h"

#define SERVER_READY_MS 3000
#define CLIENT_TIMEOUT_S 10      /* hpclient --timeout: registration + punch */
#define CLIENT_GRACE_MS 500
#define SERVER_GRACE_MS 1000
#define PROBE_MS 8000            /* both hosts' NAT discovery, at once: a bound */

/* Who chats from where: pairs 0-1 and 2-3 talk to each other. */
static const struct {
	const char *nick;
	enum lab_node host;
	unsigned port;           /* its UDP port in its host */
	bool second_pair;        /* one line each way, after a server restart */
} sides[RUN_SIDES] = {
	{ "alice", LAB_NODE_HA, LAB_CLIENT_PORT, false },
	{ "bob", LAB_NODE_HB, LAB_CLIENT_PORT, false },
	{ "carol", LAB_NODE_HA, LAB_CLIENT_PORT + 1, true },
	{ "dave", LAB_NODE_HB, LAB_CLIENT_PORT + 1, true },
};

/* The first pair reports into rep->a and rep->b; the second into pair2. */
void run_sides_init(struct run *r, struct lab_report_side *pair2)
{
	const struct lab_args *a = r->args;
	struct lab_report_side *reps[RUN_SIDES] = { &r->rep->a, &r->rep->b, &pair2[0], &pair2[1] };

	memset(pair2, 0, 2 * sizeof(*pair2));
	for (int i = 0; i < RUN_SIDES; i++) {
		struct lab_report_side *rs = reps[i];

		r->side[i] = (struct side){ .host = sides[i].host, .nick = sides[i].nick,
					    .other_nick = sides[i ^ 1].nick, .port = sides[i].port,
					    .want = sides[i].second_pair ? 1 : a->messages,
					    .rep = rs, .last_rx_seq = -1, .max_acked = -1 };
		snprintf(rs->nick, sizeof(rs->nick), "%s", sides[i].nick);
		snprintf(rs->private_ep, sizeof(rs->private_ep), "%s:%u",
			 lab_plan_host_addr_in(lab_args_plan(a), sides[i].host), sides[i].port);
		snprintf(rs->router_nat, sizeof(rs->router_nat), "%s",
			 sides[i].host == LAB_NODE_HA || lab_args_plan(a)->one_router ? a->nat_a : a->nat_b);
	}
}

static int server_wait_ready(struct run *r)
{
	uint64_t deadline = hp_clock_ms() + SERVER_READY_MS;

	while (!r->server_ready) {
		if (r->signo)
			return -EINTR;
		if (r->server.exited && r->server.err.fd < 0) {
			lab_report_fail(r->rep, LAB_RESULT_ERROR, "hpserver exited (%d): %.120s",
					r->server.exit_code, lab_proc_captured(&r->server, 2));
			return -ECHILD;
		}
		if (!run_ms_left(deadline)) {
			lab_report_fail(r->rep, LAB_RESULT_ERROR,
					"hpserver did not say it was listening within %d ms",
					SERVER_READY_MS);
			return -ETIMEDOUT;
		}
		run_pump(r, run_ms_left(deadline));
	}
	return 0;
}

int run_start_server(struct run *r)
{
	struct lab_topo *t = r->topo;
	char path[PATH_MAX], port[8];
	/* always the alternates: RFC 5780 discovery needs the second address,
	 * the clients' mapping verdict the second port (docs/protocol.md,
	 * "Mapping verdicts") */
	const char *argv_alt[] = { path, "--bind", lab_plan_server_addr(), "--alt-addr",
				   lab_plan_server_alt_addr(), port, NULL };
	struct lab_spawn sp = { .ns_fd = t->fds[LAB_NODE_SRV],
				.argv = argv_alt,
				.capture_out = true, .capture_err = true, .pdeathsig = true };
	int ret;

	snprintf(path, sizeof(path), "%s/hpserver", r->bindir);
	snprintf(port, sizeof(port), "%d", LAB_SERVER_PORT);
	ret = lab_proc_spawn(&r->server, &sp, "hpserver");
	if (ret < 0) {
		lab_report_fail(r->rep, LAB_RESULT_ERROR, "cannot start %s: %s", path, strerror(-ret));
		return ret;
	}
	r->server_started = true;
	r->server_ready = false;
	ret = server_wait_ready(r);
	if (ret < 0)
		return ret;
	lab_report_step(r->rep, "hpserver listening on %s%s%s (namespace %s)", r->server_ep,
			r->rep->probed ? ", discovery answers from " : "",
			r->rep->probed ? lab_plan_server_alt_addr() : "", t->names[LAB_NODE_SRV]);
	return 0;
}

/* The server dies as a crash would look to the clients; teardown reaps it. */
void run_server_term(struct run *r)
{
	if (r->server_started && !r->server.exited && r->server.pid > 0)
		kill(r->server.pid, SIGTERM);
}

/* The clients' waits for this run's paths (pace.h). */
static void run_pace(const struct run *r, struct lab_pace *p)
{
	lab_pace_get(r->args->imp, r->topo->plan->one_router, r->fault.ops != NULL, p);
}

int run_start_client(struct run *r, struct side *s, const char *room)
{
	char path[PATH_MAX], cport[8], sport[8], tmo[8], ttl[12], relay[16], probes[12];
	struct lab_pace pace;
	const char *argv[24];
	const char *const *extra = lab_fault_client_opts(&r->fault);
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
	/* a plan with more NATs before the core says which TTL dies there */
	if (r->args->punch_ttl >= 0 || r->topo->plan->punch_ttl) {
		snprintf(ttl, sizeof(ttl), "%d",
			 r->args->punch_ttl >= 0 ? r->args->punch_ttl : r->topo->plan->punch_ttl);
		argv[n++] = "--punch-ttl";
		argv[n++] = ttl;
	}
	/* the spray's budget (docs/hpclient.md): only when asked, so a client
	 * that does not spray is not handed an option it does not know */
	if (r->args->spray_probes) {
		snprintf(probes, sizeof(probes), "%u", r->args->spray_probes);
		argv[n++] = "--spray-probes";
		argv[n++] = probes;
	}
	run_pace(r, &pace);
	if (pace.relay_after_ms) {
		argv[n++] = "--relay-after";
		argv[n++] = lab_pace_secs(relay, sizeof(relay), pace.relay_after_ms);
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

/* hpserver again (the old one reaped), then the second pair in a room of
 * its own. */
int run_start_pair2(struct run *r)
{
	char room[80];
	int ret;

	if (r->server_started) {
		lab_proc_stop(&r->server, 0);
		lab_proc_close(&r->server);
		r->server_started = false;
	}
	ret = run_start_server(r);
	if (ret < 0)
		return ret;
	snprintf(room, sizeof(room), "%s-again", r->room);
	ret = run_start_client(r, &r->side[2], room);
	if (!ret)
		ret = run_start_client(r, &r->side[3], room);
	if (ret < 0)
		return ret;
	lab_report_step(r->rep, "a new pair: %s (%s) and %s (%s), room %s", r->side[2].nick,
			r->side[2].rep->private_ep, r->side[3].nick, r->side[3].rep->private_ep,
			room);
	return 0;
}

static bool probe_finished(const struct side *s)
{
	return !s->probe_started ||
	       (s->probe.exited && s->probe.out.fd < 0 && s->probe.err.fd < 0);
}

static void probes_collect(struct run *r)
{
	for (int i = 0; i < 2; i++) {
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

/* Both hosts classify their NAT at once, on the port the chat will use
 * (a full-cone router forwards only that one), before the chat starts. */
void run_probe_nats(struct run *r)
{
	char path[PATH_MAX], cport[8], sport[8], wait[16];
	const char *argv[10];
	uint64_t deadline = hp_clock_ms() + PROBE_MS;
	struct lab_pace pace;
	size_t n = 0;
	int i, ret;

	snprintf(path, sizeof(path), "%s/hpclient", r->bindir);
	snprintf(cport, sizeof(cport), "%d", LAB_CLIENT_PORT);
	snprintf(sport, sizeof(sport), "%d", LAB_SERVER_PORT);
	run_pace(r, &pace);
	argv[n++] = path;
	argv[n++] = "--probe";
	argv[n++] = "--json";
	if (pace.probe_wait_ms) {
		argv[n++] = "--probe-wait";
		argv[n++] = lab_pace_secs(wait, sizeof(wait), pace.probe_wait_ms);
	}
	argv[n++] = cport;
	argv[n++] = lab_plan_server_addr();
	argv[n++] = sport;
	argv[n] = NULL;
	for (i = 0; i < 2; i++) {
		struct side *s = &r->side[i];
		struct lab_spawn sp = { .ns_fd = r->topo->fds[s->host], .argv = argv,
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
	while (!(probe_finished(&r->side[0]) && probe_finished(&r->side[1]))) {
		if (r->signo)
			return;
		if (!run_ms_left(deadline)) {
			lab_report_step(r->rep, "the probes took longer than %d ms: stopped", PROBE_MS);
			break;
		}
		run_pump(r, run_ms_left(deadline));
	}
	probes_collect(r);
}

/* One delay engine per router whose impairment needs the queue. */
int run_engines_open(struct run *r, char *err, size_t errlen)
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
		if (!ret && t->plan->one_router && t->plan->isolated)
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

/* The glass box's readers, before any datagram: every NAT's conntrack
 * events and NFLOG records; the sides' endpoints named for the trace. */
int run_glass_open(struct run *r, char *err, size_t errlen)
{
	struct lab_trace *tr = &r->rep->trace;

	if (!tr->on)
		return 0;
	for (int i = 0; i < RUN_SIDES; i++)
		lab_trace_side(tr, (unsigned)i, r->side[i].nick,
			       lab_plan_host_addr_in(r->topo->plan, r->side[i].host), r->side[i].port);
	return lab_glass_open(&r->glass, r->topo, tr, r->rep->t0 * 1000, err, errlen);
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

static void children_stop(struct run *r)
{
	int i;

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
}

/* After the children, so their last words are in the files too. */
static void captures_close(struct run *r)
{
	struct lab_captures_stats st;
	char err[PATH_MAX + 64];

	if (!r->cap)
		return;
	if (lab_captures_close(r->cap, &st, err, sizeof(err)) < 0)
		lab_report_fail(r->rep, LAB_RESULT_ERROR, "%s", err);
	r->cap = NULL;
	lab_report_step(r->rep, "captures: %llu packets in %zu files in %s (the kernel dropped %llu)",
			(unsigned long long)st.packets, st.files, r->args->pcap,
			(unsigned long long)st.dropped);
}

void run_teardown(struct run *r, bool state_written)
{
	uint64_t start = hp_clock_ms();
	int ret;

	engines_close(r);
	children_stop(r);
	captures_close(r);
	/* after the children: their last datagrams are told too */
	lab_glass_close(r->glass);
	r->glass = NULL;
	ret = lab_topo_destroy(r->topo);
	if (state_written)
		lab_state_remove(r->topo->prefix);
	r->rep->teardown_ms = (int64_t)(hp_clock_ms() - start);
	if (ret < 0) {
		lab_report_fail(r->rep, LAB_RESULT_ERROR, "teardown: %s", strerror(-ret));
		lab_report_step(r->rep, "teardown incomplete: %s (try: %s clean)",
				strerror(-ret), lab_prog());
	} else {
		lab_report_step(r->rep, "teardown in %lld ms: processes stopped, namespaces deleted",
				(long long)r->rep->teardown_ms);
	}
}
