// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "client/output.h"

/* The events' clock in these tests: 100, 200, ... one tick per event. */
static uint64_t fake_t;

static uint64_t fake_clock(void)
{
	return fake_t += 100;
}

/* A nick or a server's ERROR reason holding an escape sequence. */
static const char hostile[] = "ev\x1b]0;owned\x07il\x1b[2J";

static FILE *cap_file;
static int saved_fd = -1, cap_fd = -1;

/* Captures fd (stderr: status lines; stdout: JSON events). */
static void cap_begin_fd(int fd)
{
	fflush(stdout);
	fflush(stderr);
	cap_file = tmpfile();
	assert_non_null(cap_file);
	cap_fd = fd;
	saved_fd = dup(fd);
	assert_true(saved_fd >= 0);
	assert_true(dup2(fileno(cap_file), fd) >= 0);
}

static void cap_begin(void)
{
	cap_begin_fd(STDERR_FILENO);
}

/* Restores the fd; returns what was written to it in between. */
static size_t cap_end(char *buf, size_t cap)
{
	size_t n;

	fflush(stdout);
	fflush(stderr);
	assert_true(dup2(saved_fd, cap_fd) >= 0);
	close(saved_fd);
	saved_fd = -1;
	rewind(cap_file);
	n = fread(buf, 1, cap - 1, cap_file);
	buf[n] = '\0';
	fclose(cap_file);
	cap_file = NULL;
	return n;
}

