/* SPDX-License-Identifier: MIT */
#ifndef HPCLIENT_LINEBUF_H
#define HPCLIENT_LINEBUF_H

/*
 * Cuts stdin bytes into chat messages: one per line, newline stripped.
 * A line longer than HP_CHAT_MAX is never truncated: it is cut into parts
 * (at a UTF-8 character boundary when possible), numbered 1, 2, ...; a
 * whole line has part 0. NUL bytes cannot travel (the wire forbids them)
 * and are dropped and counted.
 */

#include <stdbool.h>
#include <stddef.h>

#include "proto.h"

struct linebuf {
	char buf[HP_CHAT_MAX];
	size_t len;
	unsigned part;      /* parts already emitted of the current line */
	unsigned long nuls; /* NUL bytes dropped so far */
};

typedef int (*linebuf_fn)(void *ctx, const char *text, size_t len, unsigned part);

void linebuf_init(struct linebuf *lb);
/* Calls fn per complete message; stops at and returns fn's first error. */
int linebuf_feed(struct linebuf *lb, const char *data, size_t n, linebuf_fn fn, void *ctx);
/* End of input: a last line without newline is still a message. */
int linebuf_finish(struct linebuf *lb, linebuf_fn fn, void *ctx);

#endif
