// SPDX-License-Identifier: MIT
/*
 * Loading rulesets with iptables-restore(8), one process per namespace.
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

const char *lab_ipt_restore_path(void)
{
	static const char *const paths[] = { "/usr/sbin/iptables-restore",
					     "/sbin/iptables-restore" };
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (access(paths[i], X_OK) == 0)
			return paths[i];
	return NULL;
}

int lab_ipt_apply_start(struct lab_ipt_job *job, const int *ns_fds,
			const char *const *rulesets, size_t n)
{
	const char *path = lab_ipt_restore_path();
	size_t i;
	int ret = 0;

	memset(job, 0, sizeof(*job));
	if (n > LAB_IPT_MAX_JOBS) {
		ret = -E2BIG;
		goto out;
	}
	if (!path) {
		snprintf(job->err, sizeof(job->err),
			 "iptables-restore not found in /usr/sbin or /sbin");
		ret = -ENOENT;
		goto out;
	}
	for (i = 0; i < n; i++) {
		const char *argv[] = { path, NULL };
		struct lab_spawn sp = { .ns_fd = ns_fds[i], .argv = argv, .pipe_in = true,
					.capture_out = true, .capture_err = true, .pdeathsig = true };
		struct lab_proc *p = calloc(1, sizeof(*p));

		if (!p) {
			ret = -ENOMEM;
			goto out;
		}
		ret = lab_proc_spawn(p, &sp, "iptables-restore");
		if (ret < 0) {
			free(p);
			snprintf(job->err, sizeof(job->err), "cannot start %s: %s", path,
				 strerror(-ret));
			goto out;
		}
		job->procs[job->n++] = p;
		/* a ruleset is far smaller than a pipe buffer: this never blocks */
		ret = lab_proc_write_all(p, rulesets[i], strlen(rulesets[i]));
		lab_proc_close_stdin(p);
		if (ret < 0) {
			snprintf(job->err, sizeof(job->err), "cannot feed iptables-restore: %s",
				 strerror(-ret));
			goto out;
		}
	}
out:
	job->error = ret;
	return ret;
}

int lab_ipt_apply_finish(struct lab_ipt_job *job)
{
	size_t i;
	int ret = job->error, r;

	for (i = 0; i < job->n; i++) {
		struct lab_proc *p = job->procs[i];

		r = lab_proc_wait_drain(p, IPT_APPLY_TIMEOUT_MS);
		if (r == -ETIMEDOUT) {
			lab_proc_stop(p, 0);
			if (!ret) {
				snprintf(job->err, sizeof(job->err),
					 "iptables-restore took longer than %d ms", IPT_APPLY_TIMEOUT_MS);
				ret = -ETIMEDOUT;
			}
		} else if ((r < 0 || p->exit_code != 0) && !ret) {
			const char *msg = lab_proc_captured(p, 2);

			snprintf(job->err, sizeof(job->err), "iptables-restore failed (exit %d): %.*s",
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
