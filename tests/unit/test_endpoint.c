// SPDX-License-Identifier: MIT
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "endpoint.h"

/* parse then format must give back the canonical text */
static void check_round(const char *in, int def, const char *want)
{
	struct hp_endpoint ep;
	char buf[HP_ENDPOINT_STRLEN];

	assert_int_equal(hp_endpoint_parse(&ep, in, def), 0);
	assert_string_equal(hp_endpoint_format(&ep, buf, sizeof(buf)), want);
}

static void test_parse_format_v4(void **state)
{
	struct hp_endpoint ep;

	(void)state;
	check_round("1.2.3.4:5", -1, "1.2.3.4:5");
	check_round("127.0.0.1:65535", -1, "127.0.0.1:65535");
	check_round("0.0.0.0:0", -1, "0.0.0.0:0");
	assert_int_equal(hp_endpoint_parse(&ep, "10.0.0.7:4242", -1), 0);
	assert_int_equal(ep.family, HP_FAMILY_V4);
	assert_int_equal(ep.port, 4242);
	assert_memory_equal(ep.addr, ((uint8_t[]){ 10, 0, 0, 7 }), 4);
}

static void test_parse_format_v6(void **state)
{
	struct hp_endpoint ep;

	(void)state;
	check_round("[::1]:5", -1, "[::1]:5");
	check_round("[2001:DB8::1]:443", -1, "[2001:db8::1]:443");
	check_round("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535", -1,
		    "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
	assert_int_equal(hp_endpoint_parse(&ep, "[::1]:7", -1), 0);
	assert_int_equal(ep.family, HP_FAMILY_V6);
	assert_int_equal(ep.addr[15], 1);
	assert_int_equal(ep.port, 7);
}

static void test_parse_mapped_becomes_v4(void **state)
{
	struct hp_endpoint ep;

	(void)state;
	assert_int_equal(hp_endpoint_parse(&ep, "[::ffff:192.0.2.9]:80", -1), 0);
	assert_int_equal(ep.family, HP_FAMILY_V4);
	check_round("[::ffff:192.0.2.9]:80", -1, "192.0.2.9:80");
}

static void test_parse_default_port(void **state)
{
	struct hp_endpoint ep;

	(void)state;
	check_round("192.0.2.1", 3478, "192.0.2.1:3478");
	check_round("::1", 9, "[::1]:9");
	check_round("[::1]", 9, "[::1]:9");
	/* an explicit port wins over the default */
	check_round("192.0.2.1:1", 3478, "192.0.2.1:1");
	assert_int_equal(hp_endpoint_parse(&ep, "192.0.2.1", -1), -EINVAL);
	assert_int_equal(hp_endpoint_parse(&ep, "::1", -1), -EINVAL);
	assert_int_equal(hp_endpoint_parse(&ep, "[::1]", -1), -EINVAL);
}

static void test_parse_rejects_garbage(void **state)
{
	static const char *const bad[] = {
		"", ":", ":5", "1.2.3.4:", "1.2.3.4:65536", "1.2.3.4:99999", "1.2.3.4:-1",
		"1.2.3.4:+5", "1.2.3.4: 5", "1.2.3.4:5 ", " 1.2.3.4:5", "1.2.3.4:5x",
		"1.2.3.4:5:6", "1.2.3:5", "1.2.3.256:5", "256.1.1.1:1", "localhost:80",
		"example.com:80", "[::1]:", "[::1]x", "[::1]:5x", "[::1", "::1]:5",
		"[1.2.3.4]:5", "[]:5", "[::g]:5", "1.2.3.4:000000005", "abc",
	};
	struct hp_endpoint ep;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret = hp_endpoint_parse(&ep, bad[i], 1);

		if (ret != -EINVAL)
			fail_msg("\"%s\" parsed (%d)", bad[i], ret);
	}
	assert_int_equal(hp_endpoint_parse(NULL, "1.2.3.4:5", -1), -EINVAL);
	assert_int_equal(hp_endpoint_parse(&ep, NULL, -1), -EINVAL);
	assert_int_equal(hp_endpoint_parse(&ep, "1.2.3.4", 65536), -EINVAL);
}

