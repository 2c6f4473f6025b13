// SPDX-License-Identifier: MIT
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/opts.h"
#include "client/spray.h"
#include "client/sprayset.h"
#include "version.h"
#include "parse.h"

enum { OPT_ROOM = 256, OPT_NAME, OPT_SECRET, OPT_TIMEOUT, OPT_KEEPALIVE, OPT_JSON, OPT_TTL,
       OPT_RELAY_AFTER, OPT_NO_RELAY, OPT_FORCE_RELAY, OPT_PROBE, OPT_PROBE_WAIT,
       OPT_SPRAY_PORTS, OPT_SPRAY_PROBES, OPT_SPRAY_RATE, OPT_NO_SPRAY, OPT_SPRAY_HARD_HARD,
       OPT_VERSION };

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

static int opt_room(struct client_opts *o, const char *arg, FILE *err)
{
	if (!*arg || strlen(arg) > HP_ROOM_MAX)
		return opts_fail(err, "room must be 1..64 bytes", arg);
	snprintf(o->room, sizeof(o->room), "%s", arg);
	return 0;
}

static int opt_name(struct client_opts *o, const char *arg, FILE *err)
{
	if (strlen(arg) > HP_NICK_MAX)
		return opts_fail(err, "nick longer than 32 bytes", arg);
	snprintf(o->nick, sizeof(o->nick), "%s", arg);
	return 0;
}

static int opt_secret(struct client_opts *o, const char *arg, FILE *err)
{
	if (!*arg)
		return opts_fail(err, "empty secret", arg);
	o->secret = arg;
	return 0;
}

static int opt_timeout(struct client_opts *o, const char *arg, FILE *err)
{
	unsigned long v;

	if (hp_parse_ulong(arg, 1, 3600, &v) < 0)
		return opts_fail(err, "--timeout wants 1..3600 seconds", arg);
	o->timeout_s = (unsigned)v;
	return 0;
}

static int opt_keepalive(struct client_opts *o, const char *arg, FILE *err)
{
	if (opts_secs_ms(arg, 3600, &o->keepalive_ms) < 0 || o->keepalive_ms < 100)
		return opts_fail(err, "--keepalive wants 0.1..3600 seconds", arg);
	return 0;
}

static int opt_ttl(struct client_opts *o, const char *arg, FILE *err)
{
	unsigned long v;

	if (hp_parse_ulong(arg, 0, 255, &v) < 0)
		return opts_fail(err, "--punch-ttl wants 0..255", arg);
	o->punch_ttl = (int)v;
	return 0;
}

static int opt_relay_after(struct client_opts *o, const char *arg, FILE *err)
{
	if (opts_secs_ms(arg, 3600, &o->relay_after_ms) < 0)
		return opts_fail(err, "--relay-after wants 0..3600 seconds", arg);
	return 0;
}

static int opt_probe_wait(struct client_opts *o, const char *arg, FILE *err)
{
	if (opts_secs_ms(arg, 60, &o->probe_wait_ms) < 0 || o->probe_wait_ms < 1)
		return opts_fail(err, "--probe-wait wants 0.001..60 seconds", arg);
	return 0;
}

/* The spray's bounds (docs/hpclient.md, "The birthday spray"): what one
 * run may open and send is finite and documented. */
