// SPDX-License-Identifier: MIT
/* The header and control-message codec (src/common/proto.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "proto.h"

#define BUFSZ 2048

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static struct hp_endpoint ep_v4(uint8_t last, uint16_t port)
{
	struct hp_endpoint ep = { .family = HP_FAMILY_V4, .port = port, .addr = { 192, 0, 2, last } };

	return ep;
}

static struct hp_endpoint ep_v6(uint8_t last, uint16_t port)
{
	struct hp_endpoint ep = { .family = HP_FAMILY_V6, .port = port,
				  .addr = { 0x20, 0x01, 0x0d, 0xb8, [15] = last } };

	return ep;
}

static void make_register(struct hp_msg *m, uint16_t pad_to)
{
	memset(m, 0, sizeof(*m));
	m->hdr.type = HP_REGISTER;
	fill(m->u.reg.token, HP_TOKEN_LEN, 1);
	fill(m->u.reg.pubkey, HP_KEY_LEN, 2);
	strcpy(m->u.reg.room, "lobby");
	strcpy(m->u.reg.nick, "alice");
	m->u.reg.n_priv = HP_MAX_PRIV;
	m->u.reg.priv[0] = ep_v4(10, 4000);
	m->u.reg.priv[1] = ep_v6(11, 4001);
	m->u.reg.priv[2] = ep_v4(12, 65535);
	m->u.reg.priv[3] = ep_v6(13, 0);
	m->u.reg.pad_to = pad_to;
}

static void make_registered(struct hp_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->hdr.type = HP_REGISTERED;
	fill(m->u.registered.token, HP_TOKEN_LEN, 3);
	m->u.registered.reflexive = ep_v4(77, 40000);
}

static void make_intro(struct hp_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->hdr.type = HP_INTRO;
	fill(m->u.intro.token, HP_TOKEN_LEN, 4);
	m->u.intro.reflexive = ep_v6(1, 1111);
	strcpy(m->u.intro.peer_nick, "bob-the-peer-with-a-32-byte-nick");
	fill(m->u.intro.peer_pubkey, HP_KEY_LEN, 5);
	m->u.intro.peer_public = ep_v4(2, 2222);
	m->u.intro.n_priv = 2;
	m->u.intro.peer_priv[0] = ep_v4(3, 3333);
	m->u.intro.peer_priv[1] = ep_v6(4, 4444);
}

static void make_error(struct hp_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->hdr.type = HP_ERROR;
	fill(m->u.error.token, HP_TOKEN_LEN, 6);
	m->u.error.code = HP_ERR_ROOM_FULL;
	strcpy(m->u.error.reason, "room full");
}

static void make_leave(struct hp_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->hdr.type = HP_LEAVE;
	fill(m->u.leave.token, HP_TOKEN_LEN, 7);
	memset(m->u.leave.room, 'r', HP_ROOM_MAX);
}

/* every control message the tests iterate over */
static void make_msg(struct hp_msg *m, int which)
{
	switch (which) {
	case 0: make_register(m, 0); break;
	case 1: make_register(m, HP_REGISTER_MIN); break;
	case 2: make_registered(m); break;
	case 3: make_intro(m); break;
	case 4: make_error(m); break;
	default: make_leave(m); break;
	}
}
#define N_MSGS 6

static void assert_ep_equal(const struct hp_endpoint *a, const struct hp_endpoint *b)
{
	assert_int_equal(a->family, b->family);
	assert_true(hp_endpoint_equal(a, b));
}

static void assert_msg_equal(const struct hp_msg *a, const struct hp_msg *b)
{
	uint8_t i;

	assert_int_equal(a->hdr.type, b->hdr.type);
	switch (a->hdr.type) {
	case HP_REGISTER:
		assert_memory_equal(a->u.reg.token, b->u.reg.token, HP_TOKEN_LEN);
		assert_memory_equal(a->u.reg.pubkey, b->u.reg.pubkey, HP_KEY_LEN);
		assert_string_equal(a->u.reg.room, b->u.reg.room);
		assert_string_equal(a->u.reg.nick, b->u.reg.nick);
		assert_int_equal(a->u.reg.n_priv, b->u.reg.n_priv);
		for (i = 0; i < a->u.reg.n_priv; i++)
			assert_ep_equal(&a->u.reg.priv[i], &b->u.reg.priv[i]);
		break;
	case HP_REGISTERED:
		assert_memory_equal(a->u.registered.token, b->u.registered.token, HP_TOKEN_LEN);
		assert_ep_equal(&a->u.registered.reflexive, &b->u.registered.reflexive);
		break;
	case HP_INTRO:
		assert_memory_equal(a->u.intro.token, b->u.intro.token, HP_TOKEN_LEN);
		assert_ep_equal(&a->u.intro.reflexive, &b->u.intro.reflexive);
		assert_string_equal(a->u.intro.peer_nick, b->u.intro.peer_nick);
		assert_memory_equal(a->u.intro.peer_pubkey, b->u.intro.peer_pubkey, HP_KEY_LEN);
		assert_ep_equal(&a->u.intro.peer_public, &b->u.intro.peer_public);
		assert_int_equal(a->u.intro.n_priv, b->u.intro.n_priv);
		for (i = 0; i < a->u.intro.n_priv; i++)
			assert_ep_equal(&a->u.intro.peer_priv[i], &b->u.intro.peer_priv[i]);
		assert_int_equal(a->u.intro.rtt_us, b->u.intro.rtt_us);
		assert_int_equal(a->u.intro.peer_rtt_us, b->u.intro.peer_rtt_us);
		break;
	case HP_ERROR:
		assert_memory_equal(a->u.error.token, b->u.error.token, HP_TOKEN_LEN);
		assert_int_equal(a->u.error.code, b->u.error.code);
		assert_string_equal(a->u.error.reason, b->u.error.reason);
		break;
	case HP_LEAVE:
		assert_memory_equal(a->u.leave.token, b->u.leave.token, HP_TOKEN_LEN);
		assert_string_equal(a->u.leave.room, b->u.leave.room);
		break;
	default:
		fail_msg("unexpected type %u", a->hdr.type);
	}
}

