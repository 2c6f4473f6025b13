// SPDX-License-Identifier: MIT
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "server/server.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hpserver [options] <port>\n"
		"\n"
		"hplab rendezvous server: pairs two clients per room and introduces\n"
		"them to each other; also answers STUN Binding requests (RFC 8489)\n"
		"on the same UDP port. Port 0 picks a free port.\n"
		"\n"
		"options:\n"
		"  --bind ADDR          address to bind, IPv4 or IPv6 (default 0.0.0.0;\n"
		"                       \"::\" serves IPv4 and IPv6)\n"
		"  --max-rooms N        room limit (default %d)\n"
		"  --room-timeout SECS  expire registrations not refreshed for SECS\n"
		"                       (default %d)\n"
		"  --relay-bytes N      relay budget per room in bytes (default %u;\n"
		"                       0 disables relaying)\n"
		"  --relay-rate N       relayed datagrams per second per room (default %d)\n"
		"  --alt-addr IP        second address for RFC 5780 NAT discovery\n"
		"                       (needs --bind IP of the same family)\n"
		"  --alt-port P         second port (default: port + 1)\n"
		"  -v, --verbose        log each register/intro/error; counters at exit\n"
		"  -q, --quiet          print only the ready line and fatal errors\n"
		"  -h, --help           show this help\n"
		"\n"
		"Prints \"hpserver: listening on IP:PORT\" on stderr when ready.\n"
		"SIGUSR1 prints counters; SIGINT/SIGTERM exit cleanly (status 0).\n",
		SERVER_DEFAULT_MAX_ROOMS, SERVER_DEFAULT_ROOM_TIMEOUT, SERVER_DEFAULT_RELAY_BYTES,
		SERVER_DEFAULT_RELAY_RATE);
}

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("hpserver: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fputs("Try 'hpserver --help'.\n", stderr);
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bind", required_argument, NULL, 'b' },
		{ "max-rooms", required_argument, NULL, 'm' },
		{ "room-timeout", required_argument, NULL, 't' },
		{ "relay-bytes", required_argument, NULL, 'B' },
		{ "relay-rate", required_argument, NULL, 'R' },
		{ "alt-addr", required_argument, NULL, 'A' },
		{ "alt-port", required_argument, NULL, 'P' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct server_config cfg = {
		.max_rooms = SERVER_DEFAULT_MAX_ROOMS,
		.room_timeout_s = SERVER_DEFAULT_ROOM_TIMEOUT,
		.relay_bytes = SERVER_DEFAULT_RELAY_BYTES,
		.relay_rate = SERVER_DEFAULT_RELAY_RATE,
		.alt_port = -1,
	};
	struct server srv;
	struct hp_endpoint probe;
	unsigned long v;
	int c;

	while ((c = getopt_long(argc, argv, "vqh", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			/* the port is the positional argument, never part of ADDR */
			if (hp_endpoint_parse(&probe, optarg, -1) == 0 ||
			    hp_endpoint_parse(&probe, optarg, 0) < 0)
				return usage_error("--bind: '%s' is not an IP address", optarg);
			cfg.bind_addr = optarg;
			break;
		case 'm':
			if (hp_parse_ulong(optarg, 1, 1u << 24, &v) < 0)
				return usage_error("--max-rooms: '%s' is not 1..16777216", optarg);
			cfg.max_rooms = v;
			break;
		case 't':
			if (hp_parse_ulong(optarg, 1, 86400, &v) < 0)
				return usage_error("--room-timeout: '%s' is not 1..86400 seconds", optarg);
			cfg.room_timeout_s = (uint32_t)v;
			break;
		case 'B':
			if (hp_parse_ulong(optarg, 0, 1ul << 40, &v) < 0)
				return usage_error("--relay-bytes: '%s' is not 0..2^40", optarg);
			cfg.relay_bytes = v;
			break;
		case 'R':
			if (hp_parse_ulong(optarg, 1, 1000000, &v) < 0)
				return usage_error("--relay-rate: '%s' is not 1..1000000", optarg);
			cfg.relay_rate = (uint32_t)v;
			break;
		case 'A':
			if (hp_endpoint_parse(&probe, optarg, -1) == 0 ||
			    hp_endpoint_parse(&probe, optarg, 0) < 0)
				return usage_error("--alt-addr: '%s' is not an IP address", optarg);
			cfg.alt_addr = optarg;
			break;
		case 'P':
			if (hp_parse_ulong(optarg, 1, 65535, &v) < 0)
				return usage_error("--alt-port: '%s' is not 1..65535", optarg);
			cfg.alt_port = (int)v;
			break;
		case 'v':
			cfg.verbosity = SERVER_VERBOSE;
			break;
		case 'q':
			cfg.verbosity = SERVER_QUIET;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			/* getopt has said what was wrong */
			fputs("Try 'hpserver --help'.\n", stderr);
			return 2;
		}
	}
	if (argc - optind != 1)
		return usage_error("%s", argc - optind < 1 ? "missing <port>" : "too many arguments");
	if (hp_parse_ulong(argv[optind], 0, 65535, &v) < 0)
		return usage_error("bad port '%s' (0..65535)", argv[optind]);
	cfg.port = (uint16_t)v;
	if (cfg.alt_addr && !cfg.bind_addr)
		return usage_error("--alt-addr needs --bind IP (same family)");
	if (cfg.alt_port >= 0 && !cfg.alt_addr)
		return usage_error("--alt-port needs --alt-addr");

	if (server_open(&srv, &cfg) < 0)
		return 1;
	c = server_run(&srv);
	server_close(&srv);
	return c < 0 ? 1 : 0;
}
