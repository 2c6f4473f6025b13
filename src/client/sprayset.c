// SPDX-License-Identifier: MIT
/*
 * sprayset.c: the hard side's socket set (sprayset.h). Calls netio only.
 */
#include <errno.h>
#include <unistd.h>

#include "client/netio.h"
#include "client/sprayset.h"

int sprayset_open(struct sprayset *s, size_t k)
{
	uint16_t port;
	int fd = -EINVAL;

	s->n = 0;
	if (k > SPRAYSET_MAX)
		k = SPRAYSET_MAX;
	while (s->n < k) {
		fd = netio_open(0, &port);
		if (fd < 0)
			break;
		s->fd[s->n++] = fd;
	}
	return s->n ? (int)s->n : fd;
}

void sprayset_close(struct sprayset *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		close(s->fd[i]);
	s->n = 0;
}

void sprayset_keep(struct sprayset *s, size_t keep)
{
	size_t i;
	int kept;

	if (keep >= s->n) {
		sprayset_close(s);
		return;
	}
	kept = s->fd[keep];
	for (i = 0; i < s->n; i++)
		if (i != keep)
			close(s->fd[i]);
	s->fd[0] = kept;
	s->n = 1;
}