static void test_control_round_trip(void **state)
{
	struct hp_msg in, out;
	uint8_t buf[BUFSZ];
	int which, n;

	(void)state;
	for (which = 0; which < N_MSGS; which++) {
		make_msg(&in, which);
		n = hp_msg_encode(&in, buf, sizeof(buf));
		assert_true(n > HP_HDR_LEN);
		assert_true(n <= HP_MAX_DATAGRAM);
		assert_int_equal(buf[0], 0x48);
		assert_int_equal(buf[1], 0x50);
		assert_int_equal(buf[2], HP_VERSION);
		assert_int_equal(buf[3], in.hdr.type);
		assert_int_equal((buf[4] << 8) | buf[5], n - HP_HDR_LEN);
		assert_false(hp_is_stun(buf, (size_t)n));
		assert_int_equal(hp_msg_decode(&out, buf, (size_t)n), 0);
		assert_int_equal(out.hdr.length, n - HP_HDR_LEN);
		assert_msg_equal(&in, &out);
	}
}

static void test_register_layout(void **state)
{
	struct hp_msg m;
	uint8_t buf[BUFSZ];
	size_t off;
	int n;

	(void)state;
	make_register(&m, 0);
	m.u.reg.n_priv = 1;
	n = hp_msg_encode(&m, buf, sizeof(buf));
	/* header, token, key, room (1+5), nick (1+5), n_priv, v4 endpoint */
	assert_int_equal(n, 8 + 8 + 32 + 6 + 6 + 1 + 7);
	off = 8;
	assert_memory_equal(buf + off, m.u.reg.token, HP_TOKEN_LEN);
	off += HP_TOKEN_LEN;
	assert_memory_equal(buf + off, m.u.reg.pubkey, HP_KEY_LEN);
	off += HP_KEY_LEN;
	assert_int_equal(buf[off], 5);
	assert_memory_equal(buf + off + 1, "lobby", 5);
	off += 6;
	assert_int_equal(buf[off], 5);
	assert_memory_equal(buf + off + 1, "alice", 5);
	off += 6;
	assert_int_equal(buf[off++], 1);
	assert_int_equal(buf[off++], 4);
	assert_int_equal(buf[off++], 4000 >> 8);
	assert_int_equal(buf[off++], 4000 & 0xff);
	assert_memory_equal(buf + off, ((uint8_t[]){ 192, 0, 2, 10 }), 4);
}

/* hp_register_peek finds what the decoder reads as token and room, and
 * refuses a datagram cut anywhere before the room's last byte or with a
 * room length out of range. */