static int opt_spray_num(const char *arg, unsigned long lo, unsigned long hi, unsigned *out)
{
	unsigned long v;

	if (hp_parse_ulong(arg, lo, hi, &v) < 0)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

static int opt_spray_ports(struct client_opts *o, const char *arg, FILE *err)
{
	if (opt_spray_num(arg, 1, SPRAYSET_MAX, &o->spray_ports) < 0)
		return opts_fail(err, "--spray-ports wants 1..512", arg);
	return 0;
}

static int opt_spray_probes(struct client_opts *o, const char *arg, FILE *err)
{
	if (opt_spray_num(arg, 1, HP_SPRAY_PORT_RANGE, &o->spray_probes) < 0)
		return opts_fail(err, "--spray-probes wants 1..64512", arg);
	return 0;
}

static int opt_spray_rate(struct client_opts *o, const char *arg, FILE *err)
{
	if (opt_spray_num(arg, 1, SPRAY_RATE_MAX, &o->spray_rate) < 0)
		return opts_fail(err, "--spray-rate wants 1..10000 probes per second", arg);
	return 0;
}

static void client_opts_usage(FILE *f);

static void client_opts_version(FILE *f)
{
	fputs("hpclient " HP_RELEASE "\n", f);
}

/*
 * One row per option: getopt_long's table, the short option string and
 * the usage text all come from here. A flag row sets its bool; a row with
 * an argument has a setter that checks it; a row that prints (--help,
 * --version) prints on stdout and the run ends with exit 0.
 */
static const struct opt_row {
	const char *name;
	int val; /* a short option letter, or an OPT_ id */
	int (*set)(struct client_opts *o, const char *arg, FILE *err); /* NULL: no argument */
	size_t flag; /* offsetof the bool a flag sets */
	void (*print)(FILE *f); /* non-NULL: print this and exit 0 */
	const char *help;
} opt_rows[] = {
	{ "room", OPT_ROOM, opt_room, 0, NULL,
	  "  --room NAME       room to meet the peer in (default \"default\")\n" },
	{ "name", OPT_NAME, opt_name, 0, NULL,
	  "  --name NICK       nick shown to the peer (default: login name, or \"anon\")\n" },
	{ "secret", OPT_SECRET, opt_secret, 0, NULL,
	  "  --secret S        shared secret: peers without it cannot connect\n" },
	{ "timeout", OPT_TIMEOUT, opt_timeout, 0, NULL,
	  "  --timeout SECS    registration timeout, and punching timeout (default 10)\n" },
	{ "keepalive", OPT_KEEPALIVE, opt_keepalive, 0, NULL,
	  "  --keepalive SECS  keepalive and server refresh interval (default 15,\n"
	  "                    decimals allowed, >= 0.1)\n" },
	{ "punch-ttl", OPT_TTL, opt_ttl, 0, NULL,
	  "  --punch-ttl N     TTL of the first punch to the peer's public endpoint\n"
	  "                    (default 2, 0 = no short-TTL punch)\n" },
	{ "relay-after", OPT_RELAY_AFTER, opt_relay_after, 0, NULL,
	  "  --relay-after SECS  relay through the server if no direct path after\n"
	  "                    SECS (default 1.5, decimals allowed); punching goes on\n" },
	{ "no-relay", OPT_NO_RELAY, NULL, offsetof(struct client_opts, no_relay), NULL,
	  "  --no-relay        never relay: fail when punching times out\n" },
	{ "force-relay", OPT_FORCE_RELAY, NULL, offsetof(struct client_opts, force_relay), NULL,
	  "  --force-relay     (testing) relay at once and never go direct\n" },
	{ "probe", OPT_PROBE, NULL, offsetof(struct client_opts, probe), NULL,
	  "  --probe           report our NAT's mapping and filtering behaviour\n"
	  "                    (RFC 5780; server needs --alt-addr) and exit\n" },
	{ "probe-wait", OPT_PROBE_WAIT, opt_probe_wait, 0, NULL,
	  "  --probe-wait SECS  with --probe: how long a test whose answer the NAT\n"
	  "                    may filter waits at least, from the first answer\n"
	  "                    (default 0.7, decimals allowed; 4 round trips if more)\n" },
	{ "spray-ports", OPT_SPRAY_PORTS, opt_spray_ports, 0, NULL,
	  "  --spray-ports K   birthday spray, hard side: extra sockets, one opener\n"
	  "                    each (default 256, at most 512)\n" },
	{ "spray-probes", OPT_SPRAY_PROBES, opt_spray_probes, 0, NULL,
	  "  --spray-probes N  birthday spray, easy side: probes to random ports of\n"
	  "                    the peer's public address, at most (default 1024)\n" },
	{ "spray-rate", OPT_SPRAY_RATE, opt_spray_rate, 0, NULL,
	  "  --spray-rate R    probes per second (default 500, at most 10000)\n" },
	{ "no-spray", OPT_NO_SPRAY, NULL, offsetof(struct client_opts, no_spray), NULL,
	  "  --no-spray        no mapping verdict, no birthday spray\n" },
	{ "spray-hard-hard", OPT_SPRAY_HARD_HARD, NULL,
	  offsetof(struct client_opts, spray_hard_hard), NULL,
	  "  --spray-hard-hard (teaching) spray even when both NATs are hard\n" },
	{ "json", OPT_JSON, NULL, offsetof(struct client_opts, json), NULL,
	  "  --json            one JSON event per line on stdout\n" },
	{ "quiet", 'q', NULL, offsetof(struct client_opts, quiet), NULL,
	  "  -q, --quiet       no status lines on stderr\n" },
	{ "verbose", 'v', NULL, offsetof(struct client_opts, verbose), NULL,
	  "  -v, --verbose     debug lines on stderr\n" },
	{ "version", OPT_VERSION, NULL, 0, client_opts_version,
	  "  --version         print the version and exit\n" },
	{ "help", 'h', NULL, 0, client_opts_usage, "  -h, --help        this text\n" },
};

#define N_OPTS (sizeof(opt_rows) / sizeof(opt_rows[0]))

static void client_opts_usage(FILE *f)
{
	size_t i;

	fputs("usage: hpclient [options] <client_port> <server_ip> <server_port>\n", f);
	for (i = 0; i < N_OPTS; i++)
		fputs(opt_rows[i].help, f);
	fputs("Each stdin line is one message; on end of input the client waits until\n"
	      "every message is acknowledged, says bye and exits.\n", f);
}

static void opts_defaults(struct client_opts *o)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->room, sizeof(o->room), "default");
	opts_default_nick(o);
	o->timeout_s = 10;
	o->keepalive_ms = 15000;
	o->punch_ttl = 2;
	o->relay_after_ms = 1500;
	o->probe_wait_ms = 700;
	o->spray_ports = HP_SPRAY_PORTS;
	o->spray_probes = HP_SPRAY_PROBES;
	o->spray_rate = HP_SPRAY_RATE;
}

