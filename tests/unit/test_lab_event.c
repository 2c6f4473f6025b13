// SPDX-License-Identifier: MIT
/* JSON field extraction and hpclient event lines, hostile ones included. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lab/event.h"
#include "lab/jsonx.h"

#define B(s) (const uint8_t *)(s), strlen(s)

static void test_string_field(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(lab_jsonx_string(B("{\"event\":\"bye\",\"from\":\"peer\"}"), "from", out,
					  sizeof(out)),
			 4);
	assert_string_equal(out, "peer");
	assert_int_equal(lab_jsonx_string(B(" { \"a\" : \"x\" } \n"), "a", out, sizeof(out)), 1);
	assert_int_equal(lab_jsonx_string(B("{\"a\":\"x\"}"), "b", out, sizeof(out)), -ENOENT);
	assert_int_equal(lab_jsonx_string(B("{}"), "a", out, sizeof(out)), -ENOENT);
}

static void test_escapes_decoded(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(lab_jsonx_string(B("{\"t\":\"a\\\"b\\\\c\\n\\u00e9\\ud83d\\ude00\"}"), "t",
					  out, sizeof(out)),
			 (int)strlen("a\"b\\c\n\xc3\xa9\xf0\x9f\x98\x80"));
	assert_string_equal(out, "a\"b\\c\n\xc3\xa9\xf0\x9f\x98\x80");
	/* a lone surrogate is not passed on as such */
	assert_int_equal(lab_jsonx_string(B("{\"t\":\"\\ud800x\"}"), "t", out, sizeof(out)), 4);
	assert_string_equal(out, "\xef\xbf\xbdx");
	/* U+0000 would cut the C string short: refused */
	assert_int_equal(lab_jsonx_string(B("{\"t\":\"a\\u0000b\"}"), "t", out, sizeof(out)),
			 -EINVAL);
}

static void test_does_not_fit(void **state)
{
	char out[4];

	(void)state;
	assert_int_equal(lab_jsonx_string(B("{\"t\":\"abcd\"}"), "t", out, sizeof(out)), -ENOSPC);
	assert_int_equal(lab_jsonx_string(B("{\"t\":\"abc\"}"), "t", out, sizeof(out)), 3);
}

/* Attack 10: the longest fields hpclient may legally print (a 32-byte nick
 * of invalid UTF-8 becomes 32 U+FFFD, 96 bytes; a server's 120-byte
 * reason likewise) are valid events, not overflows. */
static void test_longest_legal_fields(void **state)
{
	char line[4096], nick[6 * HP_NICK_MAX + 1] = "", reason[6 * HP_REASON_MAX + 1] = "";
	struct lab_event ev;
	int i, n;

	(void)state;
	for (i = 0; i < HP_NICK_MAX; i++)
		strcat(nick, "\\ufffd");
	for (i = 0; i < HP_REASON_MAX; i++)
		strcat(reason, "\\ufffd");
	n = snprintf(line, sizeof(line), "{\"event\":\"message\",\"t_us\":1,\"from\":\"%s\","
		     "\"seq\":1,\"text\":\"x\"}", nick);
	assert_int_equal(lab_event_parse(&ev, (const uint8_t *)line, (size_t)n), 0);
	assert_int_equal(strlen(ev.from), 3 * HP_NICK_MAX);
	n = snprintf(line, sizeof(line), "{\"event\":\"introduced\",\"t_us\":1,\"peer\":\"%s\","
		     "\"public\":\"1.2.3.4:5\",\"ms\":1}", nick);
	assert_int_equal(lab_event_parse(&ev, (const uint8_t *)line, (size_t)n), 0);
	n = snprintf(line, sizeof(line), "{\"event\":\"error\",\"t_us\":1,"
		     "\"reason\":\"server refused: %s (code 1) from %s\"}", reason, nick);
	assert_int_equal(lab_event_parse(&ev, (const uint8_t *)line, (size_t)n), 0);
	assert_true(strlen(ev.reason) > 3 * HP_REASON_MAX);
}

