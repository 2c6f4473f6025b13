// SPDX-License-Identifier: MIT
/*
 * The client's wire (src/client/wire.c) without a network: every drop is
 * counted under its reason (drops.h) where it happens, with real sessions
 * on both sides (libsodium keys); and which errors of the socket's error
 * queue (test_client_netio.c) are news about the server.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "client/ctl.h"
#include "client/wire.h"

static struct fx {
	struct client_opts o;
	struct output out;
	struct wire w;
	struct hp_keypair ka, kb;
	struct hp_session sb; /* the peer's side */
	struct hp_endpoint server, peer;
} f;

static struct hp_endpoint ep(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
{
	struct hp_endpoint e = { .family = HP_FAMILY_V4, .port = port, .addr = { a, b, c, d } };

	return e;
}

static int no_send(void *ctx, const struct hp_endpoint *to, const uint8_t *buf, size_t len,
		   int ttl)
{
	(void)ctx, (void)to, (void)buf, (void)len, (void)ttl;
	return 0;
}

static int setup(void **state)
{
	(void)state;
	memset(&f, 0, sizeof(f));
	snprintf(f.o.room, sizeof(f.o.room), "r");
	f.o.timeout_s = 10;
	f.server = ep(192, 0, 2, 1, 7000);
	f.peer = ep(198, 51, 100, 7, 40000);
	assert_int_equal(hp_crypto_init(), 0);
	assert_int_equal(hp_crypto_keypair(&f.ka), 0);
	assert_int_equal(hp_crypto_keypair(&f.kb), 0);
	wire_init(&f.w, -1, &f.server, (const uint8_t *)"tokentok", &f.out);
	f.w.send = no_send;
	assert_int_equal(wire_rekey(&f.w, &f.ka, f.kb.pk, NULL), 0);
	assert_int_equal(hp_session_derive(&f.sb, f.kb.pk, f.kb.sk, f.ka.pk, NULL, 0), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	wire_free(&f.w);
	hp_session_clear(&f.sb);
	return 0;
}

/* Every counter is zero except `why`, which is n. */
static void expect_drops(enum client_drop why, uint64_t n)
{
	size_t i;

	for (i = 0; i < CLIENT_N_DROPS; i++)
		assert_int_equal(f.w.drops[i], i == (size_t)why ? n : 0);
}

static int seal_keepalive(uint8_t *buf, size_t cap)
{
	struct hp_peer_msg m;
	int n;

	memset(&m, 0, sizeof(m));
	m.type = HP_KEEPALIVE;
	n = hp_session_seal(&f.sb, &m, buf, cap);
	assert_true(n > 0);
	return n;
}

static void test_open_counts_auth_and_replay(void **state)
{
	uint8_t buf[HP_MAX_DATAGRAM];
	struct hp_peer_msg m;
	int n;

	(void)state;
	n = seal_keepalive(buf, sizeof(buf));
	assert_true(wire_open(&f.w, buf, (size_t)n, &f.peer, &m) >= 0);
	expect_drops(CLIENT_DROP_AUTH_FAILED, 0);
	/* the same datagram again: authentic, but its counter was seen */
	assert_int_equal(wire_open(&f.w, buf, (size_t)n, &f.peer, &m), -EALREADY);
	expect_drops(CLIENT_DROP_REPLAYED, 1);
	/* through the relay too (from == NULL): same session, same window */
	assert_int_equal(wire_open(&f.w, buf, (size_t)n, NULL, &m), -EALREADY);
	expect_drops(CLIENT_DROP_REPLAYED, 2);
	f.w.drops[CLIENT_DROP_REPLAYED] = 0;
	n = seal_keepalive(buf, sizeof(buf));
	buf[n - 1] ^= 1;
	assert_true(wire_open(&f.w, buf, (size_t)n, &f.peer, &m) < 0);
	expect_drops(CLIENT_DROP_AUTH_FAILED, 1);
}

static void test_demux_counts_stray_and_bad_relay(void **state)
{
	uint8_t buf[HP_MAX_DATAGRAM], junk[] = "GET / HTTP/1.0\r\n\r\n";
	const uint8_t *inner;
	size_t inner_len;
	int n;

	(void)state;
	assert_int_equal(wire_demux(&f.w, junk, sizeof(junk), &f.server, &inner, &inner_len),
			 WIRE_STRAY);
	expect_drops(CLIENT_DROP_STRAY, 1);
	/* a control message from anyone but the server */
	n = hp_header_encode(buf, sizeof(buf), HP_REGISTERED, 0);
	assert_int_equal(wire_demux(&f.w, buf, (size_t)n, &f.peer, &inner, &inner_len), WIRE_STRAY);
	expect_drops(CLIENT_DROP_STRAY, 2);
	assert_int_equal(wire_demux(&f.w, buf, (size_t)n, &f.server, &inner, &inner_len), WIRE_CTL);
	expect_drops(CLIENT_DROP_STRAY, 2);
	/* RELAYED from the server around 4 bytes that are no sealed datagram */
	n = hp_header_encode(buf, sizeof(buf), HP_RELAYED, 4);
	memset(buf + n, 0, 4);
	f.w.drops[CLIENT_DROP_STRAY] = 0;
	assert_int_equal(wire_demux(&f.w, buf, (size_t)n + 4, &f.server, &inner, &inner_len),
			 WIRE_STRAY);
	expect_drops(CLIENT_DROP_BAD_RELAY, 1);
	/* a sealed peer datagram is the peer's, from any source */
	n = seal_keepalive(buf, sizeof(buf));
	assert_int_equal(wire_demux(&f.w, buf, (size_t)n, &f.peer, &inner, &inner_len), WIRE_PEER);
	assert_int_equal(inner_len, n);
	expect_drops(CLIENT_DROP_BAD_RELAY, 1);
}

static void test_stash_full(void **state)
{
	struct wire_stash st[WIRE_STASH];
	uint8_t buf[HP_MAX_DATAGRAM];
	int i, n;

	(void)state;
	n = seal_keepalive(buf, sizeof(buf));
	for (i = 0; i < WIRE_STASH + 2; i++)
		wire_stash(&f.w, buf, (size_t)n, &f.peer);
	expect_drops(CLIENT_DROP_STASH_FULL, 2);
	assert_int_equal(wire_unstash(&f.w, st), WIRE_STASH);
	wire_stash(&f.w, buf, (size_t)n, &f.peer);
	expect_drops(CLIENT_DROP_STASH_FULL, 2);
}

/* A control message the server did not send us: ctl counts it as stray. */
static void test_ctl_counts_stray(void **state)
{
	static const struct hp_endpoint priv[1];
	uint8_t buf[HP_MAX_DATAGRAM];
	struct ctl_news news;
	struct hp_msg m;
	struct ctl ctl;
	int n;

	(void)state;
	ctl_init(&ctl, &f.o, &f.out, f.ka.pk, priv, 0, 0);
	memset(&m, 0, sizeof(m));
	m.hdr.type = HP_REGISTERED;
	memcpy(m.u.registered.token, "othertok", HP_TOKEN_LEN);
	m.u.registered.reflexive = f.peer;
	n = hp_msg_encode(&m, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(ctl_handle(&ctl, &f.w, buf, (size_t)n, PATH_WAITING, 1, &news),
			 CTL_NOTHING);
	assert_int_equal(ctl.state, CTL_REGISTERING);
	expect_drops(CLIENT_DROP_STRAY, 1);
	/* a control message cut short */
	assert_int_equal(ctl_handle(&ctl, &f.w, buf, HP_HDR_LEN, PATH_WAITING, 1, &news),
			 CTL_NOTHING);
	expect_drops(CLIENT_DROP_STRAY, 2);
}

/* Only a destination unreachable for the server's own endpoint is news. */
static void test_server_unreachable(void **state)
{
	struct hp_endpoint other_port = f.server, host = ep(192, 0, 2, 1, 0);
	struct netio_err e = { .err = ECONNREFUSED, .icmp = true, .type = 3, .code = 3,
			       .to = f.server, .by = host };

	(void)state;
	assert_string_equal(wire_server_unreachable(&f.w, &e), "port unreachable");
	e.code = 1;
	assert_string_equal(wire_server_unreachable(&f.w, &e), "host unreachable");
	e.code = 13;
	assert_string_equal(wire_server_unreachable(&f.w, &e),
			    "communication administratively prohibited");
	/* fragmentation needed is path MTU discovery; unknown codes: nothing */
	e.code = 4;
	assert_null(wire_server_unreachable(&f.w, &e));
	e.code = 200;
	assert_null(wire_server_unreachable(&f.w, &e));
	/* a punch to a peer candidate on the server's host, other port: the
	 * ICMP comes from the server's address but is not about the server */
	e.code = 3;
	other_port.port++;
	e.to = other_port;
	assert_null(wire_server_unreachable(&f.w, &e));
	e.to = f.peer;
	assert_null(wire_server_unreachable(&f.w, &e));
	/* a short-TTL punch's time exceeded, and local errors */
	e.to = f.server;
	e.type = 11;
	e.code = 0;
	assert_null(wire_server_unreachable(&f.w, &e));
	e.type = 3;
	e.code = 3;
	e.icmp = false;
	assert_null(wire_server_unreachable(&f.w, &e));
}

/* Said once while registering, the retries go on, the error names it. */
static void test_ctl_unreachable(void **state)
{
	static const struct hp_endpoint priv[1];
	uint8_t buf[HP_MAX_DATAGRAM];
	struct ctl_news news;
	struct hp_msg m;
	struct ctl ctl;
	uint64_t wake = UINT64_MAX;
	int n;

	(void)state;
	f.out.quiet = true; /* the warning goes to stderr: keep the log clean */
	ctl_init(&ctl, &f.o, &f.out, f.ka.pk, priv, 0, 0);
	assert_int_equal(ctl_tick(&ctl, &f.w, PATH_WAITING, 0, &wake), CTL_NOTHING);
	ctl_unreachable(&ctl, &f.w, "port unreachable");
	assert_string_equal(ctl.unreach, "port unreachable");
	assert_int_equal(ctl_tick(&ctl, &f.w, PATH_WAITING, 5000, &wake), CTL_NOTHING);
	assert_int_equal(ctl.state, CTL_REGISTERING);
	/* the server came up after all: carry on, and forget what ICMP said */
	memset(&m, 0, sizeof(m));
	m.hdr.type = HP_REGISTERED;
	memcpy(m.u.registered.token, f.w.token, HP_TOKEN_LEN);
	m.u.registered.reflexive = f.peer;
	n = hp_msg_encode(&m, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(ctl_handle(&ctl, &f.w, buf, (size_t)n, PATH_WAITING, 5100, &news),
			 CTL_NOTHING);
	assert_int_equal(ctl.state, CTL_REGISTERED);
	assert_null(ctl.unreach);
	/* registered: a refresh's ICMP is no news (the chat needs no server) */
	ctl_unreachable(&ctl, &f.w, "port unreachable");
	assert_null(ctl.unreach);
	/* and a server that never answers is still fatal at --timeout */
	ctl_init(&ctl, &f.o, &f.out, f.ka.pk, priv, 0, 0);
	ctl_unreachable(&ctl, &f.w, "port unreachable");
	assert_int_equal(ctl_tick(&ctl, &f.w, PATH_WAITING, 10000, &wake), CTL_FATAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_counts_auth_and_replay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_demux_counts_stray_and_bad_relay, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stash_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ctl_counts_stray, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_unreachable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ctl_unreachable, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
