/* SPDX-License-Identifier: MIT */
#ifndef LAB_IPT_H
#define LAB_IPT_H

#include <stddef.h>

/* Absolute path of iptables-restore (/usr/sbin or /sbin) or NULL. */
const char *lab_ipt_restore_path(void);

/* Applying rules: one iptables-restore per router, all started at once
 * (each exec costs milliseconds) and collected later, so the caller can
 * do its netlink work meanwhile. */
#define LAB_IPT_MAX_JOBS 4
struct lab_proc;
struct lab_ipt_job {
	struct lab_proc *procs[LAB_IPT_MAX_JOBS];
	size_t n;
	int error;
	char err[256]; /* the tool's complaint on failure */
};
/* Starts applying rulesets[i] (iptables-restore input) inside namespace
 * ns_fds[i]. */
int lab_ipt_apply_start(struct lab_ipt_job *job, const int *ns_fds,
			const char *const *rulesets, size_t n);
/* Waits (bounded) for every started restore; 0 if all succeeded. */
int lab_ipt_apply_finish(struct lab_ipt_job *job);

#endif
