// SPDX-License-Identifier: MIT
/*
 * The client's server side (ctl.c) against hostile and honest answers:
 * the cookie exchange (return routability), ERRORs bound to our token,
 * and an ERROR after the chat was established never ending it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "client/ctl.h"
#include "stun.h"
#include "proto.h"

#define MAX_SENT 8

static struct {
	struct client_opts o;
	struct output out;
	struct wire w;
	struct ctl ctl;
	struct hp_endpoint server;
	uint8_t sent[MAX_SENT][HP_MAX_DATAGRAM];
	size_t sent_len[MAX_SENT], n_sent;
} f;

static const uint8_t token[HP_TOKEN_LEN] = "tokentok";

static int capture(void *ctx, const struct hp_endpoint *to, const uint8_t *buf, size_t len,
		   int ttl)
{
	(void)ctx;
	(void)ttl;
	assert_true(hp_endpoint_equal(to, &f.server));
	assert_true(f.n_sent < MAX_SENT && len <= HP_MAX_DATAGRAM);
	memcpy(f.sent[f.n_sent], buf, len);
	f.sent_len[f.n_sent++] = len;
	return 0;
}

static int setup(void **state)
{
	static const uint8_t pk[HP_KEY_LEN] = { 1 };

	(void)state;
	memset(&f, 0, sizeof(f));
	f.o.timeout_s = 10;
	f.o.keepalive_ms = 5000;
	f.o.no_spray = true; /* no mapping verdict: test_cookie_waits_for_verdict has it */
	snprintf(f.o.room, sizeof(f.o.room), "r");
	f.out.quiet = true;
	f.server = (struct hp_endpoint){ .family = HP_FAMILY_V4, .port = 7000,
					 .addr = { 192, 0, 2, 1 } };
	wire_init(&f.w, -1, &f.server, token, &f.out);
	f.w.send = capture;
	ctl_init(&f.ctl, &f.o, &f.out, pk, NULL, 0, 1000);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	wire_free(&f.w);
	return 0;
}

static enum ctl_verdict feed(const struct hp_msg *m, enum path_state peer, uint64_t now)
{
	uint8_t buf[HP_MAX_DATAGRAM];
	struct ctl_news news;
	int n = hp_msg_encode(m, buf, sizeof(buf));

	assert_true(n > 0);
	return ctl_handle(&f.ctl, &f.w, buf, (size_t)n, peer, now, &news);
}

static struct hp_msg cookie_msg(const uint8_t *tok, uint8_t fill)
{
	struct hp_msg m;

	memset(&m, 0, sizeof(m));
	m.hdr.type = HP_COOKIE;
	memcpy(m.u.cookie.token, tok, HP_TOKEN_LEN);
	memset(m.u.cookie.cookie, fill, HP_COOKIE_LEN);
	return m;
}

/* A COOKIE for our token is answered at once by a REGISTER carrying it
 * (full size: never less than the padding rule), every later REGISTER
 * carries it too, and COOKIEs cannot make us answer faster than every
 * 100 ms. A COOKIE for another token is stray. */
static void test_cookie_answered_with_register(void **state)
{
	struct hp_msg m = cookie_msg(token, 0x5a), got;
	uint64_t wake = UINT64_MAX;

	(void)state;
	assert_int_equal(feed(&m, PATH_WAITING, 1000), CTL_NOTHING);
	assert_int_equal(f.n_sent, 1);
	assert_int_equal(f.sent_len[0], HP_REGISTER_MIN);
	assert_int_equal(hp_msg_decode(&got, f.sent[0], f.sent_len[0]), 0);
	assert_int_equal(got.hdr.type, HP_REGISTER);
	assert_int_equal(got.u.reg.cookie_len, HP_COOKIE_LEN);
	assert_int_equal(got.u.reg.cookie[0], 0x5a);

	m = cookie_msg(token, 0x6b);
	assert_int_equal(feed(&m, PATH_WAITING, 1050), CTL_NOTHING);
	assert_int_equal(f.n_sent, 1); /* kept, not answered: too soon */
	assert_int_equal(ctl_tick(&f.ctl, &f.w, PATH_WAITING, 1300, &wake), CTL_NOTHING);
	assert_int_equal(f.n_sent, 2);
	assert_int_equal(hp_msg_decode(&got, f.sent[1], f.sent_len[1]), 0);
	assert_int_equal(got.u.reg.cookie[0], 0x6b);

	m = cookie_msg((const uint8_t *)"someones", 0x77);
	assert_int_equal(feed(&m, PATH_WAITING, 2000), CTL_NOTHING);
	assert_int_equal(f.n_sent, 2);
	assert_int_equal(f.w.drops[CLIENT_DROP_STRAY], 1);
}

static struct hp_msg error_msg(const uint8_t *tok, uint16_t code)
{
	struct hp_msg m;