static void test_register_peek(void **state)
{
	const size_t room_at = HP_HDR_LEN + HP_TOKEN_LEN + HP_KEY_LEN;
	const uint8_t *token, *room;
	uint8_t buf[BUFSZ];
	struct hp_msg m;
	size_t room_len, cut;
	int n;

	(void)state;
	make_register(&m, HP_REGISTER_MIN);
	n = hp_msg_encode(&m, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(hp_register_peek(buf, (size_t)n, &token, &room, &room_len), 0);
	assert_memory_equal(token, m.u.reg.token, HP_TOKEN_LEN);
	assert_int_equal(room_len, strlen("lobby"));
	assert_memory_equal(room, "lobby", room_len);
	for (cut = 0; cut < room_at + 1 + room_len; cut++)
		assert_int_equal(hp_register_peek(buf, cut, &token, &room, &room_len), -EBADMSG);
	buf[room_at] = 0;
	assert_int_equal(hp_register_peek(buf, (size_t)n, &token, &room, &room_len), -EBADMSG);
	buf[room_at] = HP_ROOM_MAX + 1;
	assert_int_equal(hp_register_peek(buf, (size_t)n, &token, &room, &room_len), -EBADMSG);
}

static void test_register_padding(void **state)
{
	struct hp_msg m, out;
	uint8_t buf[BUFSZ];
	int n, bare, i;

	(void)state;
	make_register(&m, 0);
	bare = hp_msg_encode(&m, buf, sizeof(buf));
	assert_true(bare > 0 && bare < HP_REGISTER_MIN);

	make_register(&m, HP_REGISTER_MIN);
	n = hp_msg_encode(&m, buf, sizeof(buf));
	assert_int_equal(n, HP_REGISTER_MIN);
	for (i = bare; i < n; i++)
		assert_int_equal(buf[i], 0);
	assert_int_equal(hp_msg_decode(&out, buf, (size_t)n), 0);

	/* any non-zero padding byte spoils it */
	for (i = bare; i < n; i++) {
		buf[i] = 0x01;
		assert_int_equal(hp_msg_decode(&out, buf, (size_t)n), -EBADMSG);
		buf[i] = 0;
	}

	/* pad_to below the natural size changes nothing */
	make_register(&m, 10);
	assert_int_equal(hp_msg_encode(&m, buf, sizeof(buf)), bare);

	/* padding that does not fit the buffer */
	make_register(&m, 600);
	assert_int_equal(hp_msg_encode(&m, buf, 599), -EMSGSIZE);
	assert_int_equal(hp_msg_encode(&m, buf, 600), 600);
}

/* The padding's first byte is the cookie's length: 0 or HP_COOKIE_LEN. */
static void test_register_cookie(void **state)
{
	struct hp_msg m, out;
	uint8_t buf[BUFSZ];
	int bare, n;

	(void)state;
	make_register(&m, 0);
	bare = hp_msg_encode(&m, buf, sizeof(buf));
	make_register(&m, HP_REGISTER_MIN);
	m.u.reg.cookie_len = HP_COOKIE_LEN;
	memset(m.u.reg.cookie, 0xc5, HP_COOKIE_LEN);
	n = hp_msg_encode(&m, buf, sizeof(buf));
	assert_int_equal(n, HP_REGISTER_MIN); /* the cookie lives in the padding */
	assert_int_equal(buf[bare], HP_COOKIE_LEN);
	assert_int_equal(buf[bare + 1], 0xc5);
	assert_int_equal(hp_msg_decode(&out, buf, (size_t)n), 0);
	assert_int_equal(out.u.reg.cookie_len, HP_COOKIE_LEN);
	assert_memory_equal(out.u.reg.cookie, m.u.reg.cookie, HP_COOKIE_LEN);
	/* after the cookie, zeros only */
	buf[bare + 1 + HP_COOKIE_LEN] = 1;
	assert_int_equal(hp_msg_decode(&out, buf, (size_t)n), -EBADMSG);
	buf[bare + 1 + HP_COOKIE_LEN] = 0;
	/* a cookie cut short by the datagram's end */
	assert_int_equal(hp_header_encode(buf, sizeof(buf), HP_REGISTER,
					  (uint16_t)(bare + 5 - HP_HDR_LEN)), HP_HDR_LEN);
	assert_int_equal(hp_msg_decode(&out, buf, (size_t)bare + 5), -EBADMSG);
	/* no padding at all: no cookie */
	make_register(&m, 0);
	n = hp_msg_encode(&m, buf, sizeof(buf));
	assert_int_equal(hp_msg_decode(&out, buf, (size_t)n), 0);
	assert_int_equal(out.u.reg.cookie_len, 0);
	/* a length the encoder does not know */
	make_register(&m, HP_REGISTER_MIN);
	m.u.reg.cookie_len = 3;
	assert_int_equal(hp_msg_encode(&m, buf, sizeof(buf)), -EINVAL);
}

static void test_cookie_message(void **state)
{
	struct hp_msg m, out;
	uint8_t buf[BUFSZ];
	int n;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.hdr.type = HP_COOKIE;
	memset(m.u.cookie.token, 0x42, HP_TOKEN_LEN);
	memset(m.u.cookie.cookie, 0x99, HP_COOKIE_LEN);
	n = hp_msg_encode(&m, buf, sizeof(buf));
	assert_int_equal(n, HP_HDR_LEN + HP_TOKEN_LEN + HP_COOKIE_LEN);
	assert_true(n < HP_REGISTER_MIN); /* never amplifies the REGISTER it answers */
	assert_int_equal(hp_msg_decode(&out, buf, (size_t)n), 0);
	assert_memory_equal(out.u.cookie.cookie, m.u.cookie.cookie, HP_COOKIE_LEN);
	for (int cut = HP_HDR_LEN; cut < n; cut++) {
		assert_int_equal(hp_header_encode(buf, sizeof(buf), HP_COOKIE,
						  (uint16_t)(cut - HP_HDR_LEN)), HP_HDR_LEN);
		assert_int_equal(hp_msg_decode(&out, buf, (size_t)cut), -EBADMSG);
	}
	assert_string_equal(hp_type_name(HP_COOKIE), "cookie");
}

static void test_other_controls_reject_trailing(void **state)
{
	struct hp_msg m, out;
	uint8_t buf[BUFSZ];
	int which, n;

	(void)state;
	for (which = 2; which < N_MSGS; which++) {
		make_msg(&m, which);
		n = hp_msg_encode(&m, buf, sizeof(buf));
		assert_true(n > 0);
		/* one extra zero byte, with a header that owns up to it */
		buf[n] = 0;
		buf[4] = (uint8_t)((n + 1 - HP_HDR_LEN) >> 8);
		buf[5] = (uint8_t)(n + 1 - HP_HDR_LEN);
		assert_int_equal(hp_msg_decode(&out, buf, (size_t)n + 1), -EBADMSG);
	}
}

static void set_len(uint8_t *buf, size_t total)
{
	buf[4] = (uint8_t)((total - HP_HDR_LEN) >> 8);
	buf[5] = (uint8_t)(total - HP_HDR_LEN);
}

static void test_control_truncations(void **state)
{
	struct hp_msg m, out;
	uint8_t buf[BUFSZ], cut[BUFSZ];
	int which, n;
	size_t len;

	(void)state;
	for (which = 0; which < N_MSGS; which++) {
		make_msg(&m, which);
		n = hp_msg_encode(&m, buf, sizeof(buf));
		assert_true(n > 0);
		for (len = 0; len < (size_t)n; len++) {
			/* as received: the header's length no longer matches */
			memcpy(cut, buf, len);
			assert_true(hp_msg_decode(&out, cut, len) < 0);
			/* and with the length field fixed, so the body parser is
			 * what must notice (padding may be cut, nothing else) */
			if (len < HP_HDR_LEN || which == 1)
				continue;
			set_len(cut, len);
			assert_int_equal(hp_msg_decode(&out, cut, len), -EBADMSG);
		}
	}
}

static void test_header_errors(void **state)
{
	struct hp_msg m, out;
	struct hp_header h;
	uint8_t buf[BUFSZ];
	int n;

	(void)state;
	make_registered(&m);
	n = hp_msg_encode(&m, buf, sizeof(buf));
	assert_int_equal(hp_header_decode(&h, buf, (size_t)n), 0);
	assert_int_equal(h.type, HP_REGISTERED);
	assert_int_equal(h.version, HP_VERSION);

	buf[0] ^= 0x01;
	assert_int_equal(hp_header_decode(&h, buf, (size_t)n), -EPROTO);
	assert_int_equal(hp_msg_decode(&out, buf, (size_t)n), -EPROTO);
	buf[0] ^= 0x01;
	buf[1] = 0x51;
	assert_int_equal(hp_msg_decode(&out, buf, (size_t)n), -EPROTO);
	buf[1] = 0x50;

	buf[2] = 2;
	assert_int_equal(hp_msg_decode(&out, buf, (size_t)n), -EPROTO);
	buf[2] = 0;
	assert_int_equal(hp_msg_decode(&out, buf, (size_t)n), -EPROTO);
	buf[2] = HP_VERSION;

	buf[5]++;
	assert_int_equal(hp_msg_decode(&out, buf, (size_t)n), -EBADMSG);
	buf[5] -= 2;
	assert_int_equal(hp_msg_decode(&out, buf, (size_t)n), -EBADMSG);
	buf[5]++;
	buf[4] = 0xff;
	assert_int_equal(hp_header_decode(&h, buf, (size_t)n), -EBADMSG);
	buf[4] = 0;

	/* unknown flag bits are ignored */
	buf[6] = 0xff;
	buf[7] = 0xff;
	assert_int_equal(hp_msg_decode(&out, buf, (size_t)n), 0);
	assert_int_equal(out.hdr.flags, 0xffff);

	assert_int_equal(hp_header_decode(&h, buf, 7), -EBADMSG);
	assert_int_equal(hp_header_decode(&h, buf, 0), -EBADMSG);
}

static void test_header_encode(void **state)
{
	uint8_t buf[HP_HDR_LEN];
	struct hp_header h;

	(void)state;
	assert_int_equal(hp_header_encode(buf, sizeof(buf), HP_CHAT, 0), HP_HDR_LEN);
	assert_int_equal(hp_header_decode(&h, buf, sizeof(buf)), 0);
	assert_int_equal(h.type, HP_CHAT);
	assert_int_equal(h.length, 0);
	assert_int_equal(h.flags, 0);
	assert_int_equal(hp_header_encode(buf, 7, HP_CHAT, 0), -EMSGSIZE);
}

static void test_decode_rejects_peer_and_reserved_types(void **state)
{
	/* RELAY/RELAYED have their own codec (hp_relay_*) */
	static const uint8_t types[] = { 0x00, HP_RELAY, HP_RELAYED, HP_PROBE, 0x0a, 0x0f,
					 HP_PUNCH, HP_CHAT, HP_BYE, 0x1f, 0x20, 0xff };
	uint8_t buf[BUFSZ];
	struct hp_msg out, m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(types); i++) {
		memset(buf, 0, sizeof(buf));
		assert_int_equal(hp_header_encode(buf, sizeof(buf), types[i], 40), HP_HDR_LEN);
		assert_int_equal(hp_msg_decode(&out, buf, HP_HDR_LEN + 40), -EINVAL);
		memset(&m, 0, sizeof(m));
		m.hdr.type = types[i];
		assert_int_equal(hp_msg_encode(&m, buf, sizeof(buf)), -EINVAL);
	}
}

