// SPDX-License-Identifier: MIT
/*
 * The logged-datagram decoder (pktdec.c): IPv4 with and without options,
 * fragments, UDP with hplab's header or STUN (both dialects) inside, ICMP
 * errors quoting a datagram, and every cut and lie of a length.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "lab/pktdec.h"
#include "proto.h"

/* An IPv4 header of ihl words for a datagram of tot bytes, no checksum
 * (the decoder does not check it: a log copy may predate it). */
static size_t put_ip(uint8_t *b, unsigned ihl, size_t tot, uint8_t proto, uint16_t frag,
		     const char *src, const char *dst)
{
	memset(b, 0, ihl * 4);
	b[0] = (uint8_t)(0x40 | ihl);
	b[2] = (uint8_t)(tot >> 8);
	b[3] = (uint8_t)tot;
	b[4] = 0x12;
	b[5] = 0x34;
	b[6] = (uint8_t)(frag >> 8);
	b[7] = (uint8_t)frag;
	b[8] = 2; /* ttl */
	b[9] = proto;
	inet_pton(AF_INET, src, b + 12);
	inet_pton(AF_INET, dst, b + 16);
	for (unsigned i = 20; i < ihl * 4; i++)
		b[i] = 1; /* NOP options (RFC 791) */
	return ihl * 4;
}

static size_t put_udp(uint8_t *b, uint16_t sport, uint16_t dport, const uint8_t *pl, size_t n)
{
	size_t ulen = 8 + n;

	b[0] = (uint8_t)(sport >> 8);
	b[1] = (uint8_t)sport;
	b[2] = (uint8_t)(dport >> 8);
	b[3] = (uint8_t)dport;
	b[4] = (uint8_t)(ulen >> 8);
	b[5] = (uint8_t)ulen;
	b[6] = b[7] = 0;
	memcpy(b + 8, pl, n);
	return ulen;
}

/* A whole UDP datagram with ihl words of IP header; returns its length. */
static size_t udp_dgram(uint8_t *b, unsigned ihl, const uint8_t *pl, size_t n)
{
	size_t h = ihl * 4;

	put_ip(b, ihl, h + 8 + n, IPPROTO_UDP, 0, "10.0.1.2", "198.51.100.10");
	return h + put_udp(b + h, 4000, 3478, pl, n);
}

static const uint8_t HP_PUNCH_MSG[] = { 0x48, 0x50, 1, HP_PUNCH, 0, 4, 0, 0, 9, 9, 9, 9 };

static void test_udp_hp(void **state)
{
	uint8_t b[256];
	struct lab_pkt p;
	char s[INET_ADDRSTRLEN];
	size_t n = udp_dgram(b, 5, HP_PUNCH_MSG, sizeof(HP_PUNCH_MSG));

	(void)state;
	assert_int_equal(lab_pkt_decode(b, n, &p), 0);
	assert_int_equal(p.ip.proto, IPPROTO_UDP);
	assert_int_equal(p.ip.ttl, 2);
	assert_int_equal(p.ip.ipid, 0x1234);
	assert_string_equal(inet_ntop(AF_INET, &p.ip.t.src, s, sizeof(s)), "10.0.1.2");
	assert_string_equal(inet_ntop(AF_INET, &p.ip.t.dst, s, sizeof(s)), "198.51.100.10");
	assert_int_equal(p.ip.t.sport, 4000);
	assert_int_equal(p.ip.t.dport, 3478);
	assert_int_equal(p.ip.hp_type, HP_PUNCH);
	assert_false(p.has_inner);
	/* a copy cut inside the payload still has the type... */
	assert_int_equal(lab_pkt_decode(b, 20 + 8 + 4, &p), 0);
	assert_int_equal(p.ip.hp_type, HP_PUNCH);
	/* ...not with fewer than 4 payload bytes, but still its ports */
	assert_int_equal(lab_pkt_decode(b, 20 + 8 + 3, &p), 0);
	assert_int_equal(p.ip.hp_type, LAB_PKT_NOT_HP);
	assert_int_equal(p.ip.t.dport, 3478);
	/* cut inside the UDP header: addresses only */
	assert_int_equal(lab_pkt_decode(b, 20 + 7, &p), 0);
	assert_int_equal(p.ip.t.sport, 0);
	assert_int_equal(p.ip.proto, IPPROTO_UDP);
}

static void test_ip_options(void **state)
{
	uint8_t b[256];
	struct lab_pkt p;
	size_t n = udp_dgram(b, 8, HP_PUNCH_MSG, sizeof(HP_PUNCH_MSG));

	(void)state;
	assert_int_equal(lab_pkt_decode(b, n, &p), 0);
	assert_int_equal(p.ip.t.sport, 4000);
	assert_int_equal(p.ip.hp_type, HP_PUNCH);
	/* the header with its options must be there whole */
	for (size_t cut = 0; cut < 32; cut++)
		assert_int_equal(lab_pkt_decode(b, cut, &p), -EINVAL);
	assert_int_equal(lab_pkt_decode(b, 32, &p), 0);
}

