// SPDX-License-Identifier: MIT
/* libFuzzer harness for hpserver's request handling (dispatch.c and the
 * handlers under it: control, cookies, relay, STUN, rooms): a sequence of
 * datagrams from a few sources; replies go to a closed socket (-1). After
 * each, the table holds: at most two peers a room, and no source address
 * over its limit. */
#include <stdlib.h>
#include <string.h>

#include "server/dispatch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct server_ctx ctx;

/* A REGISTER as a client that has done the cookie exchange sends it, so
 * the fuzzer reaches rooms and relay, not only the COOKIE answer. */
static size_t prove(uint8_t *buf, size_t len, size_t cap, const struct server_request *req)
{
	struct hp_msg m;
	int n;

	if (hp_msg_decode(&m, buf, len) < 0 || m.hdr.type != HP_REGISTER)
		return len;
	m.u.reg.cookie_len = HP_COOKIE_LEN;
	cookie_make(&ctx.cookies, req->now_us, &req->from, m.u.reg.token, m.u.reg.cookie);
	n = hp_msg_encode(&m, buf, cap);
	return n > 0 ? (size_t)n : len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;
	uint64_t now = 1000;

	if (!ctx.rooms) {
		for (int i = 0; i < SERVER_SOCKS; i++)
			ctx.socks.fd[i] = -1;
		ctx.socks.n = 1;
		ctx.socks.family = AF_INET;
		ctx.relay_bytes = 1 << 20;
		ctx.relay_rate = 500;
		if (rooms_create(&ctx.rooms, 64, 60000) < 0)
			abort();
		rooms_set_source_limit(ctx.rooms, 4);
		cookie_init(&ctx.cookies, 0);
		limits_init(&ctx.limits, 20, 1 << 20);
	}
	/* records: [flags: bit 7 proven, bits 0-3 the source][len hi][len lo][bytes...] */
	while (off + 3 <= size) {
		struct server_request req = { .now_ms = now, .now_us = now * 1000 };
		struct rooms_ahead ahead;
		size_t len = (size_t)data[off + 1] << 8 | data[off + 2], n;
		uint8_t *buf, tmp[HP_MAX_DATAGRAM];

		req.from = (struct hp_endpoint){ .family = HP_FAMILY_V4,
						 .port = (uint16_t)(4000 + (data[off] & 3)),
						 .addr = { 198, 51, 100, (uint8_t)(data[off] >> 2 & 3) } };
		off += 3;
		if (len > size - off)
			len = size - off;
		memcpy(tmp, data + off, len < sizeof(tmp) ? len : sizeof(tmp));
		n = len;
		if (data[off - 3] & 0x80 && len <= sizeof(tmp))
			n = prove(tmp, len, sizeof(tmp), &req);
		/* an exact copy: ASan sees a read past its end */
		buf = malloc(n ? n : 1);
		if (!buf)
			return 0;
		memcpy(buf, n <= sizeof(tmp) ? tmp : data + off, n);
		req.buf = buf;
		req.len = n;
		server_dispatch_ahead(&ctx, &req, &ahead); /* as the loop does */
		rooms_ahead_fetch(&ahead);
		server_dispatch(&ctx, &req);
		free(buf);
		if (rooms_peer_count(ctx.rooms) > 2 * rooms_count(ctx.rooms) ||
		    rooms_source_count(ctx.rooms, &req.from, now) > 4)
			abort();
		off += len;
		now += 37;
	}
	rooms_expire(ctx.rooms, now + 120000); /* the next input starts empty */
	return 0;
}
