// SPDX-License-Identifier: MIT
/*
 * `labrun matrix`: the cells, their forked workers, collecting what each
 * found (matrix.h). The writers are matrixout*.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "args.h"
#include "clean.h"
#include "clock.h"
#include "json.h"
#include "matrix.h"
#include "nat.h"
#include "outfile.h"
#include "report.h"
#include "scenario.h"
#include "sig.h"
#include "theory.h"

#define MATRIX_CELL_MS 40000 /* a cell's worker is killed after this */
#define MATRIX_STOP_MS 10000 /* after a signal, how long workers get to tear down */

/* Theory needs no run: the routers' RFC 4787 properties are enough (the
 * run's own prediction, run_predict(), reads the same rows). */
static void cell_init(struct lab_cell *c, const struct lab_nat_personality *a,
		      const struct lab_nat_personality *b, enum lab_topology topology, bool same,
		      int hairpin, const struct lab_nat_personality *cgn, const struct lab_spray *spray)
{
	struct lab_prediction pr;
	struct lab_theory_case tc = { .a = a->props, .b = b->props,
				      .same_nat = same || topology == LAB_TOPOLOGY_CGNAT_SAME,
				      .same_lan = topology == LAB_TOPOLOGY_SAME_LAN,
				      .hairpin = hairpin > 0, .relay = true };

	memset(c, 0, sizeof(*c));
	if (cgn) {
		/* each home router behind its own CGN: theory sees the chains */
		tc.a = lab_theory_chain(&a->props, &cgn->props);
		tc.b = lab_theory_chain(&b->props, &cgn->props);
		snprintf(c->nat_cgn, sizeof(c->nat_cgn), "%s", cgn->name);
	}
	c->topology = topology;
	snprintf(c->nat_a, sizeof(c->nat_a), "%s", a->name);
	snprintf(c->nat_b, sizeof(c->nat_b), "%s", b->name);
	c->same_nat = same;
	c->hairpin = hairpin;
	c->connect_ms = c->direct_ms = c->wall_ms = -1;
	lab_theory_predict_p(&tc, spray, &pr);
	snprintf(c->expected, sizeof(c->expected), "%s", lab_outcome_name(pr.path));
	c->p_direct = pr.p_direct;
	c->spray = pr.spray;
	c->hard_hard = pr.hard_hard;
	c->spray_k = pr.assumed.ports;
	c->spray_n = pr.assumed.probes;
	c->median_ms = -1;
	snprintf(c->observed, sizeof(c->observed), "%s", LAB_OBSERVED_NOT_RUN);
}

size_t lab_matrix_cells(struct lab_cell *cells, size_t max, const struct lab_spray *s)
{
	size_t i, j, n = 0, k = lab_nat_count();

	/* most open first, as nat.c ranks its rows */
	for (i = 0; i < k; i++)
		for (j = 0; j < k && n < max; j++)
			cell_init(&cells[n++], lab_nat_by_openness(i), lab_nat_by_openness(j),
				  LAB_TOPOLOGY_HOME, false, -1, NULL, s);
	/* one router for both hosts: isolated lan ports, then one LAN switch;
	 * hairpin on (RFC 4787 REQ-9), then off */
	for (i = 0; i < 4 && n < max; i++)
		cell_init(&cells[n++], lab_nat_find(LAB_NAT_DEFAULT),
			  lab_nat_find(LAB_NAT_DEFAULT),
			  i < 2 ? LAB_TOPOLOGY_HOME : LAB_TOPOLOGY_SAME_LAN, i < 2, i % 2 ? 0 : 1,
			  NULL, s);
	/* double NAT: port-restricted homes behind port-restricted CGNs
	 * (direct), then behind symmetric ones (relay) */
	for (i = 0; i < 2 && n < max; i++)
		cell_init(&cells[n++], lab_nat_find(LAB_NAT_DEFAULT),
			  lab_nat_find(LAB_NAT_DEFAULT), LAB_TOPOLOGY_CGNAT, false, -1,
			  lab_nat_find(i ? "symmetric" : LAB_NAT_DEFAULT), s);
	/* both homes behind one CGN: hairpin on (RFC 6888 REQ-9), then off */
	for (i = 0; i < 2 && n < max; i++)
		cell_init(&cells[n++], lab_nat_find(LAB_NAT_DEFAULT),
			  lab_nat_find(LAB_NAT_DEFAULT), LAB_TOPOLOGY_CGNAT_SAME, false, i ? 0 : 1,
			  lab_nat_find(LAB_NAT_DEFAULT), s);
	return n;
}

