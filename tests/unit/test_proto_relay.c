// SPDX-License-Identifier: MIT
/* RELAY and RELAYED framing (src/common/proto_relay.c). */
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

/* A stand-in sealed peer datagram: a peer header and opaque bytes. */
static size_t make_inner(uint8_t *buf, size_t body, uint8_t type)
{
	assert_int_equal(hp_header_encode(buf, BUFSZ, type, (uint16_t)body), HP_HDR_LEN);
	fill(buf + HP_HDR_LEN, body, 0x33);
	return HP_HDR_LEN + body;
}

static void test_relay_round_trip(void **state)
{
	static const uint8_t token[HP_TOKEN_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	uint8_t inner[BUFSZ], buf[BUFSZ], fwd[BUFSZ], tok[HP_TOKEN_LEN];
	const uint8_t *p;
	size_t ilen = make_inner(inner, HP_SEAL_OVERHEAD + 14 + 5, HP_CHAT), plen;
	struct hp_header h;
	int n, m;

	(void)state;
	n = hp_relay_encode(buf, sizeof(buf), token, inner, ilen);
	assert_int_equal(n, HP_HDR_LEN + HP_TOKEN_LEN + (int)ilen);
	assert_int_equal(hp_header_decode(&h, buf, (size_t)n), 0);
	assert_int_equal(h.type, HP_RELAY);
	/* field by field, as docs/protocol.md says */
	assert_memory_equal(buf + HP_HDR_LEN, token, HP_TOKEN_LEN);
	assert_memory_equal(buf + HP_HDR_LEN + HP_TOKEN_LEN, inner, ilen);
	assert_int_equal(hp_relay_decode(buf, (size_t)n, tok, &p, &plen), 0);
	assert_memory_equal(tok, token, HP_TOKEN_LEN);
	assert_int_equal(plen, ilen);
	assert_memory_equal(p, inner, ilen);

	m = hp_relayed_encode(fwd, sizeof(fwd), p, plen);
	assert_int_equal(m, n - HP_TOKEN_LEN); /* never larger than the RELAY */
	assert_memory_equal(fwd + HP_HDR_LEN, inner, ilen);
	assert_int_equal(hp_relayed_decode(fwd, (size_t)m, &p, &plen), 0);
	assert_int_equal(plen, ilen);
	assert_memory_equal(p, inner, ilen);

	/* the types are not interchangeable, nor decodable as control */
	assert_int_equal(hp_relayed_decode(buf, (size_t)n, &p, &plen), -EINVAL);
	assert_int_equal(hp_relay_decode(fwd, (size_t)m, tok, &p, &plen), -EINVAL);
}

static void test_relay_truncations_and_bad_inner(void **state)
{
	static const uint8_t token[HP_TOKEN_LEN] = { 9 };
	uint8_t inner[BUFSZ], buf[BUFSZ], tok[HP_TOKEN_LEN];
	const uint8_t *p;
	size_t ilen = make_inner(inner, HP_SEAL_OVERHEAD + 8, HP_KEEPALIVE), plen, cut;
	int n;

	(void)state;
	n = hp_relay_encode(buf, sizeof(buf), token, inner, ilen);
	assert_true(n > 0);
	/* every truncation fails: the outer length field no longer matches */
	for (cut = 0; cut < (size_t)n; cut++)
		assert_true(hp_relay_decode(buf, cut, tok, &p, &plen) < 0);
	/* a consistent outer header around a cut inner datagram fails too */
	for (cut = 0; cut < ilen; cut++) {
		assert_int_equal(hp_header_encode(buf, sizeof(buf), HP_RELAY,
						  (uint16_t)(HP_TOKEN_LEN + cut)), HP_HDR_LEN);
		assert_int_equal(hp_relay_decode(buf, HP_HDR_LEN + HP_TOKEN_LEN + cut, tok, &p, &plen),
				 -EBADMSG);
		assert_int_equal(hp_relayed_encode(buf, sizeof(buf), inner, cut), -EINVAL);
	}
	/* inner must be a peer datagram, not a control one (no relayed REGISTER) */
	make_inner(inner, HP_SEAL_OVERHEAD + 8, HP_REGISTER);
	assert_int_equal(hp_relay_encode(buf, sizeof(buf), token, inner, ilen), -EINVAL);
	make_inner(inner, HP_SEAL_OVERHEAD + 8, HP_KEEPALIVE);
	n = hp_relay_encode(buf, sizeof(buf), token, inner, ilen);
	buf[HP_HDR_LEN + HP_TOKEN_LEN + 3] = HP_RELAY; /* inner type */
	assert_int_equal(hp_relay_decode(buf, (size_t)n, tok, &p, &plen), -EBADMSG);
	buf[HP_HDR_LEN + HP_TOKEN_LEN + 3] = HP_KEEPALIVE;
	buf[HP_HDR_LEN + HP_TOKEN_LEN + 5] ^= 1; /* inner length field */
	assert_int_equal(hp_relay_decode(buf, (size_t)n, tok, &p, &plen), -EBADMSG);
	/* too big to wrap, or no room */
	make_inner(inner, HP_RELAY_INNER_MAX - HP_HDR_LEN + 1, HP_CHAT);
	assert_int_equal(hp_relay_encode(buf, sizeof(buf), token, inner, HP_RELAY_INNER_MAX + 1),
			 -EINVAL);
	make_inner(inner, HP_RELAY_INNER_MAX - HP_HDR_LEN, HP_CHAT);
	n = hp_relay_encode(buf, sizeof(buf), token, inner, HP_RELAY_INNER_MAX);
	assert_int_equal(n, HP_MAX_DATAGRAM);
	assert_int_equal(hp_relay_encode(buf, 100, token, inner, HP_RELAY_INNER_MAX), -EMSGSIZE);
}
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_relay_round_trip),
		cmocka_unit_test(test_relay_truncations_and_bad_inner),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
