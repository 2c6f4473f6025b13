// SPDX-License-Identifier: MIT
/*
 * hpserver's options (opts.h). One table, opts_rows[], is the list: the
 * getopt_long(3) tables, the usage text and each option's checks and
 * error message are derived from its rows. Called by main.c only.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <string.h>

#include "endpoint.h"
#include "parse.h"
#include "server/opts.h"
#include "version.h"

#define OPTS_STR_(x) #x
#define OPTS_STR(x)  OPTS_STR_(x)

#define OPTS_HINT "Try 'hpserver --help'.\n"
/* getopt_long(3) value of a row without a short name: OPTS_LONG + index */
#define OPTS_LONG 256

enum opts_kind {
	OPTS_IP,   /* an IP literal without port */
	OPTS_NUM,  /* a decimal number in min..max */
	OPTS_FLAG, /* no argument */
	OPTS_HELP, /* print the usage, stop */
	OPTS_VERSION, /* print "hpserver VERSION", stop */
};

struct opts_row {
	const char *name;    /* long name */
	char short_name;     /* 0 = long only */
	const char *metavar; /* the argument in the usage text; NULL = none */
	const char *help;    /* usage text, '\n' between lines */
	enum opts_kind kind;
	unsigned long min, max; /* OPTS_NUM */
	const char *what;    /* usage error: "--NAME: 'ARG' is not WHAT" */
	void (*set)(struct server_opts *o, const char *arg, unsigned long v);
};

static void set_bind(struct server_opts *o, const char *arg, unsigned long v)
{
	(void)v;
	o->bind_addr = arg;
}

static void set_max_rooms(struct server_opts *o, const char *arg, unsigned long v)
{
	(void)arg;
	o->max_rooms = v;
}

static void set_room_timeout(struct server_opts *o, const char *arg, unsigned long v)
{
	(void)arg;
	o->room_timeout_s = (uint32_t)v;
}

static void set_relay_bytes(struct server_opts *o, const char *arg, unsigned long v)
{
	(void)arg;
	o->relay_bytes = v;
}

static void set_relay_rate(struct server_opts *o, const char *arg, unsigned long v)
{
	(void)arg;
	o->relay_rate = (uint32_t)v;
}

static void set_max_per_source(struct server_opts *o, const char *arg, unsigned long v)
{
	(void)arg;
	o->max_per_source = v;
}

static void set_register_rate(struct server_opts *o, const char *arg, unsigned long v)
{
	(void)arg;
	o->register_rate = (uint32_t)v;
}

static void set_relay_source_rate(struct server_opts *o, const char *arg, unsigned long v)
{
	(void)arg;
	o->relay_source_rate = v;
}

static void set_alt_addr(struct server_opts *o, const char *arg, unsigned long v)
{
	(void)v;
	o->alt_addr = arg;
}

static void set_alt_port(struct server_opts *o, const char *arg, unsigned long v)
{
	(void)arg;
	o->alt_port = (int)v;
}

static void set_rcvbuf(struct server_opts *o, const char *arg, unsigned long v)
{
	(void)arg;
	o->rcvbuf = v;
}

static void set_sndbuf(struct server_opts *o, const char *arg, unsigned long v)
{
	(void)arg;
	o->sndbuf = v;
}

static void set_verbose(struct server_opts *o, const char *arg, unsigned long v)
{
	(void)arg, (void)v;
	o->verbosity = SERVER_VERBOSE;
}

static void set_quiet(struct server_opts *o, const char *arg, unsigned long v)
{
	(void)arg, (void)v;
	o->verbosity = SERVER_QUIET;
}

