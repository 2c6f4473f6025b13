// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the wire codec: anything the decoders accept must
 * encode back to exactly the bytes they were given (flags aside), so no
 * input is silently reinterpreted; hp_register_peek finds the token and
 * room of every REGISTER the decoder accepts; a decoded ACK's ranges are ascending,
 * disjoint, apart and inside its window. See docs/protocol.md for how to run it.
 */
#include <stdlib.h>
#include <string.h>

#include "proto.h"

static void fuzz_control(const uint8_t *data, size_t size)
{
	uint8_t out[HP_HDR_LEN + UINT16_MAX];
	struct hp_msg m;
	int n;

	const uint8_t *token, *room;
	size_t room_len;

	if (hp_msg_decode(&m, data, size) != 0)
		return;
	/* what the server looks up ahead is what the decode gives */
	if (m.hdr.type == HP_REGISTER &&
	    (hp_register_peek(data, size, &token, &room, &room_len) != 0 ||
	     memcmp(token, m.u.reg.token, HP_TOKEN_LEN) != 0 || room_len != strlen(m.u.reg.room) ||
	     memcmp(room, m.u.reg.room, room_len) != 0))
		abort();
	if (m.hdr.type == HP_REGISTER)
		m.u.reg.pad_to = (uint16_t)size;
	n = hp_msg_encode(&m, out, sizeof(out));
	if (n < 0 || (size_t)n != size || memcmp(out, data, 6) != 0 ||
	    memcmp(out + HP_HDR_LEN, data + HP_HDR_LEN, size - HP_HDR_LEN) != 0)
		abort();
}

/* What the sender (reliab.c) relies on in a decoded ACK. */
static void check_ack(const struct hp_ack *a)
{
	uint64_t prev = a->seq;
	unsigned i;

	if (a->n_ranges > HP_ACK_RANGES_MAX || a->window < HP_ACK_MIN_WINDOW)
		abort();
	for (i = 0; i < a->n_ranges; i++) {
		if (a->range[i].lo < prev + 2 || a->range[i].hi < a->range[i].lo ||
		    a->range[i].hi > (uint64_t)a->seq + a->window)
			abort();
		prev = a->range[i].hi;
	}
}

static void fuzz_peer(const uint8_t *data, size_t size)
{
	uint8_t out[HP_MAX_DATAGRAM + HP_CHAT_MAX];
	struct hp_peer_msg p;
	int n;

	if (size < 1)
		return;
	if (hp_peer_decode(&p, data[0], data + 1, size - 1) != 0)
		return;
	if (p.type == HP_CHAT && strlen(p.u.chat.text) != p.u.chat.len)
		abort();
	if (p.type == HP_ACK)
		check_ack(&p.u.ack);
	n = hp_peer_encode(&p, out, sizeof(out));
	if (n < 0 || (size_t)n != size - 1 || memcmp(out, data + 1, size - 1) != 0)
		abort();
}

/* RELAY and RELAYED: the inner datagram is a slice of the input, and
 * re-wrapping it gives back the input (flags aside). */
static void fuzz_relay(const uint8_t *data, size_t size)
{
	uint8_t out[HP_MAX_DATAGRAM + HP_HDR_LEN + HP_TOKEN_LEN];
	uint8_t token[HP_TOKEN_LEN];
	const uint8_t *inner;
	size_t inner_len;
	int n;

	if (hp_relay_decode(data, size, token, &inner, &inner_len) == 0) {
		if (inner < data || inner + inner_len > data + size)
			abort();
		n = hp_relay_encode(out, sizeof(out), token, inner, inner_len);
		if (n < 0 || (size_t)n != size || memcmp(out, data, 6) != 0 ||
		    memcmp(out + HP_HDR_LEN, data + HP_HDR_LEN, size - HP_HDR_LEN) != 0)
			abort();
	}
	if (hp_relayed_decode(data, size, &inner, &inner_len) == 0) {
		if (inner < data || inner + inner_len > data + size)
			abort();
		n = hp_relayed_encode(out, sizeof(out), inner, inner_len);
		if (n < 0 || (size_t)n != size || memcmp(out, data, 6) != 0 ||
		    memcmp(out + HP_HDR_LEN, data + HP_HDR_LEN, size - HP_HDR_LEN) != 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hp_header h;

	(void)hp_header_decode(&h, data, size);
	(void)hp_is_stun(data, size);
	fuzz_control(data, size);
	fuzz_peer(data, size);
	fuzz_relay(data, size);
	return 0;
}