void lab_matrix_start_order(const struct lab_cell *cells, size_t n, size_t *order)
{
	const char *relay = lab_outcome_name(LAB_OUTCOME_RELAY);
	size_t i, k = 0;
	int pass;

	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < n; i++)
			if (!strcmp(cells[i].expected, relay) == !pass)
				order[k++] = i;
}

/* From a finished run's report: what the chat did, against the theory
 * (the cell's own, which is the run's: a matrix run has no fault). A run a
 * signal cut short observed nothing. */
static void cell_from_report(struct lab_cell *c, const struct lab_report *r)
{
	bool crossed = r->a.received == r->messages && r->b.received == r->messages &&
		       r->a.sent == r->messages && r->b.sent == r->messages;

	snprintf(c->observed, sizeof(c->observed), "%s",
		 r->interrupted_by[0] ? LAB_OBSERVED_NOT_RUN : crossed ? r->path : "failed");
	c->connect_ms = r->connect_ms;
	c->direct_ms = r->direct_ms;
	snprintf(c->probe_a, sizeof(c->probe_a), "%s", r->a.probe_nat);
	snprintf(c->probe_b, sizeof(c->probe_b), "%s", r->b.probe_nat);
	c->probe_a_ok = r->a.probe_match;
	c->probe_b_ok = r->b.probe_match;
	c->ok = r->result == LAB_RESULT_PASS && crossed && lab_cell_path_allowed(c, c->observed) &&
		c->probe_a_ok && c->probe_b_ok;
	snprintf(c->reason, sizeof(c->reason), "%s", r->reason);
	snprintf(c->prefix, sizeof(c->prefix), "%s", r->prefix);
}

/*
 * What a worker sends on its pipe: its cell (struct lab_cell), then, when
 * the page (--html) tells each cell's story, its report's length (a
 * uint32_t) and the report itself, cut after the trace's last event (the
 * trace is the report's last field, trace.h). The parent reads whatever
 * each pipe holds when poll says so, never waiting on one worker, and
 * takes a story only if it is whole and its length agrees with its own
 * event count.
 */
#define STORY_HEAD offsetof(struct lab_report, trace.ev)
_Static_assert(STORY_HEAD + sizeof(((struct lab_report *)0)->trace.ev) == sizeof(struct lab_report),
	       "the trace's events must end the report: its story is cut after the last");

struct worker {
	pid_t pid;
	int fd;          /* read end of the result pipe */
	size_t cell;
	uint64_t start;
	struct lab_cell got;
	uint32_t story_len;
	struct lab_report *story; /* with --html: where the report is read */
	size_t have;     /* bytes read so far: of got, story_len, then story */
};

static size_t story_len(const struct lab_report *r)
{
	return STORY_HEAD + (r->trace.n < LAB_TRACE_MAX ? r->trace.n : LAB_TRACE_MAX) *
		sizeof(r->trace.ev[0]);
}

static bool story_len_ok(uint32_t len)
{
	return len >= STORY_HEAD && len <= sizeof(struct lab_report) &&
	       (len - STORY_HEAD) % sizeof(((struct lab_report *)0)->trace.ev[0]) == 0;
}

static bool write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* In the forked worker: one run, its result as one struct on the pipe
 * (and with story, the report after it). */
static void __attribute__((noreturn))
worker_main(const struct lab_args *a, int sigfd, const char *bindir, struct lab_cell *c,
	    int fd, pid_t parent)
{
	struct lab_args ca = *a;
	struct lab_report *rep = malloc(sizeof(*rep));
	bool story = a->files[LAB_FORMAT_HTML] != NULL;
	uint64_t t0 = hp_clock_ms();
	uint32_t len;
	bool ok;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent || !rep)
		_exit(3);
	ca.cmd = LAB_CMD_RUN;
	ca.json = true;
	memset(ca.files, 0, sizeof(ca.files)); /* the parent writes the files */
	ca.probe = true;
	ca.prefix_set = false; /* hpl<pid>: `labrun clean` knows the shape */
	ca.topology = c->topology;
	ca.same_nat = c->same_nat;
	ca.hairpin = c->hairpin;
	snprintf(ca.nat_a, sizeof(ca.nat_a), "%s", c->nat_a);
	snprintf(ca.nat_b, sizeof(ca.nat_b), "%s", c->nat_b);
	snprintf(ca.nat_cgn, sizeof(ca.nat_cgn), "%s", c->nat_cgn[0] ? c->nat_cgn : LAB_NAT_DEFAULT);
	/* the cell is the output; with --html the trace is on (ca.trace) */
	lab_report_init(rep, LAB_FORMAT_JSON, NULL, t0);
	lab_scenario_exec(&ca, sigfd, bindir, rep);
	cell_from_report(c, rep);
	c->wall_ms = (int64_t)(hp_clock_ms() - t0);
	len = (uint32_t)story_len(rep);
	ok = write_all(fd, c, sizeof(*c)) &&
	     (!story || (write_all(fd, &len, sizeof(len)) && write_all(fd, rep, len)));
	_exit(ok ? 0 : 3);
}

