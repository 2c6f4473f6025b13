// SPDX-License-Identifier: MIT
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "proto.h"
#include "stun.h"

/* RFC 5769 s.2.1: Binding request with SOFTWARE, PRIORITY, ICE-CONTROLLED,
 * USERNAME, MESSAGE-INTEGRITY and FINGERPRINT. */
static const uint8_t rfc5769_request[] = {
	0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
	0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10,
	0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73, 0x74, 0x20, 0x63, 0x6c,
	0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
	0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36,
	0x00, 0x06, 0x00, 0x09, 0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76,
	0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14, 0x9a, 0xea, 0xa7, 0x0c,
	0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49,
	0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf,
};

/* RFC 5769 s.2.2: success, XOR-MAPPED-ADDRESS 192.0.2.1:32853 */
static const uint8_t rfc5769_v4[] = {
	0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
	0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b,
	0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20,
	0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
	0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3,
	0x8c, 0x74, 0x89, 0xf9, 0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7,
	0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96,
};

/* RFC 5769 s.2.3: success, XOR-MAPPED-ADDRESS
 * [2001:db8:1234:5678:11:2233:4455:6677]:32853 */
static const uint8_t rfc5769_v6[] = {
	0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
	0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b,
	0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20,
	0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa,
	0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9,
	0x00, 0x08, 0x00, 0x14, 0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1,
	0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75, 0xbf, 0xe3, 0xed, 0x41,
	0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c,
};

