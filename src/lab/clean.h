/* SPDX-License-Identifier: MIT */
#ifndef LAB_CLEAN_H
#define LAB_CLEAN_H

#include <stdbool.h>

/* Kills what runs in, and deletes, every namespace "<prefix>-*"; removes
 * the state record. The capture process `up --pcap` left is stopped
 * first, and waited for, so its files are complete. Returns how many
 * namespaces were deleted. */
int lab_clean_prefix(const char *prefix);
/* `labrun clean`: everything of dead runs (and of `up` with all). */
int lab_clean_run(bool all, int verbose);

#endif