static void test_sockaddr_v4(void **state)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(1234) };
	struct sockaddr_storage ss;
	struct hp_endpoint ep;
	socklen_t sl = 0;

	(void)state;
	inet_pton(AF_INET, "198.51.100.7", &sin.sin_addr);
	assert_int_equal(hp_endpoint_from_sockaddr(&ep, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(ep.family, HP_FAMILY_V4);
	assert_int_equal(ep.port, 1234);
	assert_int_equal(hp_endpoint_to_sockaddr(&ep, &ss, &sl), (int)sizeof(sin));
	assert_int_equal(sl, sizeof(sin));
	assert_int_equal(ss.ss_family, AF_INET);
	assert_memory_equal(&((struct sockaddr_in *)&ss)->sin_addr, &sin.sin_addr, 4);
	assert_int_equal(((struct sockaddr_in *)&ss)->sin_port, htons(1234));
	/* too short for its family */
	assert_int_equal(hp_endpoint_from_sockaddr(&ep, (struct sockaddr *)&sin, sizeof(sin) - 1), -EINVAL);
}

static void test_sockaddr_v6_and_mapped(void **state)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(5353) };
	struct sockaddr_storage ss;
	struct hp_endpoint ep, v4;
	socklen_t sl = 0;

	(void)state;
	inet_pton(AF_INET6, "2001:db8::42", &sin6.sin6_addr);
	assert_int_equal(hp_endpoint_from_sockaddr(&ep, (struct sockaddr *)&sin6, sizeof(sin6)), 0);
	assert_int_equal(ep.family, HP_FAMILY_V6);
	assert_int_equal(hp_endpoint_to_sockaddr(&ep, &ss, &sl), (int)sizeof(sin6));
	assert_int_equal(sl, sizeof(sin6));
	assert_memory_equal(&((struct sockaddr_in6 *)&ss)->sin6_addr, &sin6.sin6_addr, 16);

	/* a dual-stack socket's view of an IPv4 peer */
	inet_pton(AF_INET6, "::ffff:203.0.113.5", &sin6.sin6_addr);
	assert_int_equal(hp_endpoint_from_sockaddr(&ep, (struct sockaddr *)&sin6, sizeof(sin6)), 0);
	assert_int_equal(ep.family, HP_FAMILY_V4);
	assert_int_equal(hp_endpoint_parse(&v4, "203.0.113.5:5353", -1), 0);
	assert_true(hp_endpoint_equal(&ep, &v4));
}

static void test_sockaddr_bad_family(void **state)
{
	struct sockaddr_storage ss = { .ss_family = AF_UNIX };
	struct hp_endpoint ep = { 0 };
	socklen_t sl;

	(void)state;
	assert_int_equal(hp_endpoint_from_sockaddr(&ep, (struct sockaddr *)&ss, sizeof(ss)), -EAFNOSUPPORT);
	assert_int_equal(hp_endpoint_to_sockaddr(&ep, &ss, &sl), -EAFNOSUPPORT);
	ep.family = 5;
	assert_int_equal(hp_endpoint_to_sockaddr(&ep, &ss, &sl), -EAFNOSUPPORT);
}

static void test_equal_same_addr(void **state)
{
	struct hp_endpoint a, b, c, d;

	(void)state;
	assert_int_equal(hp_endpoint_parse(&a, "192.0.2.1:1000", -1), 0);
	assert_int_equal(hp_endpoint_parse(&b, "192.0.2.1:1000", -1), 0);
	assert_int_equal(hp_endpoint_parse(&c, "192.0.2.1:1001", -1), 0);
	assert_int_equal(hp_endpoint_parse(&d, "[::192.0.2.1]:1000", -1), 0);
	/* bytes past the family's address length must not matter */
	b.addr[10] = 0xaa;
	assert_true(hp_endpoint_equal(&a, &b));
	assert_false(hp_endpoint_equal(&a, &c));
	assert_true(hp_endpoint_same_addr(&a, &c));
	assert_false(hp_endpoint_same_addr(&a, &d));
	assert_false(hp_endpoint_equal(&a, &d));
	memset(&c, 0, sizeof(c));
	memset(&d, 0, sizeof(d));
	/* unset endpoints are never equal to anything */
	assert_false(hp_endpoint_equal(&c, &d));
}

static void test_format_small_buffer(void **state)
{
	struct hp_endpoint ep = { 0 };
	char buf[8];

	(void)state;
	assert_int_equal(hp_endpoint_parse(&ep, "[2001:db8::1]:443", -1), 0);
	memset(buf, 'x', sizeof(buf));
	hp_endpoint_format(&ep, buf, sizeof(buf));
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	memset(&ep, 0, sizeof(ep));
	assert_string_equal(hp_endpoint_format(&ep, buf, sizeof(buf)), "(none)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_format_v4),
		cmocka_unit_test(test_parse_format_v6),
		cmocka_unit_test(test_parse_mapped_becomes_v4),
		cmocka_unit_test(test_parse_default_port),
		cmocka_unit_test(test_parse_rejects_garbage),
		cmocka_unit_test(test_sockaddr_v4),
		cmocka_unit_test(test_sockaddr_v6_and_mapped),
		cmocka_unit_test(test_sockaddr_bad_family),
		cmocka_unit_test(test_equal_same_addr),
		cmocka_unit_test(test_format_small_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
