/* SPDX-License-Identifier: MIT */
#ifndef HPCLIENT_SPRAYSET_H
#define HPCLIENT_SPRAYSET_H

/*
 * The hard side's extra sockets for the birthday spray: K UDP sockets on
 * ephemeral ports, non-blocking (netio_open). Each is a fresh mapping in
 * an endpoint-dependent NAT. Owns the descriptors: one cleanup path,
 * sprayset_close().
 */

#include <stddef.h>

#define SPRAYSET_MAX 512 /* --spray-ports' bound: well under RLIMIT_NOFILE's usual 1024 */

struct sprayset {
	int fd[SPRAYSET_MAX];
	size_t n;
};

/* Opens k sockets (k <= SPRAYSET_MAX); returns how many it could, or
 * -errno when none. */
int sprayset_open(struct sprayset *s, size_t k);
/* Closes every socket but fd[keep] (keep >= n: all), which moves to fd[0]. */
void sprayset_keep(struct sprayset *s, size_t keep);
void sprayset_close(struct sprayset *s);

#endif
