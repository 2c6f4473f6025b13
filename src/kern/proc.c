// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "proc.h"

#define STOP_KILL_WAIT_MS 2000

static void stream_init(struct lab_stream *s)
{
	s->fd = -1;
	s->len = 0;
	s->overlong = false;
	s->tail_len = 0;
	s->tail[0] = '\0';
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void child_exec(const struct lab_spawn *s, pid_t parent, int in_r, int out_w, int err_w,
		       int errpipe)
{
	sigset_t none;
	int err, fd;

	if (s->detach) {
		setsid();
	} else {
		setpgid(0, 0);
	}
	if (s->pdeathsig) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
			goto fail;
		/* the runner may have died before the prctl took effect */
		if (getppid() != parent)
			_exit(127);
	}
	/* blocked and ignored signals survive exec: give the program a clean slate */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (s->ns_fd >= 0 && setns(s->ns_fd, CLONE_NEWNET) < 0)
		goto fail;
	if (in_r < 0 || out_w < 0 || err_w < 0) {
		fd = -1;
		if (s->log_path && (out_w < 0 || err_w < 0))
			fd = open(s->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd < 0)
			fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (fd < 0)
			goto fail;
		if (in_r < 0) {
			int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);

			if (nul < 0)
				goto fail;
			in_r = nul;
		}
		if (out_w < 0)
			out_w = fd;
		if (err_w < 0)
			err_w = fd;
	}
	if (dup2(in_r, 0) < 0 || dup2(out_w, 1) < 0 || dup2(err_w, 2) < 0)
		goto fail;
	/* netlink sockets and namespace fds of the runner stay out of the child */
	syscall(SYS_close_range, 3, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */);
	execv(s->argv[0], (char *const *)s->argv);
fail:
	err = errno;
	if (write(errpipe, &err, sizeof(err)) < 0)
		_exit(127);
	_exit(127);
}

/*
 * vfork(2): the child borrows our memory until its exec instead of
 * copying our page tables (that copy, and the copy-on-write faults after
 * it, cost more than the exec itself on a virtual machine). The calling
 * thread is suspended until the exec; the child touches only stack
 * frames below this one and kernel state (child_exec never returns), and
 * no handler of ours can run in it (labrun installs none: signals are
 * read from a signalfd, sig.c). Its own function, so that no caller's
 * variable lives across the vfork.
 */
static __attribute__((noinline)) pid_t start_child(const struct lab_spawn *s, pid_t parent,
						   int in_r, int out_w, int err_w, int errpipe)
{
	pid_t pid = vfork();

	if (pid == 0)
		child_exec(s, parent, in_r, out_w, err_w, errpipe);
	return pid;
}

int lab_proc_spawn(struct lab_proc *p, const struct lab_spawn *s, const char *name)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, errp[2] = { -1, -1 }, ep[2] = { -1, -1 };
	pid_t parent = getpid(), pid;
	int ret = 0, child_err;
	ssize_t n;

	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->pid = -1;
	p->pidfd = -1;
	p->in_fd = -1;
	stream_init(&p->out);
	stream_init(&p->err);
	if ((s->pipe_in && pipe2(in, O_CLOEXEC) < 0) ||
	    (s->capture_out && pipe2(out, O_CLOEXEC) < 0) ||
	    (s->capture_err && pipe2(errp, O_CLOEXEC) < 0) || pipe2(ep, O_CLOEXEC) < 0) {
		ret = -errno;
		goto out;
	}
	pid = start_child(s, parent, in[0], out[1], errp[1], ep[1]);
	if (pid < 0) {
		ret = -errno;
		goto out;
	}
	p->pid = pid;
	if (!s->detach)
		setpgid(pid, pid); /* also here, so a kill right away reaches the group */
	close_fd(&ep[1]);
	do
		n = read(ep[0], &child_err, sizeof(child_err));
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(child_err)) {
		waitpid(pid, NULL, 0);
		p->pid = -1;
		ret = -child_err;
		goto out;
	}
	p->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (p->pidfd < 0) {
		ret = -errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		p->pid = -1;
		goto out;
	}
	p->in_fd = in[1];
	in[1] = -1;
	p->out.fd = out[0];
	out[0] = -1;
	p->err.fd = errp[0];
	errp[0] = -1;
	if (p->out.fd >= 0)
		fcntl(p->out.fd, F_SETFL, O_NONBLOCK);
	if (p->err.fd >= 0)
		fcntl(p->err.fd, F_SETFL, O_NONBLOCK);
out:
	close_fd(&in[0]);
	close_fd(&in[1]);
	close_fd(&out[0]);
	close_fd(&out[1]);
	close_fd(&errp[0]);
	close_fd(&errp[1]);
	close_fd(&ep[0]);
	close_fd(&ep[1]);
	return ret;
}

