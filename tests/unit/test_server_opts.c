// SPDX-License-Identifier: MIT
/*
 * hpserver's command line (src/server/opts.c): defaults, every option,
 * the usage text derived from the table (byte for byte what hpserver
 * --help has always printed), and each usage error's one line and hint.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "server/opts.h"
#include "version.h"

struct parsed {
	struct server_opts o;
	int ret;
	char *out, *err;
};

#define PARSE(p, ...) parse(p, (char *[]){ "hpserver", __VA_ARGS__, NULL })

static void parse(struct parsed *p, char **argv)
{
	size_t olen = 0, elen = 0;
	FILE *out = open_memstream(&p->out, &olen), *err = open_memstream(&p->err, &elen);
	int argc = 0;

	assert_non_null(out);
	assert_non_null(err);
	while (argv[argc])
		argc++;
	p->ret = server_opts_parse(&p->o, argc, argv, out, err);
	fclose(out);
	fclose(err);
}

static void done(struct parsed *p)
{
	free(p->out);
	free(p->err);
}

static void test_defaults(void **state)
{
	struct parsed p;

	(void)state;
	PARSE(&p, "0");
	assert_int_equal(p.ret, 0);
	assert_null(p.o.bind_addr);
	assert_int_equal(p.o.port, 0);
	assert_int_equal(p.o.verbosity, SERVER_NORMAL);
	assert_int_equal(p.o.max_rooms, 1024);
	assert_int_equal(p.o.room_timeout_s, 60);
	assert_int_equal(p.o.relay_bytes, 1048576);
	assert_int_equal(p.o.relay_rate, 500);
	assert_int_equal(p.o.max_per_source, 16);
	assert_int_equal(p.o.register_rate, 20);
	assert_int_equal(p.o.relay_source_rate, 2097152);
	assert_null(p.o.alt_addr);
	assert_int_equal(p.o.alt_port, -1);
	assert_int_equal(p.o.rcvbuf, 4194304);
	assert_int_equal(p.o.sndbuf, 1048576);
	assert_string_equal(p.out, "");
	assert_string_equal(p.err, "");
	done(&p);
}

static void test_every_option(void **state)
{
	struct parsed p;

	(void)state;
	PARSE(&p, "--bind", "192.0.2.1", "--max-rooms", "16777216", "--room-timeout", "86400",
	      "--relay-bytes", "0", "--relay-rate=7", "--alt-addr", "192.0.2.2", "--alt-port", "9",
	      "--max-per-source", "0", "--register-rate", "1000000", "--source-relay", "5",
	      "--rcvbuf", "1073741824", "--sndbuf", "0", "-q", "--verbose", "3478");
	assert_int_equal(p.ret, 0);
	assert_string_equal(p.o.bind_addr, "192.0.2.1");
	assert_int_equal(p.o.port, 3478);
	assert_int_equal(p.o.verbosity, SERVER_VERBOSE); /* the last one wins */
	assert_int_equal(p.o.max_rooms, 16777216);
	assert_int_equal(p.o.room_timeout_s, 86400);
	assert_int_equal(p.o.relay_bytes, 0);
	assert_int_equal(p.o.relay_rate, 7);
	assert_int_equal(p.o.max_per_source, 0);
	assert_int_equal(p.o.register_rate, 1000000);
	assert_int_equal(p.o.relay_source_rate, 5);
	assert_string_equal(p.o.alt_addr, "192.0.2.2");
	assert_int_equal(p.o.alt_port, 9);
	assert_int_equal(p.o.rcvbuf, 1u << 30);
	assert_int_equal(p.o.sndbuf, 0);
	done(&p);
	/* abbreviations, options after the port, v6, and a fresh parse */
	PARSE(&p, "65535", "--bi", "::", "--relay-b", "1099511627776", "-v", "-q");
	assert_int_equal(p.ret, 0);
	assert_string_equal(p.o.bind_addr, "::");
	assert_int_equal(p.o.port, 65535);
	assert_int_equal(p.o.relay_bytes, 1ull << 40);
	assert_int_equal(p.o.verbosity, SERVER_QUIET);
	assert_int_equal(p.o.max_rooms, 1024);
	done(&p);
}

static const char usage_text[] =
	"usage: hpserver [options] <port>\n"
	"\n"
	"hplab rendezvous server: pairs two clients per room and introduces\n"
	"them to each other; also answers STUN Binding requests (RFC 8489)\n"
	"on the same UDP port. Port 0 picks a free port.\n"
	"\n"
	"options:\n"
	"  --bind ADDR          address to bind, IPv4 or IPv6 (default 0.0.0.0;\n"
	"                       \"::\" serves IPv4 and IPv6)\n"
	"  --max-rooms N        room limit (default 1024)\n"
	"  --room-timeout SECS  expire registrations not refreshed for SECS\n"
	"                       (default 60)\n"
	"  --relay-bytes N      relay budget per room in bytes (default 1048576;\n"
	"                       0 disables relaying)\n"
	"  --relay-rate N       relayed datagrams per second per room (default 500)\n"
	"  --max-per-source N   registrations one address may hold (default 16;\n"
	"                       0: no limit)\n"
	"  --register-rate N    registrations per second per address (default 20;\n"
	"                       0: no limit)\n"
	"  --source-relay N     relayed bytes per second per address (default 2097152;\n"
	"                       0: no limit)\n"
	"  --alt-addr IP        second address for RFC 5780 NAT discovery\n"
	"                       (needs --bind IP of the same family)\n"
	"  --alt-port P         second port (default: port + 1)\n"
	"  --rcvbuf BYTES       receive buffer per socket (default 4194304;\n"
	"                       0: the system's)\n"
	"  --sndbuf BYTES       send buffer per socket (default 1048576;\n"
	"                       0: the system's)\n"
	"  -v, --verbose        log each register/intro/error; counters at exit\n"
	"  -q, --quiet          print only the ready line and fatal errors\n"
	"  -h, --help           show this help\n"
	"  --version            print the version and exit\n"
	"\n"
	"Prints \"hpserver: listening on IP:PORT\" on stderr when ready.\n"
	"SIGUSR1 prints counters; SIGINT/SIGTERM exit cleanly (status 0).\n";