static int worker_start(struct worker *w, const struct lab_args *a, int sigfd,
			const char *bindir, struct lab_cell *cells, size_t cell, bool story)
{
	pid_t parent = getpid();
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL); /* nothing buffered may be printed twice */
	w->pid = fork();
	if (w->pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (w->pid == 0) {
		close(p[0]);
		worker_main(a, sigfd, bindir, &cells[cell], p[1], parent);
	}
	close(p[1]);
	w->fd = p[0];
	w->cell = cell;
	w->start = hp_clock_ms();
	w->have = 0;
	w->story_len = 0;
	/* without memory for it the story is read and thrown away */
	w->story = story ? malloc(sizeof(*w->story)) : NULL;
	return 0;
}

/* Where the pipe's next bytes go, and how many fit there: the cell, the
 * story's length, the story; NULL once all that is expected is in (or
 * the length makes no sense): the rest is read and thrown away. */
static void *worker_next(struct worker *w, size_t *room)
{
	size_t at = w->have;

	*room = 0;
	if (at < sizeof(w->got)) {
		*room = sizeof(w->got) - at;
		return (char *)&w->got + at;
	}
	at -= sizeof(w->got);
	if (!w->story)
		return NULL;
	if (at < sizeof(w->story_len)) {
		*room = sizeof(w->story_len) - at;
		return (char *)&w->story_len + at;
	}
	at -= sizeof(w->story_len);
	if (!story_len_ok(w->story_len) || at >= w->story_len)
		return NULL;
	*room = w->story_len - at;
	return (char *)w->story + at;
}

/* The story, whole and consistent, or none. Its strings end in the
 * buffers they came in, its counts stay inside the arrays: the writer
 * indexes with them. */
static struct lab_report *worker_story(struct worker *w)
{
	struct lab_report *r = w->story;
	size_t want = sizeof(w->got) + sizeof(w->story_len) + w->story_len;

	w->story = NULL;
	if (!r || !story_len_ok(w->story_len) || w->have != want ||
	    r->trace.n != (w->story_len - STORY_HEAD) / sizeof(r->trace.ev[0])) {
		free(r);
		return NULL;
	}
	r->out = NULL;
	if (r->nsteps > LAB_REPORT_STEPS)
		r->nsteps = LAB_REPORT_STEPS;
	for (size_t i = 0; i < r->nsteps; i++)
		r->steps[i].text[sizeof(r->steps[i].text) - 1] = '\0';
	for (size_t i = 0; i < r->trace.n; i++)
		r->trace.ev[i].text[sizeof(r->trace.ev[i].text) - 1] = '\0';
#define END(s) (s)[sizeof(s) - 1] = '\0'
	END(r->prefix), END(r->nat_a), END(r->nat_b), END(r->reason), END(r->path);
	END(r->expected), END(r->topology), END(r->a.nick), END(r->b.nick);
	END(r->a.private_ep), END(r->a.public_ep), END(r->b.private_ep), END(r->b.public_ep);
	END(r->fault);
#undef END
	if ((unsigned)r->result > LAB_RESULT_ERROR)
		r->result = LAB_RESULT_ERROR;
	return r;
}

/* Reads what the worker wrote; on EOF reaps it and files its cell (and
 * its story in *story, if one was asked for). A worker without a result
 * failed its cell, unless a signal (signo) is why: then the cell was not
 * run. */
