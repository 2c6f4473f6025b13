// SPDX-License-Identifier: MIT
/*
 * labrun: the hplab lab runner (`./lab` in a source tree, hplab-labrun
 * installed; its messages use the name typed, see lab_prog()). Builds an Internet in miniature out of
 * network namespaces (see plan.c), runs the real hpserver and hpclient in
 * it, and checks that the chat crosses two NATs directly.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "bench.h"
#include "clean.h"
#include "matrix.h"
#include "proc.h"
#include "report.h"
#include "scenario.h"
#include "sig.h"
#include "updown.h"
#include "watch.h"
#include "version.h"

/* One clear line (and under --json the one JSON error object on stdout,
 * report.h) for whatever makes the lab impossible; returns err. */
static int refuse(const struct lab_args *a, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int refuse(const struct lab_args *a, int err, const char *fmt, ...)
{
	char why[PATH_MAX + 80];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	lab_report_refuse(lab_args_format(a), lab_cmd_name(a->cmd), why);
	return err;
}

static int check_host(const struct lab_args *a)
{
	if (geteuid() != 0)
		return refuse(a, -EPERM, "%s needs root (network namespaces, NAT rules): try sudo %s %s",
			      lab_cmd_name(a->cmd), lab_prog(), lab_cmd_name(a->cmd));
	if (access("/proc/self/ns/net", F_OK) < 0)
		return refuse(a, -ENOSYS,
			      "this kernel has no network namespaces (/proc/self/ns/net missing)");
	return 0;
}

static int check_binaries(const struct lab_args *a, const char *bindir)
{
	static const char *const bins[] = { "hpserver", "hpclient" };
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", bindir, bins[i]);
		if (access(path, X_OK) < 0)
			return refuse(a, -ENOENT, "%s is missing (build it: make)", path);
	}
	return 0;
}

/* What commands.def says a subcommand needs, checked in that order; on
 * success *sigfd watches the signals a run must survive. */
static int prepare(const struct lab_args *a, char *bindir, size_t cap, int *sigfd)
{
	unsigned needs = lab_cmd_needs(a->cmd);
	int ret;

	if (!(needs & LAB_NEEDS_ROOT))
		return 0;
	if (check_host(a) < 0)
		return -EPERM;
	ret = lab_proc_self_dir(bindir, cap);
	if (ret < 0)
		return refuse(a, ret, "cannot find my own directory: %s", strerror(-ret));
	if (((needs & LAB_NEEDS_BINS) || ((needs & LAB_NEEDS_BINS_SERVED) && !a->no_server)) &&
	    check_binaries(a, bindir) < 0)
		return -ENOENT;
	*sigfd = lab_sig_open();
	if (*sigfd < 0)
		return refuse(a, *sigfd, "cannot watch signals: %s", strerror(-*sigfd));
	return 0;
}

/*
 * A signal that came while a short subcommand ran (they do not poll the
 * signalfd: down and clean finish their removal first) still ends it the
 * documented way: one line, exit 1, as an interrupted run does.
 */
static int interrupted(int sigfd, int ret)
{
	int signo = lab_sig_check(sigfd);

	if (!signo)
		return ret;
	lab_err("interrupted by %s", lab_sig_name(signo));
	return 1;
}

/* The subcommands of commands.def: each returns the exit status. */
static int cmd_run(const struct lab_args *a, int sigfd, const char *bindir)
{
	return lab_scenario_run(a, sigfd, bindir);
}

static int cmd_up(const struct lab_args *a, int sigfd, const char *bindir)
{
	return lab_updown_up(a, sigfd, bindir);
}

static int cmd_down(const struct lab_args *a, int sigfd, const char *bindir)
{
	(void)bindir;
	return interrupted(sigfd, lab_updown_down(a));
}

static int cmd_watch(const struct lab_args *a, int sigfd, const char *bindir)
{
	(void)bindir;
	return lab_watch_run(a, sigfd);
}

static int cmd_clean(const struct lab_args *a, int sigfd, const char *bindir)
{
	(void)bindir;
	return interrupted(sigfd, lab_clean_run(a->all, a->verbose) < 0 ? 2 : 0);
}

static int cmd_bench(const struct lab_args *a, int sigfd, const char *bindir)
{
	(void)bindir;
	return lab_bench_run(a, sigfd);
}

static int cmd_capture(const struct lab_args *a, int sigfd, const char *bindir)
{
	(void)bindir;
	return lab_updown_capture(a, sigfd);
}

static int cmd_matrix(const struct lab_args *a, int sigfd, const char *bindir)
{
	return lab_matrix_run(a, sigfd, bindir);
}

static int cmd_help(const struct lab_args *a, int sigfd, const char *bindir)
{
	(void)sigfd, (void)bindir;
	lab_args_usage(stdout, a->cmd);
	return 0;
}

#define LAB_HELP_USAGE(text)
#define LAB_HELP_HEAD(text)
#define LAB_HELP_TAIL(text)
#define LAB_CMD(id, word, needs, summary) [LAB_CMD_##id] = cmd_##word,
static int (*const handlers[LAB_CMD_COUNT])(const struct lab_args *, int, const char *) = {
#include "commands.def"
};
#undef LAB_CMD
#undef LAB_HELP_TAIL
#undef LAB_HELP_HEAD
#undef LAB_HELP_USAGE

/* One line per usage error, with the hint on it unless err has its own. */
static void usage_error(const char *err, int argc, char **argv)
{
	const char *word = argc > 1 && lab_cmd_lookup(argv[1]) >= 0 ? argv[1] : NULL;

	if (strstr(err, "(try:"))
		lab_err("%s", err);
	else
		lab_err("%s (try: %s%s%s --help)", err, lab_prog(), word ? " " : "", word ? word : "");
}

int main(int argc, char **argv)
{
	struct lab_args a;
	char err[160], bindir[PATH_MAX / 2] = "";
	int sigfd = -1, ret;

	lab_prog_init(argv[0], argc, argv);
	if (argc == 2 && !strcmp(argv[1], "--version")) {
		puts("hplab " HP_RELEASE);
		return 0;
	}
	if (lab_args_parse(&a, argc, argv, err, sizeof(err)) < 0) {
		usage_error(err, argc, argv);
		return 2;
	}
	if (a.help) {
		lab_args_usage(stdout, a.cmd);
		return 0;
	}
	if (prepare(&a, bindir, sizeof(bindir), &sigfd) < 0)
		return 2;
	ret = handlers[a.cmd](&a, sigfd, bindir);
	if (sigfd >= 0)
		close(sigfd);
	return ret;
}