static void test_encode_rejects_bad_fields(void **state)
{
	struct hp_msg m;
	uint8_t buf[BUFSZ];

	(void)state;
	make_register(&m, 0);
	memset(m.u.reg.room, 'a', HP_ROOM_MAX + 1); /* no NUL within the field */
	assert_int_equal(hp_msg_encode(&m, buf, sizeof(buf)), -EMSGSIZE);
	make_register(&m, 0);
	m.u.reg.room[0] = '\0';
	assert_int_equal(hp_msg_encode(&m, buf, sizeof(buf)), -EINVAL);
	make_register(&m, 0);
	memset(m.u.reg.nick, 'n', HP_NICK_MAX + 1);
	assert_int_equal(hp_msg_encode(&m, buf, sizeof(buf)), -EMSGSIZE);
	make_register(&m, 0);
	m.u.reg.nick[0] = '\0'; /* empty nick is fine */
	assert_true(hp_msg_encode(&m, buf, sizeof(buf)) > 0);
	make_register(&m, 0);
	m.u.reg.n_priv = HP_MAX_PRIV + 1;
	assert_int_equal(hp_msg_encode(&m, buf, sizeof(buf)), -EINVAL);
	make_register(&m, 0);
	m.u.reg.priv[2].family = 5;
	assert_int_equal(hp_msg_encode(&m, buf, sizeof(buf)), -EINVAL);

	make_error(&m);
	memset(m.u.error.reason, 'e', HP_REASON_MAX + 1);
	assert_int_equal(hp_msg_encode(&m, buf, sizeof(buf)), -EMSGSIZE);
	m.u.error.reason[HP_REASON_MAX] = '\0';
	assert_true(hp_msg_encode(&m, buf, sizeof(buf)) > 0);

	make_intro(&m);
	m.u.intro.peer_public.family = 0;
	assert_int_equal(hp_msg_encode(&m, buf, sizeof(buf)), -EINVAL);
	make_intro(&m);
	m.u.intro.n_priv = 200;
	assert_int_equal(hp_msg_encode(&m, buf, sizeof(buf)), -EINVAL);

	make_leave(&m);
	m.u.leave.room[0] = '\0';
	assert_int_equal(hp_msg_encode(&m, buf, sizeof(buf)), -EINVAL);
}

