// SPDX-License-Identifier: MIT
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/opts.h"
#include "parse.h"

enum { OPT_ROOM = 256, OPT_NAME, OPT_SECRET, OPT_TIMEOUT, OPT_KEEPALIVE, OPT_JSON, OPT_TTL,
       OPT_RELAY_AFTER, OPT_NO_RELAY, OPT_FORCE_RELAY, OPT_PROBE };

void client_opts_usage(FILE *f)
{
	fprintf(f,
		"usage: hpclient [options] <client_port> <server_ip> <server_port>\n"
		"  --room NAME       room to meet the peer in (default \"default\")\n"
		"  --name NICK       nick shown to the peer (default: login name, or \"anon\")\n"
		"  --secret S        shared secret: peers without it cannot connect\n"
		"  --timeout SECS    registration timeout, and punching timeout (default 10)\n"
		"  --keepalive SECS  keepalive and server refresh interval (default 15,\n"
		"                    decimals allowed, >= 0.1)\n"
		"  --punch-ttl N     TTL of the first punch to the peer's public endpoint\n"
		"                    (default 2, 0 = no short-TTL punch)\n"
		"  --relay-after SECS  relay through the server if no direct path after\n"
		"                    SECS (default 1.5, decimals allowed); punching goes on\n"
		"  --no-relay        never relay: fail when punching times out\n"
		"  --force-relay     (testing) relay at once and never go direct\n"
		"  --probe           report our NAT's mapping and filtering behaviour\n"
		"                    (RFC 5780; server needs --alt-addr) and exit\n"
		"  --json            one JSON event per line on stdout\n"
		"  -q, --quiet       no status lines on stderr\n"
		"  -v, --verbose     debug lines on stderr\n"
		"  -h, --help        this text\n"
		"Each stdin line is one message; on end of input the client waits until\n"
		"every message is acknowledged, says bye and exits.\n");
}

/* Seconds with up to three decimals ("1.5") into milliseconds. */
static int opts_secs_ms(const char *s, unsigned long max_s, unsigned *out)
{
	unsigned long whole = 0, frac = 0, scale = 100;
	const char *p = s;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		whole = whole * 10 + (unsigned long)(*p - '0');
		if (whole > max_s)
			return -EINVAL;
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9' && scale; p++, scale /= 10)
			frac += (unsigned long)(*p - '0') * scale;
	}
	if (*p || (whole == max_s && frac))
		return -EINVAL;
	*out = (unsigned)(whole * 1000 + frac);
	return 0;
}

static void opts_default_nick(struct client_opts *o)
{
	const char *u = getenv("USER");

	if (!u || !*u || strlen(u) > HP_NICK_MAX)
		u = "anon";
	snprintf(o->nick, sizeof(o->nick), "%s", u);
}

static int opts_fail(FILE *err, const char *what, const char *val)
{
	fprintf(err, "hpclient: %s: '%s'\n", what, val ? val : "");
	fprintf(err, "Try 'hpclient --help'.\n");
	return -EINVAL;
}

int client_opts_parse(struct client_opts *o, int argc, char **argv, FILE *err)
{
	static const struct option lopts[] = {
		{ "room", required_argument, NULL, OPT_ROOM },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "secret", required_argument, NULL, OPT_SECRET },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "keepalive", required_argument, NULL, OPT_KEEPALIVE },
		{ "punch-ttl", required_argument, NULL, OPT_TTL },
		{ "relay-after", required_argument, NULL, OPT_RELAY_AFTER },
		{ "no-relay", no_argument, NULL, OPT_NO_RELAY },
		{ "force-relay", no_argument, NULL, OPT_FORCE_RELAY },
		{ "probe", no_argument, NULL, OPT_PROBE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	int c;

	memset(o, 0, sizeof(*o));
	snprintf(o->room, sizeof(o->room), "default");
	opts_default_nick(o);
	o->timeout_s = 10;
	o->keepalive_ms = 15000;
	o->punch_ttl = 2;
	o->relay_after_ms = 1500;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "qvh", lopts, NULL)) != -1) {
		switch (c) {
		case OPT_ROOM:
			if (!*optarg || strlen(optarg) > HP_ROOM_MAX)
				return opts_fail(err, "room must be 1..64 bytes", optarg);
			snprintf(o->room, sizeof(o->room), "%s", optarg);
			break;
		case OPT_NAME:
			if (strlen(optarg) > HP_NICK_MAX)
				return opts_fail(err, "nick longer than 32 bytes", optarg);
			snprintf(o->nick, sizeof(o->nick), "%s", optarg);
			break;
		case OPT_SECRET:
			if (!*optarg)
				return opts_fail(err, "empty secret", optarg);
			o->secret = optarg;
			break;
		case OPT_TIMEOUT:
			if (hp_parse_ulong(optarg, 1, 3600, &v) < 0)
				return opts_fail(err, "--timeout wants 1..3600 seconds", optarg);
			o->timeout_s = (unsigned)v;
			break;
		case OPT_KEEPALIVE:
			if (opts_secs_ms(optarg, 3600, &o->keepalive_ms) < 0 || o->keepalive_ms < 100)
				return opts_fail(err, "--keepalive wants 0.1..3600 seconds", optarg);
			break;
		case OPT_TTL:
			if (hp_parse_ulong(optarg, 0, 255, &v) < 0)
				return opts_fail(err, "--punch-ttl wants 0..255", optarg);
			o->punch_ttl = (int)v;
			break;
		case OPT_RELAY_AFTER:
			if (opts_secs_ms(optarg, 3600, &o->relay_after_ms) < 0)
				return opts_fail(err, "--relay-after wants 0..3600 seconds", optarg);
			break;
		case OPT_NO_RELAY:
			o->no_relay = true;
			break;
		case OPT_FORCE_RELAY:
			o->force_relay = true;
			break;
		case OPT_PROBE:
			o->probe = true;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			client_opts_usage(stdout);
			return 1;
		default:
			return opts_fail(err, "unknown or incomplete option",
					 optopt ? (char[]){ '-', (char)optopt, 0 } : argv[optind - 1]);
		}
	}
	if (argc - optind != 3) {
		fprintf(err, "hpclient: expected <client_port> <server_ip> <server_port>\n");
		client_opts_usage(err);
		return -EINVAL;
	}
	if (hp_parse_ulong(argv[optind], 0, 65535, &v) < 0)
		return opts_fail(err, "bad client port", argv[optind]);
	o->port = (uint16_t)v;
	o->server_host = argv[optind + 1];
	if (hp_parse_ulong(argv[optind + 2], 1, 65535, &v) < 0)
		return opts_fail(err, "bad server port", argv[optind + 2]);
	o->server_port = (uint16_t)v;
	if (o->no_relay && o->force_relay) {
		fprintf(err, "hpclient: --no-relay and --force-relay contradict each other\n");
		return -EINVAL;
	}
	return 0;
}
