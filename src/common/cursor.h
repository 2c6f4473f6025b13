/* SPDX-License-Identifier: MIT */
#ifndef HP_CURSOR_H
#define HP_CURSOR_H

/*
 * Bounded cursors for the wire codecs (proto.c, proto_peer.c,
 * proto_relay.c): a writer that knows how much room is left and a reader
 * that knows how much input is left, so no field can be written or read
 * past the buffer. Every length check lives here. The first error sticks:
 * later calls do nothing, and reads then yield zeros, so a codec reads or
 * writes all its fields and checks err once at the end.
 *
 * Errors: -EMSGSIZE no room (or a string longer than its max), -EINVAL a
 * value that cannot be encoded, -EBADMSG input truncated or invalid.
 * Calls nothing but libc; called by the codecs only.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "endpoint.h"

struct hp_wr {
	uint8_t *buf;
	size_t cap;
	size_t off;
	int err; /* first error; later writes are ignored */
};

struct hp_rd {
	const uint8_t *buf;
	size_t len;
	size_t off;
	int err; /* first error; later reads yield zeros */
};

/* Multi-byte integers are big-endian (docs/protocol.md). */
void hp_wr_bytes(struct hp_wr *w, const void *p, size_t n);
void hp_wr_u8(struct hp_wr *w, uint8_t v);
void hp_wr_u16(struct hp_wr *w, uint16_t v);
void hp_wr_u32(struct hp_wr *w, uint32_t v);
void hp_wr_u64(struct hp_wr *w, uint64_t v);
/* Records err unless an error is already recorded. */
void hp_wr_fail(struct hp_wr *w, int err);
/* u8 length + bytes; min..max bytes, no embedded NUL (the C string ends it). */
void hp_wr_str(struct hp_wr *w, const char *s, size_t min, size_t max);
/* family u8, port u16, 4 or 16 address bytes */
void hp_wr_endpoint(struct hp_wr *w, const struct hp_endpoint *ep);
/* u8 count (at most HP_MAX_PRIV, proto.h) + that many endpoints */
void hp_wr_endpoints(struct hp_wr *w, uint8_t n, const struct hp_endpoint *eps);

/* The next n bytes in place, or NULL (truncated). */
const uint8_t *hp_rd_bytes(struct hp_rd *r, size_t n);
/* n bytes into dst; zeros when truncated. */
void hp_rd_copy(struct hp_rd *r, void *dst, size_t n);
uint8_t hp_rd_u8(struct hp_rd *r);
uint16_t hp_rd_u16(struct hp_rd *r);
uint32_t hp_rd_u32(struct hp_rd *r);
uint64_t hp_rd_u64(struct hp_rd *r);
void hp_rd_fail(struct hp_rd *r, int err);
/* Into dst[max + 1], NUL-terminated; min..max bytes, no NUL inside. */
void hp_rd_str(struct hp_rd *r, char *dst, size_t min, size_t max);
void hp_rd_endpoint(struct hp_rd *r, struct hp_endpoint *ep);
void hp_rd_endpoints(struct hp_rd *r, uint8_t *n, struct hp_endpoint *eps);
/* Nothing may follow the last field, except (zero_pad_ok) zero padding. */
void hp_rd_end(struct hp_rd *r, bool zero_pad_ok);

#endif
