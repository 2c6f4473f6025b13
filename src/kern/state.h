/* SPDX-License-Identifier: MIT */
#ifndef LAB_STATE_H
#define LAB_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * A record per topology in /run/hplab/<prefix>.state, written before the
 * first namespace exists and removed after the last one is gone, so
 * `labrun clean` can tell a live run's namespaces from a dead one's. The
 * owner is named by pid and start time (field 22 of /proc/PID/stat), so a
 * recycled pid does not pass for the runner.
 */
#define LAB_STATE_DIR "/run/hplab"
/*
 * A prefix names a file in LAB_STATE_DIR and starts every namespace name
 * of its run, so it must stay a plain file-name component: 1 to 24 of
 * [A-Za-z0-9_], the first a letter (no '/', no "..", no '-', which
 * separates the prefix from the node in "<prefix>-core"). This is the same
 * rule the lab applies to --prefix; the records check it themselves so
 * that a name read back from the directory or a file is never trusted.
 */
#define LAB_STATE_PREFIX_MAX 24

enum lab_state_kind {
	LAB_STATE_RUN, /* owned by a running labrun: gone when it is */
	LAB_STATE_UP,  /* left on purpose by `labrun up` */
};

struct lab_state {
	char prefix[32];
	enum lab_state_kind kind;
	pid_t pid;
	uint64_t starttime;
	pid_t server_pid;   /* `up`: the detached hpserver, 0 if none */
	uint64_t server_starttime;
	/* `up --pcap`: the detached capture process, in the runner's own
	 * namespace (so not stopped with the namespaces' processes), 0 if none */
	pid_t capture_pid;
	uint64_t capture_starttime;
};

bool lab_state_prefix_valid(const char *p);
int lab_state_path(char *buf, size_t len, const char *prefix);
/* Atomically (write + rename) records st. */
int lab_state_write(const struct lab_state *st);
int lab_state_read(const char *prefix, struct lab_state *st);
int lab_state_remove(const char *prefix);
/* Parses a record's text; -EINVAL on anything unexpected. */
int lab_state_parse(struct lab_state *st, const uint8_t *buf, size_t len);
/* Start time of pid (clock ticks since boot), 0 if no such process. */
uint64_t lab_state_starttime(pid_t pid);
/* True if pid is still the process that started at starttime. */
bool lab_state_alive(pid_t pid, uint64_t starttime);
/* Calls fn for each record's prefix in LAB_STATE_DIR. */
int lab_state_foreach(int (*fn)(void *ctx, const char *prefix), void *ctx);

#endif
