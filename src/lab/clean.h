/* SPDX-License-Identifier: MIT */
#ifndef LAB_CLEAN_H
#define LAB_CLEAN_H

#include <stdbool.h>

/* SIGKILLs every process whose network namespace is /run/netns/name;
 * returns how many it killed or -errno. */
int lab_clean_kill_in_ns(const char *name);
/* Kills what runs in, and deletes, every namespace "<prefix>-*"; removes
 * the state record. Returns how many namespaces were deleted. */
int lab_clean_prefix(const char *prefix);
/* `labrun clean`: everything of dead runs (and of `up` with all). */
int lab_clean_run(bool all, int verbose);

#endif