static const struct opts_row opts_rows[] = {
	{ "bind", 0, "ADDR", "address to bind, IPv4 or IPv6 (default 0.0.0.0;\n"
			     "\"::\" serves IPv4 and IPv6)",
	  OPTS_IP, 0, 0, "an IP address", set_bind },
	{ "max-rooms", 0, "N", "room limit (default " OPTS_STR(SERVER_DEFAULT_MAX_ROOMS) ")",
	  OPTS_NUM, 1, 1ul << 24, "1..16777216", set_max_rooms },
	{ "room-timeout", 0, "SECS", "expire registrations not refreshed for SECS\n"
				     "(default " OPTS_STR(SERVER_DEFAULT_ROOM_TIMEOUT) ")",
	  OPTS_NUM, 1, 86400, "1..86400 seconds", set_room_timeout },
	{ "relay-bytes", 0, "N", "relay budget per room in bytes (default "
				 OPTS_STR(SERVER_DEFAULT_RELAY_BYTES) ";\n0 disables relaying)",
	  OPTS_NUM, 0, 1ul << 40, "0..2^40", set_relay_bytes },
	{ "relay-rate", 0, "N", "relayed datagrams per second per room (default "
				OPTS_STR(SERVER_DEFAULT_RELAY_RATE) ")",
	  OPTS_NUM, 1, 1000000, "1..1000000", set_relay_rate },
	{ "max-per-source", 0, "N", "registrations one address may hold (default "
				    OPTS_STR(SERVER_DEFAULT_MAX_PER_SOURCE) ";\n0: no limit)",
	  OPTS_NUM, 0, 1ul << 24, "0..16777216", set_max_per_source },
	{ "register-rate", 0, "N", "registrations per second per address (default "
				   OPTS_STR(SERVER_DEFAULT_REGISTER_RATE) ";\n0: no limit)",
	  OPTS_NUM, 0, 1000000, "0..1000000", set_register_rate },
	{ "source-relay", 0, "N", "relayed bytes per second per address (default "
				       OPTS_STR(SERVER_DEFAULT_RELAY_SOURCE_RATE) ";\n0: no limit)",
	  OPTS_NUM, 0, 1ul << 40, "0..2^40", set_relay_source_rate },
	{ "alt-addr", 0, "IP", "second address for RFC 5780 NAT discovery\n"
			       "(needs --bind IP of the same family)",
	  OPTS_IP, 0, 0, "an IP address", set_alt_addr },
	{ "alt-port", 0, "P", "second port (default: port + 1)",
	  OPTS_NUM, 1, 65535, "1..65535", set_alt_port },
	{ "rcvbuf", 0, "BYTES", "receive buffer per socket (default "
				OPTS_STR(SERVER_DEFAULT_RCVBUF) ";\n0: the system's)",
	  OPTS_NUM, 0, 1ul << 30, "0..2^30", set_rcvbuf },
	{ "sndbuf", 0, "BYTES", "send buffer per socket (default "
				OPTS_STR(SERVER_DEFAULT_SNDBUF) ";\n0: the system's)",
	  OPTS_NUM, 0, 1ul << 30, "0..2^30", set_sndbuf },
	{ "verbose", 'v', NULL, "log each register/intro/error; counters at exit",
	  OPTS_FLAG, 0, 0, NULL, set_verbose },
	{ "quiet", 'q', NULL, "print only the ready line and fatal errors",
	  OPTS_FLAG, 0, 0, NULL, set_quiet },
	{ "help", 'h', NULL, "show this help", OPTS_HELP, 0, 0, NULL, NULL },
	{ "version", 0, NULL, "print the version and exit",
	  OPTS_VERSION, 0, 0, NULL, NULL },
};

#define OPTS_N (sizeof(opts_rows) / sizeof(opts_rows[0]))

static void opts_usage(FILE *f)
{
	char left[64];
	const char *p, *nl;
	size_t i;

	fputs("usage: hpserver [options] <port>\n"
	      "\n"
	      "hplab rendezvous server: pairs two clients per room and introduces\n"
	      "them to each other; also answers STUN Binding requests (RFC 8489)\n"
	      "on the same UDP port. Port 0 picks a free port.\n"
	      "\n"
	      "options:\n", f);
	for (i = 0; i < OPTS_N; i++) {
		const struct opts_row *r = &opts_rows[i];

		if (r->short_name)
			snprintf(left, sizeof(left), "-%c, --%s", r->short_name, r->name);
		else
			snprintf(left, sizeof(left), "--%s%s%s", r->name, r->metavar ? " " : "",
				 r->metavar ? r->metavar : "");
		for (p = r->help; p; p = nl ? nl + 1 : NULL, left[0] = '\0') {
			nl = strchr(p, '\n');
			fprintf(f, "  %-19s  %.*s\n", left, nl ? (int)(nl - p) : (int)strlen(p), p);
		}
	}
	fputs("\n"
	      "Prints \"hpserver: listening on IP:PORT\" on stderr when ready.\n"
	      "SIGUSR1 prints counters; SIGINT/SIGTERM exit cleanly (status 0).\n", f);
}

__attribute__((format(printf, 2, 3)))
static int opts_error(FILE *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("hpserver: ", err);
	vfprintf(err, fmt, ap);
	va_end(ap);
	fputc('\n', err);
	fputs(OPTS_HINT, err);
	return -EINVAL;
}

