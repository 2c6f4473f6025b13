/* SPDX-License-Identifier: MIT */
#ifndef LAB_IPT_H
#define LAB_IPT_H

#include <pthread.h>
#include <stddef.h>

#include "proc.h"

/* The tools that load a ruleset from their stdin. */
enum lab_ipt_tool {
	LAB_IPT_RESTORE, /* iptables-restore(8): nat, filter, raw tables */
	LAB_IPT_NFT,     /* nft -f -: the cones' own table (nat.c) */
};

/* Absolute path of iptables-restore (/usr/sbin or /sbin) or NULL. */
const char *lab_ipt_restore_path(void);

/* Applying rules: one tool per ruleset, all started at once by threads
 * of their own (each fork and exec costs milliseconds) and collected
 * later, so the caller can do its netlink work meanwhile. */
#define LAB_IPT_MAX_JOBS 4
struct lab_ipt_load {
	int ns_fd;             /* the namespace it goes into */
	enum lab_ipt_tool tool;
	const char *text;      /* the tool's input */
};
/* One load under way (ipt.c's thread owns it until joined). */
struct lab_ipt_run {
	pthread_t thread;
	int ns_fd;
	enum lab_ipt_tool tool;
	char *text;            /* a copy of the load's */
	struct lab_proc proc;
	int ret;
	char err[256];
};
struct lab_ipt_job {
	struct lab_ipt_run *runs[LAB_IPT_MAX_JOBS];
	size_t n;
	int error;
	char err[256]; /* the tool's complaint on failure */
};
/* Starts loading loads[0 .. n-1], each inside its namespace; whatever
 * it returns, lab_ipt_apply_finish() must follow. */
int lab_ipt_apply_start(struct lab_ipt_job *job, const struct lab_ipt_load *loads, size_t n);
/* Waits (bounded: each tool is stopped after 5 s) for every started
 * load; 0 if all succeeded. */
int lab_ipt_apply_finish(struct lab_ipt_job *job);

#endif