static void test_bad_ip(void **state)
{
	uint8_t b[256];
	struct lab_pkt p;
	size_t n = udp_dgram(b, 5, HP_PUNCH_MSG, sizeof(HP_PUNCH_MSG));

	(void)state;
	b[0] = 0x65; /* version 6 */
	assert_int_equal(lab_pkt_decode(b, n, &p), -EINVAL);
	b[0] = 0x44; /* IHL 4: shorter than the fixed header */
	assert_int_equal(lab_pkt_decode(b, n, &p), -EINVAL);
	b[0] = 0x45;
	b[2] = 0;
	b[3] = 19; /* total length shorter than the header */
	assert_int_equal(lab_pkt_decode(b, n, &p), -EINVAL);
	assert_int_equal(p.ip.proto, 0); /* nothing half-filled */
	assert_int_equal(lab_pkt_decode(NULL, 20, &p), -EINVAL);
	assert_int_equal(lab_pkt_decode(b, n, NULL), -EINVAL);
}

static void test_lying_lengths(void **state)
{
	uint8_t b[256];
	struct lab_pkt p;
	size_t n = udp_dgram(b, 5, HP_PUNCH_MSG, sizeof(HP_PUNCH_MSG));

	(void)state;
	/* the IP total length ends the datagram inside the UDP header */
	b[3] = 20 + 6;
	assert_int_equal(lab_pkt_decode(b, n, &p), 0);
	assert_int_equal(p.ip.t.sport, 0);
	/* a UDP length shorter than its header: ports, no payload */
	b[3] = (uint8_t)n;
	b[20 + 5] = 7;
	assert_int_equal(lab_pkt_decode(b, n, &p), 0);
	assert_int_equal(p.ip.t.sport, 4000);
	assert_int_equal(p.ip.hp_type, LAB_PKT_NOT_HP);
	/* a UDP length of 11: only 3 payload bytes count */
	b[20 + 5] = 11;
	assert_int_equal(lab_pkt_decode(b, n, &p), 0);
	assert_int_equal(p.ip.hp_type, LAB_PKT_NOT_HP);
}

static void test_fragments(void **state)
{
	uint8_t b[256];
	struct lab_pkt p;
	size_t n = udp_dgram(b, 5, HP_PUNCH_MSG, sizeof(HP_PUNCH_MSG));

	(void)state;
	b[6] = 0x20; /* MF, offset 0: the first fragment has the ports */
	assert_int_equal(lab_pkt_decode(b, n, &p), 0);
	assert_int_equal(p.ip.t.sport, 4000);
	b[6] = 0x20;
	b[7] = 0x01; /* offset 8 bytes: UDP-looking bytes are not a header */
	assert_int_equal(lab_pkt_decode(b, n, &p), 0);
	assert_int_equal(p.ip.t.sport, 0);
	assert_int_equal(p.ip.hp_type, LAB_PKT_NOT_HP);
	assert_int_equal(p.ip.proto, IPPROTO_UDP);
}

static void test_stun(void **state)
{
	/* RFC 8489 Binding request: type, length 0, the cookie, a transaction ID */
	uint8_t req[20] = { 0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42 };
	/* RFC 3489 Binding response: no cookie, length 12 (one attribute) */
	uint8_t classic[32] = { 0x01, 0x01, 0x00, 0x0c, 0xde, 0xad, 0xbe, 0xef };
	uint8_t b[256];
	struct lab_pkt p;
	size_t n;

	(void)state;
	n = udp_dgram(b, 5, req, sizeof(req));
	assert_int_equal(lab_pkt_decode(b, n, &p), 0);
	assert_int_equal(p.ip.hp_type, LAB_PKT_STUN);
	/* a Binding indication (no classic type): only its cookie says STUN,
	 * and the cookie needs 8 bytes captured */
	req[1] = 0x11;
	n = udp_dgram(b, 5, req, sizeof(req));
	assert_int_equal(lab_pkt_decode(b, n, &p), 0);
	assert_int_equal(p.ip.hp_type, LAB_PKT_STUN);
	assert_int_equal(lab_pkt_decode(b, 20 + 8 + 7, &p), 0);
	assert_int_equal(p.ip.hp_type, LAB_PKT_NOT_HP);
	req[0] = 0x40; /* top bits set: not STUN (RFC 8489 s.6) */
	n = udp_dgram(b, 5, req, sizeof(req));
	assert_int_equal(lab_pkt_decode(b, n, &p), 0);
	assert_int_equal(p.ip.hp_type, LAB_PKT_NOT_HP);

	n = udp_dgram(b, 5, classic, sizeof(classic));
	assert_int_equal(lab_pkt_decode(b, n, &p), 0);
	assert_int_equal(p.ip.hp_type, LAB_PKT_STUN);
	/* the UDP length, not the copy, says how long it is */
	assert_int_equal(lab_pkt_decode(b, 20 + 8 + 4, &p), 0);
	assert_int_equal(p.ip.hp_type, LAB_PKT_STUN);
	classic[3] = 0x10; /* its length does not match the datagram */
	n = udp_dgram(b, 5, classic, sizeof(classic));
	assert_int_equal(lab_pkt_decode(b, n, &p), 0);
	assert_int_equal(p.ip.hp_type, LAB_PKT_NOT_HP);
	classic[3] = 0x0c;
	classic[1] = 0x11; /* not a Binding request or response */
	n = udp_dgram(b, 5, classic, sizeof(classic));
	assert_int_equal(lab_pkt_decode(b, n, &p), 0);
	assert_int_equal(p.ip.hp_type, LAB_PKT_NOT_HP);
}

