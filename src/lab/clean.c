// SPDX-License-Identifier: MIT
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "args.h"
#include "clean.h"
#include "commands.h"
#include "netns.h"
#include "plan.h"
#include "state.h"

#define CLEAN_MAX_NS 256
#define CAPTURE_STOP_MS 5000

/* SIGKILLs every process whose network namespace is /run/netns/name;
 * returns how many it killed or -errno. */
static int kill_in_ns(const char *name)
{
	char path[PATH_MAX];
	struct stat ns, pst;
	struct dirent *de;
	DIR *proc;
	int killed = 0;

	snprintf(path, sizeof(path), "%s/%s", LAB_NETNS_DIR, name);
	if (stat(path, &ns) < 0)
		return -errno;
	proc = opendir("/proc");
	if (!proc)
		return -errno;
	while ((de = readdir(proc)) != NULL) {
		char nspath[64];
		pid_t pid;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = (pid_t)atoi(de->d_name);
		if (pid <= 1 || pid == getpid())
			continue;
		snprintf(nspath, sizeof(nspath), "/proc/%d/ns/net", (int)pid);
		/* the bind mount and the process's link name the same nsfs inode */
		if (stat(nspath, &pst) < 0 || pst.st_ino != ns.st_ino || pst.st_dev != ns.st_dev)
			continue;
		if (kill(pid, SIGKILL) == 0)
			killed++;
	}
	closedir(proc);
	return killed;
}

/*
 * The capture process `up --pcap` left (state.h): it runs in our own
 * namespace, so kill_in_ns() never meets it, and its sockets keep the
 * routers' namespaces alive (a socket holds the namespace it was born
 * in), so it goes first. SIGTERM, so it writes out and closes its files,
 * and wait (bounded) until it has: a pidfd pins the process, and it
 * polls readable once the process exits, child of ours or not
 * (pidfd_open(2)).
 */
static void stop_capture(const char *prefix)
{
	struct lab_state st;
	struct pollfd pfd = { .fd = -1, .events = POLLIN };

	if (lab_state_read(prefix, &st) < 0 || st.capture_pid <= 0)
		return;
	pfd.fd = (int)syscall(SYS_pidfd_open, st.capture_pid, 0);
	if (pfd.fd < 0)
		return;
	/* pinned: now make sure the pid is still the one recorded */
	if (!lab_state_alive(st.capture_pid, st.capture_starttime))
		goto out;
	if (syscall(SYS_pidfd_send_signal, pfd.fd, SIGTERM, NULL, 0) < 0)
		goto out;
	if (poll(&pfd, 1, CAPTURE_STOP_MS) == 0) {
		syscall(SYS_pidfd_send_signal, pfd.fd, SIGKILL, NULL, 0);
		poll(&pfd, 1, CAPTURE_STOP_MS);
	}
out:
	close(pfd.fd);
}

int lab_clean_prefix(const char *prefix)
{
	char (*names)[LAB_NETNS_NAME_MAX] = calloc(CLEAN_MAX_NS, sizeof(*names));
	char want[LAB_NETNS_NAME_MAX];
	int n, i, deleted = 0, ret;

	if (!names)
		return -ENOMEM;
	stop_capture(prefix);
	snprintf(want, sizeof(want), "%s-", prefix);
	n = lab_netns_list(want, names, CLEAN_MAX_NS);
	if (n < 0) {
		ret = n;
		goto out;
	}
	if (n > CLEAN_MAX_NS)
		n = CLEAN_MAX_NS;
	for (i = 0; i < n; i++)
		kill_in_ns(names[i]);
	for (i = 0; i < n; i++)
		if (lab_netns_delete(names[i]) == 0)
			deleted++;
	lab_state_remove(prefix);
	ret = deleted;
out:
	free(names);
	return ret;
}

struct clean_ctx {
	bool all;
	int verbose;
	int removed_runs, kept_live, kept_up, namespaces;
};

static int clean_one_state(void *arg, const char *prefix)
{
	struct clean_ctx *c = arg;
	struct lab_state st;
	int ret = lab_state_read(prefix, &st);

	if (ret == 0 && st.kind == LAB_STATE_RUN && lab_state_alive(st.pid, st.starttime)) {
		c->kept_live++;
		if (c->verbose)
			printf("keeping %s: its run (pid %d) is alive\n", prefix, (int)st.pid);
		return 0;
	}
	if (ret == 0 && st.kind == LAB_STATE_UP && !c->all) {
		c->kept_up++;
		printf("keeping %s: left by `up` (use `%s down --prefix %s` or `%s clean --all`)\n",
		       prefix, lab_prog(), prefix, lab_prog());
		return 0;
	}
	ret = lab_clean_prefix(prefix);
	if (ret < 0)
		return ret;
	c->namespaces += ret;
	c->removed_runs++;
	printf("removed %s: %d namespace%s\n", prefix, ret, ret == 1 ? "" : "s");
	return 0;
}

/* A default run prefix is "hpl<pid>": a namespace of that shape with no
 * record left is an orphan (the record is written before any namespace
 * and removed after the last one). */
static bool orphan_name(const char *name, char *prefix, size_t len)
{
	const char *dash = strchr(name, '-');
	size_t i, n;

	if (!dash || strncmp(name, "hpl", 3))
		return false;
	n = (size_t)(dash - name);
	if (n <= 3 || n >= len)
		return false;
	for (i = 3; i < n; i++)
		if (!isdigit((unsigned char)name[i]))
			return false;
	memcpy(prefix, name, n);
	prefix[n] = '\0';
	return true;
}

int lab_clean_run(bool all, int verbose)
{
	struct clean_ctx c = { .all = all, .verbose = verbose };
	char (*names)[LAB_NETNS_NAME_MAX] = calloc(CLEAN_MAX_NS, sizeof(*names));
	char prefix[LAB_NETNS_NAME_MAX], path[128];
	int n, i, ret;

	if (!names)
		return -ENOMEM;
	ret = lab_state_foreach(clean_one_state, &c);
	n = lab_netns_list("hpl", names, CLEAN_MAX_NS);
	for (i = 0; i < n && i < CLEAN_MAX_NS; i++) {
		if (!orphan_name(names[i], prefix, sizeof(prefix)))
			continue;
		if (lab_state_path(path, sizeof(path), prefix) == 0 && access(path, F_OK) == 0)
			continue; /* a live run's, kept above */
		int r = lab_clean_prefix(prefix);

		if (r > 0) {
			c.namespaces += r;
			c.removed_runs++;
			printf("removed %s: %d orphaned namespace%s\n", prefix, r, r == 1 ? "" : "s");
		}
	}
	free(names);
	if (c.removed_runs == 0)
		printf("nothing to clean%s\n", c.kept_live ? " (some runs are still going)" : "");
	return ret;
}
