/* SPDX-License-Identifier: MIT */
#ifndef HP_SERVER_LOG_H
#define HP_SERVER_LOG_H

/*
 * The server's -v log: one "hpserver: ..." line per event on stderr.
 * Owns the verbosity levels and the line format. The bottom of the server:
 * it calls nothing of the server's, and any server file may call it.
 * Fatal errors and the ready line are not log lines: they are printed
 * whatever the verbosity, by the file that knows the failing object.
 */

#include <stdio.h>

enum server_verbosity {
	SERVER_QUIET = -1,  /* only fatal errors and the ready line */
	SERVER_NORMAL = 0,
	SERVER_VERBOSE = 1, /* every register/intro/error, counters at exit */
};

struct server_log {
	int verbosity; /* enum server_verbosity */
	FILE *f;       /* NULL = stderr */
};

/* Logs one line ("hpserver: " fmt "\n") when -v. */
void server_log(const struct server_log *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
