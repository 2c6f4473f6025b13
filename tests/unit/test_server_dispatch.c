// SPDX-License-Identifier: MIT
/*
 * The server's request handling, driven directly through server_dispatch()
 * with a loopback UDP socket as the server's socket 0: which datagrams are answered,
 * with what, and that nothing is answered with more bytes than it got.
 * Absence of a reply is proven with a sentinel: a STUN request dispatched
 * afterwards must produce the first datagram the client sees.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "proto.h"
#include "server/dispatch.h"
#include "server/handlers.h"
#include "stun.h"

struct fixture {
	struct server_ctx srv;
	int client[2];  /* two client sockets */
	struct hp_endpoint client_ep[2];
	uint64_t now;
};

static int udp_loopback(struct hp_endpoint *ep)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) < 0 ||
	    (ep && hp_endpoint_from_sockaddr(ep, (struct sockaddr *)&sin, len) < 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int setup(void **state)
{
	static struct fixture f;
	int i;

	memset(&f, 0, sizeof(f));
	for (i = 0; i < SERVER_SOCKS; i++)
		f.srv.socks.fd[i] = -1;
	f.srv.socks.fd[0] = udp_loopback(&f.srv.socks.local[0]);
	f.srv.socks.n = 1;
	f.srv.socks.family = AF_INET;
	f.srv.relay_bytes = 4096;
	f.srv.relay_rate = 5;
	/* max 2 rooms, 60 s timeout */
	if (f.srv.socks.fd[0] < 0 || rooms_create(&f.srv.rooms, 2, 60000) < 0)
		return -1;
	cookie_init(&f.srv.cookies, 0);
	for (i = 0; i < 2; i++) {
		f.client[i] = udp_loopback(&f.client_ep[i]);
		if (f.client[i] < 0)
			return -1;
	}
	f.now = 1000;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	close(f->srv.socks.fd[0]);
	rooms_destroy(f->srv.rooms);
	close(f->client[0]);
	close(f->client[1]);
	return 0;
}

/* The datagram as it arrives from client `from`, as is. */
static void dispatch_raw(struct fixture *f, int from, const uint8_t *buf, size_t len)
{
	struct server_request req = {
		.buf = buf, .len = len, .from = f->client_ep[from], .now_ms = f->now,
		.now_us = f->now * 1000,
	};
	struct rooms_ahead a;

	/* as the loop serves it (server.c): its lookups started ahead */
	server_dispatch_ahead(&f->srv, &req, &a);
	rooms_ahead_fetch(&a);
	server_dispatch(&f->srv, &req);
}

/*
 * As a client that has done the cookie exchange: a well-formed REGISTER of
 * full size without a cookie gets the one the server makes for its source
 * (the exchange itself is tested on its own below), in the same length.
 */
static void dispatch(struct fixture *f, int from, const uint8_t *buf, size_t len)
{
	uint8_t proven[HP_MAX_DATAGRAM];
	struct hp_msg m;
	int n;

	if (len < HP_REGISTER_MIN || len > sizeof(proven) || hp_msg_decode(&m, buf, len) < 0 ||
	    m.hdr.type != HP_REGISTER || m.u.reg.cookie_len) {
		dispatch_raw(f, from, buf, len);
		return;
	}
	m.u.reg.cookie_len = HP_COOKIE_LEN;
	cookie_make(&f->srv.cookies, f->now * 1000, &f->client_ep[from], m.u.reg.token,
		    m.u.reg.cookie);
	m.u.reg.pad_to = (uint16_t)len;
	n = hp_msg_encode(&m, proven, sizeof(proven));
	assert_int_equal(n, (int)len);
	dispatch_raw(f, from, proven, (size_t)n);
}

/* Waits (bounded) for the next datagram on client i. */
static ssize_t recv_reply(struct fixture *f, int i, uint8_t *buf, size_t cap)
{
	struct pollfd pfd = { .fd = f->client[i], .events = POLLIN };

	if (poll(&pfd, 1, 2000) != 1)
		return -1;
	return recv(f->client[i], buf, cap, MSG_DONTWAIT);
}

static const uint8_t sentinel_txid[STUN_TXID_LEN] = "sentinel-123";

/* Asserts client i got nothing before the sentinel's answer. */
static void assert_no_reply(struct fixture *f, int i)
{
	uint8_t req[64], buf[2048];
	struct stun_response resp;
	int len = stun_build_request(req, sizeof(req), sentinel_txid, 0);
	ssize_t n;

	assert_true(len > 0);
	dispatch(f, i, req, (size_t)len);
	n = recv_reply(f, i, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(stun_parse_response(&resp, buf, (size_t)n), 0);
	assert_memory_equal(resp.txid, sentinel_txid, STUN_TXID_LEN);
}

static size_t make_register(uint8_t *buf, size_t cap, const char *room, char token,
			    char key, uint16_t pad)
{
	struct hp_msg m;
	int len;

	memset(&m, 0, sizeof(m));
	m.hdr.type = HP_REGISTER;
	memset(m.u.reg.token, token, HP_TOKEN_LEN);
	memset(m.u.reg.pubkey, key, HP_KEY_LEN);
	snprintf(m.u.reg.room, sizeof(m.u.reg.room), "%s", room);
	snprintf(m.u.reg.nick, sizeof(m.u.reg.nick), "nick-%c", token);
	m.u.reg.n_priv = 1;
	m.u.reg.priv[0].family = HP_FAMILY_V4;
	m.u.reg.priv[0].addr[0] = 10;
	m.u.reg.priv[0].port = 4000;
	m.u.reg.pad_to = pad;
	len = hp_msg_encode(&m, buf, cap);
	assert_true(len > 0);
	return (size_t)len;
}

static void expect_msg(struct fixture *f, int i, uint8_t type, size_t max_len, struct hp_msg *m)
{
	uint8_t buf[2048];
	ssize_t n = recv_reply(f, i, buf, sizeof(buf));

	assert_true(n > 0);
	assert_true((size_t)n <= max_len);
	assert_int_equal(hp_msg_decode(m, buf, (size_t)n), 0);
	assert_int_equal(m->hdr.type, type);
}

/* Client `from` registers (as a proven client) alone in room: REGISTERED. */
static void register_alone(struct fixture *f, int from, const char *room, char token, char key)
{
	uint8_t buf[512];
	size_t len = make_register(buf, sizeof(buf), room, token, key, HP_REGISTER_MIN);
	struct hp_msg m;

	dispatch(f, from, buf, len);
	expect_msg(f, from, HP_REGISTERED, len, &m);
}

static void test_pairing_introduces_both(void **state)
{
	struct fixture *f = *state;
	uint8_t a[512], b[512];
	size_t alen = make_register(a, sizeof(a), "lobby", 'a', 'A', HP_REGISTER_MIN);
	size_t blen = make_register(b, sizeof(b), "lobby", 'b', 'B', HP_REGISTER_MIN);
	struct hp_msg m;

	dispatch(f, 0, a, alen);
	expect_msg(f, 0, HP_REGISTERED, alen, &m);
	assert_true(hp_endpoint_equal(&m.u.registered.reflexive, &f->client_ep[0]));

	dispatch(f, 1, b, blen);
	expect_msg(f, 1, HP_INTRO, blen, &m);
	assert_string_equal(m.u.intro.peer_nick, "nick-a");
	assert_true(hp_endpoint_equal(&m.u.intro.peer_public, &f->client_ep[0]));
	assert_true(hp_endpoint_equal(&m.u.intro.reflexive, &f->client_ep[1]));
	assert_int_equal(m.u.intro.n_priv, 1);
	assert_int_equal(m.u.intro.peer_priv[0].port, 4000);

	expect_msg(f, 0, HP_INTRO, blen, &m);
	assert_string_equal(m.u.intro.peer_nick, "nick-b");
	assert_int_equal(m.u.intro.peer_pubkey[0], 'B');
	assert_true(hp_endpoint_equal(&m.u.intro.peer_public, &f->client_ep[1]));
	assert_int_equal(f->srv.counters.v[CNT_INTROS], 2);
}

/*
 * The cookie exchange as a client does it, with `flags` in the header: a
 * REGISTER without a cookie at f->now gets a COOKIE, and rtt_ms later the
 * REGISTER that returns it is dispatched (its answers are the caller's).
 */
static void register_timed(struct fixture *f, int from, char token, char key, uint16_t flags,
			   uint64_t rtt_ms, struct hp_msg *kept)
{
	uint8_t buf[512];
	size_t len = make_register(buf, sizeof(buf), "lobby", token, key, HP_REGISTER_MIN);
	struct hp_msg m, c;
	int n;

	assert_int_equal(hp_msg_decode(&m, buf, len), 0);
	m.hdr.flags = flags;
	m.u.reg.pad_to = HP_REGISTER_MIN;
	n = hp_msg_encode(&m, buf, sizeof(buf));
	dispatch_raw(f, from, buf, (size_t)n);
	expect_msg(f, from, HP_COOKIE, (size_t)n, &c);
	f->now += rtt_ms;
	m.u.reg.cookie_len = HP_COOKIE_LEN;
	memcpy(m.u.reg.cookie, c.u.cookie.cookie, HP_COOKIE_LEN);
	n = hp_msg_encode(&m, buf, sizeof(buf));
	dispatch_raw(f, from, buf, (size_t)n);
	if (kept)
		*kept = m;
}

/* The INTRO carries both round trips as the cookie exchanges showed them,
 * each from its recipient's point of view; a refresh (no new exchange)
 * keeps them. */
static void test_intro_timing(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[512];
	struct hp_msg m, b;
	int n;

	register_timed(f, 0, 'a', 'A', HP_FLAG_TIMING, 4, NULL);
	expect_msg(f, 0, HP_REGISTERED, HP_REGISTER_MIN, &m);
	f->now += 100;
	register_timed(f, 1, 'b', 'B', HP_FLAG_TIMING, 9, &b);
	expect_msg(f, 1, HP_INTRO, HP_REGISTER_MIN, &m);
	assert_int_equal(m.u.intro.rtt_us, 9000);
	assert_int_equal(m.u.intro.peer_rtt_us, 4000);
	expect_msg(f, 0, HP_INTRO, HP_REGISTER_MIN, &m);
	assert_int_equal(m.u.intro.rtt_us, 4000);
	assert_int_equal(m.u.intro.peer_rtt_us, 9000);
	/* a refresh seconds later, with the same cookie: no round trip, the
	 * measured one stays */
	f->now += 5000;
	n = hp_msg_encode(&b, buf, sizeof(buf));
	dispatch_raw(f, 1, buf, (size_t)n);
	expect_msg(f, 1, HP_INTRO, HP_REGISTER_MIN, &m);
	assert_int_equal(m.u.intro.rtt_us, 9000);
	assert_int_equal(m.u.intro.peer_rtt_us, 4000);
	assert_false(m.u.intro.peer_opened);
	assert_no_reply(f, 0);
	/* "my NAT is open to you": the peer hears it at once, in an INTRO
	 * with HP_FLAG_OPENED; the sender's own INTRO has no such flag (and
	 * the refresh a few ms after the exchange is no round trip either) */
	b.hdr.flags = HP_FLAG_TIMING | HP_FLAG_OPENED;
	n = hp_msg_encode(&b, buf, sizeof(buf));
	dispatch_raw(f, 1, buf, (size_t)n);
	expect_msg(f, 1, HP_INTRO, HP_REGISTER_MIN, &m);
	assert_false(m.u.intro.peer_opened);
	assert_int_equal(m.u.intro.rtt_us, 9000);
	expect_msg(f, 0, HP_INTRO, HP_REGISTER_MIN, &m);
	assert_true(m.u.intro.peer_opened);
	assert_int_equal(m.u.intro.rtt_us, 4000);
	assert_int_equal(m.u.intro.peer_rtt_us, 9000);
}

#define MAP_FLAGS(v) ((uint16_t)((v) << HP_FLAG_MAP_SHIFT))

/* The mapping verdicts (docs/protocol.md, "Mapping verdicts"): each
 * REGISTER's own goes to the peer's INTRO, and back to its sender as the
 * server holds it; a client that sent none (an old one) gets none, its
 * INTRO's flags as before; a verdict that arrives in a refresh is news
 * for the peer (a fresh INTRO). */
static void test_intro_mapping_verdicts(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[512];
	struct hp_msg m, b;
	int n;

	register_timed(f, 0, 'a', 'A', HP_FLAG_TIMING | MAP_FLAGS(HP_MAP_EASY), 4, NULL);
	expect_msg(f, 0, HP_REGISTERED, HP_REGISTER_MIN, &m);
	register_timed(f, 1, 'b', 'B', HP_FLAG_TIMING, 9, &b);
	/* b sent no verdict: its INTRO has none, not even a's */
	expect_msg(f, 1, HP_INTRO, HP_REGISTER_MIN, &m);
	assert_int_equal(m.hdr.flags & 0x3c, 0);
	expect_msg(f, 0, HP_INTRO, HP_REGISTER_MIN, &m);
	assert_int_equal(m.u.intro.mapping, HP_MAP_EASY);
	assert_int_equal(m.u.intro.peer_mapping, HP_MAP_UNKNOWN);
	/* b's refresh brings its verdict: both hear of it */
	f->now += 50;
	b.u.reg.mapping = HP_MAP_HARD;
	n = hp_msg_encode(&b, buf, sizeof(buf));
	dispatch_raw(f, 1, buf, (size_t)n);
	expect_msg(f, 1, HP_INTRO, HP_REGISTER_MIN, &m);
	assert_int_equal(m.u.intro.mapping, HP_MAP_HARD);
	assert_int_equal(m.u.intro.peer_mapping, HP_MAP_EASY);
	expect_msg(f, 0, HP_INTRO, HP_REGISTER_MIN, &m);
	assert_int_equal(m.u.intro.mapping, HP_MAP_EASY);
	assert_int_equal(m.u.intro.peer_mapping, HP_MAP_HARD);
	/* the same verdict again is no news: one INTRO, to the sender */
	f->now += 50;
	dispatch_raw(f, 1, buf, (size_t)n);
	expect_msg(f, 1, HP_INTRO, HP_REGISTER_MIN, &m);
	assert_no_reply(f, 0);
}

/* A client that does not set HP_FLAG_TIMING (one that predates it) is
 * never sent the timing, and its peer gets none either: half is no use. */
static void test_intro_timing_old_client(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[2048];
	struct hp_msg m;
	ssize_t n;

	register_timed(f, 0, 'a', 'A', 0, 4, NULL);
	expect_msg(f, 0, HP_REGISTERED, HP_REGISTER_MIN, &m);
	register_timed(f, 1, 'b', 'B', HP_FLAG_TIMING, 9, NULL);
	expect_msg(f, 1, HP_INTRO, HP_REGISTER_MIN, &m);
	assert_int_equal(m.u.intro.rtt_us, 0);
	assert_int_equal(m.u.intro.peer_rtt_us, 0);
	/* what the old client gets is the INTRO of before, to the byte */
	n = recv_reply(f, 0, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(hp_msg_decode(&m, buf, (size_t)n), 0);
	assert_int_equal(m.hdr.type, HP_INTRO);
	assert_int_equal(m.u.intro.rtt_us, 0);
	m.u.intro.rtt_us = 1; /* the same INTRO with the timing is 8 bytes longer */
	assert_int_equal(hp_msg_encode(&m, buf + 1024, 1024), n + 8);
}

static void test_room_full_and_key_change(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[512];
	size_t len;
	struct hp_msg m;

	register_alone(f, 0, "lobby", 'a', 'A');
	len = make_register(buf, sizeof(buf), "lobby", 'b', 'B', HP_REGISTER_MIN);
	dispatch(f, 1, buf, len);
	expect_msg(f, 1, HP_INTRO, len, &m);
	expect_msg(f, 0, HP_INTRO, len, &m);

	len = make_register(buf, sizeof(buf), "lobby", 'c', 'C', HP_REGISTER_MIN);
	dispatch(f, 1, buf, len);
	expect_msg(f, 1, HP_ERROR, len, &m);
	assert_int_equal(m.u.error.code, HP_ERR_ROOM_FULL);
	assert_string_equal(m.u.error.reason, "room full");
	assert_memory_equal(m.u.error.token, "cccccccc", HP_TOKEN_LEN);

	len = make_register(buf, sizeof(buf), "lobby", 'a', 'Z', HP_REGISTER_MIN);
	dispatch(f, 1, buf, len);
	expect_msg(f, 1, HP_ERROR, len, &m);
	assert_int_equal(m.u.error.code, HP_ERR_KEY_CHANGED);
}

static void test_rebind_answers_with_intro_from_new_endpoint(void **state)
{
	struct fixture *f = *state;
	uint8_t a[512], b[512];
	size_t alen = make_register(a, sizeof(a), "lobby", 'a', 'A', HP_REGISTER_MIN);
	size_t blen = make_register(b, sizeof(b), "lobby", 'b', 'B', HP_REGISTER_MIN);
	struct hp_msg m;

	dispatch(f, 0, a, alen);
	expect_msg(f, 0, HP_REGISTERED, alen, &m);
	dispatch(f, 1, b, blen);
	expect_msg(f, 1, HP_INTRO, blen, &m);
	expect_msg(f, 0, HP_INTRO, blen, &m);
	/* a's NAT rebinds: it now appears as client 1's address */
	dispatch(f, 1, a, alen);
	expect_msg(f, 1, HP_INTRO, alen, &m);
	assert_string_equal(m.u.intro.peer_nick, "nick-b");
	assert_true(hp_endpoint_equal(&m.u.intro.reflexive, &f->client_ep[1]));
	/* and b (registered at client 1's address too) hears of a's move at once */
	expect_msg(f, 1, HP_INTRO, alen, &m);
	assert_string_equal(m.u.intro.peer_nick, "nick-a");
	assert_true(hp_endpoint_equal(&m.u.intro.peer_public, &f->client_ep[1]));
	assert_no_reply(f, 0);
	/* a refresh with nothing new is answered to the sender only */
	dispatch(f, 1, a, alen);
	expect_msg(f, 1, HP_INTRO, alen, &m);
	assert_string_equal(m.u.intro.peer_nick, "nick-b");
	assert_no_reply(f, 1);
	assert_int_equal(f->srv.counters.v[CNT_INTROS], 5);
}

static void test_peer_asking_after_move_informs_both(void **state)
{
	struct fixture *f = *state;
	uint8_t a[512], b[512];
	size_t alen = make_register(a, sizeof(a), "lobby", 'a', 'A', HP_REGISTER_MIN);
	size_t blen = make_register(b, sizeof(b), "lobby", 'b', 'B', HP_REGISTER_MIN);
	struct hp_msg m;

	dispatch(f, 0, a, alen);
	expect_msg(f, 0, HP_REGISTERED, alen, &m);
	dispatch(f, 1, b, blen);
	expect_msg(f, 1, HP_INTRO, blen, &m);
	expect_msg(f, 0, HP_INTRO, blen, &m);
	/* b moves to client 0's address: both learn (both at client 0 now) */
	dispatch(f, 0, b, blen);
	expect_msg(f, 0, HP_INTRO, blen, &m);
	assert_string_equal(m.u.intro.peer_nick, "nick-a");
	expect_msg(f, 0, HP_INTRO, blen, &m);
	assert_string_equal(m.u.intro.peer_nick, "nick-b");
	assert_true(hp_endpoint_equal(&m.u.intro.peer_public, &f->client_ep[0]));
	/* a asks again (its path died) soon after b moved: both hear again */
	dispatch(f, 0, a, alen);
	expect_msg(f, 0, HP_INTRO, alen, &m);
	assert_string_equal(m.u.intro.peer_nick, "nick-b");
	expect_msg(f, 0, HP_INTRO, alen, &m);
	assert_string_equal(m.u.intro.peer_nick, "nick-a");
	/* long after the move, a refresh is answered to its sender only */
	f->now += 30000;
	dispatch(f, 0, a, alen);
	expect_msg(f, 0, HP_INTRO, alen, &m);
	assert_string_equal(m.u.intro.peer_nick, "nick-b");
	assert_no_reply(f, 0);
}

static void test_short_register_refused_within_size(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[512];
	size_t len = make_register(buf, sizeof(buf), "lobby", 'a', 'A', 0);
	struct hp_msg m;

	assert_true(len < HP_REGISTER_MIN);
	dispatch(f, 0, buf, len);
	expect_msg(f, 0, HP_ERROR, len, &m);
	assert_int_equal(m.u.error.code, HP_ERR_BAD_REQUEST);
	assert_int_equal(rooms_count(f->srv.rooms), 0);
}

static void test_too_many_rooms(void **state)
{
	struct fixture *f = *state; /* max 2 rooms */
	uint8_t buf[512];
	size_t len;
	struct hp_msg m;

	register_alone(f, 0, "r1", 'a', 'A');
	/* tokens are unique server-wide: one per room */
	register_alone(f, 0, "r2", 'b', 'A');
	len = make_register(buf, sizeof(buf), "r3", 'c', 'A', HP_REGISTER_MIN);
	dispatch(f, 0, buf, len);
	expect_msg(f, 0, HP_ERROR, len, &m);
	assert_int_equal(m.u.error.code, HP_ERR_TOO_MANY);
}

/* Attack: a REGISTER from a source that never proved it receives there
 * (spoofed) gets a 32-byte COOKIE and nothing else: no room, no slot, no
 * INTRO to anyone; the cookie works only from where it was sent. */
static void test_unproven_register_gets_cookie_only(void **state)
{
	struct fixture *f = *state;
	uint8_t a[512], buf[512];
	size_t alen = make_register(a, sizeof(a), "lobby", 'a', 'A', HP_REGISTER_MIN), len;
	struct hp_msg m, r;
	int n;

	dispatch_raw(f, 0, a, alen);
	expect_msg(f, 0, HP_COOKIE, HP_HDR_LEN + HP_TOKEN_LEN + HP_COOKIE_LEN, &m);
	assert_memory_equal(m.u.cookie.token, "aaaaaaaa", HP_TOKEN_LEN);
	assert_int_equal(rooms_count(f->srv.rooms), 0);
	assert_int_equal(rooms_peer_count(f->srv.rooms), 0);
	assert_int_equal(f->srv.counters.v[CNT_COOKIES], 1);

	/* the cookie from another source: not proof, another COOKIE */
	assert_int_equal(hp_msg_decode(&r, a, alen), 0);
	r.u.reg.cookie_len = HP_COOKIE_LEN;
	memcpy(r.u.reg.cookie, m.u.cookie.cookie, HP_COOKIE_LEN);
	r.u.reg.pad_to = HP_REGISTER_MIN;
	n = hp_msg_encode(&r, buf, sizeof(buf));
	assert_int_equal(n, HP_REGISTER_MIN);
	dispatch_raw(f, 1, buf, (size_t)n);
	expect_msg(f, 1, HP_COOKIE, (size_t)n, &m);
	assert_int_equal(f->srv.counters.v[CNT_DROP_COOKIE], 1);
	assert_int_equal(rooms_peer_count(f->srv.rooms), 0);

	/* sent back from where it went: registered */
	dispatch_raw(f, 0, buf, (size_t)n);
	expect_msg(f, 0, HP_REGISTERED, (size_t)n, &m);
	assert_int_equal(rooms_peer_count(f->srv.rooms), 1);
	/* a refresh from the registered endpoint needs no cookie */
	dispatch_raw(f, 0, a, alen);
	expect_msg(f, 0, HP_REGISTERED, alen, &m);

	/* a cookie of an old secret (two rotations ago) is no proof */
	len = make_register(buf, sizeof(buf), "lobby", 'b', 'B', HP_REGISTER_MIN);
	assert_int_equal(hp_msg_decode(&r, buf, len), 0);
	r.u.reg.cookie_len = HP_COOKIE_LEN;
	cookie_make(&f->srv.cookies, f->now * 1000, &f->client_ep[1], r.u.reg.token, r.u.reg.cookie);
	r.u.reg.pad_to = HP_REGISTER_MIN;
	n = hp_msg_encode(&r, buf, sizeof(buf));
	f->now += 2 * COOKIE_ROTATE_MS;
	dispatch_raw(f, 1, buf, (size_t)n);
	expect_msg(f, 1, HP_COOKIE, (size_t)n, &m);
	assert_int_equal(f->srv.counters.v[CNT_INTROS], 0);
}

/* Attack: LEAVE from anywhere but the registration's own endpoint (spoofed,
 * to empty the room and reset its relay budget) is dropped and counted. */
static void test_leave_only_from_registered_endpoint(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[512];
	size_t len;
	struct hp_msg m;

	register_alone(f, 0, "lobby", 'a', 'A');
	memset(&m, 0, sizeof(m));
	m.hdr.type = HP_LEAVE;
	memset(m.u.leave.token, 'a', HP_TOKEN_LEN);
	snprintf(m.u.leave.room, sizeof(m.u.leave.room), "lobby");
	len = (size_t)hp_msg_encode(&m, buf, sizeof(buf));
	dispatch_raw(f, 1, buf, len);
	assert_int_equal(f->srv.counters.v[CNT_DROP_LEAVE_SOURCE], 1);
	assert_int_equal(rooms_peer_count(f->srv.rooms), 1);
	dispatch_raw(f, 0, buf, len);
	assert_int_equal(f->srv.counters.v[CNT_LEAVES], 1);
	assert_int_equal(rooms_peer_count(f->srv.rooms), 0);
}

/* Attack: the owner's token registered in another room (to take over its
 * relay) is refused with ERROR 6, and the owner keeps its registration. */
static void test_token_in_another_room_refused(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[512];
	size_t len;
	struct hp_msg m;

	register_alone(f, 0, "lobby", 'a', 'A');
	len = make_register(buf, sizeof(buf), "other", 'a', 'A', HP_REGISTER_MIN);
	dispatch(f, 1, buf, len);
	expect_msg(f, 1, HP_ERROR, len, &m);
	assert_int_equal(m.u.error.code, HP_ERR_TOKEN_TAKEN);
	assert_null(rooms_find(f->srv.rooms, "other"));
	assert_true(hp_endpoint_equal(
		&rooms_find_token_peer(f->srv.rooms, (const uint8_t *)"aaaaaaaa", f->now)->public_ep,
		&f->client_ep[0]));
}

static void test_leave_frees_the_slot(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[512];
	struct hp_msg m;
	int n;

	register_alone(f, 0, "lobby", 'a', 'A');
	memset(&m, 0, sizeof(m));
	m.hdr.type = HP_LEAVE;
	memset(m.u.leave.token, 'a', HP_TOKEN_LEN);
	snprintf(m.u.leave.room, sizeof(m.u.leave.room), "lobby");
	n = hp_msg_encode(&m, buf, sizeof(buf));
	assert_true(n > 0);
	dispatch(f, 0, buf, (size_t)n);
	assert_int_equal(f->srv.counters.v[CNT_LEAVES], 1);
	assert_int_equal(rooms_count(f->srv.rooms), 0);
	assert_no_reply(f, 0);
}

static void test_hostile_datagrams_dropped_and_counted(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[HP_MAX_DATAGRAM + 100];
	size_t len;
	int n;

	memset(buf, 0, sizeof(buf));
	dispatch(f, 0, buf, sizeof(buf));      /* oversized */
	assert_int_equal(f->srv.counters.v[CNT_DROP_OVERSIZED], 1);
	dispatch(f, 0, buf, 0);                /* empty */
	dispatch(f, 0, buf, 5);                /* truncated header */
	assert_int_equal(f->srv.counters.v[CNT_DROP_BAD_HEADER], 2);
	dispatch(f, 0, buf, 64);               /* zero magic */
	len = make_register(buf, sizeof(buf), "lobby", 'a', 'A', HP_REGISTER_MIN);
	buf[2] = 9;                            /* wrong version */
	dispatch(f, 0, buf, len);
	assert_int_equal(f->srv.counters.v[CNT_DROP_BAD_MAGIC], 2);
	buf[2] = HP_VERSION;
	dispatch(f, 0, buf, len - 1);          /* length mismatch */
	assert_int_equal(f->srv.counters.v[CNT_DROP_BAD_HEADER], 3);
	buf[HP_HDR_LEN + HP_TOKEN_LEN + HP_KEY_LEN] = 200; /* room length */
	dispatch(f, 0, buf, len);
	assert_int_equal(f->srv.counters.v[CNT_DROP_MALFORMED], 1);
	n = hp_header_encode(buf, sizeof(buf), HP_RELAY, 0);
	dispatch(f, 0, buf, (size_t)n);
	assert_int_equal(f->srv.counters.v[CNT_RELAY_DROP_MALFORMED], 1);
	n = hp_header_encode(buf, sizeof(buf), HP_PROBE, 0);
	dispatch(f, 0, buf, (size_t)n);
	assert_int_equal(f->srv.counters.v[CNT_DROP_RESERVED], 1);
	n = hp_header_encode(buf, sizeof(buf), HP_RELAYED, 0);
	dispatch(f, 0, buf, (size_t)n);
	assert_int_equal(f->srv.counters.v[CNT_DROP_UNEXPECTED], 1);
	n = hp_header_encode(buf, sizeof(buf), HP_CHAT, 0);
	dispatch(f, 0, buf, (size_t)n);
	n = hp_header_encode(buf, sizeof(buf), HP_INTRO, 0);
	dispatch(f, 0, buf, (size_t)n);
	n = hp_header_encode(buf, sizeof(buf), 0xee, 0);
	dispatch(f, 0, buf, (size_t)n);
	assert_int_equal(f->srv.counters.v[CNT_DROP_UNEXPECTED], 4);
	assert_int_equal(rooms_count(f->srv.rooms), 0);
	assert_no_reply(f, 0);
}

static void test_stun_binding_answered(void **state)
{
	struct fixture *f = *state;
	uint8_t req[64], buf[256];
	const uint8_t txid[STUN_TXID_LEN] = "0123456789ab";
	struct stun_response resp;
	int len = stun_build_request(req, sizeof(req), txid, 0);
	ssize_t n;

	dispatch(f, 0, req, (size_t)len);
	n = recv_reply(f, 0, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(stun_parse_response(&resp, buf, (size_t)n), 0);
	assert_int_equal(resp.type, STUN_BINDING_SUCCESS);
	assert_memory_equal(resp.txid, txid, STUN_TXID_LEN);
	assert_true(resp.has_mapped);
	assert_true(hp_endpoint_equal(&resp.mapped, &f->client_ep[0]));
	assert_int_equal(f->srv.counters.v[CNT_STUN], 1);
}

/* A Binding request with an unknown comprehension-required attribute. */
static size_t stun_with_unknown(uint8_t *buf, size_t cap, size_t pad)
{
	const uint8_t txid[STUN_TXID_LEN] = "unknownattr1";
	int len = stun_build_request(buf, cap, txid, 0);
	size_t off = (size_t)len, total;

	assert_true(len == STUN_HDR_LEN); /* plain request: header only */
	buf[off] = 0x00, buf[off + 1] = 0x7e; /* type 0x007e: unknown, < 0x8000 */
	buf[off + 2] = (uint8_t)(pad >> 8), buf[off + 3] = (uint8_t)pad;
	memset(buf + off + 4, 0, pad);
	total = off + 4 + pad;
	buf[2] = (uint8_t)((total - STUN_HDR_LEN) >> 8);
	buf[3] = (uint8_t)(total - STUN_HDR_LEN);
	return total;
}

static void test_stun_unknown_attribute_gets_420_only_if_not_larger(void **state)
{
	struct fixture *f = *state;
	uint8_t req[256], buf[256];
	struct stun_response resp;
	size_t len;
	ssize_t n;

	/* small request: a 420 would amplify, so nothing is sent */
	len = stun_with_unknown(req, sizeof(req), 0);
	dispatch(f, 0, req, len);
	assert_int_equal(f->srv.counters.v[CNT_DROP_AMPLIFY], 1);
	assert_no_reply(f, 0);

	/* a request big enough to carry the 420 gets it */
	len = stun_with_unknown(req, sizeof(req), 64);
	dispatch(f, 0, req, len);
	n = recv_reply(f, 0, buf, sizeof(buf));
	assert_true(n > 0 && (size_t)n <= len);
	assert_int_equal(stun_parse_response(&resp, buf, (size_t)n), 0);
	assert_int_equal(resp.type, STUN_BINDING_ERROR);
	assert_int_equal(resp.error_code, 420);
	assert_int_equal(f->srv.counters.v[CNT_STUN_420], 1);
}

static void test_stun_change_request_not_answered_as_success(void **state)
{
	struct fixture *f = *state;
	uint8_t req[128], buf[256];
	const uint8_t txid[STUN_TXID_LEN] = "changereq-01";
	struct stun_response resp;
	int len = stun_build_request(req, sizeof(req), txid, STUN_CHANGE_IP | STUN_CHANGE_PORT);
	ssize_t n;

	assert_true(len > 0);
	dispatch(f, 0, req, (size_t)len);
	/* never a success from the same address; a 420 only if it fits */
	if (f->srv.counters.v[CNT_STUN_420] == 1) {
		n = recv_reply(f, 0, buf, sizeof(buf));
		assert_true(n > 0 && n <= len);
		assert_int_equal(stun_parse_response(&resp, buf, (size_t)n), 0);
		assert_int_equal(resp.type, STUN_BINDING_ERROR);
	} else {
		assert_int_equal(f->srv.counters.v[CNT_DROP_AMPLIFY], 1);
		assert_no_reply(f, 0);
	}
}

/* Opens the three RFC 5780 sockets (ctx.h) on loopback, as --alt-addr. */
static void open_alternates(struct fixture *f)
{
	int i;

	for (i = 1; i < SERVER_SOCKS; i++) {
		f->srv.socks.fd[i] = udp_loopback(&f->srv.socks.local[i]);
		assert_true(f->srv.socks.fd[i] >= 0);
	}
	f->srv.socks.n = SERVER_SOCKS;
}

static void close_alternates(struct fixture *f)
{
	int i;

	for (i = 1; i < SERVER_SOCKS; i++) {
		close(f->srv.socks.fd[i]);
		f->srv.socks.fd[i] = -1;
	}
	f->srv.socks.n = 1;
}

/* A request the way the server's loop hands it over, straight to the
 * STUN handler (sizes past HP_MAX_DATAGRAM never reach the hplab path). */
static void stun_handle(struct fixture *f, int sock, const uint8_t *buf, size_t len)
{
	struct server_request req = {
		.buf = buf, .len = len, .from = f->client_ep[0], .now_ms = f->now, .sock = sock,
	};

	stunserve_handle(&f->srv, &req);
}

/*
 * The size rule with RESPONSE-ORIGIN (docs/protocol.md): for every request
 * size, padded with PADDING, the answer is its fixed core (32 bytes; 44
 * with OTHER-ADDRESS) or, once the request is large enough, the core plus
 * RESPONSE-ORIGIN naming the socket that sent it; never longer than the
 * request except for the bare core.
 */
static void size_rule_sweep(struct fixture *f, uint32_t flags, int want_sock, size_t core)
{
	static uint8_t req[STUN_MAX_REQUEST];
	const uint8_t txid[STUN_TXID_LEN] = "size-rule-01";
	uint8_t buf[2048];
	struct stun_response resp;
	size_t size, first = flags ? STUN_HDR_LEN + 8 : STUN_HDR_LEN;
	ssize_t n;

	for (size = first; size <= STUN_MAX_REQUEST; size += 4) {
		assert_int_equal(stun_build_request_padded(req, sizeof(req), txid, flags, size),
				 (int)size);
		stun_handle(f, 0, req, size);
		n = recv_reply(f, 0, buf, sizeof(buf));
		assert_true(n > 0);
		assert_int_equal(stun_parse_response(&resp, buf, (size_t)n), 0);
		assert_int_equal(resp.type, STUN_BINDING_SUCCESS);
		assert_true((size_t)n <= (size > core ? size : core));
		assert_int_equal(resp.has_origin, size >= core + 12);
		assert_int_equal((size_t)n, resp.has_origin ? core + 12 : core);
		assert_int_equal(resp.has_other, core > 32);
		if (resp.has_origin)
			assert_true(hp_endpoint_equal(&resp.origin, &f->srv.socks.local[want_sock]));
	}
	assert_int_equal(f->srv.counters.v[CNT_DROP_AMPLIFY], 0);
}

static void test_stun_size_rule_with_response_origin(void **state)
{
	struct fixture *f = *state;

	size_rule_sweep(f, 0, 0, 32);
	open_alternates(f);
	size_rule_sweep(f, 0, 0, 44);
	/* after CHANGE-REQUEST the origin is the socket that answered */
	size_rule_sweep(f, STUN_CHANGE_IP | STUN_CHANGE_PORT, 3, 44);
	size_rule_sweep(f, STUN_CHANGE_PORT, 1, 44);
	size_rule_sweep(f, STUN_CHANGE_IP, 2, 44);
	close_alternates(f);
}

/* A wildcard-bound socket does not know its address: no RESPONSE-ORIGIN. */
static void test_stun_no_origin_from_wildcard(void **state)
{
	struct fixture *f = *state;
	const uint8_t txid[STUN_TXID_LEN] = "wildcard-001";
	uint8_t req[STUN_ANSWER_MAX], buf[256];
	struct stun_response resp;
	struct hp_endpoint bound = f->srv.socks.local[0];
	ssize_t n;

	assert_int_equal(stun_build_request_padded(req, sizeof(req), txid, 0, sizeof(req)),
			 (int)sizeof(req));
	memset(f->srv.socks.local[0].addr, 0, sizeof(f->srv.socks.local[0].addr));
	stun_handle(f, 0, req, sizeof(req));
	f->srv.socks.local[0] = bound;
	n = recv_reply(f, 0, buf, sizeof(buf));
	assert_int_equal(n, 32);
	assert_int_equal(stun_parse_response(&resp, buf, (size_t)n), 0);
	assert_false(resp.has_origin);
}

/* RFC 3489 request: a header with a 128-bit ID, optional CHANGE-REQUEST. */
static size_t classic_request(uint8_t *buf, uint8_t flags, size_t pad)
{
	size_t body = (flags ? 8 : 0) + (pad ? 4 + pad : 0), off = STUN_HDR_LEN;

	memset(buf, 0, STUN_HDR_LEN + body);
	buf[1] = 0x01;
	buf[3] = (uint8_t)body;
	memcpy(buf + 4, "classic-id-4567!", 16);
	if (flags) {
		buf[off + 1] = 0x03, buf[off + 3] = 4, buf[off + 7] = flags;
		off += 8;
	}
	if (pad)
		buf[off + 1] = 0x26, buf[off + 3] = (uint8_t)pad;
	return STUN_HDR_LEN + body;
}

/* Reads an answer to a classic request: 0 or the offset of attribute type. */
static size_t classic_attr(const uint8_t *buf, size_t len, uint16_t type)
{
	size_t off;

	for (off = STUN_HDR_LEN; off + 4 <= len; off += 4 + ((buf[off + 2] << 8) | buf[off + 3]))
		if (((buf[off] << 8) | buf[off + 1]) == type)
			return off;
	return 0;
}

static void test_stun_classic_answered(void **state)
{
	struct fixture *f = *state;
	uint8_t req[128], buf[256];
	size_t len, off;
	ssize_t n;

	/* MAPPED-ADDRESS only, 32 bytes for the 20-byte request */
	len = classic_request(req, 0, 0);
	assert_true(stun_is_classic_request(req, len));
	stun_handle(f, 0, req, len);
	n = recv_reply(f, 0, buf, sizeof(buf));
	assert_int_equal(n, 32);
	assert_int_equal(buf[0] << 8 | buf[1], STUN_BINDING_SUCCESS);
	assert_memory_equal(buf + 4, req + 4, 16);
	off = classic_attr(buf, (size_t)n, 0x0001);
	assert_int_equal(off, 20);
	assert_int_equal(buf[off + 6] << 8 | buf[off + 7], f->client_ep[0].port);
	assert_memory_equal(buf + off + 8, f->client_ep[0].addr, 4);

	/* with --alt-addr: CHANGED-ADDRESS, then honoured change flags */
	open_alternates(f);
	len = classic_request(req, STUN_CHANGE_IP | STUN_CHANGE_PORT, 0);
	stun_handle(f, 0, req, len);
	n = recv_reply(f, 0, buf, sizeof(buf));
	assert_int_equal(n, 44);
	off = classic_attr(buf, (size_t)n, 0x0005);
	assert_true(off > 0);
	assert_int_equal(buf[off + 6] << 8 | buf[off + 7], f->srv.socks.local[3].port);
	assert_int_equal(classic_attr(buf, (size_t)n, 0x0004), 0);
	assert_int_equal(f->srv.counters.v[CNT_STUN_CHANGED], 1);
	/* padded: SOURCE-ADDRESS, the socket that sent it (change port: 1) */
	len = classic_request(req, STUN_CHANGE_PORT, 32);
	stun_handle(f, 0, req, len);
	n = recv_reply(f, 0, buf, sizeof(buf));
	assert_int_equal(n, 56);
	assert_true((size_t)n <= len);
	off = classic_attr(buf, (size_t)n, 0x0004);
	assert_true(off > 0);
	assert_int_equal(buf[off + 6] << 8 | buf[off + 7], f->srv.socks.local[1].port);
	close_alternates(f);

	/* without it a change flag cannot be honoured: 420, only if it fits */
	len = classic_request(req, STUN_CHANGE_IP, 0);
	stun_handle(f, 0, req, len);
	assert_int_equal(f->srv.counters.v[CNT_DROP_AMPLIFY], 1);
	assert_no_reply(f, 0);
}

/*
 * The loop's side of it: classic requests and padded ones longer than an
 * hplab datagram reach the STUN handler; longer hplab datagrams, and STUN
 * past STUN_MAX_REQUEST, are dropped as oversized.
 */
static void test_stun_routing_classic_and_padded(void **state)
{
	struct fixture *f = *state;
	static uint8_t req[STUN_MAX_REQUEST + 4];
	const uint8_t txid[STUN_TXID_LEN] = "padded-1532b";
	uint8_t buf[256];
	struct stun_response resp;
	size_t len;
	ssize_t n;

	len = classic_request(req, 0, 0);
	dispatch(f, 0, req, len);
	n = recv_reply(f, 0, buf, sizeof(buf));
	assert_int_equal(n, 32);
	assert_memory_equal(buf + 4, req + 4, 16);

	/* coturn's -P: a 1500-byte PADDING (RFC 5780 s.7.6) */
	assert_int_equal(stun_build_request_padded(req, sizeof(req), txid, 0, 1532), 1532);
	dispatch(f, 0, req, 1532);
	n = recv_reply(f, 0, buf, sizeof(buf));
	assert_int_equal(n, 44);
	assert_int_equal(stun_parse_response(&resp, buf, (size_t)n), 0);
	assert_memory_equal(resp.txid, txid, STUN_TXID_LEN);
	assert_true(resp.has_origin);

	memset(req, 0, sizeof(req));
	len = (size_t)hp_header_encode(req, sizeof(req), HP_REGISTER, 1500 - HP_HDR_LEN);
	assert_int_equal(len, HP_HDR_LEN);
	dispatch(f, 0, req, 1500);
	assert_int_equal(f->srv.counters.v[CNT_DROP_OVERSIZED], 1);
	assert_int_equal(stun_build_request_padded(req, sizeof(req), txid, 0, STUN_MAX_REQUEST),
			 STUN_MAX_REQUEST);
	req[3] += 4;
	dispatch(f, 0, req, STUN_MAX_REQUEST + 4);
	assert_int_equal(f->srv.counters.v[CNT_DROP_OVERSIZED], 2);
	assert_no_reply(f, 0);
}

/* Pairs client 0 (token 'a') and client 1 (token 'b') in room "relay". */
static void pair_for_relay(struct fixture *f)
{
	uint8_t buf[512];
	size_t len;
	struct hp_msg m;

	register_alone(f, 0, "relay", 'a', 'A');
	len = make_register(buf, sizeof(buf), "relay", 'b', 'B', HP_REGISTER_MIN);
	dispatch(f, 1, buf, len);
	expect_msg(f, 1, HP_INTRO, len, &m);
	expect_msg(f, 0, HP_INTRO, len, &m);
}

/* RELAY with token 'tok' around an opaque peer datagram of inner_body bytes. */
static size_t make_relay(uint8_t *buf, size_t cap, char tok, size_t inner_body, uint8_t *inner,
			 size_t *inner_len)
{
	uint8_t token[HP_TOKEN_LEN];
	int n;

	memset(token, tok, sizeof(token));
	assert_int_equal(hp_header_encode(inner, 2048, HP_CHAT, (uint16_t)inner_body), HP_HDR_LEN);
	memset(inner + HP_HDR_LEN, 0x5a, inner_body);
	*inner_len = HP_HDR_LEN + inner_body;
	n = hp_relay_encode(buf, cap, token, inner, *inner_len);
	assert_true(n > 0);
	return (size_t)n;
}

/* Everything waiting on fd, counted. */
static void drain_count(int fd, size_t *dgrams, size_t *bytes)
{
	uint8_t buf[2048];
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) >= 0) {
		(*dgrams)++;
		*bytes += (size_t)n;
	}
}

/*
 * Attacks 1 and 4, and the promise behind them: with spoofed sources, no
 * sequence of requests makes hpserver send an address more datagrams or
 * bytes than that address sent it, until it proved return routability.
 * A victim's address is the source of 3000 requests a spoofer chose:
 * REGISTERs (the peers' tokens and its own, their room and others,
 * forged cookies), LEAVEs, RELAYs with the peers' tokens, junk; between
 * them the two real peers of the room go on (refreshes, relaying). STUN is
 * left out: its answer's core is the one documented exception
 * (docs/protocol.md, "Anti-amplification", rule 3).
 */
static void test_spoofed_victim_never_amplified(void **state)
{
	struct fixture *f = *state;
	struct hp_endpoint victim;
	uint8_t buf[2048], inner[2048];
	size_t len, inner_len, in_d = 0, in_b = 0, out_d = 0, out_b = 0;
	uint32_t x = 12345;
	int vfd = udp_loopback(&victim), i;
	struct hp_msg m;

	assert_true(vfd >= 0);
	pair_for_relay(f);
	for (i = 0; i < 3000; i++) {
		struct server_request req = { .buf = buf, .from = victim, .now_ms = f->now };
		struct rooms_ahead ahead;
		static const char toks[] = "vwab"; /* its own two, then the peers' */

		x = x * 1103515245u + 12345u;
		switch ((x >> 16) % 5) {
		case 0: /* REGISTER, maybe with a forged cookie */
		case 1:
			len = make_register(buf, sizeof(buf), (x >> 8) % 4 ? "other" : "relay",
					    toks[(x >> 4) % 4], 'Z', HP_REGISTER_MIN);
			if ((x >> 20) & 1) {
				assert_int_equal(hp_msg_decode(&m, buf, len), 0);
				m.u.reg.cookie_len = HP_COOKIE_LEN;
				memset(m.u.reg.cookie, (int)(x >> 24), HP_COOKIE_LEN);
				len = (size_t)hp_msg_encode(&m, buf, sizeof(buf));
			}
			break;
		case 2: /* LEAVE */
			memset(&m, 0, sizeof(m));
			m.hdr.type = HP_LEAVE;
			memset(m.u.leave.token, toks[(x >> 4) % 4], HP_TOKEN_LEN);
			snprintf(m.u.leave.room, sizeof(m.u.leave.room), "relay");
			len = (size_t)hp_msg_encode(&m, buf, sizeof(buf));
			break;
		case 3: /* RELAY in a peer's name */
			len = make_relay(buf, sizeof(buf), toks[(x >> 4) % 4], 40 + (x >> 8) % 1200,
					 inner, &inner_len);
			break;
		default: /* junk with a valid header */
			len = 8 + (x >> 8) % 300;
			memset(buf, (int)x, len);
			assert_int_equal(hp_header_encode(buf, sizeof(buf), (uint8_t)(x >> 4),
							  (uint16_t)(len - 8)), HP_HDR_LEN);
			break;
		}
		req.len = len;
		server_dispatch_ahead(&f->srv, &req, &ahead);
		rooms_ahead_fetch(&ahead);
		server_dispatch(&f->srv, &req);
		in_d++;
		in_b += len;
		/* the real peers go on: a refreshes, b relays to a */
		if (i % 50 == 0) {
			len = make_register(buf, sizeof(buf), "relay", 'a', 'A', HP_REGISTER_MIN);
			dispatch(f, 0, buf, len);
			len = make_relay(buf, sizeof(buf), 'b', 40, inner, &inner_len);
			dispatch(f, 1, buf, len);
			while (recv(f->client[0], buf, sizeof(buf), MSG_DONTWAIT) >= 0 ||
			       recv(f->client[1], buf, sizeof(buf), MSG_DONTWAIT) >= 0)
				;
		}
		{
			/* what this one request brought the victim: at most one
			 * datagram, no larger than itself */
			size_t d0 = out_d, b0 = out_b;

			drain_count(vfd, &out_d, &out_b);
			assert_true(out_d - d0 <= 1);
			assert_true(out_b - b0 <= req.len);
		}
		f->now += 7;
	}
	drain_count(vfd, &out_d, &out_b);
	assert_true(out_d <= in_d);
	assert_true(out_b <= in_b);
	assert_true(out_d > 0); /* it was answered (COOKIEs), not ignored */
	/* and nothing it did took over the room: a and b are still its peers */
	assert_true(hp_endpoint_equal(&rooms_find_token_peer(f->srv.rooms,
							     (const uint8_t *)"aaaaaaaa", f->now)->public_ep,
				      &f->client_ep[0]));
	assert_true(hp_endpoint_equal(&rooms_find_token_peer(f->srv.rooms,
							     (const uint8_t *)"bbbbbbbb", f->now)->public_ep,
				      &f->client_ep[1]));
	close(vfd);
}

static void test_relay_forwards_to_other_peer(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[2048], inner[2048], got[2048];
	const uint8_t *p;
	size_t len, ilen, plen;
	ssize_t n;

	pair_for_relay(f);
	len = make_relay(buf, sizeof(buf), 'a', 100, inner, &ilen);
	dispatch(f, 0, buf, len);
	n = recv_reply(f, 1, got, sizeof(got));
	assert_int_equal(n, (ssize_t)(len - HP_TOKEN_LEN)); /* smaller than the request */
	assert_int_equal(hp_relayed_decode(got, (size_t)n, &p, &plen), 0);
	assert_int_equal(plen, ilen);
	assert_memory_equal(p, inner, ilen);
	/* and back */
	len = make_relay(buf, sizeof(buf), 'b', 60, inner, &ilen);
	dispatch(f, 1, buf, len);
	n = recv_reply(f, 0, got, sizeof(got));
	assert_int_equal(hp_relayed_decode(got, (size_t)n, &p, &plen), 0);
	assert_memory_equal(p, inner, ilen);
	assert_int_equal(f->srv.counters.v[CNT_RELAY_FWD], 2);
	assert_int_equal(f->srv.counters.v[CNT_RELAY_FWD_BYTES], 100 + 60 + 2 * HP_HDR_LEN);
	assert_no_reply(f, 0);
	assert_no_reply(f, 1);
}

static void test_relay_drops_wrong_source_unknown_and_lonely(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[2048], inner[2048], reg[512];
	size_t len, ilen;
	struct hp_msg m;

	/* alone in the room: nobody to forward to */
	len = make_register(reg, sizeof(reg), "relay", 'a', 'A', HP_REGISTER_MIN);
	dispatch(f, 0, reg, len);
	expect_msg(f, 0, HP_REGISTERED, len, &m);
	len = make_relay(buf, sizeof(buf), 'a', 50, inner, &ilen);
	dispatch(f, 0, buf, len);
	assert_int_equal(f->srv.counters.v[CNT_RELAY_DROP_NOPEER], 1);

	pair_for_relay(f);
	/* a's token from b's address: someone who saw the token */
	dispatch(f, 1, buf, len);
	assert_int_equal(f->srv.counters.v[CNT_RELAY_DROP_SOURCE], 1);
	/* a token nobody registered */
	len = make_relay(buf, sizeof(buf), 'z', 50, inner, &ilen);
	dispatch(f, 0, buf, len);
	assert_int_equal(f->srv.counters.v[CNT_RELAY_DROP_UNKNOWN], 1);
	/* after LEAVE the token is gone from the index */
	memset(&m, 0, sizeof(m));
	m.hdr.type = HP_LEAVE;
	memset(m.u.leave.token, 'a', HP_TOKEN_LEN);
	snprintf(m.u.leave.room, sizeof(m.u.leave.room), "relay");
	len = (size_t)hp_msg_encode(&m, reg, sizeof(reg));
	dispatch(f, 0, reg, len);
	len = make_relay(buf, sizeof(buf), 'a', 50, inner, &ilen);
	dispatch(f, 0, buf, len);
	assert_int_equal(f->srv.counters.v[CNT_RELAY_DROP_UNKNOWN], 2);
	assert_int_equal(f->srv.counters.v[CNT_RELAY_FWD], 0);
	assert_no_reply(f, 0);
	assert_no_reply(f, 1);
}

static void test_relay_rate_quota(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[2048], inner[2048], got[2048];
	struct hp_msg m;
	size_t len, ilen;
	ssize_t n;
	int i;

	pair_for_relay(f);
	len = make_relay(buf, sizeof(buf), 'a', 50, inner, &ilen);
	/* bucket depth = one second = relay_rate (5) datagrams */
	for (i = 0; i < 8; i++)
		dispatch(f, 0, buf, len);
	assert_int_equal(f->srv.counters.v[CNT_RELAY_FWD], 5);
	assert_int_equal(f->srv.counters.v[CNT_RELAY_DROP_RATE], 3);
	for (i = 0; i < 5; i++) {
		n = recv_reply(f, 1, got, sizeof(got));
		assert_true(n > 0);
		assert_int_equal(got[3], HP_RELAYED);
	}
	assert_no_reply(f, 1);
	/* one ERROR per second, however many were dropped */
	expect_msg(f, 0, HP_ERROR, len, &m);
	assert_int_equal(m.u.error.code, HP_ERR_QUOTA);
	assert_no_reply(f, 0);
	/* 400 ms later: two datagrams' worth refilled */
	f->now += 400;
	for (i = 0; i < 3; i++)
		dispatch(f, 0, buf, len);
	assert_int_equal(f->srv.counters.v[CNT_RELAY_FWD], 7);
	assert_int_equal(f->srv.counters.v[CNT_RELAY_DROP_RATE], 4);
	assert_no_reply(f, 0); /* still within the second */
	f->now += 1000;
	dispatch(f, 0, buf, len);
	assert_int_equal(f->srv.counters.v[CNT_RELAY_FWD], 8);
}

static void test_relay_byte_quota(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[2048], inner[2048];
	struct hp_msg m;
	size_t len, ilen;
	int i;

	pair_for_relay(f);
	/* 1000 + 8 bytes each against a 4096-byte budget: four fit */
	len = make_relay(buf, sizeof(buf), 'b', 1000, inner, &ilen);
	for (i = 0; i < 5; i++) {
		f->now += 1000;
		dispatch(f, 1, buf, len);
	}
	assert_int_equal(f->srv.counters.v[CNT_RELAY_FWD], 4);
	assert_int_equal(f->srv.counters.v[CNT_RELAY_DROP_BYTES], 1);
	for (i = 0; i < 4; i++) {
		uint8_t got[2048];

		assert_true(recv_reply(f, 0, got, sizeof(got)) > 0);
	}
	expect_msg(f, 1, HP_ERROR, len, &m);
	assert_int_equal(m.u.error.code, HP_ERR_QUOTA);
	assert_memory_equal(m.u.error.token, "bbbbbbbb", HP_TOKEN_LEN);
	assert_no_reply(f, 0);
}

static void test_relay_disabled_refuses(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[2048], inner[2048];
	struct hp_msg m;
	size_t len, ilen;

	f->srv.relay_bytes = 0;
	pair_for_relay(f);
	len = make_relay(buf, sizeof(buf), 'a', 40, inner, &ilen);
	dispatch(f, 0, buf, len);
	expect_msg(f, 0, HP_ERROR, len, &m);
	assert_int_equal(m.u.error.code, HP_ERR_QUOTA);
	assert_int_equal(f->srv.counters.v[CNT_RELAY_FWD], 0);
	assert_no_reply(f, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_intro_timing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_intro_mapping_verdicts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_intro_timing_old_client, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pairing_introduces_both, setup, teardown),
		cmocka_unit_test_setup_teardown(test_room_full_and_key_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rebind_answers_with_intro_from_new_endpoint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_asking_after_move_informs_both, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_register_refused_within_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_rooms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unproven_register_gets_cookie_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leave_only_from_registered_endpoint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_token_in_another_room_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leave_frees_the_slot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_datagrams_dropped_and_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stun_binding_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stun_unknown_attribute_gets_420_only_if_not_larger, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stun_change_request_not_answered_as_success, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stun_size_rule_with_response_origin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stun_no_origin_from_wildcard, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stun_classic_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stun_routing_classic_and_padded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spoofed_victim_never_amplified, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relay_forwards_to_other_peer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relay_drops_wrong_source_unknown_and_lonely, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relay_rate_quota, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relay_byte_quota, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relay_disabled_refuses, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
