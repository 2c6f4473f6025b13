// SPDX-License-Identifier: MIT
/* The peer plaintext codec (src/common/proto_peer.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "proto.h"

#define BUFSZ 2048

static void make_peer(struct hp_peer_msg *p, int which)
{
	memset(p, 0, sizeof(*p));
	p->counter = 0x0102030405060708ull + (uint64_t)which;
	switch (which) {
	case 0:
		p->type = HP_PUNCH;
		p->u.punch.id = 0xdeadbeefcafef00dull;
		p->u.punch.ttl = 3;
		break;
	case 1:
		p->type = HP_PUNCH_ACK;
		p->u.punch.id = 42;
		p->u.punch.ttl = 255;
		break;
	case 2:
		p->type = HP_CHAT;
		p->u.chat.seq = 0xfffffffe;
		strcpy(p->u.chat.text, "hello, \xc3\xa9t\xc3\xa9\n\x01\xff");
		p->u.chat.len = (uint16_t)strlen(p->u.chat.text);
		break;
	case 3:
		p->type = HP_CHAT;
		p->u.chat.seq = 1;
		memset(p->u.chat.text, 'x', HP_CHAT_MAX);
		p->u.chat.len = HP_CHAT_MAX;
		break;
	case 4:
		p->type = HP_ACK;
		p->u.ack.seq = 99;
		p->u.ack.window = 1024;
		p->u.ack.n_ranges = 2;
		p->u.ack.range[0] = (struct hp_ack_range){ 101, 105 };
		p->u.ack.range[1] = (struct hp_ack_range){ 200, 200 };
		break;
	case 5:
		p->type = HP_KEEPALIVE;
		break;
	default:
		p->type = HP_BYE;
		break;
	}
}
#define N_PEERS 7

static void test_peer_encode_small_caps(void **state)
{
	struct hp_peer_msg p;
	uint8_t buf[BUFSZ];
	int which, n;
	size_t cap, i;

	(void)state;
	for (which = 0; which < N_PEERS; which++) {
		make_peer(&p, which);
		n = hp_peer_encode(&p, buf, sizeof(buf));
		assert_true(n > 0);
		for (cap = 0; cap < (size_t)n; cap++) {
			memset(buf, 0xa5, sizeof(buf));
			assert_int_equal(hp_peer_encode(&p, buf, cap), -EMSGSIZE);
			for (i = cap; i < (size_t)n; i++)
				assert_int_equal(buf[i], 0xa5);
		}
	}
}

static void test_peer_round_trip(void **state)
{
	struct hp_peer_msg in, out;
	uint8_t buf[BUFSZ];
	int which, n;

	(void)state;
	for (which = 0; which < N_PEERS; which++) {
		make_peer(&in, which);
		n = hp_peer_encode(&in, buf, sizeof(buf));
		assert_true(n >= 8);
		assert_true(HP_HDR_LEN + HP_SEAL_OVERHEAD + n <= HP_MAX_DATAGRAM);
		assert_int_equal(hp_peer_decode(&out, in.type, buf, (size_t)n), 0);
		assert_int_equal(out.type, in.type);
		assert_true(out.counter == in.counter);
		switch (in.type) {
		case HP_PUNCH:
		case HP_PUNCH_ACK:
			assert_true(out.u.punch.id == in.u.punch.id);
			assert_int_equal(out.u.punch.ttl, in.u.punch.ttl);
			assert_int_equal(n, 8 + 8 + 1);
			break;
		case HP_CHAT:
			assert_int_equal(out.u.chat.seq, in.u.chat.seq);
			assert_int_equal(out.u.chat.len, in.u.chat.len);
			assert_memory_equal(out.u.chat.text, in.u.chat.text, in.u.chat.len);
			assert_int_equal(out.u.chat.text[out.u.chat.len], '\0');
			assert_int_equal(n, 8 + 4 + 2 + in.u.chat.len);
			break;
		case HP_ACK:
			assert_int_equal(out.u.ack.seq, in.u.ack.seq);
			assert_int_equal(out.u.ack.window, in.u.ack.window);
			assert_int_equal(out.u.ack.n_ranges, 2);
			assert_memory_equal(out.u.ack.range, in.u.ack.range, 2 * sizeof(in.u.ack.range[0]));
			assert_int_equal(n, 8 + 4 + 2 + 1 + 2 * 4);
			break;
		default:
			assert_int_equal(n, 8);
			break;
		}
	}
	/* the counter is big-endian on the wire */
	make_peer(&in, 5);
	n = hp_peer_encode(&in, buf, sizeof(buf));
	assert_memory_equal(buf, ((uint8_t[]){ 1, 2, 3, 4, 5, 6, 7, 8 + 5 }), 8);
}