	memset(&m, 0, sizeof(m));
	m.hdr.type = HP_ERROR;
	if (tok)
		memcpy(m.u.error.token, tok, HP_TOKEN_LEN);
	m.u.error.code = code;
	snprintf(m.u.error.reason, sizeof(m.u.error.reason), "room full");
	return m;
}

/* Attack: a blind ERROR with an all-zero token (the server never sends
 * one) ends nothing and switches nothing off. */
static void test_forged_zero_token_error_ignored(void **state)
{
	struct hp_msg m = error_msg(NULL, HP_ERR_ROOM_FULL);

	(void)state;
	assert_int_equal(feed(&m, PATH_WAITING, 1000), CTL_NOTHING);
	m = error_msg(NULL, HP_ERR_QUOTA);
	assert_int_equal(feed(&m, PATH_RELAYED, 1000), CTL_NOTHING);
	assert_int_equal(f.w.drops[CLIENT_DROP_STRAY], 2);
	m = error_msg(token, HP_ERR_ROOM_FULL);
	assert_int_equal(feed(&m, PATH_WAITING, 1000), CTL_FATAL);
}

/* Attack 5: an ERROR while reconnecting (a restarted server that is full)
 * is shown, not fatal: the chat does not need the server. */
static void test_error_after_established_not_fatal(void **state)
{
	static const enum path_state after[] = { PATH_DIRECT, PATH_CONFIRMED, PATH_RELAYED,
						 PATH_RECONNECTING, PATH_RECONNECTING_RELAY };
	struct hp_msg m = error_msg(token, HP_ERR_ROOM_FULL);

	(void)state;
	for (size_t i = 0; i < sizeof(after) / sizeof(after[0]); i++)
		assert_int_equal(feed(&m, after[i], 1000), CTL_NOTHING);
}

/* Attack 8: unauthenticated "peer" datagrams before the intro, each asking
 * for a REGISTER: one a second goes out, however many come. */
static void test_nudge_paced(void **state)
{
	struct hp_msg r;
	uint64_t now, wake = UINT64_MAX;

	(void)state;
	assert_int_equal(ctl_tick(&f.ctl, &f.w, PATH_WAITING, 1000, &wake), CTL_NOTHING);
	memset(&r, 0, sizeof(r));
	r.hdr.type = HP_REGISTERED;
	memcpy(r.u.registered.token, token, HP_TOKEN_LEN);
	r.u.registered.reflexive = f.server;
	assert_int_equal(feed(&r, PATH_WAITING, 1010), CTL_NOTHING);
	f.n_sent = 0;
	for (now = 1010; now < 4000; now += 10) /* 299 strays in 3 s */
		assert_int_equal(ctl_nudge(&f.ctl, &f.w, now), 0);
	assert_int_equal(f.n_sent, 2); /* at 2000 and 3000 */
}

/* An easy/hard answer to the verdict's request i (natmap.h). */
static void stun_answer(unsigned i, uint16_t port, uint64_t now)
{
	struct hp_endpoint ep = { .family = HP_FAMILY_V4, .port = port, .addr = { 198, 51, 100, 9 } };
	uint8_t buf[128];
	int n = stun_build_success(buf, sizeof(buf), f.ctl.map.txid[i], &ep);

	assert_true(n > 0);
	ctl_stun(&f.ctl, &f.w, buf, (size_t)n, now);
}

/* With the verdict wanted, the REGISTER that answers a COOKIE is not
 * held back for it (the server times that round trip): once the verdict
 * is in, a refresh carries it. */
static void test_verdict_refreshes_registration(void **state)
{
	static const uint8_t pk[HP_KEY_LEN] = { 1 };
	struct hp_msg m = cookie_msg(token, 0x5a), got;

	(void)state;
	f.o.no_spray = false;
	ctl_init(&f.ctl, &f.o, &f.out, pk, NULL, 0, 1000);
	assert_int_equal(feed(&m, PATH_WAITING, 1010), CTL_NOTHING);
	assert_int_equal(f.n_sent, 1);
	assert_int_equal(hp_msg_decode(&got, f.sent[0], f.sent_len[0]), 0);
	assert_int_equal(got.u.reg.mapping, HP_MAP_UNKNOWN);
	stun_answer(0, 4000, 1011);
	assert_int_equal(f.n_sent, 1);
	stun_answer(1, 4001, 1012);
	assert_int_equal(f.n_sent, 2);
	assert_int_equal(hp_msg_decode(&got, f.sent[1], f.sent_len[1]), 0);
	assert_int_equal(got.u.reg.cookie_len, HP_COOKIE_LEN);
	assert_int_equal(got.u.reg.mapping, HP_MAP_HARD);
	/* the verdict is final: another answer changes nothing */
	stun_answer(1, 4001, 1013);
	assert_int_equal(f.n_sent, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cookie_answered_with_register, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verdict_refreshes_registration, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forged_zero_token_error_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_after_established_not_fatal, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_nudge_paced, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