/* A router's ICMP error quoting a punch: outer header, ICMP header, then
 * the punch's own IP header and as much of it as qlen says. */
static size_t icmp_error(uint8_t *b, uint8_t type, uint8_t code, size_t qlen)
{
	uint8_t inner[128];
	size_t in = udp_dgram(inner, 5, HP_PUNCH_MSG, sizeof(HP_PUNCH_MSG));

	if (qlen > in)
		qlen = in;
	put_ip(b, 5, 20 + 8 + qlen, IPPROTO_ICMP, 0, "203.0.113.1", "10.0.1.2");
	memset(b + 20, 0, 8);
	b[20] = type;
	b[21] = code;
	memcpy(b + 28, inner, qlen);
	return 28 + qlen;
}

static void test_icmp_errors(void **state)
{
	static const uint8_t types[] = { 3, 11, 12 };
	uint8_t b[256];
	struct lab_pkt p;
	char s[INET_ADDRSTRLEN];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(types); i++) {
		n = icmp_error(b, types[i], 1, 128);
		assert_int_equal(lab_pkt_decode(b, n, &p), 0);
		assert_int_equal(p.ip.proto, IPPROTO_ICMP);
		assert_int_equal(p.ip.t.sport, 0);
		assert_int_equal(p.icmp_type, types[i]);
		assert_int_equal(p.icmp_code, 1);
		assert_true(p.has_inner);
		assert_int_equal(p.inner.proto, IPPROTO_UDP);
		assert_string_equal(inet_ntop(AF_INET, &p.inner.t.src, s, sizeof(s)), "10.0.1.2");
		assert_int_equal(p.inner.t.sport, 4000);
		assert_int_equal(p.inner.t.dport, 3478);
		assert_int_equal(p.inner.ttl, 2);
		assert_int_equal(p.inner.hp_type, HP_PUNCH);
	}
	/* RFC 792's minimum: the header and 8 bytes, the ports but no type */
	n = icmp_error(b, 11, 0, 28);
	assert_int_equal(lab_pkt_decode(b, n, &p), 0);
	assert_true(p.has_inner);
	assert_int_equal(p.inner.t.dport, 3478);
	assert_int_equal(p.inner.hp_type, LAB_PKT_NOT_HP);
	/* a quote cut inside its IP header: no inner, the outer stands */
	n = icmp_error(b, 11, 0, 19);
	assert_int_equal(lab_pkt_decode(b, n, &p), 0);
	assert_int_equal(p.icmp_type, 11);
	assert_false(p.has_inner);
	assert_int_equal(p.inner.proto, 0);
	/* an echo request is no error and quotes nothing */
	n = icmp_error(b, 8, 0, 128);
	assert_int_equal(lab_pkt_decode(b, n, &p), 0);
	assert_false(p.has_inner);
	assert_int_equal(p.icmp_type, 0);
	/* a copy cut inside the ICMP header */
	n = icmp_error(b, 3, 3, 128);
	assert_int_equal(lab_pkt_decode(b, 27, &p), 0);
	assert_false(p.has_inner);
}

static void test_every_cut(void **state)
{
	uint8_t b[256];
	struct lab_pkt p;
	size_t n = icmp_error(b, 3, 3, 128);

	(void)state;
	/* below the IP header an error, above it never one */
	for (size_t cut = 0; cut <= n; cut++)
		assert_int_equal(lab_pkt_decode(b, cut, &p), cut < 20 ? -EINVAL : 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp_hp),
		cmocka_unit_test(test_ip_options),
		cmocka_unit_test(test_bad_ip),
		cmocka_unit_test(test_lying_lengths),
		cmocka_unit_test(test_fragments),
		cmocka_unit_test(test_stun),
		cmocka_unit_test(test_icmp_errors),
		cmocka_unit_test(test_every_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