int lab_proc_write_all(struct lab_proc *p, const void *buf, size_t len)
{
	const char *b = buf;
	ssize_t n;

	if (p->in_fd < 0)
		return -EPIPE;
	while (len) {
		n = write(p->in_fd, b, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

void lab_proc_close_stdin(struct lab_proc *p)
{
	close_fd(&p->in_fd);
}

static void tail_add(struct lab_stream *s, const char *b, size_t n)
{
	if (n >= LAB_PROC_TAIL) {
		memcpy(s->tail, b + n - LAB_PROC_TAIL, LAB_PROC_TAIL);
		s->tail_len = LAB_PROC_TAIL;
	} else {
		if (s->tail_len + n > LAB_PROC_TAIL) {
			size_t drop = s->tail_len + n - LAB_PROC_TAIL;

			memmove(s->tail, s->tail + drop, s->tail_len - drop);
			s->tail_len -= drop;
		}
		memcpy(s->tail + s->tail_len, b, n);
		s->tail_len += n;
	}
	s->tail[s->tail_len] = '\0';
}

static void split_lines(struct lab_proc *p, int stream, struct lab_stream *s, const char *b,
			size_t n, lab_line_fn fn, void *ctx)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (b[i] == '\n') {
			if (!s->overlong && fn)
				fn(ctx, p, stream, s->line, s->len);
			s->len = 0;
			s->overlong = false;
		} else if (s->len < LAB_PROC_LINE_MAX - 1) {
			s->line[s->len++] = b[i];
		} else {
			s->overlong = true;
		}
	}
}

int lab_proc_pump(struct lab_proc *p, int stream, lab_line_fn fn, void *ctx)
{
	struct lab_stream *s = stream == 1 ? &p->out : &p->err;
	char buf[4096];
	ssize_t n;

	if (s->fd < 0)
		return 1;
	for (;;) {
		n = read(s->fd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			return -errno;
		}
		if (n == 0) {
			/* a last line without its newline still counts */
			if (s->len && !s->overlong && fn)
				fn(ctx, p, stream, s->line, s->len);
			s->len = 0;
			close_fd(&s->fd);
			return 1;
		}
		tail_add(s, buf, (size_t)n);
		split_lines(p, stream, s, buf, (size_t)n, fn, ctx);
	}
}

bool lab_proc_reap(struct lab_proc *p)
{
	int st;
	pid_t r;

	if (p->exited || p->pid <= 0)
		return true;
	do
		r = waitpid(p->pid, &st, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return false;
	p->exited = true;
	if (r < 0)
		p->exit_code = 255;
	else if (WIFEXITED(st))
		p->exit_code = WEXITSTATUS(st);
	else
		p->exit_code = 128 + WTERMSIG(st);
	close_fd(&p->pidfd);
	return true;
}

static int remaining(uint64_t deadline)
{
	uint64_t now = hp_clock_ms();

	return now >= deadline ? 0 : (int)(deadline - now);
}

/* Waits up to timeout_ms for the exit; -ETIMEDOUT if still running. */
static int proc_wait(struct lab_proc *p, int timeout_ms)
{
	uint64_t deadline = hp_clock_ms() + (uint64_t)timeout_ms;
	struct pollfd pfd;

	while (!lab_proc_reap(p)) {
		int left = remaining(deadline);

		if (left == 0 && timeout_ms >= 0)
			return -ETIMEDOUT;
		pfd.fd = p->pidfd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, left) < 0 && errno != EINTR)
			return -errno;
	}
	return 0;
}

int lab_proc_wait_drain(struct lab_proc *p, int timeout_ms)
{
	uint64_t deadline = hp_clock_ms() + (uint64_t)timeout_ms;
	struct pollfd pfd[3];
	int n;

	for (;;) {
		bool done = lab_proc_reap(p);

		if (done && p->out.fd < 0 && p->err.fd < 0)
			return 0;
		if (remaining(deadline) == 0)
			return -ETIMEDOUT;
		n = 0;
		if (!done)
			pfd[n++] = (struct pollfd){ .fd = p->pidfd, .events = POLLIN };
		if (p->out.fd >= 0)
			pfd[n++] = (struct pollfd){ .fd = p->out.fd, .events = POLLIN };
		if (p->err.fd >= 0)
			pfd[n++] = (struct pollfd){ .fd = p->err.fd, .events = POLLIN };
		if (poll(pfd, (nfds_t)n, remaining(deadline)) < 0 && errno != EINTR)
			return -errno;
		lab_proc_pump(p, 1, NULL, NULL);
		lab_proc_pump(p, 2, NULL, NULL);
	}
}

void lab_proc_stop(struct lab_proc *p, int grace_ms)
{
	if (p->pid <= 0 || lab_proc_reap(p))
		return;
	if (grace_ms > 0) {
		kill(-p->pid, SIGTERM);
		kill(p->pid, SIGTERM);
		if (proc_wait(p, grace_ms) == 0)
			goto out;
	}
	kill(-p->pid, SIGKILL);
	kill(p->pid, SIGKILL);
	proc_wait(p, STOP_KILL_WAIT_MS);
out:
	return;
}

void lab_proc_close(struct lab_proc *p)
{
	if (p->pid > 0 && !p->exited)
		lab_proc_stop(p, 0);
	close_fd(&p->in_fd);
	close_fd(&p->out.fd);
	close_fd(&p->err.fd);
	close_fd(&p->pidfd);
}

const char *lab_proc_captured(struct lab_proc *p, int stream)
{
	return stream == 1 ? p->out.tail : p->err.tail;
}

int lab_proc_self_dir(char *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	char *slash;

	if (n < 0)
		return -errno;
	path[n] = '\0';
	slash = strrchr(path, '/');
	if (!slash)
		return -ENOENT;
	*slash = '\0';
	if ((size_t)snprintf(buf, len, "%s", path[0] ? path : "/") >= len)
		return -ENAMETOOLONG;
	return 0;
}
