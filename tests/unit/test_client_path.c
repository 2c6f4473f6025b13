// SPDX-License-Identifier: MIT
/*
 * The client's path state machine (src/client/path.c) on a fake clock: a
 * send hook records every datagram (type, destination, TTL, time) after
 * opening it with the peer's own session (real libsodium keys on both
 * sides), and stdout (--json events) is captured, so each test asserts
 * what was sent, to whom, when, and which state and events followed. The
 * events' clock is the fake one; each punch's event is checked with the
 * punch itself (expect_punch), the other events in order (expect_events).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "client/ctl.h"
#include "client/path.h"
#include "client/wire.h"

#define T0 1000000u /* ms: the introduction */
#define MAX_SENT 1024

struct sent {
	struct hp_endpoint to;
	int ttl;
	uint64_t at; /* ms */
	uint8_t type; /* the peer message type, or the control type */
	bool relayed; /* a peer message wrapped in RELAY to the server */
	uint64_t punch_n; /* a PUNCH: how many were sent up to this one */
	struct hp_peer_msg m;
};

#define EV_LINE 256

static struct fx {
	struct client_opts o;
	struct output out;
	struct wire w;
	struct path p;
	struct hp_keypair ka, kb;
	struct hp_session sb; /* the peer's side */
	struct hp_intro in;
	struct hp_endpoint server, pub, priv, refl;
	uint64_t now_us;
	struct sent sent[MAX_SENT];
	size_t n_sent, seen;
	FILE *cap;
	int saved_stdout;
	long cap_off;
	uint64_t n_punch, last_t_us;
	char punch_ev[MAX_SENT + 1][EV_LINE]; /* by n, without t_us */
	char pending[16384]; /* the other events, without t_us */
} f;