/* One option as getopt_long returned it: 0, 1 (--help) or -EINVAL. */
static int opts_one(struct client_opts *o, int c, char **argv, FILE *err)
{
	size_t i;

	for (i = 0; i < N_OPTS && opt_rows[i].val != c; i++)
		;
	if (i == N_OPTS)
		return opts_fail(err, "unknown or incomplete option",
				 optopt ? (char[]){ '-', (char)optopt, 0 } : argv[optind - 1]);
	if (opt_rows[i].set)
		return opt_rows[i].set(o, optarg, err);
	if (opt_rows[i].print) {
		opt_rows[i].print(stdout);
		return 1;
	}
	*(bool *)((char *)o + opt_rows[i].flag) = true;
	return 0;
}

static int opts_positional(struct client_opts *o, int argc, char **argv, FILE *err)
{
	unsigned long v;

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
	return 0;
}

int client_opts_parse(struct client_opts *o, int argc, char **argv, FILE *err)
{
	struct option lopts[N_OPTS + 1];
	char shorts[N_OPTS + 1];
	size_t i, n_short = 0;
	int c, ret;

	for (i = 0; i < N_OPTS; i++) {
		lopts[i] = (struct option){ opt_rows[i].name,
					    opt_rows[i].set ? required_argument : no_argument,
					    NULL, opt_rows[i].val };
		if (opt_rows[i].val < 256)
			shorts[n_short++] = (char)opt_rows[i].val;
	}
	lopts[N_OPTS] = (struct option){ NULL, 0, NULL, 0 };
	shorts[n_short] = '\0';
	opts_defaults(o);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, lopts, NULL)) != -1) {
		ret = opts_one(o, c, argv, err);
		if (ret)
			return ret;
	}
	ret = opts_positional(o, argc, argv, err);
	if (ret < 0)
		return ret;
	if (o->no_relay && o->force_relay) {
		fprintf(err, "hpclient: --no-relay and --force-relay contradict each other\n");
		return -EINVAL;
	}
	return 0;
}
