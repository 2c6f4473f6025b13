// SPDX-License-Identifier: MIT
/*
 * `labrun run`, the driver: its phases in order, each a call down into
 * the file that owns it (scenario_int.h draws the map). Build the
 * topology, start hpserver and the clients, let them chat (the fault, if
 * any, injected mid-way), verify, tear down, report.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "args.h"
#include "capture.h"
#include "nat.h"
#include "netns.h"
#include "outfile.h"
#include "plan.h"
#include "report.h"
#include "scenario.h"
#include "scenario_int.h"
#include "sig.h"
#include "state.h"

/* The run's names and the report's header fields, from the options. */
static void run_init(struct run *r, const struct lab_args *a, int sigfd, const char *bindir,
		     struct lab_report *rep, struct lab_topo *topo, struct lab_report_side *pair2)
{
	memset(r, 0, sizeof(*r));
	r->args = a;
	r->rep = rep;
	r->sigfd = sigfd;
	r->topo = topo;
	r->bindir = bindir;
	rep->messages = a->messages;
	rep->same_nat = a->same_nat;
	rep->hairpin = lab_plan_hairpins(lab_args_plan(a)) ? a->hairpin : -1;
	snprintf(rep->topology, sizeof(rep->topology), "%s", lab_topologies[a->topology].name);
	rep->no_firewall = a->no_firewall;
	rep->udp_timeout = a->udp_timeout;
	rep->probed = a->probe;
	rep->trace.on = lab_args_traced(a);
	rep->trace.tell = a->explain || a->verbose > 1;
	rep->trace.sessions = a->nat_sessions;
	rep->trace.spray_probes = a->spray_probes;
	snprintf(rep->nat_a, sizeof(rep->nat_a), "%s", a->nat_a);
	snprintf(rep->nat_b, sizeof(rep->nat_b), "%s", lab_args_plan(a)->one_router ? a->nat_a : a->nat_b);
	if (a->prefix_set)
		snprintf(rep->prefix, sizeof(rep->prefix), "%s", a->prefix);
	else
		snprintf(rep->prefix, sizeof(rep->prefix), "hpl%d", (int)getpid());
	snprintf(r->room, sizeof(r->room), "lab-%s-%llu", rep->prefix,
		 (unsigned long long)rep->t0);
	snprintf(r->server_ep, sizeof(r->server_ep), "%s:%d", lab_plan_server_addr(),
		 LAB_SERVER_PORT);
	run_sides_init(r, pair2);
	lab_fault_init(&r->fault, a->fault, a->messages, r->side, topo, rep, r->server_ep);
	if (r->fault.ops)
		snprintf(rep->fault, sizeof(rep->fault), "%s", r->fault.ops->name);
}

/* The topology's options (the fault's needs too), and no other run's
 * namespaces in the way. */
static int topo_prepare(struct run *r)
{
	const struct lab_args *a = r->args;
	struct lab_topo *t = r->topo;
	char err[PATH_MAX + 64];

	/* a wrong --pcap costs no topology */
	if (a->pcap && lab_capture_dir_ready(a->pcap, err, sizeof(err)) < 0) {
		lab_report_fail(r->rep, LAB_RESULT_ERROR, "%s", err);
		return -1;
	}
	if (lab_topo_init(t, r->rep->prefix) < 0) {
		lab_report_fail(r->rep, LAB_RESULT_ERROR, "bad prefix '%s'", r->rep->prefix);
		return -1;
	}
	t->opts = (struct lab_topo_opts){ .topology = a->topology, .same_nat = a->same_nat,
					 .nat_cgn = lab_nat_find(a->nat_cgn),
					  .hairpin = a->hairpin > 0,
					  .no_firewall = a->no_firewall,
					  .udp_timeout = a->udp_timeout,
					  .nat_sessions = a->nat_sessions };
	memcpy(t->opts.imp, a->imp, sizeof(t->opts.imp));
	lab_fault_topo_opts(&r->fault, &t->opts);
	r->rep->udp_timeout = t->opts.udp_timeout;
	if (lab_netns_list(r->rep->prefix, NULL, 0) > 0) {
		lab_report_fail(r->rep, LAB_RESULT_ERROR,
				"namespaces %s-* exist already (another run? try: %s clean)",
				r->rep->prefix, lab_prog());
		return -1;
	}
	return 0;
}

/* `labrun clean` finds the run by this record if it dies. */
static int state_record(struct run *r)
{
	struct lab_state st = { 0 };
	int ret;

	snprintf(st.prefix, sizeof(st.prefix), "%s", r->rep->prefix);
	st.kind = LAB_STATE_RUN;
	st.pid = getpid();
	st.starttime = lab_state_starttime(st.pid);
	ret = lab_state_write(&st);
	if (ret < 0)
		lab_report_fail(r->rep, LAB_RESULT_ERROR, "cannot record the run in %s: %s",
				LAB_STATE_DIR, strerror(-ret));
	return ret;
}

