// SPDX-License-Identifier: MIT
/*
 * Loading rulesets with iptables-restore(8) or nft(8), one process per
 * ruleset, each started and awaited by a thread of its own: a fork and
 * exec take milliseconds, which the caller spends on its netlink work
 * instead of waiting.
 * The rulesets themselves come from pure builders (nat.c, impair.c).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipt.h"
#include "proc.h"

#define IPT_APPLY_TIMEOUT_MS 5000

/* One row per tool: its name, where Debian installs it, its arguments. */
static const struct {
	const char *name;
	const char *paths[2];
	const char *arg; /* NULL: none */
} tools[] = {
	[LAB_IPT_RESTORE] = { "iptables-restore",
			      { "/usr/sbin/iptables-restore", "/sbin/iptables-restore" }, NULL },
	/* nft(8): "-f -" reads the ruleset from stdin, one transaction */
	[LAB_IPT_NFT] = { "nft", { "/usr/sbin/nft", "/sbin/nft" }, "-f" },
};

static const char *tool_path(enum lab_ipt_tool t)
{
	size_t i;

	for (i = 0; i < sizeof(tools[t].paths) / sizeof(tools[t].paths[0]); i++)
		if (access(tools[t].paths[i], X_OK) == 0)
			return tools[t].paths[i];
	return NULL;
}

const char *lab_ipt_restore_path(void)
{
	return tool_path(LAB_IPT_RESTORE);
}

/* One load's whole life, on its own thread: spawn, feed, wait. The
 * thread that forks a child with PR_SET_PDEATHSIG must outlive it
 * (prctl(2): the signal follows the parent *thread*), and it does: it
 * returns only once the child has exited or been stopped. */
static void *run_one(void *arg)
{
	struct lab_ipt_run *r = arg;
	const char *path = tool_path(r->tool), *name = tools[r->tool].name;
	const char *argv[] = { path, tools[r->tool].arg, tools[r->tool].arg ? "-" : NULL, NULL };
	struct lab_spawn sp = { .ns_fd = r->ns_fd, .argv = argv, .pipe_in = true,
				.capture_out = true, .capture_err = true, .pdeathsig = true };
	struct lab_proc *p = &r->proc;
	int ret;

	if (!path) {
		snprintf(r->err, sizeof(r->err), "%s not found in /usr/sbin or /sbin", name);
		r->ret = -ENOENT;
		return NULL;
	}
	ret = lab_proc_spawn(p, &sp, name);
	if (ret < 0) {
		snprintf(r->err, sizeof(r->err), "cannot start %s: %s", path, strerror(-ret));
		r->ret = ret;
		return NULL;
	}
	/* a ruleset is far smaller than a pipe buffer: this never blocks */
	ret = lab_proc_write_all(p, r->text, strlen(r->text));
	lab_proc_close_stdin(p);
	if (ret < 0)
		snprintf(r->err, sizeof(r->err), "cannot feed %s: %s", name, strerror(-ret));
	r->ret = ret;
	ret = lab_proc_wait_drain(p, IPT_APPLY_TIMEOUT_MS);
	if (ret == -ETIMEDOUT) {
		lab_proc_stop(p, 0);
		snprintf(r->err, sizeof(r->err), "%s took longer than %d ms", name,
			 IPT_APPLY_TIMEOUT_MS);
	} else if ((ret < 0 || p->exit_code != 0) && r->ret == 0) {
		const char *msg = lab_proc_captured(p, 2);

		snprintf(r->err, sizeof(r->err), "%s failed (exit %d): %.*s", name, p->exit_code,
			 (int)strcspn(msg, "\n"), msg);
		ret = ret < 0 ? ret : -EIO;
	}
	if (r->ret == 0)
		r->ret = ret;
	lab_proc_close(p);
	return NULL;
}

/* Each load is copied: the caller's texts need not outlive this call. */
int lab_ipt_apply_start(struct lab_ipt_job *job, const struct lab_ipt_load *loads, size_t n)
{
	size_t i;
	int ret = 0;

	memset(job, 0, sizeof(*job));
	if (n > LAB_IPT_MAX_JOBS)
		ret = -E2BIG;
	for (i = 0; i < n && !ret; i++) {
		struct lab_ipt_run *r = calloc(1, sizeof(*r));

		if (!r || !(r->text = strdup(loads[i].text))) {
			free(r);
			ret = -ENOMEM;
			break;
		}
		r->ns_fd = loads[i].ns_fd;
		r->tool = loads[i].tool;
		ret = -pthread_create(&r->thread, NULL, run_one, r);
		if (ret < 0) {
			snprintf(job->err, sizeof(job->err), "cannot start a thread: %s",
				 strerror(-ret));
			free(r->text);
			free(r);
			break;
		}
		job->runs[job->n++] = r;
	}
	if (ret == -ENOMEM)
		snprintf(job->err, sizeof(job->err), "%s", strerror(ENOMEM));
	job->error = ret;
	return ret;
}

/* The first failure in load order is the one reported. */
int lab_ipt_apply_finish(struct lab_ipt_job *job)
{
	size_t i;
	int ret = job->error;

	for (i = 0; i < job->n; i++) {
		struct lab_ipt_run *r = job->runs[i];

		pthread_join(r->thread, NULL);
		if (r->ret < 0 && !ret) {
			ret = r->ret;
			snprintf(job->err, sizeof(job->err), "%s", r->err);
		}
		free(r->text);
		free(r);
		job->runs[i] = NULL;
	}
	job->n = 0;
	job->error = ret;
	return ret;
}