static struct hp_endpoint ep(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
{
	struct hp_endpoint e = { .family = HP_FAMILY_V4, .port = port, .addr = { a, b, c, d } };

	return e;
}

static uint64_t now_ms(void)
{
	return f.now_us / 1000;
}

/* A test may start over at an earlier time: the events' clock with it. */
static void at(uint64_t ms)
{
	f.now_us = ms * 1000;
	if (f.last_t_us > f.now_us)
		f.last_t_us = f.now_us;
}

static uint64_t fake_clock(void)
{
	return f.now_us;
}

/* The send hook: decode what the client sent, as the peer or server would. */
static int capture(void *ctx, const struct hp_endpoint *to, const uint8_t *buf, size_t len,
		   int ttl)
{
	struct sent *s = &f.sent[f.n_sent];
	uint8_t token[HP_TOKEN_LEN];
	const uint8_t *inner = buf;
	size_t inner_len = len;
	struct hp_header h;

	(void)ctx;
	assert_true(f.n_sent < MAX_SENT);
	memset(s, 0, sizeof(*s));
	s->to = *to;
	s->ttl = ttl;
	s->at = now_ms();
	assert_int_equal(hp_header_decode(&h, buf, len), 0);
	s->type = h.type;
	if (h.type == HP_RELAY) {
		assert_true(hp_endpoint_equal(to, &f.server));
		assert_int_equal(hp_relay_decode(buf, len, token, &inner, &inner_len), 0);
		assert_memory_equal(token, f.w.token, HP_TOKEN_LEN);
		s->relayed = true;
		assert_int_equal(hp_header_decode(&h, inner, inner_len), 0);
		s->type = h.type;
	}
	if (hp_type_is_peer(h.type))
		assert_true(hp_session_open(&f.sb, inner, inner_len, &s->m) >= 0);
	if (h.type == HP_PUNCH)
		s->punch_n = ++f.n_punch;
	f.n_sent++;
	return 0;
}

/* The next datagram sent since the last call, which must exist. */
static const struct sent *next_sent(void)
{
	assert_true(f.seen < f.n_sent);
	return &f.sent[f.seen++];
}

static void expect_sent(uint8_t type, const struct hp_endpoint *to, int ttl, uint64_t when)
{
	const struct sent *s = next_sent();

	assert_int_equal(s->type, type);
	assert_true(hp_endpoint_equal(&s->to, to));
	assert_int_equal(s->ttl, ttl);
	assert_int_equal(s->at, when);
	assert_false(s->relayed);
}

/* A path event as expect_events() sees it. */
#define PATH_EV(from, to, why) \
	"{\"event\":\"path\",\"from\":\"" from "\",\"to\":\"" to "\",\"why\":\"" why "\"}\n"

static void drain(void);
static void expect_punch_event(const struct sent *s, const char *candidate);

#define PUB  "public"
#define PRIV "private"
#define PEER "peer"

/* A punch, and its event: to that kind of candidate. */
static void expect_punch(const struct hp_endpoint *to, int ttl, unsigned idx, uint64_t when,
			 const char *candidate)
{
	const struct sent *s = &f.sent[f.seen];

	expect_sent(HP_PUNCH, to, ttl, when);
	assert_int_equal(s->m.u.punch.id & 0xff, idx);
	assert_int_equal(s->m.u.punch.id >> 8, when * 1000);
	assert_int_equal(s->m.u.punch.ttl, ttl > 0 ? ttl : 64);
	expect_punch_event(s, candidate);
}

static void expect_relayed(uint8_t type, uint64_t when)
{
	const struct sent *s = next_sent();

	assert_true(s->relayed);
	assert_int_equal(s->type, type);
	assert_true(hp_endpoint_equal(&s->to, &f.server));
	assert_int_equal(s->at, when);
	if (type == HP_PUNCH)
		expect_punch_event(s, "relay");
}

/* All seen; and every punch sent so far had its event. */
static void expect_nothing_sent(void)
{
	uint64_t n;

	assert_int_equal(f.seen, f.n_sent);
	drain();
	for (n = 1; n <= f.n_punch; n++)
		assert_int_not_equal(f.punch_ev[n][0], '\0');
}

/*
 * Reads the events written since the last call: each carries t_us right
 * after its name, on the fake clock, never going back; it is checked and
 * cut out. Punch events go to punch_ev[n], the others to pending.
 */
static void drain(void)
{
	static char buf[65536];
	char *line, *next, *t, *rest, name[32];
	unsigned long long t_us, n;
	ssize_t got;

	fflush(stdout);
	got = pread(fileno(f.cap), buf, sizeof(buf) - 1, f.cap_off);
	assert_true(got >= 0);
	buf[got] = '\0';
	f.cap_off += got;
	for (line = buf; *line; line = next) {
		next = strchr(line, '\n');
		assert_non_null(next);
		*next++ = '\0';
		assert_int_equal(sscanf(line, "{\"event\":\"%31[a-z_]\",", name), 1);
		t = strstr(line, "\",\"t_us\":");
		assert_non_null(t);
		assert_true(t == line + strlen("{\"event\":\"") + strlen(name));
		t_us = strtoull(t + strlen("\",\"t_us\":"), &rest, 10);
		assert_true(t_us >= f.last_t_us && t_us <= f.now_us);
		f.last_t_us = t_us;
		assert_int_equal(*rest, ',');
		memmove(t + 1, rest, strlen(rest) + 1); /* keep the name's closing quote */
		if (strcmp(name, "punch")) {
			assert_true(strlen(f.pending) + strlen(line) + 2 < sizeof(f.pending));
			strcat(strcat(f.pending, line), "\n");
			continue;
		}
		t = strstr(line, "\"n\":");
		assert_non_null(t);
		n = strtoull(t + 4, NULL, 10);
		assert_true(n >= 1 && n <= MAX_SENT);
		assert_int_equal(f.punch_ev[n][0], '\0');
		assert_true(strlen(line) < EV_LINE);
		strcpy(f.punch_ev[n], line);
	}
}

/* The events other than punches written since the last call. */
static const char *events(void)
{
	static char buf[sizeof(f.pending)];

	drain();
	strcpy(buf, f.pending);
	f.pending[0] = '\0';
	return buf;
}

static void expect_events(const char *want)
{
	assert_string_equal(events(), want);
}

/* The punch event of the punch s, which must exist. */
static void expect_punch_event(const struct sent *s, const char *candidate)
{
	char want[EV_LINE], b[HP_ENDPOINT_STRLEN];

	drain();
	assert_true(s->punch_n >= 1);
	snprintf(want, sizeof(want), "{\"event\":\"punch\",\"to\":\"%s\",\"ttl\":%d,"
		 "\"candidate\":\"%s\",\"n\":%llu}", hp_endpoint_format(&s->to, b, sizeof(b)),
		 s->ttl > 0 ? s->ttl : 64, candidate, (unsigned long long)s->punch_n);
	assert_string_equal(f.punch_ev[s->punch_n], want);
}

static int setup(void **state)
{
	(void)state;
	memset(&f, 0, sizeof(f));
	f.o.timeout_s = 10;
	f.o.keepalive_ms = 15000;
	f.o.punch_ttl = 2;
	f.o.relay_after_ms = 1500;
	snprintf(f.o.room, sizeof(f.o.room), "r");
	snprintf(f.o.nick, sizeof(f.o.nick), "alice");
	f.out.json = true;
	f.out.clock_us = fake_clock;
	f.server = ep(192, 0, 2, 1, 7000);
	f.pub = ep(198, 51, 100, 7, 40000);
	f.priv = ep(10, 0, 0, 2, 5000);
	f.refl = ep(203, 0, 113, 5, 41000);
	assert_int_equal(hp_crypto_init(), 0);
	assert_int_equal(hp_crypto_keypair(&f.ka), 0);
	assert_int_equal(hp_crypto_keypair(&f.kb), 0);
	wire_init(&f.w, -1, &f.server, (const uint8_t *)"tokentok", &f.out);
	f.w.send = capture;
	assert_int_equal(wire_rekey(&f.w, &f.ka, f.kb.pk, NULL), 0);
	assert_int_equal(hp_session_derive(&f.sb, f.kb.pk, f.kb.sk, f.ka.pk, NULL, 0), 0);
	path_init(&f.p, &f.o, &f.out, &f.w, T0 - 500);
	snprintf(f.in.peer_nick, sizeof(f.in.peer_nick), "bob");
	memcpy(f.in.peer_pubkey, f.kb.pk, HP_KEY_LEN);
	f.in.peer_public = f.pub;
	f.in.reflexive = f.refl;
	f.in.n_priv = 1;
	f.in.peer_priv[0] = f.priv;
	fflush(stdout);
	f.cap = tmpfile();
	assert_non_null(f.cap);
	f.saved_stdout = dup(STDOUT_FILENO);
	assert_true(dup2(fileno(f.cap), STDOUT_FILENO) >= 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fflush(stdout);
	dup2(f.saved_stdout, STDOUT_FILENO);
	close(f.saved_stdout);
	fclose(f.cap);
	wire_free(&f.w);
	hp_session_clear(&f.sb);
	return 0;
}

/* Introduced at T0 with a server round trip of 20 ms (public delay 40 ms). */
static void intro(void)
{
	char want[512];

	snprintf(want, sizeof(want), "{\"event\":\"path\",\"from\":\"%s\",\"to\":\"punching\","
		 "\"why\":\"the server introduced bob\"}\n",
		 path_state_name(f.p.state));
	strcat(want, "{\"event\":\"introduced\",\"peer\":\"bob\",\"public\":\"198.51.100.7:40000\","
	       "\"private\":[\"10.0.0.2:5000\"],\"ms\":500}\n");
	at(T0);
	path_intro(&f.p, &f.in, 20, f.now_us);
	assert_int_equal(f.p.state, PATH_PUNCHING);
	expect_events(want);
}

/* One punch tick at `when`; returns the wake-up it asked for. */
static uint64_t tick(uint64_t when, enum path_verdict want)
{
	uint64_t wake = UINT64_MAX;

	at(when);
	assert_int_equal(path_punch_tick(&f.p, f.now_us, &wake), want);
	return wake;
}

/* The peer sends m from `from` (NULL: through the relay), sealed with its
 * session; what path_input() made of it. */
static enum path_news peer_says(uint8_t type, uint64_t id, const struct hp_endpoint *from,
				uint64_t *rtt_us)
{
	uint8_t buf[HP_MAX_DATAGRAM];
	struct hp_peer_msg m, got;
	uint64_t rtt;
	int n, fresh;

	memset(&m, 0, sizeof(m));
	m.type = type;
	if (type == HP_PUNCH || type == HP_PUNCH_ACK) {
		m.u.punch.id = id;
		m.u.punch.ttl = 64;
	}
	n = hp_session_seal(&f.sb, &m, buf, sizeof(buf));
	assert_true(n > 0);
	fresh = wire_open(&f.w, buf, (size_t)n, from, &got);
	assert_true(fresh >= 0);
	return path_input(&f.p, &got, fresh, from, f.now_us, rtt_us ? rtt_us : &rtt);
}

/* Punch rounds every 100 ms for 2 s, then every 250 ms; --no-relay: the
 * punching timeout ends the run with an error. */
static void test_punch_schedule(void **state)
{
	uint64_t t, wake;
	unsigned pub_n, priv_n;

	(void)state;
	f.o.no_relay = true;
	intro();
	wake = tick(T0, PATH_GOING);
	expect_punch(&f.pub, 2, 0, T0, PUB);
	expect_punch(&f.priv, 0, 1, T0, PRIV);
	expect_nothing_sent();
	assert_int_equal(wake, T0 + 40);
	wake = tick(T0 + 40, PATH_GOING);
	expect_punch(&f.pub, 0, 0, T0 + 40, PUB);
	expect_nothing_sent();
	assert_int_equal(wake, T0 + 100);
	for (t = T0 + 100; t <= T0 + 2000; t += 100) {
		wake = tick(t, PATH_GOING);
		expect_punch(&f.pub, 0, 0, t, PUB);
		expect_punch(&f.priv, 0, 1, t, PRIV);
		expect_nothing_sent();
		assert_int_equal(wake, t < T0 + 2000 ? t + 100 : t + 250);
	}
	/* so far 22 punches to the public endpoint, 21 to the private one;
	 * each candidate that never answers gets PATH_CAND_MAX_UNANSWERED in
	 * all, then is left alone (attack 2: a third party's addresses named
	 * as candidates get a bounded number, not a stream) */
	pub_n = 22;
	priv_n = 21;
	for (t = T0 + 2250; t < T0 + 10000; t += 250) {
		/* a tick between rounds sends nothing */
		assert_int_equal(tick(t - 1, PATH_GOING), t);
		expect_nothing_sent();
		wake = tick(t, PATH_GOING);
		if (pub_n < PATH_CAND_MAX_UNANSWERED) {
			expect_punch(&f.pub, 0, 0, t, PUB);
			pub_n++;
		}
		if (priv_n < PATH_CAND_MAX_UNANSWERED) {
			expect_punch(&f.priv, 0, 1, t, PRIV);
			priv_n++;
		}
		expect_nothing_sent();
		assert_int_equal(wake, t + 250 < T0 + 10000 ? t + 250 : T0 + 10000);
	}
	assert_int_equal(pub_n, PATH_CAND_MAX_UNANSWERED);
	assert_int_equal(priv_n, PATH_CAND_MAX_UNANSWERED);
	assert_int_equal(f.p.state, PATH_PUNCHING);
	expect_events("");
	tick(T0 + 10000, PATH_GAVE_UP);
	expect_nothing_sent();
	assert_int_equal(f.p.state, PATH_UNREACHABLE);
	expect_events(PATH_EV("punching", "unreachable", "could not reach peer bob: punching timed out")
		      "{\"event\":\"error\",\"reason\":\"could not reach peer bob: punching timed out\"}\n");
}

/* Attack 2: host candidates outside the private, shared and link-local
 * ranges are not punched at all; one inside them that never answers gets
 * PATH_CAND_MAX_UNANSWERED punches, however long the punching lasts. */
static void test_candidates_bounded(void **state)
{
	struct hp_endpoint victim = ep(192, 0, 2, 99, 53), shared = ep(100, 64, 0, 7, 4000);
	uint64_t t;
	int n;

	(void)state;
	f.o.no_relay = true;
	f.in.n_priv = 3;
	f.in.peer_priv[1] = victim;
	f.in.peer_priv[2] = shared;
	at(T0);
	path_intro(&f.p, &f.in, 20, f.now_us);
	(void)events(); /* the intro's own, checked in the other tests */
	for (t = T0; t < T0 + 9000; t += 50)
		tick(t, PATH_GOING);
	for (n = 0; f.seen < f.n_sent;) {
		const struct sent *s = next_sent();

		assert_false(hp_endpoint_equal(&s->to, &victim));
		n += hp_endpoint_equal(&s->to, &shared);
	}
	assert_int_equal(n, PATH_CAND_MAX_UNANSWERED);
}

/* --punch-ttl 0: the public endpoint gets normal punches from the start. */
static void test_punch_ttl_off(void **state)
{
	(void)state;
	f.o.punch_ttl = 0;
	intro();
	assert_int_equal(tick(T0, PATH_GOING), T0 + 100);
	expect_punch(&f.pub, 0, 0, T0, PUB);
	expect_punch(&f.priv, 0, 1, T0, PRIV);
	expect_nothing_sent();
}

/* The INTRO's timing (docs/hpclient.md, "Punch timing"), a far server
 * (the two round trips average at least PATH_OPENED_WAIT_MAX_US): the
 * normal punch to the public endpoint waits half the difference of the
 * two round trips plus PATH_PUBLIC_MARGIN_US, counted from the short-TTL
 * punch; the wake-up is that instant rounded up to the millisecond. The
 * tick that sends the short punch says PATH_OPENED. */
static void timed_intro(uint32_t rtt_us, uint32_t peer_rtt_us)
{
	f.in.rtt_us = rtt_us;
	f.in.peer_rtt_us = peer_rtt_us;
	at(T0);
	path_intro(&f.p, &f.in, 20, f.now_us);
	(void)events();
}

static void test_punch_timing(void **state)
{
	uint64_t w;

	(void)state;
	/* the peer is 6 ms further from the server: it hears the INTRO 3 ms
	 * after us */
	timed_intro(40000, 46000);
	/* the skew, the margin, and the difference for the estimate's doubt */
	w = (46000 - 40000) / 2 + PATH_PUBLIC_MARGIN_US + (46000 - 40000);
	assert_int_equal(f.p.public_wait, w);
	/* the first tick is a little later than the INTRO: counted from it */
	assert_int_equal(tick(T0 + 5, PATH_OPENED), T0 + 5 + (w + 999) / 1000);
	expect_punch(&f.pub, 2, 0, T0 + 5, PUB);
	expect_punch(&f.priv, 0, 1, T0 + 5, PRIV);
	expect_nothing_sent();
	tick(T0 + 5 + w / 1000 - 1, PATH_GOING);
	expect_nothing_sent();
	tick(T0 + 5 + w / 1000, PATH_GOING);
	expect_punch(&f.pub, 0, 0, T0 + 5 + w / 1000, PUB);
	expect_nothing_sent();
}

/* A wait that is not a whole number of milliseconds: not a microsecond
 * early, and the wake-up the next millisecond. */
static void test_punch_timing_rounded(void **state)
{
	uint64_t w, wake;

	(void)state;
	timed_intro(40000, 42300);
	w = 3 * (42300 - 40000) / 2 + PATH_PUBLIC_MARGIN_US;
	wake = tick(T0, PATH_OPENED);
	assert_int_equal(wake, T0 + (w + 999) / 1000);
	expect_punch(&f.pub, 2, 0, T0, PUB);
	expect_punch(&f.priv, 0, 1, T0, PRIV);
	f.now_us = T0 * 1000 + w - 1;
	assert_int_equal(path_punch_tick(&f.p, f.now_us, &(uint64_t){ UINT64_MAX }), PATH_GOING);
	expect_nothing_sent();
	tick(wake, PATH_GOING);
	expect_punch(&f.pub, 0, 0, wake, PUB);
	expect_nothing_sent();
}

/* The peer is nearer the server than we are: it heard the INTRO first,
 * the margin and the estimate's doubt are left; alike round trips leave
 * the margin alone. */
static void test_punch_timing_peer_first(void **state)
{
	(void)state;
	timed_intro(60000, 40000);
	assert_int_equal(f.p.public_wait, (60000 - 40000) + PATH_PUBLIC_MARGIN_US);
	assert_int_equal(tick(T0, PATH_OPENED), T0 + 21);
	timed_intro(40000, 40000);
	assert_int_equal(f.p.public_wait, PATH_PUBLIC_MARGIN_US);
}

/* A near server: the peer's word (an INTRO with HP_FLAG_OPENED) is
 * expected well within PATH_OPENED_WAIT_MAX_US, so the timer is only the
 * fallback (the old wait, 40 ms here) and the word starts the normal
 * punches at once; a word before our own short punch lets the normal
 * ones follow it in the next tick. */
static void test_punch_timing_opened(void **state)
{
	struct hp_intro in;

	(void)state;
	timed_intro(2000, 8000);
	assert_int_equal(f.p.public_wait, 40000);
	assert_int_equal(tick(T0, PATH_OPENED), T0 + 40);
	expect_punch(&f.pub, 2, 0, T0, PUB);
	expect_punch(&f.priv, 0, 1, T0, PRIV);
	expect_nothing_sent();
	at(T0 + 3);
	in = f.in;
	in.peer_opened = true;
	assert_int_equal(path_reintro(&f.p, &in, false, false, f.now_us), PATH_GOING);
	tick(T0 + 3, PATH_GOING);
	expect_punch(&f.pub, 0, 0, T0 + 3, PUB);
	expect_nothing_sent();

	f.in.peer_opened = true;
	timed_intro(2000, 8000);
	assert_int_equal(tick(T0, PATH_OPENED), T0);
	expect_punch(&f.pub, 2, 0, T0, PUB);
	expect_punch(&f.priv, 0, 1, T0, PRIV);
	tick(T0, PATH_GOING);
	expect_punch(&f.pub, 0, 0, T0, PUB);
	expect_nothing_sent();
}

/* No timing (an older server), or only half of it: the old floor,
 * max(PUBLIC_DELAY_MIN 30 ms, 2 x our server round trip): 40 ms here. */
static void test_punch_timing_absent(void **state)
{
	(void)state;
	timed_intro(0, 0);
	assert_int_equal(f.p.public_wait, 40000);
	timed_intro(5000, 0);
	assert_int_equal(f.p.public_wait, 40000);
	path_intro(&f.p, &f.in, 5, f.now_us);
	assert_int_equal(f.p.public_wait, 30000);
	(void)events();
	assert_int_equal(tick(T0, PATH_GOING), T0 + 30);
	expect_punch(&f.pub, 2, 0, T0, PUB);
	expect_punch(&f.priv, 0, 1, T0, PRIV);
	tick(T0 + 30, PATH_GOING);
	expect_punch(&f.pub, 0, 0, T0 + 30, PUB);
	expect_nothing_sent();
}

/* The first authenticated datagram comes from an endpoint that is not a
 * candidate (a symmetric NAT's new port): it becomes the peer, is answered
 * and punched; a PUNCH_ACK from it confirms the path and stops punching. */
static void test_peer_reflexive(void **state)
{
	struct hp_endpoint x = ep(198, 51, 100, 7, 61000);
	uint64_t rtt, id;

	(void)state;
	intro();
	tick(T0, PATH_GOING);
	f.seen = f.n_sent;
	at(T0 + 25);
	assert_int_equal(peer_says(HP_PUNCH, 77, &x, NULL), PATH_NEWS_CONNECTED);
	assert_int_equal(f.p.state, PATH_DIRECT);
	assert_true(hp_endpoint_equal(&f.p.ep, &x));
	expect_sent(HP_PUNCH_ACK, &x, 0, T0 + 25);
	assert_int_equal(f.sent[f.seen - 1].m.u.punch.id, 77);
	expect_nothing_sent();
	expect_events(PATH_EV("punching", "direct", "first authenticated datagram from 198.51.100.7:61000")
		      "{\"event\":\"connected\",\"path\":\"direct\",\"peer\":\"198.51.100.7:61000\","
		      "\"ms\":25}\n");
	/* punching goes on, to the peer-reflexive endpoint as well */
	tick(T0 + 40, PATH_GOING);
	expect_punch(&f.pub, 0, 0, T0 + 40, PUB);
	tick(T0 + 100, PATH_GOING);
	expect_punch(&f.pub, 0, 0, T0 + 100, PUB);
	expect_punch(&f.priv, 0, 1, T0 + 100, PRIV);
	expect_punch(&x, 0, 0xff, T0 + 100, PEER);
	expect_nothing_sent();
	/* the echo of that punch: confirmed, with a round trip sample */
	id = f.sent[f.seen - 1].m.u.punch.id;
	at(T0 + 130);
	assert_int_equal(peer_says(HP_PUNCH_ACK, id, &x, &rtt), PATH_NEWS_NONE);
	assert_int_equal(rtt, 30000);
	assert_int_equal(f.p.state, PATH_CONFIRMED);
	assert_int_equal(tick(T0 + 200, PATH_GOING), UINT64_MAX);
	expect_nothing_sent();
	expect_events(PATH_EV("direct", "confirmed", "the peer hears us: punch_ack from 198.51.100.7:61000"));
}

/* The peer's PUNCH arrives before our INTRO: kept, REGISTER asks for the
 * intro (at most every 100 ms), and once introduced the stashed PUNCH
 * connects us to its source. */
static void test_intro_after_punch(void **state)
{
	struct hp_endpoint x = ep(198, 51, 100, 7, 40000);
	uint8_t buf[HP_MAX_DATAGRAM], reg[HP_MAX_DATAGRAM];
	struct wire_stash st[WIRE_STASH];
	struct hp_peer_msg m, got;
	const uint8_t *inner;
	struct ctl_news news;
	struct hp_msg r;
	struct ctl ctl;
	size_t inner_len;
	int n;

	(void)state;
	at(T0 - 100);
	ctl_init(&ctl, &f.o, &f.out, f.ka.pk, NULL, 0, T0 - 500);
	memset(&r, 0, sizeof(r));
	r.hdr.type = HP_REGISTERED;
	memcpy(r.u.registered.token, f.w.token, HP_TOKEN_LEN);
	r.u.registered.reflexive = f.refl;
	n = hp_msg_encode(&r, reg, sizeof(reg));
	assert_true(n > 0);
	assert_int_equal(ctl_handle(&ctl, &f.w, reg, (size_t)n, f.p.state, now_ms(), &news),
			 CTL_NOTHING);
	events();
	at(T0 - 50);
	memset(&m, 0, sizeof(m));
	m.type = HP_PUNCH;
	m.u.punch.id = 5;
	n = hp_session_seal(&f.sb, &m, buf, sizeof(buf));
	assert_int_equal(wire_demux(&f.w, buf, (size_t)n, &x, &inner, &inner_len), WIRE_PEER);
	assert_int_equal(f.p.state, PATH_WAITING);
	wire_stash(&f.w, buf, (size_t)n, &x);
	assert_int_equal(ctl_nudge(&ctl, &f.w, now_ms()), 0);
	expect_sent(HP_REGISTER, &f.server, 0, T0 - 50);
	at(T0 - 10);
	assert_int_equal(ctl_nudge(&ctl, &f.w, now_ms()), 0);
	expect_nothing_sent();
	/* the intro: the stash is replayed through the normal path */
	intro();
	assert_int_equal(wire_unstash(&f.w, st), 1);
	assert_int_equal(wire_unstash(&f.w, st + 1), 0);
	assert_int_equal(wire_demux(&f.w, st[0].buf, st[0].len, &st[0].from, &inner, &inner_len),
			 WIRE_PEER);
	n = wire_open(&f.w, inner, inner_len, &st[0].from, &got);
	assert_true(n >= 0);
	assert_int_equal(path_input(&f.p, &got, n, &st[0].from, f.now_us, &(uint64_t){ 0 }),
			 PATH_NEWS_CONNECTED);
	assert_int_equal(f.p.state, PATH_DIRECT);
	expect_sent(HP_PUNCH_ACK, &x, 0, T0);
	expect_nothing_sent();
	expect_events(PATH_EV("punching", "direct", "first authenticated datagram from 198.51.100.7:40000")
		      "{\"event\":\"connected\",\"path\":\"direct\",\"peer\":\"198.51.100.7:40000\","
		      "\"ms\":0}\n");
}

/* No direct path --relay-after the intro: PUNCH through the relay with
 * every round until the peer answers there; then relayed, and our
 * messages go through the relay. */
static void test_relay_fallback(void **state)
{
	struct hp_peer_msg m;
	uint64_t t;

	(void)state;
	intro();
	for (t = T0; t < T0 + 1500; t = tick(t, PATH_GOING))
		assert_int_equal(f.p.state, PATH_PUNCHING);
	assert_int_equal(t, T0 + 1500);
	f.seen = f.n_sent;
	assert_int_equal(tick(T0 + 1500, PATH_GOING), T0 + 1600);
	assert_int_equal(f.p.state, PATH_RELAYING);
	expect_punch(&f.pub, 0, 0, T0 + 1500, PUB);
	expect_punch(&f.priv, 0, 1, T0 + 1500, PRIV);
	expect_relayed(HP_PUNCH, T0 + 1500);
	assert_int_equal(f.sent[f.seen - 1].m.u.punch.id & 0xff, 0xfd);
	expect_nothing_sent();
	tick(T0 + 1600, PATH_GOING);
	f.seen += 2;
	expect_relayed(HP_PUNCH, T0 + 1600);
	/* the peer's answer through the relay */
	at(T0 + 1620);
	assert_int_equal(peer_says(HP_PUNCH_ACK, 0xfd, NULL, NULL), PATH_NEWS_CONNECTED);
	assert_int_equal(f.p.state, PATH_RELAYED);
	expect_events(PATH_EV("punching", "relaying", "relay after 1500 ms")
		      PATH_EV("relaying", "relayed", "first authenticated datagram through the relay")
		      "{\"event\":\"connected\",\"path\":\"relay\",\"peer\":\"192.0.2.1:7000\","
		      "\"ms\":1620}\n");
	/* direct punching goes on in the background, every 250 ms, not relayed */
	assert_int_equal(tick(T0 + 1700, PATH_GOING), T0 + 1950);
	expect_punch(&f.pub, 0, 0, T0 + 1700, PUB);
	expect_punch(&f.priv, 0, 1, T0 + 1700, PRIV);
	expect_nothing_sent();
	memset(&m, 0, sizeof(m));
	m.type = HP_KEEPALIVE;
	assert_int_equal(path_send(&f.p, &m, f.now_us), 0);
	expect_relayed(HP_KEEPALIVE, T0 + 1700);
	/* after 10 s: every second */
	at(T0 + 10000);
	f.p.punch_next = T0 + 10000;
	assert_int_equal(tick(T0 + 10000, PATH_GOING), T0 + 11000);
	expect_events("");
}

/* Nothing through the relay either: --timeout after relaying started. A
 * refusal (ERROR 5) before that puts punching's own timeout back. */
static void test_relay_timeout_and_refusal(void **state)
{
	uint64_t t;

	(void)state;
	intro();
	for (t = T0; t < T0 + 11500; t = tick(t, PATH_GOING))
		;
	assert_int_equal(t, T0 + 11500);
	assert_int_equal(f.p.state, PATH_RELAYING);
	tick(t, PATH_GAVE_UP);
	assert_int_equal(f.p.state, PATH_UNREACHABLE);
	expect_events(PATH_EV("punching", "relaying", "relay after 1500 ms")
		      PATH_EV("relaying", "unreachable", "could not reach peer bob directly or through the relay")
		      "{\"event\":\"error\",\"reason\":\"could not reach peer bob directly or "
		      "through the relay\"}\n");

	intro();
	for (t = T0; t < T0 + 1500; t = tick(t, PATH_GOING))
		;
	tick(t, PATH_GOING);
	assert_int_equal(f.p.state, PATH_RELAYING);
	path_relay_refused(&f.p, "quota");
	assert_int_equal(f.p.state, PATH_PUNCHING);
	expect_events(PATH_EV("punching", "relaying", "relay after 1500 ms")
		      "{\"event\":\"warning\",\"reason\":\"server refused to relay: quota\"}\n"
		      PATH_EV("relaying", "punching", "the server refused to relay"));
	f.seen = f.n_sent;
	for (t = tick(T0 + 1600, PATH_GOING); t < T0 + 10000; t = tick(t, PATH_GOING))
		assert_int_equal(f.p.state, PATH_PUNCHING);
	while (f.seen < f.n_sent)
		assert_false(next_sent()->relayed);
	tick(T0 + 10000, PATH_GAVE_UP);
	expect_events(PATH_EV("punching", "unreachable", "could not reach peer bob: punching timed out")
		      "{\"event\":\"error\",\"reason\":\"could not reach peer bob: punching timed "
		      "out\"}\n");
}

static void relayed_at(uint64_t when)
{
	uint64_t t;

	intro();
	for (t = T0; t <= when - 20; t = tick(t, PATH_GOING))
		;
	at(when);
	assert_int_equal(peer_says(HP_PUNCH, 1, NULL, NULL), PATH_NEWS_CONNECTED);
	assert_int_equal(f.p.state, PATH_RELAYED);
	f.seen = f.n_sent - 1;
	expect_relayed(HP_PUNCH_ACK, when);
	events();
}

/* While relayed, a direct PUNCH is answered directly and its source becomes
 * a candidate; a direct PUNCH_ACK then upgrades us (proven both ways). */
static void test_upgrade_to_direct(void **state)
{
	struct hp_endpoint x = ep(198, 51, 100, 7, 62000);
	struct hp_peer_msg m;

	(void)state;
	relayed_at(T0 + 1600);
	at(T0 + 1650);
	assert_int_equal(peer_says(HP_PUNCH, 9, &x, NULL), PATH_NEWS_NONE);
	assert_int_equal(f.p.state, PATH_RELAYED);
	expect_sent(HP_PUNCH_ACK, &x, 0, T0 + 1650);
	expect_nothing_sent();
	f.p.punch_next = T0 + 1700;
	tick(T0 + 1700, PATH_GOING);
	expect_punch(&f.pub, 0, 0, T0 + 1700, PUB);
	expect_punch(&f.priv, 0, 1, T0 + 1700, PRIV);
	expect_punch(&x, 0, 2, T0 + 1700, PEER);
	expect_nothing_sent();
	at(T0 + 1720);
	assert_int_equal(peer_says(HP_PUNCH_ACK, f.sent[f.seen - 1].m.u.punch.id, &x, NULL),
			 PATH_NEWS_CONNECTED);
	assert_int_equal(f.p.state, PATH_CONFIRMED);
	assert_true(hp_endpoint_equal(&f.p.ep, &x));
	expect_events(PATH_EV("relayed", "direct", "authenticated punch_ack directly from 198.51.100.7:62000")
		      "{\"event\":\"connected\",\"path\":\"direct\",\"peer\":\"198.51.100.7:62000\","
		      "\"ms\":1720}\n"
		      PATH_EV("direct", "confirmed", "the peer hears us: punch_ack from 198.51.100.7:62000"));
	memset(&m, 0, sizeof(m));
	m.type = HP_KEEPALIVE;
	path_send(&f.p, &m, f.now_us);
	expect_sent(HP_KEEPALIVE, &x, 0, T0 + 1720);
}

static void confirmed_at(const struct hp_endpoint *x, uint64_t when)
{
	intro();
	tick(T0, PATH_GOING);
	at(when);
	assert_int_equal(peer_says(HP_PUNCH_ACK, 1, x, NULL), PATH_NEWS_CONNECTED);
	assert_int_equal(f.p.state, PATH_CONFIRMED);
	f.seen = f.n_sent;
	events();
}

static uint64_t live(uint64_t when, enum path_verdict want)
{
	uint64_t wake = UINT64_MAX;

	at(when);
	assert_int_equal(path_live_tick(&f.p, f.now_us, 250, &wake), want);
	return wake;
}

/* A rebind: the peer stops answering. Probes at RTO pace, then after the
 * stall threshold reconnecting (punching again, the old endpoint among the
 * candidates), and a fresh authenticated datagram from the peer's new
 * endpoint connects us again. */
static void test_rebind_reconnect(void **state)
{
	struct hp_endpoint x = ep(198, 51, 100, 7, 61000), z = ep(198, 51, 100, 7, 40404);
	struct hp_peer_msg m;
	uint64_t t0 = T0 + 5000;

	(void)state;
	confirmed_at(&x, T0 + 30);
	/* idle: only the keepalive interval */
	assert_int_equal(live(T0 + 100, PATH_GOING), T0 + 30 + 15000);
	expect_nothing_sent();
	memset(&m, 0, sizeof(m));
	m.type = HP_CHAT;
	at(t0);
	path_send(&f.p, &m, f.now_us);
	expect_sent(HP_CHAT, &x, 0, t0);
	assert_int_equal(f.p.await_since, t0);
	assert_int_equal(live(t0 + 100, PATH_GOING), t0 + 250);
	expect_nothing_sent();
	assert_int_equal(live(t0 + 250, PATH_GOING), t0 + 500);
	expect_sent(HP_KEEPALIVE, &x, 0, t0 + 250);
	live(t0 + 500, PATH_GOING);
	expect_sent(HP_KEEPALIVE, &x, 0, t0 + 500);
	assert_int_equal(f.p.state, PATH_CONFIRMED);
	expect_events("");
	live(t0 + 1500, PATH_REREGISTER);
	assert_int_equal(f.p.state, PATH_RECONNECTING);
	expect_events(PATH_EV("confirmed", "reconnecting", "no answer from bob for 1500 ms")
		      "{\"event\":\"reconnecting\",\"reason\":\"no answer from bob for 1500 ms\"}\n");
	/* punching again at once, to the last endpoint too; the normal-TTL
	 * punch to the public endpoint that the confirmation cut short first */
	assert_int_equal(tick(t0 + 1500, PATH_GOING), t0 + 1600);
	expect_punch(&f.pub, 0, 0, t0 + 1500, PUB);
	expect_punch(&f.pub, 0, 0, t0 + 1500, PUB);
	expect_punch(&f.priv, 0, 1, t0 + 1500, PRIV);
	expect_punch(&x, 0, 2, t0 + 1500, PEER);
	expect_nothing_sent();
	/* while reconnecting, no new stall verdict: the punch timeouts rule */
	live(t0 + 1550, PATH_GOING);
	expect_nothing_sent();
	at(t0 + 1580);
	assert_int_equal(peer_says(HP_KEEPALIVE, 0, &z, NULL), PATH_NEWS_RECONNECTED);
	assert_int_equal(f.p.state, PATH_CONFIRMED);
	assert_true(hp_endpoint_equal(&f.p.ep, &z));
	assert_int_equal(f.p.await_since, 0);
	expect_events(PATH_EV("reconnecting", "direct", "first authenticated datagram from 198.51.100.7:40404")
		      "{\"event\":\"connected\",\"path\":\"direct\",\"peer\":\"198.51.100.7:40404\","
		      "\"ms\":80}\n"
		      PATH_EV("direct", "confirmed", "the peer hears us: keepalive from 198.51.100.7:40404"));
}

/* The server says the peer's public endpoint moved: reconnecting, the new
 * one becomes candidate 0 and gets the short-TTL punch first again. */
static void test_reintro_moved(void **state)
{
	struct hp_endpoint x = ep(198, 51, 100, 7, 40000), moved = ep(198, 51, 100, 7, 45000);
	struct hp_intro in = f.in;

	(void)state;
	confirmed_at(&x, T0 + 30);
	/* the same endpoints again (a restarted server): nothing changes */
	assert_int_equal(path_reintro(&f.p, &in, false, false, f.now_us), PATH_GOING);
	assert_int_equal(f.p.state, PATH_CONFIRMED);
	in.peer_public = moved;
	at(T0 + 3000);
	assert_int_equal(path_reintro(&f.p, &in, false, false, f.now_us), PATH_REREGISTER);
	assert_int_equal(f.p.state, PATH_RECONNECTING);
	expect_events(PATH_EV("confirmed", "reconnecting", "the server says bob moved to 198.51.100.7:45000")
		      "{\"event\":\"reconnecting\",\"reason\":\"the server says bob moved to "
		      "198.51.100.7:45000\"}\n");
	assert_int_equal(tick(T0 + 3000, PATH_GOING), T0 + 3040);
	expect_punch(&moved, 2, 0, T0 + 3000, PUB);
	expect_punch(&f.pub, 0, 1, T0 + 3000, PUB);
	expect_punch(&f.priv, 0, 2, T0 + 3000, PRIV);
	expect_nothing_sent();
	tick(T0 + 3040, PATH_GOING);
	expect_punch(&moved, 0, 0, T0 + 3040, PUB);
	expect_nothing_sent();
	/* our own endpoint moved (self_moved) while direct: reconnecting too */
	at(T0 + 3050);
	assert_int_equal(peer_says(HP_PUNCH_ACK, 1, &moved, NULL), PATH_NEWS_RECONNECTED);
	events();
	assert_int_equal(path_reintro(&f.p, &in, true, false, f.now_us), PATH_REREGISTER);
	expect_events(PATH_EV("confirmed", "reconnecting", "our public endpoint moved to 203.0.113.5:41000")
		      "{\"event\":\"reconnecting\",\"reason\":\"our public endpoint moved to "
		      "203.0.113.5:41000\"}\n");
}

/* Connected once, then nothing: after reconnecting and relaying, --timeout
 * from the start of relaying loses the peer (peer_lost, not error). */
static void test_peer_lost(void **state)
{
	struct hp_endpoint x = ep(198, 51, 100, 7, 40000);
	uint64_t t, t0 = T0 + 5000;
	bool relayed = false;

	(void)state;
	confirmed_at(&x, T0 + 30);
	at(t0);
	path_send(&f.p, &(struct hp_peer_msg){ .type = HP_KEEPALIVE }, f.now_us);
	live(t0 + 1500, PATH_REREGISTER);
	events();
	for (t = t0 + 1500; t < t0 + 1500 + 1500 + 10000; t = tick(t, PATH_GOING))
		;
	assert_int_equal(t, t0 + 13000);
	assert_int_equal(f.p.state, PATH_RECONNECTING_RELAY);
	while (f.seen < f.n_sent)
		relayed |= next_sent()->relayed;
	assert_true(relayed);
	tick(t, PATH_GAVE_UP);
	assert_int_equal(f.p.state, PATH_LOST);
	assert_true(path_was_connected(f.p.state));
	expect_events(PATH_EV("reconnecting", "reconnecting_relay", "relay after 1500 ms")
		      PATH_EV("reconnecting_relay", "lost", "could not reach peer bob directly or through the relay")
		      "{\"event\":\"peer_lost\",\"reason\":\"could not reach peer bob directly or "
		      "through the relay\"}\n");
}

/* --no-relay: the punching timeout after the reconnect loses the peer. */
static void test_peer_lost_no_relay(void **state)
{
	struct hp_endpoint x = ep(198, 51, 100, 7, 40000);
	uint64_t t, t0 = T0 + 5000;

	(void)state;
	f.o.no_relay = true;
	confirmed_at(&x, T0 + 30);
	at(t0);
	path_send(&f.p, &(struct hp_peer_msg){ .type = HP_CHAT }, f.now_us);
	live(t0 + 1500, PATH_REREGISTER);
	events();
	for (t = t0 + 1500; t < t0 + 11500; t = tick(t, PATH_GOING))
		assert_int_equal(f.p.state, PATH_RECONNECTING);
	tick(t, PATH_GAVE_UP);
	assert_int_equal(f.p.state, PATH_LOST);
	expect_events(PATH_EV("reconnecting", "lost", "could not reach peer bob: punching timed out")
		      "{\"event\":\"peer_lost\",\"reason\":\"could not reach peer bob: punching "
		      "timed out\"}\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_punch_schedule, setup, teardown),
		cmocka_unit_test_setup_teardown(test_candidates_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_punch_ttl_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_punch_timing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_punch_timing_rounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_punch_timing_peer_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_punch_timing_opened, setup, teardown),
		cmocka_unit_test_setup_teardown(test_punch_timing_absent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_reflexive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_intro_after_punch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relay_fallback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relay_timeout_and_refusal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_to_direct, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rebind_reconnect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reintro_moved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_lost_no_relay, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