static const uint8_t txid[STUN_TXID_LEN] = {
	0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* A bare Binding request header with room for attributes after it. */
static size_t req_header(uint8_t *buf, size_t body)
{
	memset(buf, 0, STUN_HDR_LEN + body);
	put16(buf, STUN_BINDING_REQUEST);
	put16(buf + 2, (uint16_t)body);
	buf[4] = 0x21;
	buf[5] = 0x12;
	buf[6] = 0xa4;
	buf[7] = 0x42;
	memcpy(buf + 8, txid, STUN_TXID_LEN);
	return STUN_HDR_LEN + body;
}

static void test_rfc5769_request(void **state)
{
	struct stun_request r;

	(void)state;
	assert_true(hp_is_stun(rfc5769_request, sizeof(rfc5769_request)));
	assert_int_equal(stun_parse_request(&r, rfc5769_request, sizeof(rfc5769_request)), 0);
	assert_memory_equal(r.txid, txid, STUN_TXID_LEN);
	assert_int_equal(r.has_fingerprint, 1);
	assert_int_equal(r.has_change_request, 0);
	/* PRIORITY (ICE) is comprehension-required and not ours; ICE-CONTROLLED
	 * is comprehension-optional and silently skipped */
	assert_int_equal(r.n_unknown, 1);
	assert_int_equal(r.unknown[0], 0x0024);
}

static void test_rfc5769_request_bad_fingerprint(void **state)
{
	uint8_t buf[sizeof(rfc5769_request)];
	struct stun_request r;
	size_t i;

	(void)state;
	memcpy(buf, rfc5769_request, sizeof(buf));
	buf[sizeof(buf) - 1] ^= 0x01;
	assert_int_equal(stun_parse_request(&r, buf, sizeof(buf)), -EBADMSG);

	/* a flipped bit in the covered bytes (SOFTWARE text) breaks it too */
	memcpy(buf, rfc5769_request, sizeof(buf));
	buf[30] ^= 0x20;
	assert_int_equal(stun_parse_request(&r, buf, sizeof(buf)), -EBADMSG);

	/* and so does any change in the transaction id */
	for (i = 8; i < 20; i++) {
		memcpy(buf, rfc5769_request, sizeof(buf));
		buf[i] ^= 0x80;
		assert_int_equal(stun_parse_request(&r, buf, sizeof(buf)), -EBADMSG);
	}
}

static void test_rfc5769_v4_response(void **state)
{
	struct stun_response r;
	char s[HP_ENDPOINT_STRLEN];

	(void)state;
	assert_int_equal(stun_parse_response(&r, rfc5769_v4, sizeof(rfc5769_v4)), 0);
	assert_int_equal(r.type, STUN_BINDING_SUCCESS);
	assert_memory_equal(r.txid, txid, STUN_TXID_LEN);
	assert_true(r.has_mapped);
	assert_string_equal(hp_endpoint_format(&r.mapped, s, sizeof(s)), "192.0.2.1:32853");
	assert_false(r.has_other);
}

static void test_rfc5769_v6_response(void **state)
{
	struct stun_response r;
	char s[HP_ENDPOINT_STRLEN];

	(void)state;
	assert_int_equal(stun_parse_response(&r, rfc5769_v6, sizeof(rfc5769_v6)), 0);
	assert_true(r.has_mapped);
	assert_int_equal(r.mapped.family, HP_FAMILY_V6);
	assert_string_equal(hp_endpoint_format(&r.mapped, s, sizeof(s)),
			    "[2001:db8:1234:5678:11:2233:4455:6677]:32853");
}

static void test_rfc5769_responses_bad_fingerprint(void **state)
{
	uint8_t b4[sizeof(rfc5769_v4)], b6[sizeof(rfc5769_v6)];
	struct stun_response r;

	(void)state;
	memcpy(b4, rfc5769_v4, sizeof(b4));
	b4[sizeof(b4) - 4] ^= 0xff;
	assert_int_equal(stun_parse_response(&r, b4, sizeof(b4)), -EBADMSG);
	memcpy(b6, rfc5769_v6, sizeof(b6));
	b6[45] ^= 0x01; /* inside the XOR-MAPPED-ADDRESS */
	assert_int_equal(stun_parse_response(&r, b6, sizeof(b6)), -EBADMSG);
}

static void test_build_success_matches_rfc(void **state)
{
	struct hp_endpoint ep;
	struct stun_response r;
	uint8_t buf[64];
	int n;

	(void)state;
	assert_int_equal(hp_endpoint_parse(&ep, "192.0.2.1:32853", -1), 0);
	n = stun_build_success(buf, sizeof(buf), txid, &ep);
	assert_int_equal(n, 32);
	assert_int_equal(buf[0], 0x01);
	assert_int_equal(buf[1], 0x01);
	assert_int_equal(buf[3], 12);
	/* the attribute is byte-for-byte the one in RFC 5769 s.2.2 */
	assert_memory_equal(buf + 20, rfc5769_v4 + 36, 12);
	assert_int_equal(stun_parse_response(&r, buf, (size_t)n), 0);
	assert_true(hp_endpoint_equal(&r.mapped, &ep));

	assert_int_equal(hp_endpoint_parse(&ep, "[2001:db8:1234:5678:11:2233:4455:6677]:32853", -1), 0);
	n = stun_build_success(buf, sizeof(buf), txid, &ep);
	assert_int_equal(n, 44);
	assert_memory_equal(buf + 20, rfc5769_v6 + 36, 24);
	assert_int_equal(stun_parse_response(&r, buf, (size_t)n), 0);
	assert_true(hp_endpoint_equal(&r.mapped, &ep));

	assert_int_equal(stun_build_success(buf, 43, txid, &ep), -EMSGSIZE);
	ep.family = 0;
	assert_true(stun_build_success(buf, sizeof(buf), txid, &ep) < 0);
}

static void test_minimal_request(void **state)
{
	uint8_t buf[64];
	struct stun_request r;
	int n;

	(void)state;
	n = stun_build_request(buf, sizeof(buf), txid, 0);
	assert_int_equal(n, STUN_HDR_LEN);
	assert_true(hp_is_stun(buf, (size_t)n));
	assert_int_equal(stun_parse_request(&r, buf, (size_t)n), 0);
	assert_memory_equal(r.txid, txid, STUN_TXID_LEN);
	assert_int_equal(r.n_unknown, 0);
	assert_int_equal(r.has_fingerprint, 0);

	n = stun_build_request(buf, sizeof(buf), txid, STUN_CHANGE_IP | STUN_CHANGE_PORT);
	assert_int_equal(n, STUN_HDR_LEN + 8);
	assert_int_equal(stun_parse_request(&r, buf, (size_t)n), 0);
	assert_int_equal(r.has_change_request, 1);
	assert_int_equal(r.change_flags, STUN_CHANGE_IP | STUN_CHANGE_PORT);
	assert_int_equal(r.n_unknown, 0);

	assert_int_equal(stun_build_request(buf, 27, txid, STUN_CHANGE_IP), -EMSGSIZE);
	assert_int_equal(stun_build_request(buf, 19, txid, 0), -EMSGSIZE);
}

static void test_empty_change_request(void **state)
{
	uint8_t buf[64];
	struct stun_request r;
	size_t n;

	(void)state;
	n = req_header(buf, 4);
	put16(buf + 20, 0x0003);
	put16(buf + 22, 0);
	assert_int_equal(stun_parse_request(&r, buf, n), 0);
	assert_int_equal(r.has_change_request, 1);
	assert_int_equal(r.change_flags, 0);
	assert_int_equal(r.n_unknown, 0);

	/* neither empty nor 4 bytes: malformed */
	n = req_header(buf, 8);
	put16(buf + 20, 0x0003);
	put16(buf + 22, 2);
	assert_int_equal(stun_parse_request(&r, buf, n), -EBADMSG);
}

static void test_unknown_attributes(void **state)
{
	uint8_t buf[128], out[128];
	struct stun_request r;
	struct stun_response resp;
	size_t n;
	int m;

	(void)state;
	/* 0x0031 and 0x7fff are comprehension-required, 0x8123 optional; the
	 * second 0x0031 must not be listed twice */
	n = req_header(buf, 4 * 4 + 8);
	put16(buf + 20, 0x0031);
	put16(buf + 24, 0x8123);
	put16(buf + 28, 0x7fff);
	put16(buf + 32, 0x0031);
	put16(buf + 36, 0x0027); /* RESPONSE-PORT, known */
	put16(buf + 38, 4);
	assert_int_equal(stun_parse_request(&r, buf, n), 0);
	assert_int_equal(r.n_unknown, 2);
	assert_int_equal(r.unknown[0], 0x0031);
	assert_int_equal(r.unknown[1], 0x7fff);

	m = stun_build_error_420(out, sizeof(out), &r);
	assert_true(m > STUN_HDR_LEN);
	assert_int_equal(out[0], 0x01);
	assert_int_equal(out[1], 0x11);
	assert_memory_equal(out + 8, txid, STUN_TXID_LEN);
	assert_int_equal(stun_parse_response(&resp, out, (size_t)m), 0);
	assert_int_equal(resp.type, STUN_BINDING_ERROR);
	assert_int_equal(resp.error_code, 420);
	assert_false(resp.has_mapped);
	/* ERROR-CODE (4 + 17 -> 24) then UNKNOWN-ATTRIBUTES (4 + 4) */
	assert_int_equal(m, 20 + 4 + 24 + 4 + 4);
	assert_int_equal(out[20 + 4 + 24 + 4], 0x00);
	assert_int_equal(out[20 + 4 + 24 + 5], 0x31);
	assert_int_equal(out[20 + 4 + 24 + 6], 0x7f);
	assert_int_equal(out[20 + 4 + 24 + 7], 0xff);
	assert_memory_equal(out + 28, "Unknown Attribute", 17);

	assert_int_equal(stun_build_error_420(out, (size_t)m - 1, &r), -EMSGSIZE);
	r.n_unknown = 0;
	assert_int_equal(stun_build_error_420(out, sizeof(out), &r), -EINVAL);
}

static void test_request_header_errors(void **state)
{
	uint8_t buf[64];
	struct stun_request r;
	struct stun_response resp;
	size_t n;

	(void)state;
	n = req_header(buf, 0);
	assert_int_equal(stun_parse_request(&r, buf, n), 0);

	buf[0] = 0x40; /* top bits must be 00 */
	assert_int_equal(stun_parse_request(&r, buf, n), -EBADMSG);
	n = req_header(buf, 0);
	buf[7] = 0x43; /* no cookie: a classic RFC 3489 request (RFC 8489 s.11) */
	assert_int_equal(stun_parse_request(&r, buf, n), 0);
	assert_int_equal(r.dialect, STUN_RFC3489);
	put16(buf, STUN_BINDING_SUCCESS); /* and never a classic response */
	assert_int_equal(stun_parse_request(&r, buf, n), -EBADMSG);
	assert_int_equal(stun_parse_response(&resp, buf, n), -EBADMSG);
	n = req_header(buf, 0);
	put16(buf, STUN_BINDING_SUCCESS); /* not a request */
	assert_int_equal(stun_parse_request(&r, buf, n), -EBADMSG);
	n = req_header(buf, 0);
	put16(buf, 0x0011); /* Binding indication */
	assert_int_equal(stun_parse_request(&r, buf, n), -EBADMSG);
	n = req_header(buf, 0);
	put16(buf, 0x0003); /* Allocate, a TURN method */
	assert_int_equal(stun_parse_request(&r, buf, n), -EBADMSG);

	/* message length: not a multiple of 4, or not what arrived */
	n = req_header(buf, 8);
	put16(buf + 2, 6);
	assert_int_equal(stun_parse_request(&r, buf, n - 2), -EBADMSG);
	n = req_header(buf, 8);
	put16(buf + 2, 4);
	assert_int_equal(stun_parse_request(&r, buf, n), -EBADMSG);
	n = req_header(buf, 8);
	put16(buf + 2, 12);
	assert_int_equal(stun_parse_request(&r, buf, n), -EBADMSG);
}

static void test_attribute_lengths(void **state)
{
	uint8_t buf[64];
	struct stun_request r;
	size_t n;

	(void)state;
	/* USERNAME of 5 bytes takes 8 with padding: fits exactly */
	n = req_header(buf, 12);
	put16(buf + 20, 0x0006);
	put16(buf + 22, 5);
	assert_int_equal(stun_parse_request(&r, buf, n), 0);
	/* 9 bytes would need 12 after the header: runs past the end */
	put16(buf + 22, 9);
	assert_int_equal(stun_parse_request(&r, buf, n), -EBADMSG);
	put16(buf + 22, 0xffff);
	assert_int_equal(stun_parse_request(&r, buf, n), -EBADMSG);
	/* an attribute header cut in half cannot be built: lengths are
	 * multiples of 4, so a lone 4-byte header with length 0 is the least */
	n = req_header(buf, 4);
	put16(buf + 20, 0x8022);
	assert_int_equal(stun_parse_request(&r, buf, n), 0);
}

static void test_fingerprint_must_be_last(void **state)
{
	uint8_t buf[sizeof(rfc5769_request) + 8];
	struct stun_request r;

	(void)state;
	/* SOFTWARE after FINGERPRINT: the CRC itself is right, the order is not */
	memcpy(buf, rfc5769_request, sizeof(rfc5769_request));
	put16(buf + 2, 0x58 + 8);
	put16(buf + sizeof(rfc5769_request), 0x8022);
	put16(buf + sizeof(rfc5769_request) + 2, 4);
	memset(buf + sizeof(rfc5769_request) + 4, 'x', 4);
	assert_int_equal(stun_parse_request(&r, buf, sizeof(buf)), -EBADMSG);
}

static void test_truncations(void **state)
{
	uint8_t buf[128];
	struct stun_request r;
	struct stun_response resp;
	size_t len;

	(void)state;
	for (len = 0; len < sizeof(rfc5769_request); len++) {
		memcpy(buf, rfc5769_request, len);
		assert_int_equal(stun_parse_request(&r, buf, len), -EBADMSG);
		/* with the header's length fixed up the attributes are cut */
		if (len >= STUN_HDR_LEN && len % 4 == 0) {
			put16(buf + 2, (uint16_t)(len - STUN_HDR_LEN));
			if (stun_parse_request(&r, buf, len) == 0)
				/* only a cut right between attributes parses */
				assert_false(r.has_fingerprint);
		}
	}
	for (len = 0; len < sizeof(rfc5769_v4); len++) {
		memcpy(buf, rfc5769_v4, len);
		assert_int_equal(stun_parse_response(&resp, buf, len), -EBADMSG);
	}
	for (len = 0; len < sizeof(rfc5769_v6); len++) {
		memcpy(buf, rfc5769_v6, len);
		assert_int_equal(stun_parse_response(&resp, buf, len), -EBADMSG);
	}
}

static void test_response_address_forms(void **state)
{
	uint8_t buf[128];
	struct stun_response r;
	char s[HP_ENDPOINT_STRLEN];

	(void)state;
	/* MAPPED-ADDRESS only (RFC 3489 servers), then OTHER-ADDRESS */
	memset(buf, 0, sizeof(buf));
	put16(buf, STUN_BINDING_SUCCESS);
	put16(buf + 2, 24);
	buf[4] = 0x21;
	buf[5] = 0x12;
	buf[6] = 0xa4;
	buf[7] = 0x42;
	memcpy(buf + 8, txid, STUN_TXID_LEN);
	put16(buf + 20, 0x0001);
	put16(buf + 22, 8);
	buf[25] = 0x01;
	put16(buf + 26, 3478);
	memcpy(buf + 28, ((uint8_t[]){ 203, 0, 113, 9 }), 4);
	put16(buf + 32, 0x802c);
	put16(buf + 34, 8);
	buf[37] = 0x01;
	put16(buf + 38, 3479);
	memcpy(buf + 40, ((uint8_t[]){ 203, 0, 113, 10 }), 4);
	assert_int_equal(stun_parse_response(&r, buf, 44), 0);
	assert_true(r.has_mapped);
	assert_string_equal(hp_endpoint_format(&r.mapped, s, sizeof(s)), "203.0.113.9:3478");
	assert_true(r.has_other);
	assert_string_equal(hp_endpoint_format(&r.other, s, sizeof(s)), "203.0.113.10:3479");

	/* a bad family in an address attribute */
	buf[25] = 0x03;
	assert_int_equal(stun_parse_response(&r, buf, 44), -EBADMSG);
	buf[25] = 0x01;
	/* family says IPv6 but the length says IPv4 */
	buf[37] = 0x02;
	assert_int_equal(stun_parse_response(&r, buf, 44), -EBADMSG);
	buf[37] = 0x01;

	/* an error response without ERROR-CODE is malformed */
	put16(buf, STUN_BINDING_ERROR);
	assert_int_equal(stun_parse_response(&r, buf, 44), -EBADMSG);
	/* and a request is not a response */
	put16(buf, STUN_BINDING_REQUEST);
	assert_int_equal(stun_parse_response(&r, buf, 44), -EBADMSG);
}

static uint32_t xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Random damage to valid messages must never crash the parsers (ASan). */
static void test_mutations_do_not_crash(void **state)
{
	uint8_t buf[128];
	struct stun_request r;
	struct stun_response resp;
	uint32_t seed = 0xc0ffee;
	int iter, k, ok = 0;

	(void)state;
	for (iter = 0; iter < 20000; iter++) {
		const uint8_t *src = iter % 2 ? rfc5769_request : rfc5769_v6;
		size_t len = iter % 2 ? sizeof(rfc5769_request) : sizeof(rfc5769_v6);

		memcpy(buf, src, len);
		for (k = 0; k < 2; k++)
			buf[xorshift(&seed) % len] = (uint8_t)xorshift(&seed);
		ok += stun_parse_request(&r, buf, len) == 0;
		ok += stun_parse_response(&resp, buf, len) == 0;
		if (r.n_unknown > STUN_MAX_UNKNOWN)
			fail_msg("n_unknown %zu", r.n_unknown);
	}
	/* FINGERPRINT catches almost everything */
	assert_true(ok < 2000);
}


/* A parsed RFC 8489 request with transaction id id. */
static struct stun_request rfc8489_req(const uint8_t id[STUN_TXID_LEN])
{
	struct stun_request r;
	uint8_t buf[STUN_HDR_LEN];

	assert_int_equal(stun_build_request(buf, sizeof(buf), id, 0), STUN_HDR_LEN);
	assert_int_equal(stun_parse_request(&r, buf, sizeof(buf)), 0);
	return r;
}

static void test_success_with_other_address(void **state)
{
	const uint8_t id[STUN_TXID_LEN] = "other-addr-1";
	struct stun_request q = rfc8489_req(id);
	struct hp_endpoint mapped, other;
	struct stun_answer ans = { .mapped = &mapped, .other = &other };
	struct stun_response r;
	uint8_t buf[128];
	char b[HP_ENDPOINT_STRLEN];
	int n;

	(void)state;
	assert_int_equal(hp_endpoint_parse(&mapped, "192.0.2.7:4000", -1), 0);
	assert_int_equal(hp_endpoint_parse(&other, "198.51.100.2:3479", -1), 0);
	n = stun_build_answer(buf, sizeof(buf), &q, &ans);
	assert_int_equal(n, 44);
	assert_int_equal(stun_parse_response(&r, buf, (size_t)n), 0);
	assert_true(r.has_mapped && r.has_other);
	assert_string_equal(hp_endpoint_format(&r.mapped, b, sizeof(b)), "192.0.2.7:4000");
	assert_string_equal(hp_endpoint_format(&r.other, b, sizeof(b)), "198.51.100.2:3479");
	/* NULL other: the plain 32-byte answer */
	ans.other = NULL;
	assert_int_equal(stun_build_answer(buf, sizeof(buf), &q, &ans), 32);
	ans.other = &other;
	assert_int_equal(stun_build_answer(buf, 40, &q, &ans), -EMSGSIZE);
	assert_int_equal(hp_endpoint_parse(&other, "[2001:db8::2]:3479", -1), 0);
	n = stun_build_answer(buf, sizeof(buf), &q, &ans);
	assert_int_equal(n, 56);
	assert_int_equal(stun_parse_response(&r, buf, (size_t)n), 0);
	assert_string_equal(hp_endpoint_format(&r.other, b, sizeof(b)), "[2001:db8::2]:3479");
}

/* RFC 3489 s.11.1: the 128-bit transaction ID from offset 4, no cookie. */
static const uint8_t classic_id[16] = "classic-id-0123";

static size_t classic_header(uint8_t *buf, size_t body)
{
	memset(buf, 0, STUN_HDR_LEN + body);
	put16(buf, STUN_BINDING_REQUEST);
	put16(buf + 2, (uint16_t)body);
	memcpy(buf + 4, classic_id, sizeof(classic_id));
	return STUN_HDR_LEN + body;
}

static void test_classic_request(void **state)
{
	uint8_t buf[64], hp[HP_HDR_LEN];
	struct stun_request r;
	size_t n;

	(void)state;
	n = classic_header(buf, 0);
	assert_true(stun_is_classic_request(buf, n));
	assert_false(hp_is_stun(buf, n));
	assert_int_equal(stun_parse_request(&r, buf, n), 0);
	assert_int_equal(r.dialect, STUN_RFC3489);
	assert_memory_equal(r.cookie, classic_id, 4);
	assert_memory_equal(r.txid, classic_id + 4, STUN_TXID_LEN);
	assert_int_equal(r.has_change_request, 0);

	/* CHANGE-REQUEST, RFC 3489 s.11.2.4: the same flags as RFC 5780's */
	n = classic_header(buf, 8);
	put16(buf + 20, 0x0003);
	put16(buf + 22, 4);
	buf[27] = STUN_CHANGE_IP | STUN_CHANGE_PORT;
	assert_int_equal(stun_parse_request(&r, buf, n), 0);
	assert_int_equal(r.has_change_request, 1);
	assert_int_equal(r.change_flags, STUN_CHANGE_IP | STUN_CHANGE_PORT);
	/* RESPONSE-ADDRESS (0x0002) would send the answer elsewhere: never
	 * honoured, it is an unknown comprehension-required attribute */
	put16(buf + 20, 0x0002);
	assert_int_equal(stun_parse_request(&r, buf, n), 0);
	assert_int_equal(r.n_unknown, 1);
	assert_int_equal(r.unknown[0], 0x0002);

	/* with the cookie it is RFC 8489, not classic */
	n = req_header(buf, 0);
	assert_false(stun_is_classic_request(buf, n));
	assert_int_equal(stun_parse_request(&r, buf, n), 0);
	assert_int_equal(r.dialect, STUN_RFC8489);
	/* not a Binding request, a length that disagrees, too short, or hplab */
	n = classic_header(buf, 0);
	put16(buf, STUN_BINDING_SUCCESS);
	assert_false(stun_is_classic_request(buf, n));
	n = classic_header(buf, 4);
	assert_false(stun_is_classic_request(buf, n - 4));
	put16(buf + 2, 6);
	assert_false(stun_is_classic_request(buf, n + 2));
	assert_false(stun_is_classic_request(buf, STUN_HDR_LEN - 1));
	assert_false(stun_is_classic_request(NULL, 20));
	assert_int_equal(hp_header_encode(hp, sizeof(hp), HP_REGISTER, 12), HP_HDR_LEN);
	memcpy(buf, hp, sizeof(hp));
	assert_false(stun_is_classic_request(buf, STUN_HDR_LEN));
	/* hostile attribute lengths in a classic request */
	n = classic_header(buf, 8);
	put16(buf + 20, 0x0026);
	put16(buf + 22, 0xffff);
	assert_int_equal(stun_parse_request(&r, buf, n), -EBADMSG);
	put16(buf + 22, 5);
	assert_int_equal(stun_parse_request(&r, buf, n), -EBADMSG);
	put16(buf + 22, 4);
	assert_int_equal(stun_parse_request(&r, buf, n), 0);
}

/* Checks one plain address attribute at p: type, IPv4, port, address. */
static void assert_plain_v4(const uint8_t *p, uint16_t type, const char *text)
{
	struct hp_endpoint ep;

	assert_int_equal(hp_endpoint_parse(&ep, text, -1), 0);
	assert_int_equal((p[0] << 8) | p[1], type);
	assert_int_equal((p[2] << 8) | p[3], 8);
	assert_int_equal(p[4], 0);
	assert_int_equal(p[5], 0x01);
	assert_int_equal((p[6] << 8) | p[7], ep.port);
	assert_memory_equal(p + 8, ep.addr, 4);
}

static void test_classic_answer(void **state)
{
	uint8_t req[64], buf[128];
	struct stun_request r;
	struct hp_endpoint mapped, other, origin;
	struct stun_answer a = { .mapped = &mapped };
	int n;

	(void)state;
	assert_int_equal(hp_endpoint_parse(&mapped, "192.0.2.7:4000", -1), 0);
	assert_int_equal(hp_endpoint_parse(&other, "198.51.100.2:3479", -1), 0);
	assert_int_equal(hp_endpoint_parse(&origin, "198.51.100.1:3478", -1), 0);
	assert_int_equal(stun_parse_request(&r, req, classic_header(req, 0)), 0);

	/* MAPPED-ADDRESS (RFC 3489 s.11.2.1), the 128-bit ID echoed */
	n = stun_build_answer(buf, sizeof(buf), &r, &a);
	assert_int_equal(n, 32);
	assert_int_equal((buf[0] << 8) | buf[1], STUN_BINDING_SUCCESS);
	assert_int_equal((buf[2] << 8) | buf[3], 12);
	assert_memory_equal(buf + 4, classic_id, sizeof(classic_id));
	assert_plain_v4(buf + 20, 0x0001, "192.0.2.7:4000");
	assert_false(stun_is_classic_request(buf, (size_t)n));

	/* CHANGED-ADDRESS (s.11.2.3), SOURCE-ADDRESS (s.11.2.5) */
	a.other = &other;
	a.origin = &origin;
	n = stun_build_answer(buf, sizeof(buf), &r, &a);
	assert_int_equal(n, 56);
	assert_int_equal((buf[2] << 8) | buf[3], 36);
	assert_plain_v4(buf + 20, 0x0001, "192.0.2.7:4000");
	assert_plain_v4(buf + 32, 0x0005, "198.51.100.2:3479");
	assert_plain_v4(buf + 44, 0x0004, "198.51.100.1:3478");
	assert_int_equal(stun_build_answer(buf, 55, &r, &a), -EMSGSIZE);
	assert_int_equal(stun_build_answer(buf, STUN_HDR_LEN - 1, &r, &a), -EMSGSIZE);
	a.mapped = NULL;
	assert_int_equal(stun_build_answer(buf, sizeof(buf), &r, &a), -EINVAL);
	a.mapped = &mapped;
	r.dialect = (enum stun_dialect)7;
	assert_int_equal(stun_build_answer(buf, sizeof(buf), &r, &a), -EINVAL);
}

static void test_classic_420(void **state)
{
	uint8_t req[64], out[128];
	struct stun_request r;
	size_t n;
	int m;

	(void)state;
	/* one unknown attribute: RFC 3489 s.11.2.10 repeats it to fill 4 bytes */
	n = classic_header(req, 4);
	put16(req + 20, 0x0031);
	assert_int_equal(stun_parse_request(&r, req, n), 0);
	assert_int_equal(r.n_unknown, 1);
	m = stun_build_error_420(out, sizeof(out), &r);
	assert_int_equal(m, 20 + 4 + 24 + 4 + 4);
	assert_int_equal((out[0] << 8) | out[1], STUN_BINDING_ERROR);
	assert_memory_equal(out + 4, classic_id, sizeof(classic_id));
	assert_int_equal((out[48] << 8) | out[49], 0x000a);
	assert_int_equal((out[50] << 8) | out[51], 4);
	assert_int_equal((out[52] << 8) | out[53], 0x0031);
	assert_int_equal((out[54] << 8) | out[55], 0x0031);
}

static void test_response_origin(void **state)
{
	const uint8_t id[STUN_TXID_LEN] = "resp-origin1";
	struct stun_request q = rfc8489_req(id);
	struct hp_endpoint mapped, other, origin;
	struct stun_answer a = { .mapped = &mapped, .other = &other, .origin = &origin };
	struct stun_response r;
	uint8_t buf[STUN_ANSWER_MAX];
	char b[HP_ENDPOINT_STRLEN];
	int n;

	(void)state;
	assert_int_equal(hp_endpoint_parse(&mapped, "192.0.2.7:4000", -1), 0);
	assert_int_equal(hp_endpoint_parse(&other, "198.51.100.2:3479", -1), 0);
	assert_int_equal(hp_endpoint_parse(&origin, "198.51.100.1:3478", -1), 0);
	n = stun_build_answer(buf, sizeof(buf), &q, &a);
	assert_int_equal(n, 56);
	/* RESPONSE-ORIGIN (RFC 5780 s.7.3, 0x802b) last, plain layout */
	assert_plain_v4(buf + 44, 0x802b, "198.51.100.1:3478");
	assert_int_equal(stun_parse_response(&r, buf, (size_t)n), 0);
	assert_true(r.has_mapped && r.has_other && r.has_origin);
	assert_string_equal(hp_endpoint_format(&r.mapped, b, sizeof(b)), "192.0.2.7:4000");
	assert_string_equal(hp_endpoint_format(&r.origin, b, sizeof(b)), "198.51.100.1:3478");
	/* origin without other */
	a.other = NULL;
	assert_int_equal(stun_build_answer(buf, sizeof(buf), &q, &a), 44);
	assert_int_equal(stun_parse_response(&r, buf, 44), 0);
	assert_true(r.has_origin && !r.has_other);
	/* the longest answer fits STUN_ANSWER_MAX exactly */
	assert_int_equal(hp_endpoint_parse(&mapped, "[2001:db8::7]:4000", -1), 0);
	assert_int_equal(hp_endpoint_parse(&other, "[2001:db8::2]:3479", -1), 0);
	assert_int_equal(hp_endpoint_parse(&origin, "[2001:db8::1]:3478", -1), 0);
	a.other = &other;
	assert_int_equal(stun_build_answer(buf, sizeof(buf), &q, &a), STUN_ANSWER_MAX);
	assert_int_equal(stun_parse_response(&r, buf, STUN_ANSWER_MAX), 0);
	assert_string_equal(hp_endpoint_format(&r.origin, b, sizeof(b)), "[2001:db8::1]:3478");
	/* a bad RESPONSE-ORIGIN makes the answer malformed */
	buf[STUN_ANSWER_MAX - 24 + 5] = 0x03;
	assert_int_equal(stun_parse_response(&r, buf, STUN_ANSWER_MAX), -EBADMSG);
}

static void test_padded_request(void **state)
{
	static uint8_t buf[STUN_MAX_REQUEST + 8];
	struct stun_request r;
	int n;

	(void)state;
	/* padded to the longest answer: PADDING takes the rest */
	n = stun_build_request_padded(buf, sizeof(buf), txid, 0, STUN_ANSWER_MAX);
	assert_int_equal(n, STUN_ANSWER_MAX);
	assert_int_equal((buf[20] << 8) | buf[21], 0x0026);
	assert_int_equal((buf[22] << 8) | buf[23], STUN_ANSWER_MAX - 24);
	assert_int_equal(stun_parse_request(&r, buf, (size_t)n), 0);
	assert_int_equal(r.n_unknown, 0);
	n = stun_build_request_padded(buf, sizeof(buf), txid, STUN_CHANGE_PORT, 61);
	assert_int_equal(n, 64); /* rounded up to a multiple of 4 */
	assert_int_equal(stun_parse_request(&r, buf, (size_t)n), 0);
	assert_int_equal(r.change_flags, STUN_CHANGE_PORT);
	/* a gap of exactly 4: an empty PADDING */
	n = stun_build_request_padded(buf, sizeof(buf), txid, STUN_CHANGE_PORT, 32);
	assert_int_equal(n, 32);
	assert_int_equal((buf[30] << 8) | buf[31], 0);
	assert_int_equal(stun_parse_request(&r, buf, (size_t)n), 0);
	/* shorter than the request itself: no PADDING */
	assert_int_equal(stun_build_request_padded(buf, sizeof(buf), txid, STUN_CHANGE_IP, 8), 28);
	assert_int_equal(stun_build_request_padded(buf, 63, txid, 0, 64), -EMSGSIZE);

	/* the bound: STUN_MAX_REQUEST parses, 4 more do not */
	n = stun_build_request_padded(buf, sizeof(buf), txid, 0, STUN_MAX_REQUEST);
	assert_int_equal(n, STUN_MAX_REQUEST);
	assert_int_equal(stun_parse_request(&r, buf, (size_t)n), 0);
	assert_int_equal(stun_build_request_padded(buf, sizeof(buf), txid, 0, STUN_MAX_REQUEST + 1),
			 -EINVAL);
	put16(buf + 2, STUN_MAX_REQUEST + 4 - STUN_HDR_LEN);
	put16(buf + 22, STUN_MAX_REQUEST + 4 - 24);
	assert_int_equal(stun_parse_request(&r, buf, STUN_MAX_REQUEST + 4), -EBADMSG);
	/* coturn's -P pads with 1500 bytes (the MTU, RFC 5780 s.7.6) */
	n = stun_build_request_padded(buf, sizeof(buf), txid, STUN_CHANGE_IP, 20 + 8 + 4 + 1500);
	assert_int_equal(n, 1532);
	assert_int_equal(stun_parse_request(&r, buf, (size_t)n), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_success_with_other_address),
		cmocka_unit_test(test_rfc5769_request),
		cmocka_unit_test(test_rfc5769_request_bad_fingerprint),
		cmocka_unit_test(test_rfc5769_v4_response),
		cmocka_unit_test(test_rfc5769_v6_response),
		cmocka_unit_test(test_rfc5769_responses_bad_fingerprint),
		cmocka_unit_test(test_build_success_matches_rfc),
		cmocka_unit_test(test_minimal_request),
		cmocka_unit_test(test_empty_change_request),
		cmocka_unit_test(test_unknown_attributes),
		cmocka_unit_test(test_request_header_errors),
		cmocka_unit_test(test_attribute_lengths),
		cmocka_unit_test(test_fingerprint_must_be_last),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_response_address_forms),
		cmocka_unit_test(test_mutations_do_not_crash),
		cmocka_unit_test(test_classic_request),
		cmocka_unit_test(test_classic_answer),
		cmocka_unit_test(test_classic_420),
		cmocka_unit_test(test_response_origin),
		cmocka_unit_test(test_padded_request),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
