// SPDX-License-Identifier: MIT
/*
 * `lab watch` (watch.h): finds the topology, opens in each NAT's
 * namespace a ctnetlink event socket (ct.h) and the routers' log group
 * (nflog.h), and shows what they say: a screen redrawn in place on a
 * terminal, one line per event otherwise. The text is watch_view.c's.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/inotify.h>

#include "args.h"
#include "clock.h"
#include "commands.h"
#include "ct.h"
#include "netns.h"
#include "nflog.h"
#include "plan.h"
#include "sig.h"
#include "state.h"
#include "watch.h"

#define LIVE_MAX 16
#define REDRAW_MS 250    /* a screen at most four times a second */

struct watch_nat_io {
	char ns[LAB_NETNS_NAME_MAX];
	int ns_fd;
	struct lab_ctev *ev;
	struct lab_nflog *log;
};

struct watch {
	bool verbose;        /* -v: also the datagrams seen passing */
	char prefix[LAB_STATE_PREFIX_MAX + 1];
	struct lab_watch_view v;
	struct watch_nat_io io[LAB_WATCH_NATS];
	int ino;             /* inotify on the namespaces' directory */
	bool tty;
	bool dirty;          /* the screen is behind */
	uint64_t t0_us, drawn_ms;
};

/* One callback's context: the watch and which NAT. */
struct watch_src {
	struct watch *w;
	size_t nat;
};

/* A topology is live while its namespaces exist. */
static bool live(const char *prefix)
{
	char want[LAB_NETNS_NAME_MAX];

	snprintf(want, sizeof(want), "%s-", prefix);
	return lab_netns_list(want, NULL, 0) > 0;
}

struct live_list {
	size_t n;
	char names[LIVE_MAX][LAB_STATE_PREFIX_MAX + 1];
};

static int collect_live(void *ctx, const char *prefix)
{
	struct live_list *l = ctx;

	if (live(prefix) && l->n < LIVE_MAX)
		snprintf(l->names[l->n++], sizeof(l->names[0]), "%s", prefix);
	return 0;
}

