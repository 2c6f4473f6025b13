// SPDX-License-Identifier: MIT
/*
 * The bounded write and read cursors of the wire codecs (cursor.h).
 * Called by proto.c, proto_peer.c and proto_relay.c; calls libc only.
 */
#include <errno.h>
#include <string.h>

#include "cursor.h"
#include "proto.h"

void hp_wr_bytes(struct hp_wr *w, const void *p, size_t n)
{
	if (w->err)
		return;
	if (n > w->cap - w->off) {
		w->err = -EMSGSIZE;
		return;
	}
	if (n)
		memcpy(w->buf + w->off, p, n);
	w->off += n;
}

void hp_wr_u8(struct hp_wr *w, uint8_t v)
{
	hp_wr_bytes(w, &v, 1);
}

void hp_wr_u16(struct hp_wr *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	hp_wr_bytes(w, b, sizeof(b));
}

void hp_wr_u32(struct hp_wr *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	hp_wr_bytes(w, b, sizeof(b));
}

void hp_wr_u64(struct hp_wr *w, uint64_t v)
{
	hp_wr_u32(w, (uint32_t)(v >> 32));
	hp_wr_u32(w, (uint32_t)v);
}

void hp_wr_fail(struct hp_wr *w, int err)
{
	if (!w->err)
		w->err = err;
}

void hp_wr_str(struct hp_wr *w, const char *s, size_t min, size_t max)
{
	size_t n = strnlen(s, max + 1);

	if (n > max) {
		hp_wr_fail(w, -EMSGSIZE);
		return;
	}
	if (n < min) {
		hp_wr_fail(w, -EINVAL);
		return;
	}
	hp_wr_u8(w, (uint8_t)n);
	hp_wr_bytes(w, s, n);
}

void hp_wr_endpoint(struct hp_wr *w, const struct hp_endpoint *ep)
{
	size_t n;

	if (ep->family == HP_FAMILY_V4)
		n = 4;
	else if (ep->family == HP_FAMILY_V6)
		n = 16;
	else {
		hp_wr_fail(w, -EINVAL);
		return;
	}
	hp_wr_u8(w, ep->family);
	hp_wr_u16(w, ep->port);
	hp_wr_bytes(w, ep->addr, n);
}

void hp_wr_endpoints(struct hp_wr *w, uint8_t n, const struct hp_endpoint *eps)
{
	uint8_t i;

	if (n > HP_MAX_PRIV) {
		hp_wr_fail(w, -EINVAL);
		return;
	}
	hp_wr_u8(w, n);
	for (i = 0; i < n; i++)
		hp_wr_endpoint(w, &eps[i]);
}

const uint8_t *hp_rd_bytes(struct hp_rd *r, size_t n)
{
	const uint8_t *p;

	if (r->err)
		return NULL;
	if (n > r->len - r->off) {
		r->err = -EBADMSG;
		return NULL;
	}
	p = r->buf + r->off;
	r->off += n;
	return p;
}

void hp_rd_copy(struct hp_rd *r, void *dst, size_t n)
{
	const uint8_t *p = hp_rd_bytes(r, n);

	if (p)
		memcpy(dst, p, n);
	else
		memset(dst, 0, n);
}

uint8_t hp_rd_u8(struct hp_rd *r)
{
	const uint8_t *p = hp_rd_bytes(r, 1);

	return p ? p[0] : 0;
}

uint16_t hp_rd_u16(struct hp_rd *r)
{
	const uint8_t *p = hp_rd_bytes(r, 2);

	return p ? (uint16_t)((p[0] << 8) | p[1]) : 0;
}

uint32_t hp_rd_u32(struct hp_rd *r)
{
	const uint8_t *p = hp_rd_bytes(r, 4);

	return p ? ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3] : 0;
}

uint64_t hp_rd_u64(struct hp_rd *r)
{
	uint64_t hi = hp_rd_u32(r);

	return (hi << 32) | hp_rd_u32(r);
}

void hp_rd_fail(struct hp_rd *r, int err)
{
	if (!r->err)
		r->err = err;
}

void hp_rd_str(struct hp_rd *r, char *dst, size_t min, size_t max)
{
	size_t n = hp_rd_u8(r);
	const uint8_t *p;

	dst[0] = '\0';
	if (r->err)
		return;
	if (n < min || n > max) {
		hp_rd_fail(r, -EBADMSG);
		return;
	}
	p = hp_rd_bytes(r, n);
	if (!p)
		return;
	if (memchr(p, '\0', n)) {
		hp_rd_fail(r, -EBADMSG);
		return;
	}
	memcpy(dst, p, n);
	dst[n] = '\0';
}

void hp_rd_endpoint(struct hp_rd *r, struct hp_endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->family = hp_rd_u8(r);
	if (r->err)
		return;
	if (ep->family != HP_FAMILY_V4 && ep->family != HP_FAMILY_V6) {
		ep->family = 0;
		hp_rd_fail(r, -EBADMSG);
		return;
	}
	ep->port = hp_rd_u16(r);
	hp_rd_copy(r, ep->addr, ep->family == HP_FAMILY_V4 ? 4 : 16);
}

void hp_rd_endpoints(struct hp_rd *r, uint8_t *n, struct hp_endpoint *eps)
{
	uint8_t i;

	*n = hp_rd_u8(r);
	if (r->err)
		return;
	if (*n > HP_MAX_PRIV) {
		*n = 0;
		hp_rd_fail(r, -EBADMSG);
		return;
	}
	for (i = 0; i < *n && !r->err; i++)
		hp_rd_endpoint(r, &eps[i]);
}

/* The padding is read 8 bytes at a time: a REGISTER carries some 200
 * bytes of it (HP_REGISTER_MIN), and a byte loop was 2 % of one. */
void hp_rd_end(struct hp_rd *r, bool zero_pad_ok)
{
	uint64_t acc = 0, w;
	size_t i;

	if (r->err || r->off == r->len)
		return;
	if (!zero_pad_ok) {
		hp_rd_fail(r, -EBADMSG);
		return;
	}
	for (i = r->off; r->len - i >= sizeof(w); i += sizeof(w)) {
		memcpy(&w, r->buf + i, sizeof(w));
		acc |= w;
	}
	for (; i < r->len; i++)
		acc |= r->buf[i];
	if (acc) {
		hp_rd_fail(r, -EBADMSG);
		return;
	}
	r->off = r->len;
}
