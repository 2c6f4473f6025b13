// SPDX-License-Identifier: MIT
/*
 * labrun: the hplab lab runner. Builds an Internet in miniature out of
 * network namespaces (see plan.c), runs the real hpserver and hpclient in
 * it, and checks that the chat crosses two NATs directly.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "bench.h"
#include "clean.h"
#include "matrix.h"
#include "ipt.h"
#include "proc.h"
#include "scenario.h"
#include "sig.h"
#include "updown.h"

/* One clear line and exit status 2 for whatever makes the lab impossible. */
static int check_host(enum lab_cmd cmd)
{
	if (geteuid() != 0) {
		fprintf(stderr, "labrun: %s needs root (network namespaces, NAT rules): "
				"try sudo ./lab %s\n",
			lab_args_cmd_name(cmd), lab_args_cmd_name(cmd));
		return -EPERM;
	}
	if (access("/proc/self/ns/net", F_OK) < 0) {
		fprintf(stderr, "labrun: this kernel has no network namespaces "
				"(/proc/self/ns/net missing)\n");
		return -ENOSYS;
	}
	if ((cmd == LAB_CMD_RUN || cmd == LAB_CMD_UP || cmd == LAB_CMD_BENCH ||
	     cmd == LAB_CMD_MATRIX) &&
	    !lab_ipt_restore_path()) {
		fprintf(stderr, "labrun: iptables-restore not found in /usr/sbin or /sbin "
				"(install the iptables package)\n");
		return -ENOENT;
	}
	return 0;
}

static int check_binaries(const char *bindir)
{
	static const char *const bins[] = { "hpserver", "hpclient" };
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", bindir, bins[i]);
		if (access(path, X_OK) < 0) {
			fprintf(stderr, "labrun: %s is missing (build it: make)\n", path);
			return -ENOENT;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct lab_args a;
	char err[160], bindir[PATH_MAX / 2];
	int sigfd = -1, ret;

	if (lab_args_parse(&a, argc, argv, err, sizeof(err)) < 0) {
		fprintf(stderr, "labrun: %s\n(try: labrun --help)\n", err);
		return 2;
	}
	if (a.cmd == LAB_CMD_HELP || a.help) {
		lab_args_usage(stdout, a.cmd);
		return 0;
	}
	if (check_host(a.cmd) < 0)
		return 2;
	ret = lab_proc_self_dir(bindir, sizeof(bindir));
	if (ret < 0) {
		fprintf(stderr, "labrun: cannot find my own directory: %s\n", strerror(-ret));
		return 2;
	}
	if ((a.cmd == LAB_CMD_RUN || a.cmd == LAB_CMD_MATRIX ||
	     (a.cmd == LAB_CMD_UP && !a.no_server)) &&
	    check_binaries(bindir) < 0)
		return 2;
	sigfd = lab_sig_open();
	if (sigfd < 0) {
		fprintf(stderr, "labrun: cannot watch signals: %s\n", strerror(-sigfd));
		return 2;
	}
	switch (a.cmd) {
	case LAB_CMD_RUN:
		ret = lab_scenario_run(&a, sigfd, bindir);
		break;
	case LAB_CMD_UP:
		ret = lab_updown_up(&a, bindir);
		break;
	case LAB_CMD_DOWN:
		ret = lab_updown_down(&a);
		break;
	case LAB_CMD_CLEAN:
		ret = lab_clean_run(a.all, a.verbose) < 0 ? 2 : 0;
		break;
	case LAB_CMD_BENCH:
		ret = lab_bench_run(&a, sigfd);
		break;
	case LAB_CMD_MATRIX:
		ret = lab_matrix_run(&a, sigfd, bindir);
		break;
	default:
		ret = 2;
	}
	close(sigfd);
	return ret;
}