static void test_help(void **state)
{
	struct parsed p;

	(void)state;
	PARSE(&p, "--help");
	assert_int_equal(p.ret, 1);
	assert_string_equal(p.out, usage_text);
	assert_string_equal(p.err, "");
	done(&p);
	/* help stops the parse: later mistakes are not reported */
	PARSE(&p, "-h", "--max-rooms", "0");
	assert_int_equal(p.ret, 1);
	assert_string_equal(p.out, usage_text);
	done(&p);
}

/* One line on stdout, "hpserver VERSION", as the other programs print it. */
static void test_version(void **state)
{
	struct parsed p;

	(void)state;
	PARSE(&p, "--version");
	assert_int_equal(p.ret, 1);
	assert_string_equal(p.out, "hpserver " HP_RELEASE "\n");
	assert_string_equal(p.err, "");
	done(&p);
	/* it stops the parse, like --help */
	PARSE(&p, "--version", "--max-rooms", "0");
	assert_int_equal(p.ret, 1);
	assert_string_equal(p.out, "hpserver " HP_RELEASE "\n");
	done(&p);
}

static void expect_usage_error(char **argv, const char *line)
{
	char want[256];
	struct parsed p;

	parse(&p, argv);
	assert_int_equal(p.ret, -EINVAL);
	snprintf(want, sizeof(want), "hpserver: %s\nTry 'hpserver --help'.\n", line);
	assert_string_equal(p.err, want);
	assert_string_equal(p.out, "");
	done(&p);
}

#define EXPECT(line, ...) expect_usage_error((char *[]){ "hpserver", __VA_ARGS__, NULL }, line)

static void test_usage_errors(void **state)
{
	(void)state;
	EXPECT("--bind: '1.2.3.4:5' is not an IP address", "--bind", "1.2.3.4:5", "0");
	EXPECT("--bind: 'nope' is not an IP address", "--bind", "nope", "0");
	EXPECT("--max-rooms: '0' is not 1..16777216", "--max-rooms", "0", "0");
	EXPECT("--max-rooms: '16777217' is not 1..16777216", "--max-rooms", "16777217", "0");
	EXPECT("--room-timeout: '86401' is not 1..86400 seconds", "--room-timeout", "86401", "0");
	EXPECT("--relay-bytes: '1099511627777' is not 0..2^40", "--relay-bytes", "1099511627777",
	       "0");
	EXPECT("--relay-rate: '0' is not 1..1000000", "--relay-rate", "0", "0");
	EXPECT("--alt-addr: 'zz' is not an IP address", "--alt-addr", "zz", "0");
	EXPECT("--alt-port: '0' is not 1..65535", "--alt-port", "0", "0");
	EXPECT("--rcvbuf: '1073741825' is not 0..2^30", "--rcvbuf", "1073741825", "0");
	EXPECT("--sndbuf: '-1' is not 0..2^30", "--sndbuf", "-1", "0");
	EXPECT("missing <port>", "-v");
	EXPECT("too many arguments", "1", "2");
	EXPECT("bad port '70000' (0..65535)", "70000");
	EXPECT("bad port 'abc' (0..65535)", "abc");
	EXPECT("--alt-addr needs --bind IP (same family)", "--alt-addr", "192.0.2.2", "0");
	EXPECT("--alt-port needs --alt-addr", "--alt-port", "5", "0");
}

static void test_getopt_errors_get_the_hint(void **state)
{
	struct parsed p;

	(void)state;
	/* getopt_long(3) itself names the problem on stderr */
	PARSE(&p, "--no-such-option", "0");
	assert_int_equal(p.ret, -EINVAL);
	assert_string_equal(p.err, "Try 'hpserver --help'.\n");
	done(&p);
	PARSE(&p, "-x", "0");
	assert_int_equal(p.ret, -EINVAL);
	assert_string_equal(p.err, "Try 'hpserver --help'.\n");
	done(&p);
	PARSE(&p, "--relay", "5", "0"); /* ambiguous */
	assert_int_equal(p.ret, -EINVAL);
	done(&p);
	PARSE(&p, "0", "--bind");       /* argument missing */
	assert_int_equal(p.ret, -EINVAL);
	done(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_option),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_getopt_errors_get_the_hint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