static bool worker_collect(struct worker *w, struct lab_cell *cells, struct lab_report **story,
			   bool force, int signo)
{
	struct lab_cell *c = &cells[w->cell];
	char scrap[4096];
	ssize_t n = 0;
	size_t room;
	void *to;
	int status;

	if (!force) {
		to = worker_next(w, &room);
		n = to ? read(w->fd, to, room) : read(w->fd, scrap, sizeof(scrap));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			return false;
		if (n > 0) {
			if (to)
				w->have += (size_t)n;
			return false;
		}
	}
	if (force)
		kill(w->pid, SIGKILL);
	close(w->fd);
	w->fd = -1;
	waitpid(w->pid, &status, 0);
	/* a worker that did not finish its own teardown (killed, crashed)
	 * leaves its topology: its prefix is hpl<its pid>, remove it here */
	if (force || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char prefix[32];

		snprintf(prefix, sizeof(prefix), "hpl%d", (int)w->pid);
		lab_clean_prefix(prefix);
	}
	if (w->have >= sizeof(w->got) && !strcmp(w->got.nat_a, c->nat_a) &&
	    !strcmp(w->got.nat_b, c->nat_b)) {
		*c = w->got;
		c->expected[sizeof(c->expected) - 1] = c->observed[sizeof(c->observed) - 1] = '\0';
		c->probe_a[sizeof(c->probe_a) - 1] = c->probe_b[sizeof(c->probe_b) - 1] = '\0';
		c->reason[sizeof(c->reason) - 1] = '\0';
		c->prefix[sizeof(c->prefix) - 1] = '\0';
	} else {
		c->wall_ms = (int64_t)(hp_clock_ms() - w->start);
		snprintf(c->observed, sizeof(c->observed), "%s", signo ? LAB_OBSERVED_NOT_RUN : "failed");
		snprintf(c->reason, sizeof(c->reason), "%s",
			 signo ? "interrupted: its worker did not finish in time" :
			 force ? "the cell took too long" : "the cell's worker died without a result");
	}
	if (story)
		*story = worker_story(w);
	free(w->story);
	w->story = NULL;
	w->pid = 0;
	return true;
}

/* The order the runs start in: every cell's first trial in
 * lab_matrix_start_order(), then every second, ... (run s is cell s / t's
 * trial s % t). */
static void run_order(const struct lab_cell *cells, size_t n, size_t t, size_t *order)
{
	size_t cell[LAB_MATRIX_MAX_CELLS];

	lab_matrix_start_order(cells, n, cell);
	for (size_t k = 0; k < t; k++)
		for (size_t i = 0; i < n; i++)
			order[k * n + i] = cell[i] * t + k;
}

/* Runs the n runs (runs[s] is cell s / t's trial s % t), a->jobs at a
 * time; stories[cell] gets each cell's first trial's (the page's). */
static int run_cells(const struct lab_args *a, int sigfd, const char *bindir,
		     struct lab_cell *runs, struct lab_report **stories, size_t n, size_t t,
		     size_t *order)
{
	struct worker w[LAB_JOBS_MAX];
	struct pollfd pfd[LAB_JOBS_MAX + 1];
	size_t next = 0, running = 0, done = 0, i, k, c;
	unsigned jobs = a->jobs < LAB_JOBS_MAX ? a->jobs : LAB_JOBS_MAX;
	int signo = 0, ret = 0;
	uint64_t stop_by = 0;

	memset(w, 0, sizeof(w));
	while (next < n || running) {
		while (!signo && next < n && running < jobs) {
			for (k = 0; w[k].pid; k++)
				;
			c = order[next];
			ret = worker_start(&w[k], a, sigfd, bindir, runs, c,
					   stories && c % t == 0);
			if (ret < 0) {
				snprintf(runs[c].observed, sizeof(runs[c].observed), "failed");
				snprintf(runs[c].reason, sizeof(runs[c].reason),
					 "cannot fork: %s", strerror(-ret));
				lab_matrix_print_progress(stderr, &runs[c], ++done, n);
			} else {
				running++;
			}
			next++;
		}
		if (signo && next < n)
			next = n; /* start nothing more: those cells stay not run */
		if (!running)
			break;
		pfd[0] = (struct pollfd){ .fd = sigfd, .events = POLLIN };
		for (k = 0, i = 1; k < jobs; k++)
			pfd[i++] = (struct pollfd){ .fd = w[k].pid ? w[k].fd : -1, .events = POLLIN };
		poll(pfd, i, 100);
		if (!signo && (signo = lab_sig_check(sigfd)) != 0) {
			/* workers read their own signalfd: tell each, let them tear down */
			for (k = 0; k < jobs; k++)
				if (w[k].pid)
					kill(w[k].pid, signo);
			stop_by = hp_clock_ms() + MATRIX_STOP_MS;
		}
		for (k = 0; k < jobs; k++) {
			size_t run = w[k].cell;
			bool late;

			if (!w[k].pid)
				continue;
			late = hp_clock_ms() - w[k].start > MATRIX_CELL_MS ||
			       (stop_by && hp_clock_ms() > stop_by);
			if ((pfd[k + 1].revents || late) &&
			    worker_collect(&w[k], runs,
					   stories && run % t == 0 ? &stories[run / t] : NULL,
					   late && !pfd[k + 1].revents, signo)) {
				running--;
				lab_matrix_print_progress(stderr, &runs[run], ++done, n);
			}
		}
	}
	return signo;
}