/* A REGISTER typed in by hand, to aim at one field at a time. */
static size_t raw_register(uint8_t *buf, uint8_t room_len, uint8_t nick_len, uint8_t n_priv,
			   uint8_t family)
{
	size_t off = HP_HDR_LEN;
	uint8_t i;

	memset(buf, 0, BUFSZ);
	buf[0] = 0x48;
	buf[1] = 0x50;
	buf[2] = HP_VERSION;
	buf[3] = HP_REGISTER;
	off += HP_TOKEN_LEN + HP_KEY_LEN;
	buf[off++] = room_len;
	memset(buf + off, 'r', room_len);
	off += room_len;
	buf[off++] = nick_len;
	memset(buf + off, 'n', nick_len);
	off += nick_len;
	buf[off++] = n_priv;
	for (i = 0; i < n_priv; i++) {
		buf[off++] = family;
		buf[off++] = 0x12;
		buf[off++] = 0x34;
		off += family == HP_FAMILY_V6 ? 16 : 4;
	}
	set_len(buf, off);
	return off;
}

static void test_decode_rejects_bad_fields(void **state)
{
	uint8_t buf[BUFSZ];
	struct hp_msg out;
	size_t n;

	(void)state;
	n = raw_register(buf, HP_ROOM_MAX, HP_NICK_MAX, HP_MAX_PRIV, HP_FAMILY_V6);
	assert_int_equal(hp_msg_decode(&out, buf, n), 0);
	assert_int_equal(strlen(out.u.reg.room), HP_ROOM_MAX);
	assert_int_equal(strlen(out.u.reg.nick), HP_NICK_MAX);

	n = raw_register(buf, HP_ROOM_MAX + 1, 1, 0, HP_FAMILY_V4);
	assert_int_equal(hp_msg_decode(&out, buf, n), -EBADMSG);
	n = raw_register(buf, 0, 1, 0, HP_FAMILY_V4);
	assert_int_equal(hp_msg_decode(&out, buf, n), -EBADMSG);
	n = raw_register(buf, 1, HP_NICK_MAX + 1, 0, HP_FAMILY_V4);
	assert_int_equal(hp_msg_decode(&out, buf, n), -EBADMSG);
	n = raw_register(buf, 1, 0, 0, HP_FAMILY_V4);
	assert_int_equal(hp_msg_decode(&out, buf, n), 0);
	n = raw_register(buf, 1, 1, HP_MAX_PRIV + 1, HP_FAMILY_V4);
	assert_int_equal(hp_msg_decode(&out, buf, n), -EBADMSG);
	n = raw_register(buf, 1, 1, 1, 5);
	assert_int_equal(hp_msg_decode(&out, buf, n), -EBADMSG);
	n = raw_register(buf, 1, 1, 1, 0);
	assert_int_equal(hp_msg_decode(&out, buf, n), -EBADMSG);

	/* an embedded NUL in the room, then in the nick */
	n = raw_register(buf, 4, 4, 0, HP_FAMILY_V4);
	buf[HP_HDR_LEN + HP_TOKEN_LEN + HP_KEY_LEN + 2] = 0;
	assert_int_equal(hp_msg_decode(&out, buf, n), -EBADMSG);
	n = raw_register(buf, 4, 4, 0, HP_FAMILY_V4);
	buf[HP_HDR_LEN + HP_TOKEN_LEN + HP_KEY_LEN + 5 + 4] = 0;
	assert_int_equal(hp_msg_decode(&out, buf, n), -EBADMSG);
}