/* --prefix, or the only live topology of the state records (state.h). */
static int pick_prefix(const struct lab_args *a, char *out, size_t cap)
{
	struct live_list l = { 0 };
	char list[LIVE_MAX * (LAB_STATE_PREFIX_MAX + 2)] = "";
	size_t i, n = 0;

	if (a->prefix_set) {
		if (!live(a->prefix)) {
			lab_err("no topology %s is up: no namespace %s-* (start one: %s up --prefix %s)",
				a->prefix, a->prefix, lab_prog(), a->prefix);
			return -ENOENT;
		}
		snprintf(out, cap, "%s", a->prefix);
		return 0;
	}
	lab_state_foreach(collect_live, &l);
	if (l.n == 1) {
		snprintf(out, cap, "%s", l.names[0]);
		return 0;
	}
	if (l.n == 0) {
		lab_err("no topology is up (start one: %s up)", lab_prog());
		return -ENOENT;
	}
	for (i = 0; i < l.n && n < sizeof(list); i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", i ? ", " : "", l.names[i]);
	lab_err("%zu topologies are up: %s (choose one: --prefix P)", l.n, list);
	return -EEXIST;
}

static uint64_t since_us(const struct watch *w)
{
	return hp_clock_us() - w->t0_us;
}

/* An event: a plain line at once, or on a terminal among the recent ones
 * of the next screen. */
static void show(struct watch *w, const char *line)
{
	if (!w->tty) {
		puts(line);
		fflush(stdout);
		return;
	}
	lab_watch_recent(&w->v, line);
	w->dirty = true;
}

static void on_ct(void *ctx, const struct lab_ct_event *ev)
{
	struct watch_src *s = ctx;
	struct lab_watch_nat *nat = &s->w->v.nat[s->nat];
	char line[LAB_WATCH_LINE];

	if (!lab_watch_ct_apply(nat, ev))
		return;
	lab_watch_fmt_ct(line, sizeof(line), since_us(s->w), nat->name, ev);
	show(s->w, line);
}

static void on_pkt(void *ctx, const struct lab_nflog_pkt *pkt)
{
	struct watch_src *s = ctx;
	struct lab_watch_nat *nat = &s->w->v.nat[s->nat];
	char line[LAB_WATCH_LINE];

	if (!lab_watch_pkt_apply(nat, pkt) && !s->w->verbose) {
		s->w->dirty = true;
		return;
	}
	lab_watch_fmt_pkt(line, sizeof(line), since_us(s->w), nat->name, pkt);
	show(s->w, line);
}

/* The table at the start: the event socket first, so that nothing made
 * between the dump and the first read is missed (a duplicate replaces
 * its entry, watch_view.c). */
static int open_ct(struct watch *w, size_t i)
{
	static struct lab_ct_entry e[LAB_WATCH_ENTRIES];
	struct watch_nat_io *io = &w->io[i];
	int ret;

	ret = lab_ctev_open(&io->ev, io->ns_fd);
	if (ret < 0) {
		lab_err("%s: cannot follow its conntrack events: %s", io->ns, strerror(-ret));
		return ret;
	}
	ret = lab_ct_list(io->ns_fd, IPPROTO_UDP, e, LAB_WATCH_ENTRIES);
	if (ret < 0) {
		lab_err("%s: cannot list its conntrack table: %s", io->ns, strerror(-ret));
		return ret;
	}
	lab_watch_load(&w->v.nat[i], e, (size_t)ret < LAB_WATCH_ENTRIES ? (size_t)ret :
			LAB_WATCH_ENTRIES, (size_t)ret);
	return 0;
}

/* The routers' log group; taken (a `lab run --explain` of this topology
 * reads it): said once, the tables still shown. */
static int open_log(struct watch *w, size_t i)
{
	struct watch_nat_io *io = &w->io[i];
	int ret = lab_nflog_open(&io->log, io->ns_fd, LAB_NFLOG_GROUP, LAB_NFLOG_RANGE);

	if (ret == -EBUSY) {
		if (!w->v.log_off)
			fprintf(stderr, "%s: %s: the log group %u is taken (another watch, or a run "
				"with --explain?): showing the tables only\n", lab_prog_typed(),
				io->ns, LAB_NFLOG_GROUP);
		w->v.log_off = true;
		return 0;
	}
	if (ret < 0)
		lab_err("%s: cannot read its log group %u: %s", io->ns, LAB_NFLOG_GROUP,
			strerror(-ret));
	return ret;
}

/* Every NAT node of the plan that this topology built. */
static int open_nats(struct watch *w)
{
	struct watch_nat_io *io;
	int n, i, ret;

	for (n = 0; n < LAB_NODE_COUNT; n++) {
		if (!lab_plan_nodes[n].nat)
			continue;
		io = &w->io[w->v.nnat];
		if (lab_plan_ns_name(io->ns, sizeof(io->ns), w->prefix, (enum lab_node)n) < 0)
			continue;
		io->ns_fd = lab_netns_open(io->ns);
		if (io->ns_fd < 0)
			continue; /* a node this topology does not have */
		i = lab_watch_view_add(&w->v, lab_plan_nodes[n].suffix);
		if (i < 0)
			return i;
		ret = open_ct(w, (size_t)i);
		if (ret == 0)
			ret = w->v.log_off ? 0 : open_log(w, (size_t)i);
		if (ret < 0)
			return ret;
	}
	if (w->v.nnat == 0) {
		lab_err("%s has no NAT to watch (no namespace %s-rA)", w->prefix, w->prefix);
		return -ENOENT;
	}
	return 0;
}

/* Whether the inotify events name one of the topology's namespaces going
 * away (`lab down`, `lab clean`, a run's teardown unmount and unlink
 * them; the namespaces we hold open live on, unnamed). */
static bool gone(struct watch *w)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ie;
	size_t plen = strlen(w->prefix);
	ssize_t n = read(w->ino, buf, sizeof(buf));
	size_t off = 0;

	while (n > 0 && off + sizeof(*ie) <= (size_t)n) {
		ie = (const struct inotify_event *)(buf + off);
		if (off + sizeof(*ie) + ie->len > (size_t)n)
			break;
		if (ie->mask & IN_IGNORED)
			return true; /* the directory itself went */
		if (ie->len && !strncmp(ie->name, w->prefix, plen) && ie->name[plen] == '-')
			return true;
		off += sizeof(*ie) + ie->len;
	}
	return false;
}

static void draw(struct watch *w)
{
	/* ANSI: cursor home, clear the screen */
	fputs("\033[H\033[2J", stdout);
	lab_watch_render(stdout, &w->v, w->prefix, since_us(w));
	fflush(stdout);
	w->drawn_ms = hp_clock_ms();
	w->dirty = false;
}