/* The matrix in stdout's format, then in each file's (outfile.h). */
static int matrix_report(const struct lab_args *a, struct lab_outfiles *files,
			 const struct lab_matrix_result *m)
{
	char err[PATH_MAX + 64];
	int fmt;

	lab_matrix_print(stdout, lab_args_format(a), m);
	for (fmt = 0; fmt < LAB_FORMAT_COUNT; fmt++)
		if (lab_outfiles_stream(files, fmt))
			lab_matrix_print(lab_outfiles_stream(files, fmt), fmt, m);
	if (lab_outfiles_commit(files, err, sizeof(err)) < 0) {
		lab_report_error(stderr, LAB_FORMAT_TEXT, "matrix", err);
		return -EIO;
	}
	return 0;
}

/* The cells --cells keeps (all, or the ones the spray decides), moved
 * to the front; returns how many. */
static size_t cells_keep(struct lab_cell *cells, size_t n, bool spray_only)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (!spray_only || cells[i].spray)
			cells[k++] = cells[i];
	return k;
}

/* Each cell t times, runs[] the trials, folded back into the cells. */
static int matrix_trials(const struct lab_args *a, int sigfd, const char *bindir,
			 struct lab_matrix_result *m, struct lab_cell *cells,
			 struct lab_report **stories)
{
	size_t t = m->trials, n = m->n * t;
	struct lab_cell *runs = calloc(n, sizeof(*runs));
	size_t *order = calloc(n, sizeof(*order));
	int signo = 0;

	if (!runs || !order) {
		free(runs);
		free(order);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		runs[i] = cells[i / t];
	run_order(cells, m->n, t, order);
	signo = run_cells(a, sigfd, bindir, runs, stories, n, t, order);
	for (size_t i = 0; i < m->n; i++)
		lab_cell_fold(&cells[i], &runs[i * t], t);
	free(runs);
	free(order);
	return signo;
}

int lab_matrix_run(const struct lab_args *a, int sigfd, const char *bindir)
{
	struct lab_cell cells[LAB_MATRIX_MAX_CELLS];
	struct lab_matrix_result m = { .cells = cells, .jobs = a->jobs,
				       .trials = a->trials ? a->trials : 1,
				       .pairs = lab_nat_count() * lab_nat_count() };
	struct lab_report *stories[LAB_MATRIX_MAX_CELLS] = { NULL };
	struct lab_spray spray = lab_spray_defaults();
	struct lab_outfiles files;
	char err[PATH_MAX + 64];
	uint64_t t0 = hp_clock_ms();
	bool all_ok = true;
	size_t i;
	int ret;

	if (lab_outfiles_open(&files, a->files, err, sizeof(err)) < 0)
		return lab_report_refuse(lab_args_format(a), "matrix", err);
	if (a->spray_probes)
		spray.probes = a->spray_probes;
	m.n = cells_keep(cells, lab_matrix_cells(cells, LAB_MATRIX_MAX_CELLS, &spray),
			 a->spray_cells);
	if (a->spray_cells)
		m.pairs = 0; /* no grid: the personality pairs are not all there */
	/* the page tells each cell's story: its worker sends its report */
	if (a->files[LAB_FORMAT_HTML])
		m.stories = stories;
	lab_matrix_print_begin(stdout, lab_args_format(a), &m);
	ret = matrix_trials(a, sigfd, bindir, &m, cells, m.stories ? stories : NULL);
	if (ret < 0) {
		lab_report_error(stderr, LAB_FORMAT_TEXT, "matrix", strerror(-ret));
		return 2;
	}
	m.signo = ret;
	m.seconds = (double)(hp_clock_ms() - t0) / 1000.0;
	for (i = 0; i < m.n; i++)
		all_ok = all_ok && cells[i].ok;
	ret = matrix_report(a, &files, &m) < 0 ? 2 : m.signo ? 1 : all_ok ? 0 : 1;
	for (i = 0; i < m.n; i++)
		free(stories[i]);
	return ret;
}
