// SPDX-License-Identifier: MIT
/*
 * RELAY and RELAYED framing (proto.h, hp_relay_*, docs/protocol.md
 * "Relay"): a token and a sealed peer datagram the server forwards unread.
 * Called by the client and the server's relay.c; calls the header codec
 * (proto.c) and cursor.c.
 */
#include <errno.h>
#include <string.h>

#include "cursor.h"
#include "proto.h"

/* The inner datagram must be a sealed peer datagram; anything else is
 * refused here so neither the server nor a client forwards or opens it. */
static int hp_relay_check_inner(const uint8_t *inner, size_t len)
{
	struct hp_header h;

	if (len < HP_RELAY_INNER_MIN || len > HP_RELAY_INNER_MAX)
		return -EBADMSG;
	if (hp_header_decode(&h, inner, len) < 0 || !hp_type_is_peer(h.type))
		return -EBADMSG;
	return 0;
}

static int hp_relay_wrap(uint8_t *buf, size_t cap, uint8_t type, const uint8_t *token,
			 const uint8_t *inner, size_t inner_len)
{
	struct hp_wr w = { .buf = buf, .cap = cap, .off = HP_HDR_LEN };
	int ret;

	if (!buf || !inner)
		return -EINVAL;
	if (hp_relay_check_inner(inner, inner_len) < 0)
		return -EINVAL;
	if (cap < HP_HDR_LEN)
		return -EMSGSIZE;
	if (token)
		hp_wr_bytes(&w, token, HP_TOKEN_LEN);
	hp_wr_bytes(&w, inner, inner_len);
	if (w.err)
		return w.err;
	if (w.off > HP_MAX_DATAGRAM)
		return -EMSGSIZE;
	ret = hp_header_encode(buf, cap, type, (uint16_t)(w.off - HP_HDR_LEN));
	return ret < 0 ? ret : (int)w.off;
}

static int hp_relay_unwrap(const uint8_t *buf, size_t len, uint8_t type, uint8_t *token,
			   const uint8_t **inner, size_t *inner_len)
{
	struct hp_header h;
	size_t off = HP_HDR_LEN;
	int ret;

	if (!buf || !inner || !inner_len)
		return -EINVAL;
	ret = hp_header_decode(&h, buf, len);
	if (ret < 0)
		return ret;
	if (h.type != type)
		return -EINVAL;
	if (token) {
		if (len - off < HP_TOKEN_LEN)
			return -EBADMSG;
		memcpy(token, buf + off, HP_TOKEN_LEN);
		off += HP_TOKEN_LEN;
	}
	ret = hp_relay_check_inner(buf + off, len - off);
	if (ret < 0)
		return ret;
	*inner = buf + off;
	*inner_len = len - off;
	return 0;
}

int hp_relay_encode(uint8_t *buf, size_t cap, const uint8_t token[HP_TOKEN_LEN],
		    const uint8_t *inner, size_t inner_len)
{
	if (!token)
		return -EINVAL;
	return hp_relay_wrap(buf, cap, HP_RELAY, token, inner, inner_len);
}

int hp_relay_decode(const uint8_t *buf, size_t len, uint8_t token[HP_TOKEN_LEN],
		    const uint8_t **inner, size_t *inner_len)
{
	if (!token)
		return -EINVAL;
	return hp_relay_unwrap(buf, len, HP_RELAY, token, inner, inner_len);
}

int hp_relayed_encode(uint8_t *buf, size_t cap, const uint8_t *inner, size_t inner_len)
{
	return hp_relay_wrap(buf, cap, HP_RELAYED, NULL, inner, inner_len);
}

int hp_relayed_decode(const uint8_t *buf, size_t len, const uint8_t **inner, size_t *inner_len)
{
	return hp_relay_unwrap(buf, len, HP_RELAYED, NULL, inner, inner_len);
}