static void test_error_reason_limit(void **state)
{
	struct hp_msg m, out;
	uint8_t buf[BUFSZ];
	int n;

	(void)state;
	make_error(&m);
	memset(m.u.error.reason, 'e', HP_REASON_MAX);
	m.u.error.reason[HP_REASON_MAX] = '\0';
	n = hp_msg_encode(&m, buf, sizeof(buf));
	assert_true(n > 0);
	/* reason length byte follows the token and the code */
	assert_int_equal(buf[HP_HDR_LEN + HP_TOKEN_LEN + 2], HP_REASON_MAX);
	buf[HP_HDR_LEN + HP_TOKEN_LEN + 2] = HP_REASON_MAX + 1;
	buf[n] = 'e';
	set_len(buf, (size_t)n + 1);
	assert_int_equal(hp_msg_decode(&out, buf, (size_t)n + 1), -EBADMSG);
}

/* Every cap below the encoded size fails with -EMSGSIZE and leaves every
 * byte at or beyond cap untouched. */
static void test_encode_small_caps(void **state)
{
	struct hp_msg m;
	uint8_t buf[BUFSZ];
	int which, n;
	size_t cap, i;

	(void)state;
	for (which = 0; which < N_MSGS; which++) {
		make_msg(&m, which);
		n = hp_msg_encode(&m, buf, sizeof(buf));
		assert_true(n > 0);
		for (cap = 0; cap < (size_t)n; cap++) {
			memset(buf, 0xa5, sizeof(buf));
			assert_int_equal(hp_msg_encode(&m, buf, cap), -EMSGSIZE);
			for (i = cap; i < (size_t)n; i++)
				assert_int_equal(buf[i], 0xa5);
		}
		assert_int_equal(hp_msg_encode(&m, buf, (size_t)n), n);
	}
}

static void test_is_stun(void **state)
{
	uint8_t b[20] = { 0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42 };
	struct hp_msg m;
	uint8_t buf[BUFSZ];
	int n;

	(void)state;
	assert_true(hp_is_stun(b, sizeof(b)));
	assert_false(hp_is_stun(b, sizeof(b) - 1));
	b[0] = 0x40;
	assert_false(hp_is_stun(b, sizeof(b)));
	b[0] = 0x80;
	assert_false(hp_is_stun(b, sizeof(b)));
	b[0] = 0x01;
	assert_true(hp_is_stun(b, sizeof(b)));
	b[7] = 0x43;
	assert_false(hp_is_stun(b, sizeof(b)));
	assert_false(hp_is_stun(NULL, 20));

	/* no hplab datagram looks like STUN: "HP" starts with bits 01 */
	make_leave(&m);
	n = hp_msg_encode(&m, buf, sizeof(buf));
	assert_int_equal(buf[0] >> 6, 1);
	assert_false(hp_is_stun(buf, (size_t)n));
}

static void test_type_names(void **state)
{
	(void)state;
	assert_string_equal(hp_type_name(HP_REGISTER), "register");
	assert_string_equal(hp_type_name(HP_REGISTERED), "registered");
	assert_string_equal(hp_type_name(HP_INTRO), "intro");
	assert_string_equal(hp_type_name(HP_ERROR), "error");
	assert_string_equal(hp_type_name(HP_LEAVE), "leave");
	assert_string_equal(hp_type_name(HP_PUNCH), "punch");
	assert_string_equal(hp_type_name(HP_PUNCH_ACK), "punch_ack");
	assert_string_equal(hp_type_name(HP_CHAT), "chat");
	assert_string_equal(hp_type_name(HP_ACK), "ack");
	assert_string_equal(hp_type_name(HP_KEEPALIVE), "keepalive");
	assert_string_equal(hp_type_name(HP_BYE), "bye");
	assert_string_equal(hp_type_name(0x00), "unknown");
	assert_string_equal(hp_type_name(0xee), "unknown");
	assert_true(hp_type_is_peer(HP_PUNCH));
	assert_true(hp_type_is_peer(HP_BYE));
	assert_false(hp_type_is_peer(HP_REGISTER));
	assert_false(hp_type_is_peer(HP_PROBE));
	assert_false(hp_type_is_peer(0x20));
}

/* The server's largest answers must fit under the smallest valid REGISTER
 * it answers (docs/protocol.md, anti-amplification). */
