// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "capture.h"
#include "clean.h"
#include "clock.h"
#include "nat.h"
#include "commands.h"
#include "plan.h"
#include "proc.h"
#include "sig.h"
#include "state.h"
#include "topo.h"
#include "updown.h"

#define SERVER_READY_MS 3000
#define SERVER_READY_TICK_MS 10
#define CAPTURE_READY_MS 5000
#define CAPTURE_READY_LINE "capturing"

/* The detached server writes to a log file only; look for its ready line
 * there, a few times, bounded. */
static bool log_says_ready(const char *path)
{
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return strstr(buf, "hpserver: listening on") != NULL;
}

static int start_server(struct lab_topo *t, const char *bindir, const char *log,
			struct lab_state *st, bool verbose)
{
	char path[PATH_MAX], port[8];
	/* with its second address, so RFC 5780 discovery works from the hosts;
	 * -v (lab up -v): its log says each register, intro and error */
	const char *argv[] = { path, "--bind", lab_plan_server_addr(), "--alt-addr",
			       lab_plan_server_alt_addr(), port, NULL, NULL };
	struct lab_spawn sp = { .ns_fd = t->fds[LAB_NODE_SRV], .argv = argv, .detach = true,
				.log_path = log };
	struct lab_proc p;
	uint64_t deadline = hp_clock_ms() + SERVER_READY_MS;
	int ret;

	snprintf(path, sizeof(path), "%s/hpserver", bindir);
	snprintf(port, sizeof(port), "%d", LAB_SERVER_PORT);
	if (verbose) {
		argv[6] = port;
		argv[5] = "-v";
	}
	unlink(log);
	ret = lab_proc_spawn(&p, &sp, "hpserver");
	if (ret < 0) {
		lab_err("cannot start %s: %s", path, strerror(-ret));
		return ret;
	}
	st->server_pid = p.pid;
	st->server_starttime = lab_state_starttime(p.pid);
	while (!log_says_ready(log)) {
		if (lab_proc_reap(&p)) {
			lab_err("hpserver exited with status %d (see %s)", p.exit_code, log);
			ret = -ECHILD;
			break;
		}
		if (hp_clock_ms() >= deadline) {
			lab_err("hpserver not ready after %d ms (see %s)", SERVER_READY_MS, log);
			break; /* leave it running: the user can look */
		}
		poll(NULL, 0, SERVER_READY_TICK_MS);
	}
	/* it outlives us on purpose: forget it without killing it */
	close(p.pidfd);
	p.pidfd = -1;
	return ret;
}

static void capture_said(void *ctx, struct lab_proc *p, int stream, const char *line, size_t len)
{
	(void)p, (void)stream;
	if (len == strlen(CAPTURE_READY_LINE) && !memcmp(line, CAPTURE_READY_LINE, len))
		*(bool *)ctx = true;
}

/* What the capture process said before it gave up, on our stderr;
 * returns how many bytes that was. */
static size_t log_relay(const char *path)
{
	char buf[1024];
	size_t total = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		fwrite(buf, 1, (size_t)n, stderr);
		total += (size_t)n;
	}
	close(fd);
	return total;
}

/*
 * `up --pcap`: this program again, as the hidden `capture` command,
 * detached in our own namespace (its sockets are born in the routers'),
 * recorded so that down and clean stop it. It says CAPTURE_READY_LINE on
 * its stdout once every file is open; its errors go to the log.
 */
static int start_capture(const struct lab_args *a, const char *log, struct lab_state *st)
{
	char self[PATH_MAX];
	const char *argv[] = { self, "capture", "--prefix", a->prefix, "--pcap", a->pcap,
			       "--topology", lab_topologies[a->topology].name,
			       a->same_nat ? "--same-nat" : NULL, NULL };
	struct lab_spawn sp = { .ns_fd = -1, .argv = argv, .detach = true, .capture_out = true,
				.log_path = log };
	uint64_t deadline = hp_clock_ms() + CAPTURE_READY_MS;
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	struct lab_proc p;
	bool ready = false;
	int ret;

	if (len < 0) {
		ret = -errno;
		lab_err("cannot find my own program: %s", strerror(-ret));
		return ret;
	}
	self[len] = '\0';
	unlink(log);
	ret = lab_proc_spawn(&p, &sp, "capture");
	if (ret < 0) {
		lab_err("cannot start %s capture: %s", self, strerror(-ret));
		return ret;
	}
	st->capture_pid = p.pid;
	st->capture_starttime = lab_state_starttime(p.pid);
	lab_state_write(st);
	while (!ready && p.out.fd >= 0 && hp_clock_ms() < deadline) {
		struct pollfd pfd = { .fd = p.out.fd, .events = POLLIN };

		poll(&pfd, 1, (int)(deadline - hp_clock_ms()));
		lab_proc_pump(&p, 1, capture_said, &ready);
	}
	if (!ready) {
		/* its own line, naming the interface or file (it exits after
		 * saying why; the caller's clean-up stops it if it hangs) */
		if (!log_relay(log) && p.out.fd < 0)
			lab_err("the capture process ended before it started (--pcap %s)", a->pcap);
		else if (p.out.fd >= 0)
			lab_err("the capture did not start within %d ms (--pcap %s)",
				CAPTURE_READY_MS, a->pcap);
		ret = -EIO;
	}
	/* it outlives us on purpose: forget it without stopping it */
	close(p.pidfd);
	if (p.out.fd >= 0)
		close(p.out.fd);
	return ret;
}