/* The namespaces, routers and delay engines, told as they are. */
static int build(struct run *r)
{
	const struct lab_args *a = r->args;
	char err[320];
	int ret;

	ret = lab_topo_build(r->topo, lab_nat_find(a->nat_a), lab_nat_find(a->nat_b), err,
			     sizeof(err));
	r->rep->setup_ms = (int64_t)(hp_clock_ms() - r->rep->t0);
	if (ret < 0) {
		lab_report_fail(r->rep, LAB_RESULT_ERROR, "%s", err);
		return ret;
	}
	snprintf(r->rep->expected, sizeof(r->rep->expected), "%s", run_predict(r->topo, r->args->spray_probes, &r->rep->p_direct));
	run_story_topology(r->rep, r->topo);
	run_story_impair(r);
	ret = run_engines_open(r, err, sizeof(err));
	if (!ret)
		ret = run_glass_open(r, err, sizeof(err));
	if (ret < 0) {
		lab_report_fail(r->rep, LAB_RESULT_ERROR, "%s", err);
		return ret;
	}
	/* before any client starts, so the first punch is in the files */
	if (a->pcap) {
		ret = lab_captures_open(&r->cap, r->topo->plan, r->topo->fds, a->pcap, err,
					sizeof(err));
		if (ret < 0) {
			lab_report_fail(r->rep, LAB_RESULT_ERROR, "%s", err);
			return ret;
		}
		lab_report_step(r->rep, "capturing the %zu interfaces of the NATs into %s/*.pcap",
				lab_capture_ifaces(r->topo->plan, NULL, 0), a->pcap);
	}
	run_story_theory(r);
	return 0;
}

/* The server (unless the fault has none), the probes, the pair, the chat. */
static void play(struct run *r)
{
	struct lab_report *rep = r->rep;

	r->signo = lab_sig_check(r->sigfd);
	lab_fault_setup(&r->fault);
	if (r->signo)
		return;
	if (!lab_fault_has(&r->fault, LAB_FAULT_NO_SERVER) && run_start_server(r) < 0)
		return;
	if (r->signo)
		return;
	if (r->args->probe)
		run_probe_nats(r);
	if (r->signo || rep->result != LAB_RESULT_PASS ||
	    run_start_client(r, &r->side[0], r->room) < 0 ||
	    run_start_client(r, &r->side[1], r->room) < 0)
		return;
	lab_report_step(rep, "%s (%s, behind rA) and %s (%s, behind %s) started, room %s",
			r->side[0].nick, rep->a.private_ep, r->side[1].nick, rep->b.private_ep,
			lab_args_plan(r->args)->one_router ? "rA too" : "rB", r->room);
	run_chat(r);
}

int lab_scenario_exec(const struct lab_args *a, int sigfd, const char *bindir,
		      struct lab_report *rep)
{
	struct lab_topo topo;
	struct run r;
	/* the second pair of the server-restart fault: not in the report's sides */
	struct lab_report_side pair2[2];
	bool state_written = false;

	run_init(&r, a, sigfd, bindir, rep, &topo, pair2);
	if (topo_prepare(&r) < 0 || state_record(&r) < 0)
		goto out;
	state_written = true;
	if (build(&r) < 0)
		goto teardown;
	play(&r);
	if (r.signo) {
		lab_report_step(rep, "interrupted by %s", lab_sig_name(r.signo));
		lab_report_fail(rep, LAB_RESULT_FAIL, "interrupted by %s", lab_sig_name(r.signo));
		snprintf(rep->interrupted_by, sizeof(rep->interrupted_by), "%s",
			 lab_sig_name(r.signo));
	}
	run_verify(&r);
teardown:
	run_teardown(&r, state_written);
	if (rep->trace.on)
		lab_trace_resolve(&rep->trace);
out:
	for (int i = 0; i < 2; i++)
		snprintf(rep->last_words[i], sizeof(rep->last_words[i]), "%s",
			 r.side[i].proc.err.tail_len ? r.side[i].proc.err.tail : "");
	for (int i = 0; i < RUN_SIDES; i++)
		lab_samples_free(&r.side[i].rtt);
	rep->wall_ms = (int64_t)(hp_clock_ms() - rep->t0);
	return lab_report_exit_code(rep);
}

/* The report in stdout's format, then in each file's (outfile.h); a file
 * that cannot be completed makes the run a setup error. */
static int report(const struct lab_args *a, struct lab_outfiles *files,
		  const struct lab_report *rep, int ret)
{
	char err[PATH_MAX + 64];
	int fmt;

	lab_report_finish(rep);
	/* with -v they were shown as they came */
	if (rep->result != LAB_RESULT_PASS && a->verbose == 0)
		lab_report_last_words(rep, stderr);
	for (fmt = 0; fmt < LAB_FORMAT_COUNT; fmt++)
		if (lab_outfiles_stream(files, fmt))
			lab_report_write(rep, fmt, lab_outfiles_stream(files, fmt));
	if (lab_outfiles_commit(files, err, sizeof(err)) < 0) {
		lab_report_error(stderr, LAB_FORMAT_TEXT, "run", err);
		return 2;
	}
	return ret;
}

int lab_scenario_run(const struct lab_args *a, int sigfd, const char *bindir)
{
	struct lab_outfiles files;
	struct lab_report *rep;
	char err[PATH_MAX + 64];
	int ret;

	if (lab_outfiles_open(&files, a->files, err, sizeof(err)) < 0)
		return lab_report_refuse(lab_args_format(a), "run", err);
	rep = malloc(sizeof(*rep));
	if (!rep) {
		lab_outfiles_abort(&files);
		return lab_report_refuse(lab_args_format(a), "run", "out of memory");
	}
	lab_report_init(rep, lab_args_format(a), stdout, hp_clock_ms());
	ret = lab_scenario_exec(a, sigfd, bindir, rep);
	ret = report(a, &files, rep, ret);
	free(rep);
	return ret;
}
