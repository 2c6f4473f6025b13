/* SPDX-License-Identifier: MIT */
#ifndef LAB_OUTFILE_H
#define LAB_OUTFILE_H

#include <limits.h>
#include <stddef.h>
#include <stdio.h>

#include "format.h"

/*
 * The files the file formats are written to (--junit FILE, --markdown
 * FILE), written so that a CI never reads half a file: each goes into a
 * temporary file beside it (PATH.tmp.XXXXXX, the same filesystem), which
 * is renamed over PATH once complete ("the replacement is atomic",
 * rename(2)). The temporary file is made when the command starts, so a
 * FILE that cannot be created stops it before any work, with one line.
 */
struct lab_outfile {
	const char *path;      /* NULL: not asked for */
	char tmp[PATH_MAX];
	FILE *f;               /* NULL: closed, or never opened */
};

struct lab_outfiles {
	struct lab_outfile of[LAB_FORMAT_COUNT]; /* by format */
};

/* Opens a temporary file for each format paths[] names (NULL: none). On
 * failure, what failed (one line) in err, nothing left behind, -errno. */
int lab_outfiles_open(struct lab_outfiles *s, const char *const paths[LAB_FORMAT_COUNT],
		      char *err, size_t errlen);
/* The stream of fmt's file, NULL if it was not asked for. */
FILE *lab_outfiles_stream(struct lab_outfiles *s, enum lab_format fmt);
/* Completes every file (flush, rename over its path). On a failure, the
 * first one in err, the other temporary files removed, -errno. */
int lab_outfiles_commit(struct lab_outfiles *s, char *err, size_t errlen);
/* Removes the temporary files (after a failure; safe to call twice). */
void lab_outfiles_abort(struct lab_outfiles *s);

#endif
