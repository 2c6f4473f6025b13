// SPDX-License-Identifier: MIT
/*
 * Loading rulesets with iptables-restore(8) or nft(8), one process per
 * ruleset.
 * The rulesets themselves come from pure builders (nat.c, impair.c).
 */
#include <errno.h>
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

static int start_one(struct lab_ipt_job *job, const struct lab_ipt_load *l)
{
	const char *path = tool_path(l->tool), *name = tools[l->tool].name;
	const char *argv[] = { path, tools[l->tool].arg, tools[l->tool].arg ? "-" : NULL, NULL };
	struct lab_spawn sp = { .ns_fd = l->ns_fd, .argv = argv, .pipe_in = true,
				.capture_out = true, .capture_err = true, .pdeathsig = true };
	struct lab_proc *p;
	int ret;

	if (!path) {
		snprintf(job->err, sizeof(job->err), "%s not found in /usr/sbin or /sbin", name);
		return -ENOENT;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	ret = lab_proc_spawn(p, &sp, name);
	if (ret < 0) {
		free(p);
		snprintf(job->err, sizeof(job->err), "cannot start %s: %s", path, strerror(-ret));
		return ret;
	}
	job->tools[job->n] = l->tool;
	job->procs[job->n++] = p;
	/* a ruleset is far smaller than a pipe buffer: this never blocks */
	ret = lab_proc_write_all(p, l->text, strlen(l->text));
	lab_proc_close_stdin(p);
	if (ret < 0)
		snprintf(job->err, sizeof(job->err), "cannot feed %s: %s", name, strerror(-ret));
	return ret;
}

int lab_ipt_apply_start(struct lab_ipt_job *job, const struct lab_ipt_load *loads, size_t n)
{
	size_t i;
	int ret = 0;

	memset(job, 0, sizeof(*job));
	if (n > LAB_IPT_MAX_JOBS)
		ret = -E2BIG;
	for (i = 0; i < n && !ret; i++)
		ret = start_one(job, &loads[i]);
	job->error = ret;
	return ret;
}

int lab_ipt_apply_finish(struct lab_ipt_job *job)
{
	size_t i;
	int ret = job->error, r;

	for (i = 0; i < job->n; i++) {
		struct lab_proc *p = job->procs[i];
		const char *name = tools[job->tools[i]].name;

		r = lab_proc_wait_drain(p, IPT_APPLY_TIMEOUT_MS);
		if (r == -ETIMEDOUT) {
			lab_proc_stop(p, 0);
			if (!ret) {
				snprintf(job->err, sizeof(job->err), "%s took longer than %d ms",
					 name, IPT_APPLY_TIMEOUT_MS);
				ret = -ETIMEDOUT;
			}
		} else if ((r < 0 || p->exit_code != 0) && !ret) {
			const char *msg = lab_proc_captured(p, 2);

			snprintf(job->err, sizeof(job->err), "%s failed (exit %d): %.*s", name,
				 p->exit_code, (int)strcspn(msg, "\n"), msg);
			ret = r < 0 ? r : -EIO;
		}
		lab_proc_close(p);
		free(p);
		job->procs[i] = NULL;
	}
	job->n = 0;
	job->error = ret;
	return ret;
}