static void assert_no_controls(const char *buf, size_t n)
{
	size_t i;

	assert_true(n > 0);
	for (i = 0; i < n; i++)
		if (buf[i] != '\n')
			assert_false((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f);
}

/* Attack 9: C1 controls (raw and as UTF-8) and bidi overrides from a peer
 * never reach the terminal; plain UTF-8 does, unchanged. */
static void test_message_c1_and_bidi_filtered(void **state)
{
	static const char text[] = "a\x9b" "31m" "b\xc2\x9b" "2Jc\xe2\x80\xae" "evil"
				   "\xe2\x81\xa6" "d\xd8\x9c" "\xc3\xa9\xe2\x82\xac\tok";
	struct output o = { 0 };
	char buf[512];
	size_t n;

	(void)state;
	cap_begin_fd(STDOUT_FILENO);
	out_message(&o, "m\xe2\x80\x8fx", 1, text, strlen(text));
	n = cap_end(buf, sizeof(buf));
	assert_string_equal(buf, "m?x: a?31mb?2Jc?evil?d?\xc3\xa9\xe2\x82\xac\tok\n");
	assert_true(n > 0);
}

static void test_error_reason_filtered(void **state)
{
	struct output o = { .json = false };
	char buf[1024];
	size_t n;

	(void)state;
	cap_begin();
	out_error(&o, "server refused: %s (code %u)", hostile, 2u);
	out_warning(&o, "%s has said bye", hostile);
	n = cap_end(buf, sizeof(buf));
	assert_no_controls(buf, n);
	assert_non_null(strstr(buf, "ev?]0;owned?il?[2J"));
}

static void test_status_and_lost_filtered(void **state)
{
	struct output o = { .json = false, .verbose = true };
	char buf[1024];
	size_t n;

	(void)state;
	cap_begin();
	out_reconnecting(&o, "no answer from %s", hostile);
	out_debug(&o, "peer %s", hostile);
	out_peer_lost(&o, hostile);
	n = cap_end(buf, sizeof(buf));
	assert_no_controls(buf, n);
	assert_non_null(strstr(buf, "peer lost: ev?"));
}

/* JSON mode still prints fatal errors on stderr: filtered there too. */
static void test_json_error_stderr_filtered(void **state)
{
	struct output o = { .json = true };
	char buf[1024];
	size_t n;

	(void)state;
	cap_begin();
	out_error(&o, "cannot derive keys with peer \"%s\"", hostile);
	n = cap_end(buf, sizeof(buf));
	assert_no_controls(buf, n);
}

/* The stats event: the old fields first, then one count per drop reason. */
static void test_stats_drops(void **state)
{
	struct out_stats st = { .sent = 3, .delivered = 2, .retransmitted = 1, .duplicates = 4,
				.drop = { [CLIENT_DROP_AUTH_FAILED] = 5, [CLIENT_DROP_REPLAYED] = 6,
					  [CLIENT_DROP_STRAY] = 7, [CLIENT_DROP_BAD_RELAY] = 8,
					  [CLIENT_DROP_STASH_FULL] = 9 } };
	struct output json = { .json = true, .clock_us = fake_clock }, human = { .verbose = true };
	char buf[1024];

	(void)state;
	fake_t = 0;
	cap_begin_fd(STDOUT_FILENO);
	out_stats(&json, &st);
	cap_end(buf, sizeof(buf));
	assert_string_equal(buf, "{\"event\":\"stats\",\"t_us\":100,\"sent\":3,\"delivered\":2,"
			    "\"retransmitted\":1,\"duplicates\":4,\"auth_failed\":5,"
			    "\"replayed\":6,\"stray\":7,\"bad_relay\":8,\"stash_full\":9}\n");
	cap_begin();
	out_stats(&human, &st);
	out_drops(&human, st.drop);
	human.verbose = false;
	out_drops(&human, st.drop); /* -v only */
	cap_end(buf, sizeof(buf));
	assert_string_equal(buf, "hpclient: stats: 3 sent, 2 delivered, 1 retransmitted, "
			    "4 duplicates, 5 failed authentication\n"
			    "hpclient: dropped: 5 unauthenticated, 6 replayed, 7 stray, "
			    "8 bad relay frames, 9 early beyond the stash\n");
}

/* Each punch sent: JSON with its kind, TTL and count; -v a line; nothing
 * new in human mode without -v. */
static void test_punch_event(void **state)
{
	struct hp_endpoint to = { .family = HP_FAMILY_V4, .port = 4000,
				  .addr = { 198, 51, 100, 20 } };
	struct output json = { .json = true, .clock_us = fake_clock }, human = { .verbose = true };
	char buf[1024];

	(void)state;
	fake_t = 0;
	cap_begin_fd(STDOUT_FILENO);
	out_punch(&json, &to, 2, "public", 1);
	out_punch(&json, &to, 64, "relay", 7);
	cap_end(buf, sizeof(buf));
	assert_string_equal(buf, "{\"event\":\"punch\",\"t_us\":100,\"to\":\"198.51.100.20:4000\","
			    "\"ttl\":2,\"candidate\":\"public\",\"n\":1}\n"
			    "{\"event\":\"punch\",\"t_us\":200,\"to\":\"198.51.100.20:4000\","
			    "\"ttl\":64,\"candidate\":\"relay\",\"n\":7}\n");
	cap_begin();
	out_punch(&human, &to, 2, "public", 3);
	human.verbose = false;
	out_punch(&human, &to, 2, "public", 4);
	cap_end(buf, sizeof(buf));
	assert_string_equal(buf, "hpclient: punch 3 to 198.51.100.20:4000 (public, ttl 2)\n");
}

/* An ICMP error: the offender's address (or null), what it is about, the
 * type and code, and their words from the one table. */
static void test_icmp_event(void **state)
{
	struct hp_endpoint about = { .family = HP_FAMILY_V4, .port = 4000,
				     .addr = { 198, 51, 100, 20 } };
	struct hp_endpoint router = { .family = HP_FAMILY_V4, .addr = { 203, 0, 113, 1 } };
	struct output json = { .json = true, .clock_us = fake_clock }, human = { .verbose = true };
	char buf[2048];

	(void)state;
	fake_t = 0;
	cap_begin_fd(STDOUT_FILENO);
	out_icmp(&json, &router, &about, 11, 0);
	out_icmp(&json, NULL, &about, 3, 3);
	out_icmp(&json, &router, &about, 3, 13);
	out_icmp(&json, &router, &about, 3, 4);
	cap_end(buf, sizeof(buf));
	assert_string_equal(buf,
			    "{\"event\":\"icmp\",\"t_us\":100,\"from\":\"203.0.113.1\","
			    "\"about\":\"198.51.100.20:4000\",\"type\":11,\"code\":0,"
			    "\"what\":\"time exceeded\"}\n"
			    "{\"event\":\"icmp\",\"t_us\":200,\"from\":null,"
			    "\"about\":\"198.51.100.20:4000\",\"type\":3,\"code\":3,"
			    "\"what\":\"port unreachable\"}\n"
			    "{\"event\":\"icmp\",\"t_us\":300,\"from\":\"203.0.113.1\","
			    "\"about\":\"198.51.100.20:4000\",\"type\":3,\"code\":13,"
			    "\"what\":\"admin prohibited\"}\n"
			    "{\"event\":\"icmp\",\"t_us\":400,\"from\":\"203.0.113.1\","
			    "\"about\":\"198.51.100.20:4000\",\"type\":3,\"code\":4,"
			    "\"what\":\"unreachable\"}\n");
	cap_begin();
	out_icmp(&human, &router, &about, 11, 0);
	out_icmp(&human, NULL, &about, 3, 1);
	human.verbose = false;
	out_icmp(&human, &router, &about, 11, 0);
	cap_end(buf, sizeof(buf));
	assert_string_equal(buf, "hpclient: ICMP time exceeded from 203.0.113.1 about "
			    "198.51.100.20:4000\n"
			    "hpclient: ICMP host unreachable about 198.51.100.20:4000\n");
}

/* A change of path: the state names and why; a hostile why (it carries
 * the peer's nick) is escaped in JSON and filtered on the terminal. */
static void test_path_event(void **state)
{
	struct output json = { .json = true, .clock_us = fake_clock }, human = { .verbose = true };
	char buf[1024], why[128];
	size_t n;

	(void)state;
	fake_t = 0;
	cap_begin_fd(STDOUT_FILENO);
	out_path(&json, "punching", "direct", "first authenticated datagram from 1.2.3.4:5");
	out_path(&json, "waiting", "punching", "the server introduced \"b\"\n");
	cap_end(buf, sizeof(buf));
	assert_string_equal(buf, "{\"event\":\"path\",\"t_us\":100,\"from\":\"punching\","
			    "\"to\":\"direct\",\"why\":\"first authenticated datagram from "
			    "1.2.3.4:5\"}\n"
			    "{\"event\":\"path\",\"t_us\":200,\"from\":\"waiting\","
			    "\"to\":\"punching\",\"why\":\"the server introduced \\\"b\\\"\\n\"}\n");
	snprintf(why, sizeof(why), "the server introduced %s", hostile);
	cap_begin();
	out_path(&human, "punching", "relaying", "relay after 1500 ms");
	out_path(&human, "waiting", "punching", why);
	human.verbose = false;
	out_path(&human, "punching", "relaying", "relay after 1500 ms");
	n = cap_end(buf, sizeof(buf));
	assert_no_controls(buf, n);
	assert_string_equal(buf, "hpclient: path punching -> relaying: relay after 1500 ms\n"
			    "hpclient: path waiting -> punching: the server introduced "
			    "ev?]0;owned?il?[2J\n");
}

/* --probe's verdict: the probe event (with t_us), or two lines on stdout. */
static void test_probe_event(void **state)
{
	struct hp_endpoint pub = { .family = HP_FAMILY_V4, .port = 4000,
				   .addr = { 198, 51, 100, 10 } };
	struct output json = { .json = true, .clock_us = fake_clock }, human = { 0 };
	char buf[1024];

	(void)state;
	fake_t = 0;
	cap_begin_fd(STDOUT_FILENO);
	out_probe(&json, "endpoint-independent", "address-dependent", &pub, "restricted-cone", 12);
	out_probe(&human, "endpoint-independent", "address-dependent", &pub, "restricted-cone", 12);
	cap_end(buf, sizeof(buf));
	assert_string_equal(buf, "{\"event\":\"probe\",\"t_us\":100,\"mapping\":\"endpoint-independent\","
			    "\"filtering\":\"address-dependent\",\"public\":\"198.51.100.10:4000\","
			    "\"nat\":\"restricted-cone\",\"ms\":12}\n"
			    "mapping:   endpoint-independent (public endpoint 198.51.100.10:4000)\n"
			    "filtering: address-dependent -> NAT type: restricted-cone\n");
}

/* t_us on the real clock (CLOCK_MONOTONIC): right after the name, never
 * going back from one event to the next. */
static void test_t_us_monotonic(void **state)
{
	struct output json = { .json = true };
	unsigned long long t[3];
	char buf[1024], *line;
	int i;

	(void)state;
	cap_begin_fd(STDOUT_FILENO);
	out_retransmit(&json, 1, 2);
	out_bye(&json, true, "b");
	out_peer_moved(&json, &(struct hp_endpoint){ .family = HP_FAMILY_V4, .port = 1 });
	cap_end(buf, sizeof(buf));
	line = buf;
	for (i = 0; i < 3; i++) {
		line = strstr(line, "\",\"t_us\":");
		assert_non_null(line);
		assert_int_equal(sscanf(line, "\",\"t_us\":%llu", &t[i]), 1);
		assert_true(t[i] > 0);
		line++;
	}
	assert_true(t[0] <= t[1] && t[1] <= t[2]);
	assert_non_null(strstr(buf, "{\"event\":\"retransmit\",\"t_us\":"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_message_c1_and_bidi_filtered),
		cmocka_unit_test(test_error_reason_filtered),
		cmocka_unit_test(test_status_and_lost_filtered),
		cmocka_unit_test(test_json_error_stderr_filtered),
		cmocka_unit_test(test_stats_drops),
		cmocka_unit_test(test_punch_event),
		cmocka_unit_test(test_icmp_event),
		cmocka_unit_test(test_path_event),
		cmocka_unit_test(test_probe_event),
		cmocka_unit_test(test_t_us_monotonic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