/* rA's interface towards the Internet in plan p: the one with an address
 * whose far end is no host of rA's (its lan, or a port of its switch). */
static const char *wan_of(const struct lab_plan *p, enum lab_node r)
{
	size_t i;

	for (i = 0; i < p->nlinks; i++) {
		const struct lab_link *l = &p->links[i];

		if (l->a.node == r && l->a.addr && l->b.node != LAB_NODE_HA && l->b.node != LAB_NODE_HB)
			return l->a.name;
		if (l->b.node == r && l->b.addr && l->a.node != LAB_NODE_HA && l->a.node != LAB_NODE_HB)
			return l->b.name;
	}
	return "wan";
}

/* One hint: the command, then at a column of its own why. */
__attribute__((format(printf, 2, 3)))
static void hint(const char *why, const char *fmt, ...)
{
	char cmd[PATH_MAX + 160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (why)
		printf("  %-46s # %s\n", cmd, why);
	else
		printf("  %s\n", cmd);
}

static void print_explore(const struct lab_topo *t, const char *bindir)
{
	const char *ra = t->names[LAB_NODE_RA], *srv = lab_plan_server_addr();
	const char *wan = wan_of(t->plan, LAB_NODE_RA);
	bool other = strcmp(t->prefix, "hplab") != 0;

	printf("\nexplore:\n");
	hint("the NATs' tables and drops, live", "%s watch --prefix %s", lab_prog(), t->prefix);
	hint("its rules, the drops counted", "ip netns exec %s nft list ruleset", ra);
	hint("its mappings", "ip netns exec %s conntrack -L", ra);
	hint("its mappings as they come and go", "ip netns exec %s conntrack -E", ra);
	hint("what crosses its public side", "ip netns exec %s tcpdump -ni %s", ra, wan);
	hint(NULL, "ip netns exec %s %s/hpclient --room r --name alice 4000 %s %d",
	     t->names[LAB_NODE_HA], bindir, srv, LAB_SERVER_PORT);
	hint(NULL, "ip netns exec %s %s/hpclient --room r --name bob 4000 %s %d",
	     t->names[LAB_NODE_HB], bindir, srv, LAB_SERVER_PORT);
	hint("RFC 5780", "ip netns exec %s turnutils_natdiscovery -f -L 10.0.1.2 -l 4000 %s",
	     t->names[LAB_NODE_HA], srv);
	hint("no route to 10.x", "ip -n %s route", t->names[LAB_NODE_CORE]);
	printf("remove it with: %s down%s%s\n", lab_prog(), other ? " --prefix " : "",
	       other ? t->prefix : "");
}

static void print_guide(const struct lab_topo *t, const char *bindir, const char *log, bool server)
{
	size_t i;
	int n;

	if (t->plan->isolated)
		printf("lab is up: prefix %s, both hosts behind rA (NAT %s, hairpin %s)\n\n",
		       t->prefix, t->nat[LAB_NODE_RA]->name, t->opts.hairpin ? "on" : "off");
	else if (t->plan->one_router)
		printf("lab is up: prefix %s, topology %s: both hosts on rA's LAN switch "
		       "(NAT %s, hairpin %s)\n\n", t->prefix, lab_topologies[t->plan->topology].name,
		       t->nat[LAB_NODE_RA]->name, t->opts.hairpin ? "on" : "off");
	else if (t->nat[LAB_NODE_CA])
		printf("lab is up: prefix %s, topology %s: NAT %s on rA, %s on rB, each behind "
		       "a carrier-grade NAT (%s)\n\n", t->prefix,
		       lab_topologies[t->plan->topology].name, t->nat[LAB_NODE_RA]->name,
		       t->nat[LAB_NODE_RB]->name, t->nat[LAB_NODE_CA]->name);
	else
		printf("lab is up: prefix %s, NAT %s on rA, %s on rB\n\n", t->prefix,
		       t->nat[LAB_NODE_RA]->name, t->nat[LAB_NODE_RB]->name);
	if (t->opts.no_firewall)
		printf("routers have no inbound firewall (bare MASQUERADE)\n");
	if (t->opts.udp_timeout)
		printf("routers forget idle UDP mappings after %u s\n", t->opts.udp_timeout);
	if (t->opts.nat_sessions)
		printf("each router tracks at most %u sessions (new flows out beyond are refused)\n",
		       t->opts.nat_sessions);
	for (n = 0; n < LAB_NODE_COUNT; n++) {
		if (!lab_plan_has_node(t->plan, (enum lab_node)n))
			continue;
		printf("  %-12s", t->names[n]);
		for (i = 0; i < t->plan->nlinks * 2; i++) {
			const struct lab_iface *f =
				i % 2 ? &t->plan->links[i / 2].b : &t->plan->links[i / 2].a;

			if (f->node == (enum lab_node)n && f->addr)
				printf(" %s %s/%u", f->name, f->addr, f->prefixlen);
		}
		for (i = 0; i < t->plan->nbridges; i++)
			if (t->plan->bridges[i].node == (enum lab_node)n)
				printf(" %s %s/%u (switch: %s %s)", t->plan->bridges[i].name,
				       t->plan->bridges[i].addr, t->plan->bridges[i].prefixlen,
				       t->plan->bridges[i].ports[0], t->plan->bridges[i].ports[1]);
		printf("   (%s)\n", lab_plan_nodes[n].role);
	}
	if (server)
		printf("\nhpserver listens on %s:%d in %s (log: %s)\n", lab_plan_server_addr(),
		       LAB_SERVER_PORT, t->names[LAB_NODE_SRV], log);
	print_explore(t, bindir);
}

/* what: "server" or "capture" */
static void log_path(char *buf, size_t len, const char *prefix, const char *what)
{
	snprintf(buf, len, "%s/%s.%s.log", LAB_STATE_DIR, prefix, what);
}

int lab_updown_up(const struct lab_args *a, int sigfd, const char *bindir)
{
	struct lab_state st = { 0 };
	struct lab_topo t;
	char err[320], log[160], cap_log[160];
	int ret, signo, status = 2;

	ret = lab_topo_init(&t, a->prefix);
	if (ret < 0) {
		lab_err("bad prefix '%s'", a->prefix);
		return 2;
	}
	if (lab_netns_list(a->prefix, NULL, 0) > 0 || lab_state_read(a->prefix, &st) == 0) {
		lab_err("%s is already up (run `%s down%s%s` first)", a->prefix, lab_prog(),
			a->prefix_set ? " --prefix " : "", a->prefix_set ? a->prefix : "");
		return 2;
	}
	if (a->pcap && lab_capture_dir_ready(a->pcap, err, sizeof(err)) < 0) {
		lab_err("%s", err);
		return 2;
	}
	memset(&st, 0, sizeof(st));
	snprintf(st.prefix, sizeof(st.prefix), "%s", a->prefix);
	st.kind = LAB_STATE_UP;
	st.pid = getpid();
	st.starttime = lab_state_starttime(st.pid);
	ret = lab_state_write(&st);
	if (ret < 0) {
		lab_err("cannot record the lab in %s: %s", LAB_STATE_DIR, strerror(-ret));
		return 2;
	}
	log_path(log, sizeof(log), a->prefix, "server");
	log_path(cap_log, sizeof(cap_log), a->prefix, "capture");
	t.opts = (struct lab_topo_opts){ .topology = a->topology, .same_nat = a->same_nat,
					 .nat_cgn = lab_nat_find(a->nat_cgn),
					 .hairpin = a->hairpin > 0,
					 .no_firewall = a->no_firewall,
					 .udp_timeout = a->udp_timeout,
					 .nat_sessions = a->nat_sessions };
	ret = lab_topo_build(&t, lab_nat_find(a->nat_a), lab_nat_find(a->nat_b), err, sizeof(err));
	if (ret < 0) {
		lab_err("%s", err);
		goto out_clean;
	}
	/* before the server, so its first datagram is in the files too */
	if (a->pcap && start_capture(a, cap_log, &st) < 0)
		goto out_clean;
	if (!a->no_server) {
		ret = start_server(&t, bindir, log, &st, a->verbose > 0);
		if (ret < 0)
			goto out_clean;
		lab_state_write(&st);
	}
	/* the signals are blocked (sig.h) while it builds: honour one now,
	 * and leave nothing, as an interrupted run does */
	signo = lab_sig_check(sigfd);
	if (signo) {
		lab_err("interrupted by %s", lab_sig_name(signo));
		status = 1;
		goto out_clean;
	}
	print_guide(&t, bindir, log, !a->no_server);
	if (a->pcap)
		printf("capturing the NATs' interfaces into %s/*.pcap (tcpdump -r reads them as "
		       "they grow; `%s down` closes them)\n", a->pcap, lab_prog());
	status = 0;
	goto out_close;
out_clean:
	lab_clean_prefix(a->prefix);
	unlink(log);
	unlink(cap_log);
out_close:
	lab_topo_close(&t);
	return status;
}

int lab_updown_down(const struct lab_args *a)
{
	struct lab_state st;
	char log[160];
	int ret;

	/* a live `run`'s namespaces are its own: it tears them down itself
	 * (as `clean` knows; a signal to that run stops it cleanly) */
	if (lab_state_read(a->prefix, &st) == 0 && st.kind == LAB_STATE_RUN &&
	    lab_state_alive(st.pid, st.starttime)) {
		lab_err("%s-* belong to a running `run` (pid %d): not removed (stop it with "
			"kill -INT %d)", a->prefix, (int)st.pid, (int)st.pid);
		return 2;
	}
	ret = lab_clean_prefix(a->prefix);

	log_path(log, sizeof(log), a->prefix, "server");
	unlink(log);
	log_path(log, sizeof(log), a->prefix, "capture");
	unlink(log);
	if (ret < 0) {
		lab_err("cannot remove %s: %s", a->prefix, strerror(-ret));
		return 2;
	}
	if (ret == 0)
		printf("nothing to remove: no namespace %s-*\n", a->prefix);
	else
		printf("removed %d namespaces %s-* and what ran in them\n", ret, a->prefix);
	return 0;
}

/* Every capture's packets to its file, until a signal (0) or until a
 * capture fails (2). */
static int capture_loop(struct lab_captures *c, int sigfd)
{
	struct pollfd pfd[1 + LAB_CAPTURE_MAX];
	nfds_t n;

	for (;;) {
		pfd[0] = (struct pollfd){ .fd = sigfd, .events = POLLIN };
		n = 1 + lab_captures_pollfds(c, pfd + 1, LAB_CAPTURE_MAX);
		if (poll(pfd, n, -1) < 0 && errno != EINTR)
			return 2;
		if (lab_sig_check(sigfd))
			return 0;
		if (lab_captures_pump(c) > 0)
			return 2;
	}
}

int lab_updown_capture(const struct lab_args *a, int sigfd)
{
	const struct lab_plan *p = lab_args_plan(a);
	struct lab_captures *c = NULL;
	struct lab_topo t;
	char err[PATH_MAX + 160];
	int n, nul, ret, status = 2;

	if (!a->pcap || lab_topo_init(&t, a->prefix) < 0) {
		lab_err("wants --prefix P and --pcap DIR (it is what `up --pcap` starts)");
		return 2;
	}
	for (n = 0; n < LAB_NODE_COUNT; n++) {
		if (!lab_plan_nodes[n].nat || !lab_plan_has_node(p, (enum lab_node)n))
			continue;
		t.fds[n] = lab_netns_open(t.names[n]);
		if (t.fds[n] < 0) {
			lab_err("cannot open namespace %s: %s", t.names[n], strerror(-t.fds[n]));
			goto out;
		}
	}
	ret = lab_captures_open(&c, p, t.fds, a->pcap, err, sizeof(err));
	if (ret < 0) {
		lab_err("%s", err);
		goto out;
	}
	/* `up` waits for this line; nobody reads our stdout after it */
	printf("%s\n", CAPTURE_READY_LINE);
	fflush(stdout);
	nul = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (nul >= 0) {
		dup2(nul, 1);
		close(nul);
	}
	status = capture_loop(c, sigfd);
	if (lab_captures_close(c, NULL, err, sizeof(err)) < 0) {
		lab_err("%s", err);
		status = 2;
	}
out:
	for (n = 0; n < LAB_NODE_COUNT; n++)
		if (t.fds[n] >= 0)
			close(t.fds[n]);
	return status;
}