static void test_replies_fit_under_register(void **state)
{
	struct hp_msg m;
	uint8_t buf[BUFSZ];
	int i;

	(void)state;
	make_intro(&m);
	memset(m.u.intro.peer_nick, 'n', HP_NICK_MAX);
	m.u.intro.reflexive = ep_v6(1, 1);
	m.u.intro.peer_public = ep_v6(2, 2);
	m.u.intro.n_priv = HP_MAX_PRIV;
	for (i = 0; i < HP_MAX_PRIV; i++)
		m.u.intro.peer_priv[i] = ep_v6((uint8_t)i, 3);
	assert_int_equal(hp_msg_encode(&m, buf, sizeof(buf)), 196);

	make_error(&m);
	memset(m.u.error.reason, 'e', HP_REASON_MAX);
	assert_int_equal(hp_msg_encode(&m, buf, sizeof(buf)), 139);

	make_registered(&m);
	m.u.registered.reflexive = ep_v6(9, 9);
	assert_int_equal(hp_msg_encode(&m, buf, sizeof(buf)), 35);
	assert_true(196 <= HP_REGISTER_MIN);
}

/* The timing an INTRO may append: 8 bytes, both round trips big-endian;
 * without it the INTRO is byte for byte what it was; a part of it is
 * malformed. The largest INTRO with it still fits under a REGISTER. */
static void test_intro_timing(void **state)
{
	struct hp_msg m, out;
	uint8_t buf[BUFSZ], bare[BUFSZ];
	int n, n0;
	size_t cut;

	(void)state;
	make_intro(&m);
	n0 = hp_msg_encode(&m, bare, sizeof(bare));
	assert_true(n0 > 0);
	assert_int_equal(hp_msg_decode(&out, bare, (size_t)n0), 0);
	assert_int_equal(out.u.intro.rtt_us, 0);
	assert_int_equal(out.u.intro.peer_rtt_us, 0);
	m.u.intro.rtt_us = 0x01020304;
	m.u.intro.peer_rtt_us = 0x0a0b0c0d;
	n = hp_msg_encode(&m, buf, sizeof(buf));
	assert_int_equal(n, n0 + 8);
	assert_memory_equal(buf + HP_HDR_LEN, bare + HP_HDR_LEN, (size_t)n0 - HP_HDR_LEN);
	assert_memory_equal(buf + n0, "\x01\x02\x03\x04\x0a\x0b\x0c\x0d", 8);
	assert_int_equal(hp_msg_decode(&out, buf, (size_t)n), 0);
	assert_msg_equal(&m, &out);
	for (cut = 1; cut < 8; cut++) {
		set_len(buf, (size_t)n - cut);
		assert_int_equal(hp_msg_decode(&out, buf, (size_t)n - cut), -EBADMSG);
	}
	buf[n] = 0;
	set_len(buf, (size_t)n + 1);
	assert_int_equal(hp_msg_decode(&out, buf, (size_t)n + 1), -EBADMSG);
	/* both zero is the absent timing spelled out: one spelling only */
	memset(buf + n0, 0, 8);
	set_len(buf, (size_t)n);
	assert_int_equal(hp_msg_decode(&out, buf, (size_t)n), -EBADMSG);

	memset(m.u.intro.peer_nick, 'n', HP_NICK_MAX);
	m.u.intro.reflexive = ep_v6(1, 1);
	m.u.intro.peer_public = ep_v6(2, 2);
	m.u.intro.n_priv = HP_MAX_PRIV;
	for (n = 0; n < HP_MAX_PRIV; n++)
		m.u.intro.peer_priv[n] = ep_v6((uint8_t)n, 3);
	assert_int_equal(hp_msg_encode(&m, buf, sizeof(buf)), 204);
	assert_true(204 <= HP_REGISTER_MIN);
}

/* The header's flags go out as the message has them and come back: a
 * REGISTER's HP_FLAG_TIMING. */