static void test_integers(void **state)
{
	int64_t v;

	(void)state;
	assert_int_equal(lab_jsonx_int(B("{\"seq\":42}"), "seq", &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(lab_jsonx_int(B("{\"seq\":-7,\"x\":[1,\"a\"]}"), "seq", &v), 0);
	assert_int_equal(v, -7);
	assert_int_equal(lab_jsonx_int(B("{\"seq\":9223372036854775807}"), "seq", &v), 0);
	assert_true(v == INT64_MAX);
	assert_int_equal(lab_jsonx_int(B("{\"seq\":9223372036854775808}"), "seq", &v), -ERANGE);
	assert_int_equal(lab_jsonx_int(B("{\"seq\":1.5}"), "seq", &v), -EINVAL);
	assert_int_equal(lab_jsonx_int(B("{\"seq\":1e3}"), "seq", &v), -EINVAL);
	assert_int_equal(lab_jsonx_int(B("{\"seq\":\"1\"}"), "seq", &v), -EINVAL);
	assert_int_equal(lab_jsonx_int(B("{\"seq\":01}"), "seq", &v), -EINVAL);
}

static void test_hostile_lines(void **state)
{
	static const char *const bad[] = {
		"",
		"   ",
		"event",
		"[\"event\",\"bye\"]",
		"{\"event\":\"bye\"",                  /* unterminated */
		"{\"event\":\"bye}",                   /* unterminated string */
		"{\"event\" \"bye\"}",                 /* no colon */
		"{\"event\":\"bye\",}",                /* trailing comma */
		"{\"event\":\"bye\"} x",               /* trailing garbage */
		"{\"event\":\"bye\"}{}",               /* two objects */
		"{\"event\":{\"nested\":1}}",          /* nested object */
		"{\"event\":[[1]]}",                   /* nested array */
		"{\"event\":\"a\tb\"}",                /* raw control character */
		"{\"event\":\"\\x\"}",                 /* bad escape */
		"{\"event\":\"\\u12\"}",               /* short \\u */
		"{\"event\":tru}",
		"{\"event\":-}",
		"{event:\"bye\"}",
		"{\"event\":\"bye\",\"event\":\"message\"}", /* duplicate key */
	};
	char out[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret = lab_jsonx_string(B(bad[i]), "event", out, sizeof(out));

		if (ret >= 0)
			fail_msg("accepted: %s", bad[i]);
	}
	/* embedded NUL inside the buffer is not a line end */
	assert_int_equal(lab_jsonx_string((const uint8_t *)"{\"a\":\"b\"}\0xx", 12, "a", out,
					  sizeof(out)),
			 -EINVAL);
	assert_int_equal(lab_jsonx_validate(NULL, 0), -EINVAL);
}

static void test_truncated_everywhere(void **state)
{
	const char *line = "{\"event\":\"message\",\"from\":\"bob\",\"seq\":3,\"text\":\"hi \\u00e9\"}";
	struct lab_event ev;
	size_t n;

	(void)state;
	assert_int_equal(lab_event_parse(&ev, B(line)), 0);
	for (n = 0; n < strlen(line); n++)
		assert_int_equal(lab_event_parse(&ev, (const uint8_t *)line, n), -EINVAL);
}

/* The spray's events (docs/hpclient.md): their fields, and the words and
 * ranges they may hold. */
static void test_spray_events(void **state)
{
	struct lab_event ev;

	(void)state;
	assert_int_equal(lab_event_parse(&ev, B("{\"event\":\"nat\",\"t_us\":5,\"self\":\"hard\",\"peer\":\"easy\"}")), 0);
	assert_int_equal(ev.type, LAB_EV_NAT);
	assert_string_equal(ev.self_nat, "hard");
	assert_string_equal(ev.peer_nat, "easy");
	assert_int_equal(lab_event_parse(&ev, B("{\"event\":\"spray\",\"t_us\":6,\"role\":\"hard\",\"sockets\":256}")), 0);
	assert_int_equal(ev.type, LAB_EV_SPRAY);
	assert_int_equal(ev.sockets, 256);
	assert_int_equal(ev.probes, -1);
	assert_int_equal(lab_event_parse(&ev, B("{\"event\":\"spray\",\"t_us\":7,\"role\":\"easy\",\"probes\":1024,\"rate\":500}")), 0);
	assert_int_equal(ev.probes, 1024);
	assert_int_equal(ev.rate, 500);
	assert_int_equal(lab_event_parse(&ev, B("{\"event\":\"spray_hit\",\"t_us\":8,\"role\":\"easy\",\"port\":40123,\"probes\":137,\"ms\":274}")), 0);
	assert_int_equal(ev.type, LAB_EV_SPRAY_HIT);
	assert_int_equal(ev.port, 40123);
	assert_int_equal(ev.ms, 274);
	assert_int_equal(lab_event_parse(&ev, B("{\"event\":\"spray_end\",\"t_us\":9,\"role\":\"hard\",\"probes\":0,\"why\":\"hard-hard\"}")), 0);
	assert_int_equal(ev.type, LAB_EV_SPRAY_END);
	assert_string_equal(ev.reason, "hard-hard");
	/* out of the contract's words or ranges, or a field missing */
	assert_int_equal(lab_event_parse(&ev, B("{\"event\":\"nat\",\"self\":\"soft\",\"peer\":\"easy\"}")), -EINVAL);
	assert_int_equal(lab_event_parse(&ev, B("{\"event\":\"spray\",\"role\":\"hard\"}")), -EINVAL);
	assert_int_equal(lab_event_parse(&ev, B("{\"event\":\"spray\",\"role\":\"both\",\"sockets\":1}")), -EINVAL);
	assert_int_equal(lab_event_parse(&ev, B("{\"event\":\"spray_hit\",\"role\":\"easy\",\"port\":65536,\"probes\":1,\"ms\":1}")), -EINVAL);
	assert_int_equal(lab_event_parse(&ev, B("{\"event\":\"spray_hit\",\"role\":\"easy\",\"port\":-1,\"probes\":1,\"ms\":1}")), -EINVAL);
	assert_int_equal(lab_event_parse(&ev, B("{\"event\":\"spray_end\",\"role\":\"easy\",\"probes\":3}")), -EINVAL);
}

static void test_events(void **state)
{
	struct lab_event ev;

	(void)state;
	assert_int_equal(lab_event_parse(&ev, B("{\"event\":\"registered\",\"public\":\"198.51.100.10:4000\",\"ms\":5}")), 0);
	assert_int_equal(ev.type, LAB_EV_REGISTERED);
	assert_string_equal(ev.public_ep, "198.51.100.10:4000");
	assert_int_equal(ev.ms, 5);

	assert_int_equal(lab_event_parse(&ev, B("{\"event\":\"introduced\",\"peer\":\"bob\",\"public\":\"203.0.113.10:4000\",\"private\":[\"10.0.2.2:4000\"],\"ms\":6}")), 0);
	assert_int_equal(ev.type, LAB_EV_INTRODUCED);
	assert_string_equal(ev.peer, "bob");

	assert_int_equal(lab_event_parse(&ev, B("{\"event\":\"connected\",\"path\":\"direct\",\"peer\":\"203.0.113.10:4000\",\"ms\":30}")), 0);
	assert_int_equal(ev.type, LAB_EV_CONNECTED);
	assert_string_equal(ev.path, "direct");
	assert_int_equal(ev.ms, 30);

	assert_int_equal(lab_event_parse(&ev, B("{\"event\":\"message\",\"from\":\"bob\",\"seq\":1,\"text\":\"hello 1 from bob\"}")), 0);
	assert_int_equal(ev.type, LAB_EV_MESSAGE);
	assert_int_equal(ev.seq, 1);
	assert_string_equal(ev.text, "hello 1 from bob");

	assert_int_equal(lab_event_parse(&ev, B("{\"event\":\"acked\",\"seq\":2,\"rtt_ms\":1}")), 0);
	assert_int_equal(ev.type, LAB_EV_ACKED);
	assert_int_equal(ev.seq, 2);
	assert_int_equal(ev.rtt_ms, 1);
	assert_int_equal(ev.rtt_us, -1);
	assert_int_equal(lab_event_parse(&ev, B("{\"event\":\"acked\",\"seq\":3,\"rtt_ms\":200,\"rtt_us\":200431}")), 0);
	assert_int_equal(ev.rtt_us, 200431);

	assert_int_equal(lab_event_parse(&ev, B("{\"event\":\"bye\",\"from\":\"self\"}")), 0);
	assert_int_equal(ev.type, LAB_EV_BYE);
	assert_int_equal(lab_event_parse(&ev, B("{\"event\":\"error\",\"reason\":\"punch timed out\"}")), 0);
	assert_int_equal(ev.type, LAB_EV_ERROR);
	assert_string_equal(ev.reason, "punch timed out");
	assert_int_equal(lab_event_parse(&ev, B("{\"event\":\"not_yet_known\",\"x\":1}")), 0);
	assert_int_equal(ev.type, LAB_EV_OTHER);
}

static void test_events_missing_or_mistyped_fields(void **state)
{
	static const char *const bad[] = {
		"{\"event\":\"registered\"}",
		"{\"event\":\"connected\",\"path\":\"direct\"}",
		"{\"event\":\"message\",\"from\":\"bob\",\"seq\":\"1\",\"text\":\"x\"}",
		"{\"event\":\"message\",\"from\":\"bob\",\"seq\":1}",
		"{\"event\":\"acked\"}",
		"{\"event\":\"acked\",\"seq\":1,\"rtt_ms\":\"fast\"}",
		"{\"event\":1}",
		"{\"from\":\"bob\"}",
	};
	struct lab_event ev;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (lab_event_parse(&ev, B(bad[i])) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
}

static void test_probe_event(void **state)
{
	const char *ok = "{\"event\":\"probe\",\"mapping\":\"endpoint-independent\","
			 "\"filtering\":\"address-dependent\",\"public\":\"198.51.100.10:4000\","
			 "\"nat\":\"restricted-cone\",\"ms\":12}";
	const char *no_nat = "{\"event\":\"probe\",\"mapping\":\"endpoint-independent\","
			     "\"filtering\":\"address-dependent\"}";
	const char *bad_ms = "{\"event\":\"probe\",\"mapping\":\"a\",\"filtering\":\"b\","
			     "\"nat\":\"c\",\"ms\":\"soon\"}";
	struct lab_event ev;

	(void)state;
	assert_int_equal(lab_event_parse(&ev, (const uint8_t *)ok, strlen(ok)), 0);
	assert_int_equal(ev.type, LAB_EV_PROBE);
	assert_string_equal(ev.mapping, "endpoint-independent");
	assert_string_equal(ev.filtering, "address-dependent");
	assert_string_equal(ev.nat, "restricted-cone");
	assert_string_equal(ev.public_ep, "198.51.100.10:4000");
	assert_int_equal(ev.ms, 12);
	assert_int_equal(lab_event_parse(&ev, (const uint8_t *)no_nat, strlen(no_nat)), -EINVAL);
	assert_int_equal(lab_event_parse(&ev, (const uint8_t *)bad_ms, strlen(bad_ms)), -EINVAL);
}

static void test_recovery_and_stats_events(void **state)
{
	const char *rtx = "{\"event\":\"retransmit\",\"seq\":7}";
	const char *rtx_bad = "{\"event\":\"retransmit\"}";
	const char *stats = "{\"event\":\"stats\",\"sent\":10,\"delivered\":9,"
			    "\"retransmitted\":3,\"duplicates\":1,\"auth_failed\":0}";
	const char *stats_part = "{\"event\":\"stats\",\"retransmitted\":2}";
	const char *stats_bad = "{\"event\":\"stats\",\"retransmitted\":\"many\"}";
	const char *recon = "{\"event\":\"reconnecting\",\"reason\":\"peer silent\"}";
	struct lab_event ev;

	(void)state;
	assert_int_equal(lab_event_parse(&ev, (const uint8_t *)rtx, strlen(rtx)), 0);
	assert_int_equal(ev.type, LAB_EV_RETRANSMIT);
	assert_int_equal(ev.seq, 7);
	assert_int_equal(lab_event_parse(&ev, (const uint8_t *)rtx_bad, strlen(rtx_bad)), -EINVAL);
	assert_int_equal(lab_event_parse(&ev, (const uint8_t *)stats, strlen(stats)), 0);
	assert_int_equal(ev.type, LAB_EV_STATS);
	assert_int_equal(ev.st_sent, 10);
	assert_int_equal(ev.st_delivered, 9);
	assert_int_equal(ev.st_retransmitted, 3);
	assert_int_equal(ev.st_duplicates, 1);
	assert_int_equal(ev.st_auth_failed, 0);
	assert_int_equal(lab_event_parse(&ev, (const uint8_t *)stats_part, strlen(stats_part)), 0);
	assert_int_equal(ev.st_retransmitted, 2);
	assert_int_equal(ev.st_sent, -1);
	assert_int_equal(lab_event_parse(&ev, (const uint8_t *)stats_bad, strlen(stats_bad)),
			 -EINVAL);
	assert_int_equal(lab_event_parse(&ev, (const uint8_t *)recon, strlen(recon)), 0);
	assert_int_equal(ev.type, LAB_EV_RECONNECTING);
	assert_string_equal(ev.reason, "peer silent");
}

/* The glass box's events (docs/hpclient.md) and t_us on every event. */
static void test_glass_events(void **state)
{
	struct lab_event ev;

	(void)state;
	assert_int_equal(lab_event_parse(&ev, B("{\"event\":\"punch\",\"t_us\":123456,"
						"\"to\":\"203.0.113.10:4000\",\"ttl\":2,"
						"\"candidate\":\"public\",\"n\":1}")), 0);
	assert_int_equal(ev.type, LAB_EV_PUNCH);
	assert_int_equal(ev.t_us, 123456);
	assert_string_equal(ev.to, "203.0.113.10:4000");
	assert_int_equal(ev.ttl, 2);
	assert_string_equal(ev.what, "public");
	assert_int_equal(ev.n, 1);
	assert_int_equal(lab_event_parse(&ev, B("{\"event\":\"icmp\",\"t_us\":5,"
						"\"from\":\"198.51.100.1\",\"about\":\"203.0.113.10:4000\","
						"\"type\":11,\"code\":0,\"what\":\"time exceeded\"}")), 0);
	assert_int_equal(ev.type, LAB_EV_ICMP);
	assert_string_equal(ev.from, "198.51.100.1");
	assert_int_equal(ev.icmp_type, 11);
	assert_string_equal(ev.what, "time exceeded");
	/* no offender: null */
	assert_int_equal(lab_event_parse(&ev, B("{\"event\":\"icmp\",\"from\":null,"
						"\"about\":\"1.2.3.4:5\",\"type\":3,\"code\":3,"
						"\"what\":\"port unreachable\"}")), 0);
	assert_string_equal(ev.from, "");
	assert_int_equal(ev.t_us, -1);
	assert_int_equal(lab_event_parse(&ev, B("{\"event\":\"path\",\"t_us\":7,"
						"\"from\":\"punching\",\"to\":\"direct\","
						"\"why\":\"first authenticated datagram\"}")), 0);
	assert_int_equal(ev.type, LAB_EV_PATH);
	assert_string_equal(ev.from, "punching");
	assert_string_equal(ev.to, "direct");
	assert_string_equal(ev.reason, "first authenticated datagram");
	/* t_us on any event; mistyped fields make the line invalid */
	assert_int_equal(lab_event_parse(&ev, B("{\"event\":\"bye\",\"t_us\":9}")), 0);
	assert_int_equal(ev.t_us, 9);
	assert_int_equal(lab_event_parse(&ev, B("{\"event\":\"bye\",\"t_us\":\"9\"}")), -EINVAL);
	assert_int_equal(lab_event_parse(&ev, B("{\"event\":\"punch\",\"to\":\"a:1\",\"ttl\":256,"
						"\"candidate\":\"public\"}")), -EINVAL);
	assert_int_equal(lab_event_parse(&ev, B("{\"event\":\"icmp\",\"from\":1,"
						"\"about\":\"1.2.3.4:5\",\"type\":3,\"code\":3,"
						"\"what\":\"x\"}")), -EINVAL);
	assert_int_equal(lab_event_parse(&ev, B("{\"event\":\"path\",\"from\":\"a\"}")), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_string_field),
		cmocka_unit_test(test_escapes_decoded),
		cmocka_unit_test(test_does_not_fit),
		cmocka_unit_test(test_longest_legal_fields),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_hostile_lines),
		cmocka_unit_test(test_probe_event),
		cmocka_unit_test(test_recovery_and_stats_events),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_spray_events),
		cmocka_unit_test(test_events_missing_or_mistyped_fields),
		cmocka_unit_test(test_glass_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
