// SPDX-License-Identifier: MIT
/*
 * The server's -v log (log.h): verbosity check and line format, nothing
 * else. Called by any server file; calls nothing of the server's.
 */
#include <stdarg.h>

#include "server/log.h"

void server_log(const struct server_log *l, const char *fmt, ...)
{
	FILE *f = l->f ? l->f : stderr;
	va_list ap;

	if (l->verbosity < SERVER_VERBOSE)
		return;
	va_start(ap, fmt);
	fputs("hpserver: ", f);
	vfprintf(f, fmt, ap);
	fputc('\n', f);
	va_end(ap);
}