static void test_header_flags(void **state)
{
	struct hp_msg m, out;
	uint8_t buf[BUFSZ];
	int n;

	(void)state;
	make_register(&m, 0);
	m.hdr.flags = HP_FLAG_TIMING;
	n = hp_msg_encode(&m, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(buf[6], 0);
	assert_int_equal(buf[7], HP_FLAG_TIMING);
	assert_int_equal(hp_msg_decode(&out, buf, (size_t)n), 0);
	assert_int_equal(out.hdr.flags, HP_FLAG_TIMING);
	/* an INTRO's peer_opened is the header's HP_FLAG_OPENED */
	make_intro(&m);
	m.u.intro.peer_opened = true;
	n = hp_msg_encode(&m, buf, sizeof(buf));
	assert_int_equal(buf[7], HP_FLAG_OPENED);
	assert_int_equal(hp_msg_decode(&out, buf, (size_t)n), 0);
	assert_true(out.u.intro.peer_opened);
	buf[7] = 0;
	assert_int_equal(hp_msg_decode(&out, buf, (size_t)n), 0);
	assert_false(out.u.intro.peer_opened);
}

/* The mapping verdicts (docs/protocol.md, "Mapping verdicts"): header
 * bits only, so the length never changes; none set on an INTRO is the
 * INTRO an old client always got, byte for byte; both bits of a verdict
 * set is malformed. */
static void test_mapping_verdicts(void **state)
{
	struct hp_msg m, out;
	uint8_t buf[BUFSZ], bare[BUFSZ];
	int n, n0;

	(void)state;
	make_register(&m, 0);
	m.hdr.flags = HP_FLAG_TIMING;
	n0 = hp_msg_encode(&m, bare, sizeof(bare));
	m.u.reg.mapping = HP_MAP_HARD;
	n = hp_msg_encode(&m, buf, sizeof(buf));
	assert_int_equal(n, n0);
	assert_int_equal(buf[7], HP_FLAG_TIMING | HP_MAP_HARD << HP_FLAG_MAP_SHIFT);
	assert_memory_equal(buf + HP_HDR_LEN, bare + HP_HDR_LEN, (size_t)n - HP_HDR_LEN);
	assert_int_equal(hp_msg_decode(&out, buf, (size_t)n), 0);
	assert_int_equal(out.u.reg.mapping, HP_MAP_HARD);
	buf[7] |= HP_FLAG_MAP_MASK << HP_FLAG_MAP_SHIFT;
	assert_int_equal(hp_msg_decode(&out, buf, (size_t)n), -EBADMSG);
	m.u.reg.mapping = 3;
	assert_int_equal(hp_msg_encode(&m, buf, sizeof(buf)), -EINVAL);

	make_intro(&m);
	n0 = hp_msg_encode(&m, bare, sizeof(bare));
	assert_int_equal(bare[6], 0);
	assert_int_equal(bare[7], 0);
	assert_int_equal(hp_msg_decode(&out, bare, (size_t)n0), 0);
	assert_int_equal(out.u.intro.mapping, HP_MAP_UNKNOWN);
	assert_int_equal(out.u.intro.peer_mapping, HP_MAP_UNKNOWN);
	m.u.intro.mapping = HP_MAP_EASY;
	m.u.intro.peer_mapping = HP_MAP_HARD;
	n = hp_msg_encode(&m, buf, sizeof(buf));
	assert_int_equal(n, n0);
	assert_int_equal(buf[7], HP_MAP_EASY << HP_FLAG_MAP_SHIFT | HP_MAP_HARD << HP_FLAG_PEER_SHIFT);
	assert_memory_equal(buf + HP_HDR_LEN, bare + HP_HDR_LEN, (size_t)n - HP_HDR_LEN);
	assert_int_equal(hp_msg_decode(&out, buf, (size_t)n), 0);
	assert_int_equal(out.u.intro.mapping, HP_MAP_EASY);
	assert_int_equal(out.u.intro.peer_mapping, HP_MAP_HARD);
	buf[7] |= HP_FLAG_MAP_MASK << HP_FLAG_PEER_SHIFT;
	assert_int_equal(hp_msg_decode(&out, buf, (size_t)n), -EBADMSG);
	m.u.intro.peer_mapping = 3;
	assert_int_equal(hp_msg_encode(&m, buf, sizeof(buf)), -EINVAL);
}

static uint32_t xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/*
 * Mutated valid messages: the decoder must never crash (ASan watches), and
 * whatever it accepts must encode back to the same bytes (flags aside):
 * nothing is accepted that the decoder silently reinterprets.
 */
static void test_mutations_canonical(void **state)
{
	uint8_t orig[BUFSZ], buf[BUFSZ], again[BUFSZ];
	struct hp_msg m, out;
	uint32_t seed = 0x12345678;
	int which, n, iter, k, n2, accepted = 0;

	(void)state;
	for (which = 0; which < N_MSGS; which++) {
		make_msg(&m, which);
		n = hp_msg_encode(&m, orig, sizeof(orig));
		for (iter = 0; iter < 3000; iter++) {
			memcpy(buf, orig, (size_t)n);
			for (k = 0; k < 1 + (int)(xorshift(&seed) % 3); k++)
				buf[HP_HDR_LEN + xorshift(&seed) % (uint32_t)(n - HP_HDR_LEN)] =
					(uint8_t)xorshift(&seed);
			if (hp_msg_decode(&out, buf, (size_t)n) != 0)
				continue;
			accepted++;
			if (out.hdr.type == HP_REGISTER)
				out.u.reg.pad_to = (uint16_t)n;
			n2 = hp_msg_encode(&out, again, sizeof(again));
			assert_int_equal(n2, n);
			assert_memory_equal(again, buf, (size_t)n);
		}
	}
	/* most single-byte changes hit opaque bytes (keys, tokens, ports) */
	assert_true(accepted > 0);
}



int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_control_round_trip),
		cmocka_unit_test(test_register_layout),
		cmocka_unit_test(test_register_padding),
		cmocka_unit_test(test_register_peek),
		cmocka_unit_test(test_register_cookie),
		cmocka_unit_test(test_cookie_message),
		cmocka_unit_test(test_other_controls_reject_trailing),
		cmocka_unit_test(test_control_truncations),
		cmocka_unit_test(test_header_errors),
		cmocka_unit_test(test_header_encode),
		cmocka_unit_test(test_decode_rejects_peer_and_reserved_types),
		cmocka_unit_test(test_encode_rejects_bad_fields),
		cmocka_unit_test(test_decode_rejects_bad_fields),
		cmocka_unit_test(test_error_reason_limit),
		cmocka_unit_test(test_encode_small_caps),
		cmocka_unit_test(test_is_stun),
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_replies_fit_under_register),
		cmocka_unit_test(test_intro_timing),
		cmocka_unit_test(test_header_flags),
		cmocka_unit_test(test_mapping_verdicts),
		cmocka_unit_test(test_mutations_canonical),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
