// SPDX-License-Identifier: MIT
/*
 * The peer's candidates (struct path_cand, path.h): which may be kept,
 * their order (the public endpoint first: the short-TTL punch goes there)
 * and how many punches each gets without an answer (RFC 8445 s.19.5.1:
 * connectivity checks are paced and bounded). Called by path.c only.
 */
#include "client/path.h"

/* What a peer may name as a host candidate: an address of a private
 * network (RFC 1918), of a carrier's shared space (RFC 6598) or link-local
 * (RFC 3927). Anything else would be a way to aim our punches at a third
 * party's public address. */
static bool cand_private_ok(const struct hp_endpoint *ep)
{
	const uint8_t *a = ep->addr;

	return a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
	       (a[0] == 192 && a[1] == 168) || (a[0] == 100 && (a[1] & 0xc0) == 64) ||
	       (a[0] == 169 && a[1] == 254);
}

void cand_add(struct path_cand *c, size_t *n, const struct hp_endpoint *ep,
	      enum path_cand_kind kind, const struct output *out)
{
	size_t i;

	if (ep->family != HP_FAMILY_V4 || ep->port == 0 || *n >= PATH_MAX_CAND)
		return;
	if (kind == PATH_CAND_PRIVATE && !cand_private_ok(ep)) {
		char b[HP_ENDPOINT_STRLEN];

		out_debug(out, "ignoring host candidate %s: not a private address",
			  hp_endpoint_format(ep, b, sizeof(b)));
		return;
	}
	for (i = 0; i < *n; i++)
		if (hp_endpoint_equal(&c[i].ep, ep)) {
			c[i].unanswered = 0; /* named again: news of it */
			return;
		}
	c[(*n)++] = (struct path_cand){ .ep = *ep, .kind = kind };
}

void cand_set_public(struct path_cand *c, size_t *n, const struct hp_endpoint *ep)
{
	size_t i;

	if (ep->family != HP_FAMILY_V4 || ep->port == 0)
		return;
	for (i = 0; i < *n; i++)
		if (hp_endpoint_equal(&c[i].ep, ep))
			break;
	if (i == *n && *n < PATH_MAX_CAND)
		(*n)++;
	else if (i == *n)
		i = *n - 1; /* full: the last one makes room */
	for (; i > 0; i--)
		c[i] = c[i - 1];
	c[0] = (struct path_cand){ .ep = *ep, .kind = PATH_CAND_PUBLIC };
}

void cand_answered(struct path_cand *c, size_t n, const struct hp_endpoint *from)
{
	for (size_t i = 0; i < n; i++)
		if (hp_endpoint_equal(&c[i].ep, from))
			c[i].unanswered = 0;
}

void cand_reset(struct path_cand *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		c[i].unanswered = 0;
}

bool cand_take(struct path_cand *c)
{
	if (c->unanswered >= PATH_CAND_MAX_UNANSWERED)
		return false;
	c->unanswered++;
	return true;
}