/* poll's timeout: until the next screen is due, or none. */
static int due_ms(const struct watch *w)
{
	uint64_t now = hp_clock_ms();

	if (!w->dirty)
		return -1;
	return now >= w->drawn_ms + REDRAW_MS ? 0 : (int)(w->drawn_ms + REDRAW_MS - now);
}

/* Reads what one NAT's sockets hold. */
static int pump_nat(struct watch *w, size_t i, const struct pollfd *ct, const struct pollfd *log)
{
	struct watch_src s = { w, i };
	char line[LAB_WATCH_LINE];
	int ret = 0;

	if (ct->revents)
		ret = lab_ctev_read(w->io[i].ev, on_ct, &s);
	if (ret >= 0 && log && log->revents)
		ret = lab_nflog_read(w->io[i].log, on_pkt, &s);
	if (ret == -ENOBUFS) {
		/* the kernel dropped some: said, counted, the sockets go on
		 * (ct.h, nflog.h) */
		lab_watch_fmt_lost(line, sizeof(line), since_us(w), w->v.nat[i].name);
		show(w, line);
		w->v.lost++;
		return 0;
	}
	if (ret < 0)
		lab_err("%s: %s", w->io[i].ns, strerror(-ret));
	return ret;
}

/* Until a signal (0), the topology goes (0) or a socket fails (-errno). */
static int loop(struct watch *w, int sigfd)
{
	struct pollfd pfd[2 + 2 * LAB_WATCH_NATS];
	size_t i, n = 2, at[LAB_WATCH_NATS];
	int ret;

	pfd[0] = (struct pollfd){ .fd = sigfd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = w->ino, .events = POLLIN };
	for (i = 0; i < w->v.nnat; i++) {
		at[i] = n;
		pfd[n++] = (struct pollfd){ .fd = lab_ctev_fd(w->io[i].ev), .events = POLLIN };
		if (w->io[i].log)
			pfd[n++] = (struct pollfd){ .fd = lab_nflog_fd(w->io[i].log), .events = POLLIN };
	}
	for (;;) {
		if (w->tty && w->dirty && due_ms(w) == 0)
			draw(w);
		if (poll(pfd, n, w->tty ? due_ms(w) : -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (pfd[0].revents && lab_sig_check(sigfd))
			return 0;
		if (pfd[1].revents && gone(w)) {
			if (w->tty)
				draw(w);
			printf("%s: topology %s went away (its namespaces were removed)\n",
			       lab_prog_typed(), w->prefix);
			return 0;
		}
		for (i = 0; i < w->v.nnat; i++) {
			ret = pump_nat(w, i, &pfd[at[i]], w->io[i].log ? &pfd[at[i] + 1] : NULL);
			if (ret < 0)
				return ret;
		}
	}
}

static void watch_close(struct watch *w)
{
	size_t i;

	for (i = 0; i < LAB_WATCH_NATS; i++) {
		lab_nflog_close(w->io[i].log);
		lab_ctev_close(w->io[i].ev);
		if (w->io[i].ns_fd >= 0)
			close(w->io[i].ns_fd);
	}
	if (w->ino >= 0)
		close(w->ino);
}

int lab_watch_run(const struct lab_args *a, int sigfd)
{
	static struct watch w;
	int status = 2, i;

	memset(&w, 0, sizeof(w));
	w.ino = -1;
	for (i = 0; i < LAB_WATCH_NATS; i++)
		w.io[i].ns_fd = -1;
	lab_watch_view_init(&w.v);
	if (pick_prefix(a, w.prefix, sizeof(w.prefix)) < 0)
		goto out;
	/* watching the directory before opening, then checking the topology
	 * is still there, leaves no gap in which it could go unseen */
	w.ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w.ino < 0 || inotify_add_watch(w.ino, LAB_NETNS_DIR, IN_DELETE | IN_DELETE_SELF) < 0) {
		lab_err("cannot watch %s: %s", LAB_NETNS_DIR, strerror(errno));
		goto out;
	}
	if (open_nats(&w) < 0)
		goto out;
	if (!live(w.prefix)) {
		lab_err("topology %s went away while the watch began", w.prefix);
		goto out;
	}
	w.verbose = a->verbose > 0;
	w.t0_us = hp_clock_us();
	w.tty = isatty(STDOUT_FILENO);
	if (w.tty)
		draw(&w);
	else
		lab_watch_print_start(stdout, &w.v, w.prefix);
	fflush(stdout);
	status = loop(&w, sigfd) < 0 ? 2 : 0;
out:
	watch_close(&w);
	return status;
}
