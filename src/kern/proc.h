/* SPDX-License-Identifier: MIT */
#ifndef LAB_PROC_H
#define LAB_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Children of the lab: a program started inside a namespace with pipes to
 * its stdin/stdout/stderr, in its own process group, killed by the kernel
 * if the runner dies (PR_SET_PDEATHSIG), and watched through a pidfd so
 * its exit is an event like any other in a poll loop.
 */
#define LAB_PROC_LINE_MAX 4096
#define LAB_PROC_TAIL 2048

struct lab_stream {
	int fd;             /* read end, -1 when absent or at EOF */
	char line[LAB_PROC_LINE_MAX];
	size_t len;
	bool overlong;      /* dropping the rest of a too long line */
	char tail[LAB_PROC_TAIL + 1]; /* last bytes seen, for diagnostics */
	size_t tail_len;
};

struct lab_proc {
	char name[24];
	pid_t pid;
	int pidfd;
	int in_fd;          /* write end of its stdin, -1 when closed */
	struct lab_stream out, err;
	bool exited;
	int exit_code;      /* exit status, or 128+signal */
};

struct lab_spawn {
	int ns_fd;                /* namespace to enter before exec; -1: stay */
	const char *const *argv;  /* argv[0] is an absolute path */
	bool pipe_in;             /* else stdin is /dev/null */
	bool capture_out, capture_err; /* else to log_path or /dev/null */
	bool pdeathsig;           /* die with the runner */
	bool detach;              /* own session: outlives the runner (`up`) */
	const char *log_path;     /* appended to, for uncaptured output */
};

/* Called for each complete line (without the newline). */
typedef void (*lab_line_fn)(void *ctx, struct lab_proc *p, int stream, const char *line,
			    size_t len);

int lab_proc_spawn(struct lab_proc *p, const struct lab_spawn *s, const char *name);
/* Writes all of buf to the child's stdin (blocking; EPIPE if it is gone). */
int lab_proc_write_all(struct lab_proc *p, const void *buf, size_t len);
void lab_proc_close_stdin(struct lab_proc *p);
/* Reads what is available on stream 1 (stdout) or 2 (stderr), calling fn
 * per line (fn may be NULL). Returns 1 at EOF, 0 otherwise, or -errno. */
int lab_proc_pump(struct lab_proc *p, int stream, lab_line_fn fn, void *ctx);
/* Reaps the child if it has exited (no waiting). Returns true once exited. */
bool lab_proc_reap(struct lab_proc *p);
/* Waits up to timeout_ms for the exit, reading its captured output to EOF
 * meanwhile; -ETIMEDOUT if still running. */
int lab_proc_wait_drain(struct lab_proc *p, int timeout_ms);
/* SIGTERM to its process group, SIGKILL after grace_ms, then reaped. */
void lab_proc_stop(struct lab_proc *p, int grace_ms);
/* Stops it if needed and closes every descriptor. */
void lab_proc_close(struct lab_proc *p);
/* The last bytes of stream 1 or 2, NUL-terminated. */
const char *lab_proc_captured(struct lab_proc *p, int stream);
/* Directory of the running executable, where hpserver/hpclient live. */
int lab_proc_self_dir(char *buf, size_t len);

#endif