static void test_peer_truncations_and_trailing(void **state)
{
	struct hp_peer_msg in, out;
	uint8_t buf[BUFSZ];
	int which, n;
	size_t len;

	(void)state;
	for (which = 0; which < N_PEERS; which++) {
		make_peer(&in, which);
		n = hp_peer_encode(&in, buf, sizeof(buf));
		for (len = 0; len < (size_t)n; len++)
			assert_int_equal(hp_peer_decode(&out, in.type, buf, len), -EBADMSG);
		buf[n] = 0;
		assert_int_equal(hp_peer_decode(&out, in.type, buf, (size_t)n + 1), -EBADMSG);
	}
	/* decoding with another type than the one sealed must not pass silently */
	make_peer(&in, 0);
	n = hp_peer_encode(&in, buf, sizeof(buf));
	assert_int_equal(hp_peer_decode(&out, HP_ACK, buf, (size_t)n), -EBADMSG);
	assert_int_equal(hp_peer_decode(&out, HP_REGISTER, buf, (size_t)n), -EINVAL);
	assert_int_equal(hp_peer_decode(&out, 0x1f, buf, (size_t)n), -EINVAL);
}

static void test_chat_limits(void **state)
{
	struct hp_peer_msg in, out;
	uint8_t buf[BUFSZ];
	int n;

	(void)state;
	make_peer(&in, 3);
	in.u.chat.len = HP_CHAT_MAX + 1;
	assert_int_equal(hp_peer_encode(&in, buf, sizeof(buf)), -EMSGSIZE);

	make_peer(&in, 2);
	in.u.chat.text[2] = '\0';
	assert_int_equal(hp_peer_encode(&in, buf, sizeof(buf)), -EINVAL);

	/* wire length above the limit, with the bytes present */
	make_peer(&in, 3);
	n = hp_peer_encode(&in, buf, sizeof(buf));
	buf[n] = 'x';
	buf[12] = (HP_CHAT_MAX + 1) >> 8;
	buf[13] = (uint8_t)(HP_CHAT_MAX + 1);
	assert_int_equal(hp_peer_decode(&out, HP_CHAT, buf, (size_t)n + 1), -EBADMSG);

	/* a NUL inside the text */
	make_peer(&in, 2);
	n = hp_peer_encode(&in, buf, sizeof(buf));
	buf[14 + 3] = 0;
	assert_int_equal(hp_peer_decode(&out, HP_CHAT, buf, (size_t)n), -EBADMSG);

	/* empty text is a valid chat */
	make_peer(&in, 2);
	in.u.chat.len = 0;
	n = hp_peer_encode(&in, buf, sizeof(buf));
	assert_int_equal(n, 14);
	assert_int_equal(hp_peer_decode(&out, HP_CHAT, buf, (size_t)n), 0);
	assert_string_equal(out.u.chat.text, "");
}

/* The wire bytes of an ACK after the counter, built by hand. */
static size_t ack_bytes(uint8_t *b, uint32_t seq, uint16_t window, const uint16_t *gl, uint8_t n)
{
	size_t o = 8, i;

	memset(b, 0, 8);
	b[o++] = (uint8_t)(seq >> 24), b[o++] = (uint8_t)(seq >> 16);
	b[o++] = (uint8_t)(seq >> 8), b[o++] = (uint8_t)seq;
	b[o++] = (uint8_t)(window >> 8), b[o++] = (uint8_t)window;
	b[o++] = n;
	for (i = 0; i < 2 * (size_t)n; i++)
		b[o++] = (uint8_t)(gl[i] >> 8), b[o++] = (uint8_t)gl[i];
	return o;
}