/* The port is the positional argument, never part of an address option. */
static bool opts_is_ip(const char *arg)
{
	struct hp_endpoint ep;

	return hp_endpoint_parse(&ep, arg, -1) != 0 && hp_endpoint_parse(&ep, arg, 0) == 0;
}

/* Returns 0, 1 (help printed) or -EINVAL (message printed). */
static int opts_apply(struct server_opts *o, const struct opts_row *r, const char *arg,
		      FILE *out, FILE *err)
{
	unsigned long v = 0;

	switch (r->kind) {
	case OPTS_IP:
		if (!opts_is_ip(arg))
			return opts_error(err, "--%s: '%s' is not %s", r->name, arg, r->what);
		break;
	case OPTS_NUM:
		if (hp_parse_ulong(arg, r->min, r->max, &v) < 0)
			return opts_error(err, "--%s: '%s' is not %s", r->name, arg, r->what);
		break;
	case OPTS_FLAG:
		break;
	case OPTS_HELP:
		opts_usage(out);
		return 1;
	case OPTS_VERSION:
		fputs("hpserver " HP_RELEASE "\n", out);
		return 1;
	}
	r->set(o, arg, v);
	return 0;
}

/* The getopt_long(3) tables, in opts_rows[] order (abbreviations and
 * "ambiguous" messages depend on it). */
static void opts_getopt_tables(struct option *lopts, char *shorts)
{
	size_t i, n = 0;

	for (i = 0; i < OPTS_N; i++) {
		const struct opts_row *r = &opts_rows[i];

		lopts[i] = (struct option){
			.name = r->name,
			.has_arg = r->metavar ? required_argument : no_argument,
			.val = r->short_name ? r->short_name : OPTS_LONG + (int)i,
		};
		if (r->short_name) {
			shorts[n++] = r->short_name;
			if (r->metavar)
				shorts[n++] = ':';
		}
	}
	lopts[OPTS_N] = (struct option){ 0 };
	shorts[n] = '\0';
}

static const struct opts_row *opts_row_of(int c)
{
	size_t i;

	if (c >= OPTS_LONG && (size_t)(c - OPTS_LONG) < OPTS_N)
		return &opts_rows[c - OPTS_LONG];
	for (i = 0; i < OPTS_N; i++)
		if (opts_rows[i].short_name && opts_rows[i].short_name == c)
			return &opts_rows[i];
	return NULL;
}

static void opts_defaults(struct server_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->max_rooms = SERVER_DEFAULT_MAX_ROOMS;
	o->room_timeout_s = SERVER_DEFAULT_ROOM_TIMEOUT;
	o->relay_bytes = SERVER_DEFAULT_RELAY_BYTES;
	o->relay_rate = SERVER_DEFAULT_RELAY_RATE;
	o->max_per_source = SERVER_DEFAULT_MAX_PER_SOURCE;
	o->register_rate = SERVER_DEFAULT_REGISTER_RATE;
	o->relay_source_rate = SERVER_DEFAULT_RELAY_SOURCE_RATE;
	o->alt_port = -1;
	o->rcvbuf = SERVER_DEFAULT_RCVBUF;
	o->sndbuf = SERVER_DEFAULT_SNDBUF;
}

int server_opts_parse(struct server_opts *o, int argc, char **argv, FILE *out, FILE *err)
{
	struct option lopts[OPTS_N + 1];
	char shorts[2 * OPTS_N + 1];
	const struct opts_row *r;
	unsigned long v;
	int c, ret;

	opts_defaults(o);
	opts_getopt_tables(lopts, shorts);
	optind = 0; /* glibc: start afresh, as on a first call */
	while ((c = getopt_long(argc, argv, shorts, lopts, NULL)) != -1) {
		r = opts_row_of(c);
		if (!r) {
			/* getopt has said what was wrong */
			fputs(OPTS_HINT, err);
			return -EINVAL;
		}
		ret = opts_apply(o, r, optarg, out, err);
		if (ret != 0)
			return ret;
	}
	if (argc - optind != 1)
		return opts_error(err, "%s", argc - optind < 1 ? "missing <port>" : "too many arguments");
	if (hp_parse_ulong(argv[optind], 0, 65535, &v) < 0)
		return opts_error(err, "bad port '%s' (0..65535)", argv[optind]);
	o->port = (uint16_t)v;
	if (o->alt_addr && !o->bind_addr)
		return opts_error(err, "--alt-addr needs --bind IP (same family)");
	if (o->alt_port >= 0 && !o->alt_addr)
		return opts_error(err, "--alt-port needs --alt-addr");
	return 0;
}