static void test_ack_malformed(void **state)
{
	struct hp_peer_msg in, out;
	uint8_t buf[BUFSZ];
	uint16_t gl[2 * (HP_ACK_RANGES_MAX + 1)];
	size_t n;
	unsigned i;

	(void)state;
	/* the good one: seq 10, lines 12..13 and 20 */
	gl[0] = 1, gl[1] = 2, gl[2] = 6, gl[3] = 1;
	n = ack_bytes(buf, 10, 200, gl, 2);
	assert_int_equal(hp_peer_decode(&out, HP_ACK, buf, n), 0);
	assert_int_equal(out.u.ack.range[0].lo, 12);
	assert_int_equal(out.u.ack.range[0].hi, 13);
	assert_int_equal(out.u.ack.range[1].lo, 20);
	assert_int_equal(out.u.ack.range[1].hi, 20);
	/* no gap: adjacent to the cumulative point, or to the range before */
	gl[0] = 0;
	n = ack_bytes(buf, 10, 200, gl, 2);
	assert_int_equal(hp_peer_decode(&out, HP_ACK, buf, n), -EBADMSG);
	gl[0] = 1, gl[2] = 0;
	n = ack_bytes(buf, 10, 200, gl, 2);
	assert_int_equal(hp_peer_decode(&out, HP_ACK, buf, n), -EBADMSG);
	/* an empty range */
	gl[2] = 6, gl[3] = 0;
	n = ack_bytes(buf, 10, 200, gl, 2);
	assert_int_equal(hp_peer_decode(&out, HP_ACK, buf, n), -EBADMSG);
	/* beyond the window it announces */
	gl[3] = 1;
	n = ack_bytes(buf, 10, 9, gl, 2);
	assert_int_equal(hp_peer_decode(&out, HP_ACK, buf, n), -EBADMSG);
	/* a window below the least a receiver promises */
	n = ack_bytes(buf, 10, HP_ACK_MIN_WINDOW - 1, gl, 0);
	assert_int_equal(hp_peer_decode(&out, HP_ACK, buf, n), -EBADMSG);
	/* past UINT32_MAX: refused, not wrapped */
	gl[0] = 1, gl[1] = 100;
	n = ack_bytes(buf, UINT32_MAX - 50, 200, gl, 1);
	assert_int_equal(hp_peer_decode(&out, HP_ACK, buf, n), -EBADMSG);
	/* too many ranges, even with the bytes there */
	for (i = 0; i < 2 * (HP_ACK_RANGES_MAX + 1); i++)
		gl[i] = 1;
	n = ack_bytes(buf, 0, UINT16_MAX, gl, HP_ACK_RANGES_MAX + 1);
	assert_int_equal(hp_peer_decode(&out, HP_ACK, buf, n), -EBADMSG);
	n = ack_bytes(buf, 0, UINT16_MAX, gl, HP_ACK_RANGES_MAX);
	assert_int_equal(hp_peer_decode(&out, HP_ACK, buf, n), 0);
	/* the encoder takes no other shape either: overlapping, descending */
	make_peer(&in, 4);
	in.u.ack.range[1] = (struct hp_ack_range){ 104, 110 };
	assert_int_equal(hp_peer_encode(&in, buf, sizeof(buf)), -EINVAL);
	in.u.ack.range[1] = (struct hp_ack_range){ 50, 60 };
	assert_int_equal(hp_peer_encode(&in, buf, sizeof(buf)), -EINVAL);
	in.u.ack.range[1] = (struct hp_ack_range){ 106, 106 }; /* touching */
	assert_int_equal(hp_peer_encode(&in, buf, sizeof(buf)), -EINVAL);
	in.u.ack.n_ranges = HP_ACK_RANGES_MAX + 1;
	assert_int_equal(hp_peer_encode(&in, buf, sizeof(buf)), -EINVAL);
	/* the earlier builds' 12-byte ACK: refused (docs/protocol.md) */
	n = ack_bytes(buf, 10, 200, gl, 0);
	assert_int_equal(hp_peer_decode(&out, HP_ACK, buf, 12), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_peer_encode_small_caps),
		cmocka_unit_test(test_peer_round_trip),
		cmocka_unit_test(test_peer_truncations_and_trailing),
		cmocka_unit_test(test_chat_limits),
		cmocka_unit_test(test_ack_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
