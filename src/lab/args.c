// SPDX-License-Identifier: MIT
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "fault.h"
#include "parse.h"
#include "nat.h"
#include "report.h"

#define CMD_BIT(c) (1u << (c))
#define ANY_CMD ((CMD_BIT(LAB_CMD_COUNT) - 1) & ~CMD_BIT(LAB_CMD_HELP)) /* but help */
#define RUN_UP (CMD_BIT(LAB_CMD_RUN) | CMD_BIT(LAB_CMD_UP))
#define RUN_MATRIX (CMD_BIT(LAB_CMD_RUN) | CMD_BIT(LAB_CMD_MATRIX))
#define RUN_UP_CAPTURE (RUN_UP | CMD_BIT(LAB_CMD_CAPTURE)) /* up --pcap's capture process */

struct opt {
	const char *lng;
	char shrt;
	bool has_arg;
	unsigned cmds; /* subcommands accepting it */
	int (*set)(struct lab_args *a, const char *val, char *err, size_t errlen);
	const char *help;
	/* a list the help line ends with, read from its own table */
	const char *(*help_list)(void);
};

static int parse_uint(const char *val, unsigned lo, unsigned hi, unsigned *out)
{
	unsigned long v;

	if (hp_parse_ulong(val, lo, hi, &v) < 0)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

static int set_messages(struct lab_args *a, const char *val, char *err, size_t errlen)
{
	if (parse_uint(val, 1, LAB_MESSAGES_MAX, &a->messages) < 0) {
		snprintf(err, errlen, "--messages wants a number from 1 to %d, not '%s'",
			 LAB_MESSAGES_MAX, val);
		return -EINVAL;
	}
	return 0;
}

static int set_runs(struct lab_args *a, const char *val, char *err, size_t errlen)
{
	if (parse_uint(val, 1, LAB_RUNS_MAX, &a->runs) < 0) {
		snprintf(err, errlen, "--runs wants a number from 1 to %d, not '%s'", LAB_RUNS_MAX,
			 val);
		return -EINVAL;
	}
	return 0;
}

bool lab_args_prefix_valid(const char *p)
{
	size_t i, n = strlen(p);

	if (n == 0 || n > LAB_PREFIX_MAX)
		return false;
	if (!((p[0] >= 'a' && p[0] <= 'z') || (p[0] >= 'A' && p[0] <= 'Z')))
		return false;
	for (i = 1; i < n; i++) {
		char c = p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			return false;
	}
	return true;
}

static int set_prefix(struct lab_args *a, const char *val, char *err, size_t errlen)
{
	if (!lab_args_prefix_valid(val)) {
		snprintf(err, errlen,
			 "--prefix wants 1 to %d letters, digits or '_', starting with a letter",
			 LAB_PREFIX_MAX);
		return -EINVAL;
	}
	strcpy(a->prefix, val);
	a->prefix_set = true;
	return 0;
}

static int set_nat(char *dst, const char *opt, const char *val, char *err, size_t errlen)
{
	const struct lab_nat_personality *p = lab_nat_find(val);

	if (!p) {
		snprintf(err, errlen, "%s: unknown NAT type '%s' (try: %s)", opt, val,
			 lab_nat_names());
		return -EINVAL;
	}
	snprintf(dst, LAB_NAT_NAME_MAX + 1, "%s", p->name);
	return 0;
}

static int set_nat_a(struct lab_args *a, const char *val, char *err, size_t errlen)
{
	return set_nat(a->nat_a, "--nat-a", val, err, errlen);
}

static int set_nat_b(struct lab_args *a, const char *val, char *err, size_t errlen)
{
	return set_nat(a->nat_b, "--nat-b", val, err, errlen);
}

static int set_nat_cgn(struct lab_args *a, const char *val, char *err, size_t errlen)
{
	return set_nat(a->nat_cgn, "--nat-cgn", val, err, errlen);
}

static int set_jobs(struct lab_args *a, const char *val, char *err, size_t errlen)
{
	if (parse_uint(val, 1, LAB_JOBS_MAX, &a->jobs) < 0) {
		snprintf(err, errlen, "--jobs wants a number from 1 to %d, not '%s'", LAB_JOBS_MAX,
			 val);
		return -EINVAL;
	}
	return 0;
}

static int set_udp_timeout(struct lab_args *a, const char *val, char *err, size_t errlen)
{
	if (parse_uint(val, 1, LAB_UDP_TIMEOUT_MAX, &a->udp_timeout) < 0) {
		snprintf(err, errlen, "--udp-timeout wants seconds from 1 to %d, not '%s'",
			 LAB_UDP_TIMEOUT_MAX, val);
		return -EINVAL;
	}
	return 0;
}

static int set_punch_ttl(struct lab_args *a, const char *val, char *err, size_t errlen)
{
	unsigned v;

	if (parse_uint(val, 0, 255, &v) < 0) {
		snprintf(err, errlen, "--punch-ttl wants 0 to 255, not '%s'", val);
		return -EINVAL;
	}
	a->punch_ttl = (int)v;
	return 0;
}

#define IMPAIR_SETTER(fn, kind, name)                                                     \
	static int fn(struct lab_args *a, const char *val, char *err, size_t errlen)      \
	{                                                                                 \
		return kind(a, name, val, err, errlen);                                   \
	}
IMPAIR_SETTER(set_delay, lab_args_set_delay, "--delay")
IMPAIR_SETTER(set_delay_a, lab_args_set_delay, "--delay-a")
IMPAIR_SETTER(set_delay_b, lab_args_set_delay, "--delay-b")
IMPAIR_SETTER(set_loss, lab_args_set_pct, "--loss")
IMPAIR_SETTER(set_loss_a, lab_args_set_pct, "--loss-a")
IMPAIR_SETTER(set_loss_b, lab_args_set_pct, "--loss-b")
IMPAIR_SETTER(set_reorder, lab_args_set_pct, "--reorder")
IMPAIR_SETTER(set_reorder_a, lab_args_set_pct, "--reorder-a")
IMPAIR_SETTER(set_reorder_b, lab_args_set_pct, "--reorder-b")
IMPAIR_SETTER(set_dup, lab_args_set_pct, "--duplicate")
IMPAIR_SETTER(set_dup_a, lab_args_set_pct, "--duplicate-a")
IMPAIR_SETTER(set_dup_b, lab_args_set_pct, "--duplicate-b")

/* The names are the fault table's (fault.c). */
const char *lab_args_fault_name(enum lab_fault f)
{
	const struct lab_fault_ops *o = lab_fault_get(f);

	return o ? o->name : f == LAB_FAULT_NONE ? "none" : "?";
}

static int set_fault(struct lab_args *a, const char *val, char *err, size_t errlen)
{
	a->fault = lab_fault_find(val);
	if (a->fault != LAB_FAULT_NONE)
		return 0;
	snprintf(err, errlen, "--fault: unknown fault '%.40s' (try: %s)", val, lab_fault_names());
	return -EINVAL;
}

static int set_hairpin(struct lab_args *a, const char *val, char *err, size_t errlen)
{
	if (!strcmp(val, "on"))
		a->hairpin = 1;
	else if (!strcmp(val, "off"))
		a->hairpin = 0;
	else {
		snprintf(err, errlen, "--hairpin wants on or off, not '%s'", val);
		return -EINVAL;
	}
	return 0;
}

static int set_same_nat(struct lab_args *a, const char *val, char *err, size_t errlen)
{
	(void)val, (void)err, (void)errlen;
	a->same_nat = true;
	return 0;
}

static int set_no_firewall(struct lab_args *a, const char *val, char *err, size_t errlen)
{
	(void)val, (void)err, (void)errlen;
	a->no_firewall = true;
	return 0;
}

static int set_probe(struct lab_args *a, const char *val, char *err, size_t errlen)
{
	(void)val, (void)err, (void)errlen;
	a->probe = true;
	return 0;
}

static int set_json(struct lab_args *a, const char *val, char *err, size_t errlen)
{
	(void)val, (void)err, (void)errlen;
	a->json = true;
	return 0;
}

static int set_explain(struct lab_args *a, const char *val, char *err, size_t errlen)
{
	(void)val, (void)err, (void)errlen;
	a->explain = true;
	lab_args_trace_on(a);
	return 0;
}

static int set_file(struct lab_args *a, enum lab_format fmt, const char *opt, const char *val,
		    char *err, size_t errlen)
{
	if (!val[0]) {
		snprintf(err, errlen, "%s wants a file name", opt);
		return -EINVAL;
	}
	a->files[fmt] = val;
	return 0;
}

static int set_junit(struct lab_args *a, const char *val, char *err, size_t errlen)
{
	return set_file(a, LAB_FORMAT_JUNIT, "--junit", val, err, errlen);
}

static int set_markdown(struct lab_args *a, const char *val, char *err, size_t errlen)
{
	return set_file(a, LAB_FORMAT_MARKDOWN, "--markdown", val, err, errlen);
}

static int set_pcap(struct lab_args *a, const char *val, char *err, size_t errlen)
{
	if (!val[0]) {
		snprintf(err, errlen, "--pcap wants a directory");
		return -EINVAL;
	}
	a->pcap = val;
	return 0;
}

/* The page draws the trace: the glass box's readers must run. */
static int set_html(struct lab_args *a, const char *val, char *err, size_t errlen)
{
	lab_args_trace_on(a);
	return set_file(a, LAB_FORMAT_HTML, "--html", val, err, errlen);
}

static int set_verbose(struct lab_args *a, const char *val, char *err, size_t errlen)
{
	(void)val, (void)err, (void)errlen;
	a->verbose++;
	return 0;
}

static int set_all(struct lab_args *a, const char *val, char *err, size_t errlen)
{
	(void)val, (void)err, (void)errlen;
	a->all = true;
	return 0;
}

static int set_no_server(struct lab_args *a, const char *val, char *err, size_t errlen)
{
	(void)val, (void)err, (void)errlen;
	a->no_server = true;
	return 0;
}

static int set_help(struct lab_args *a, const char *val, char *err, size_t errlen)
{
	(void)val, (void)err, (void)errlen;
	a->help = true;
	return 0;
}

static const struct opt opts[] = {
	{ "messages", 0, true, RUN_MATRIX, set_messages,
	  "--messages N   lines each client sends (default 3, max 1000)" },
	{ "json", 0, false, RUN_MATRIX, set_json,
	  "--json         print one JSON object instead of the narrative" },
	{ "explain", 0, false, CMD_BIT(LAB_CMD_RUN), set_explain,
	  "--explain      tell every mapping, punch and drop in the NATs (docs/explain.md); "
	  "with --json, its trace" },
	{ "junit", 0, true, RUN_MATRIX, set_junit,
	  "--junit FILE   also write the result as JUnit XML (one testcase per run or cell)" },
	{ "markdown", 0, true, RUN_MATRIX, set_markdown,
	  "--markdown FILE  also write a markdown summary (for a CI step summary page)" },
	{ "html", 0, true, RUN_MATRIX, set_html,
	  "--html FILE    also write one self-contained page: topology, sequence diagram, NAT tables" },
	{ "prefix", 0, true, ANY_CMD, set_prefix,
	  "--prefix P     namespace names start with P- (run: hpl<pid>, up/down: hplab; watch: the one up)" },
	{ "nat-a", 0, true, CMD_BIT(LAB_CMD_RUN) | CMD_BIT(LAB_CMD_UP), set_nat_a,
	  "--nat-a TYPE   NAT personality of router A (default port-restricted)" },
	{ "nat-b", 0, true, CMD_BIT(LAB_CMD_RUN) | CMD_BIT(LAB_CMD_UP), set_nat_b,
	  "--nat-b TYPE   NAT personality of router B (default port-restricted)" },
	{ "nat-cgn", 0, true, CMD_BIT(LAB_CMD_RUN) | CMD_BIT(LAB_CMD_UP), set_nat_cgn,
	  "--nat-cgn TYPE  with --topology cgnat: the carrier-grade NATs' personality "
	  "(default port-restricted)" },
	{ "same-nat", 0, false, RUN_UP_CAPTURE, set_same_nat,
	  "--same-nat     both hosts behind router A, on two isolated lan ports" },
	{ "hairpin", 0, true, RUN_UP, set_hairpin,
	  "--hairpin on|off  with one router (--same-nat, same-lan, cgnat-same): it loops its public address "
	  "back (default on)" },
	{ "topology", 0, true, RUN_UP_CAPTURE, lab_args_set_topology,
	  "--topology T   the network (default home): ", lab_topology_names },
	{ "no-firewall", 0, false, RUN_UP | CMD_BIT(LAB_CMD_MATRIX), set_no_firewall,
	  "--no-firewall  routers do bare MASQUERADE, without the inbound firewall" },
	{ "udp-timeout", 0, true, RUN_UP | CMD_BIT(LAB_CMD_MATRIX), set_udp_timeout,
	  "--udp-timeout S  routers forget an idle UDP mapping after S seconds" },
	{ "probe", 0, false, CMD_BIT(LAB_CMD_RUN), set_probe,
	  "--probe        first classify each NAT from its host (hpclient --probe)" },
	{ "punch-ttl", 0, true, RUN_MATRIX, set_punch_ttl,
	  "--punch-ttl N  TTL of the clients' first punch (hpclient's default: 2; 0 none)" },
	{ "delay", 0, true, CMD_BIT(LAB_CMD_RUN), set_delay,
	  "--delay MS[:J] one-way delay (+- J jitter) on both routers' wan sides, each direction" },
	{ "delay-a", 0, true, CMD_BIT(LAB_CMD_RUN), set_delay_a,
	  "--delay-a MS[:J], --delay-b MS[:J]  the same on router A's / B's wan side only" },
	{ "delay-b", 0, true, CMD_BIT(LAB_CMD_RUN), set_delay_b, NULL },
	{ "loss", 0, true, CMD_BIT(LAB_CMD_RUN), set_loss,
	  "--loss PCT     drop PCT % of the packets crossing each wan side, each direction" },
	{ "loss-a", 0, true, CMD_BIT(LAB_CMD_RUN), set_loss_a,
	  "--loss-a PCT, --loss-b PCT  (and --reorder-a/-b, --duplicate-a/-b) one router only" },
	{ "loss-b", 0, true, CMD_BIT(LAB_CMD_RUN), set_loss_b, NULL },
	{ "reorder", 0, true, CMD_BIT(LAB_CMD_RUN), set_reorder,
	  "--reorder PCT  let PCT % through undelayed, overtaking the delayed ones" },
	{ "reorder-a", 0, true, CMD_BIT(LAB_CMD_RUN), set_reorder_a, NULL },
	{ "reorder-b", 0, true, CMD_BIT(LAB_CMD_RUN), set_reorder_b, NULL },
	{ "duplicate", 0, true, CMD_BIT(LAB_CMD_RUN), set_dup,
	  "--duplicate PCT  send PCT % of the packets twice" },
	{ "duplicate-a", 0, true, CMD_BIT(LAB_CMD_RUN), set_dup_a, NULL },
	{ "duplicate-b", 0, true, CMD_BIT(LAB_CMD_RUN), set_dup_b, NULL },
	{ "pcap", 0, true, RUN_UP_CAPTURE, set_pcap,
	  "--pcap DIR     capture every NAT router interface into DIR/rA-wan.pcap, ..." },
	{ "fault", 0, true, CMD_BIT(LAB_CMD_RUN), set_fault,
	  "--fault F      inject F mid-chat: ", lab_fault_names },
	{ "jobs", 'j', true, CMD_BIT(LAB_CMD_MATRIX), set_jobs,
	  "-j, --jobs N   cells run at once (default 6)" },
	{ "trials", 0, true, CMD_BIT(LAB_CMD_MATRIX), lab_args_set_trials,
	  "--trials T     run each cell T times: direct rate, 95 % interval, median time to direct" },
	{ "cells", 0, true, CMD_BIT(LAB_CMD_MATRIX), lab_args_set_cells,
	  "--cells all|spray  every cell (default), or only those the hard-NAT spray decides" },
	{ "spray-probes", 0, true, RUN_MATRIX, lab_args_set_spray_probes,
	  "--spray-probes N  the easy side's spray budget (hpclient --spray-probes; default 1024)" },
	{ "nat-sessions", 0, true, RUN_UP | CMD_BIT(LAB_CMD_MATRIX), lab_args_set_nat_sessions,
	  "--nat-sessions N  each router tracks at most N sessions; new ones beyond are refused" },
	{ "runs", 0, true, CMD_BIT(LAB_CMD_BENCH), set_runs,
	  "--runs N       topologies to build and tear down (default 7)" },
	{ "all", 0, false, CMD_BIT(LAB_CMD_CLEAN), set_all,
	  "--all          also remove topologies left on purpose by `up`" },
	{ "no-server", 0, false, CMD_BIT(LAB_CMD_UP), set_no_server,
	  "--no-server    do not start hpserver in the server namespace" },
	{ "verbose", 'v', false, ANY_CMD, set_verbose,
	  "-v, --verbose  also show what the server and clients say (watch: every datagram the NATs log)" },
	{ "help", 'h', false, ANY_CMD | CMD_BIT(LAB_CMD_HELP), set_help,
	  "-h, --help     this help" },
};

static const struct opt *opt_find_long(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (strlen(opts[i].lng) == len && !strncmp(opts[i].lng, name, len))
			return &opts[i];
	return NULL;
}

static const struct opt *opt_find_short(char c)
{
	size_t i;

	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (opts[i].shrt && opts[i].shrt == c)
			return &opts[i];
	return NULL;
}

static void args_defaults(struct lab_args *a)
{
	memset(a, 0, sizeof(*a));
	a->cmd = LAB_CMD_HELP;
	a->messages = 3;
	a->runs = 7;
	a->hairpin = -1;
	a->punch_ttl = -1;
	a->jobs = 6;
	strcpy(a->nat_a, LAB_NAT_DEFAULT);
	strcpy(a->nat_b, LAB_NAT_DEFAULT);
	strcpy(a->nat_cgn, LAB_NAT_DEFAULT);
}

/* One option at argv[*i]; may consume the next argument as its value. */
static int parse_one(struct lab_args *a, int argc, char *const argv[], int *i, char *err,
		     size_t errlen)
{
	const char *arg = argv[*i], *val = NULL, *eq;
	const struct opt *o;
	char shown[40];

	if (arg[1] == '-') {
		eq = strchr(arg + 2, '=');
		o = opt_find_long(arg + 2, eq ? (size_t)(eq - arg - 2) : strlen(arg + 2));
		if (eq)
			val = eq + 1;
	} else if (arg[2]) {
		/* a cluster of flags without values, like -vv */
		size_t k;

		for (k = 1; arg[k]; k++) {
			o = opt_find_short(arg[k]);
			if (!o || o->has_arg || !(o->cmds & CMD_BIT(a->cmd)))
				break;
		}
		if (arg[k]) {
			snprintf(err, errlen, "unknown option '%s'", arg);
			return -EINVAL;
		}
		for (k = 1; arg[k]; k++) {
			int ret = opt_find_short(arg[k])->set(a, NULL, err, errlen);

			if (ret < 0)
				return ret;
		}
		return 0;
	} else {
		o = opt_find_short(arg[1]);
	}
	/* name the option as typed, without its value */
	snprintf(shown, sizeof(shown), "%.*s", (int)strcspn(arg, "="), arg);
	if (!o) {
		snprintf(err, errlen, "unknown option '%s'", shown);
		return -EINVAL;
	}
	if (!(o->cmds & CMD_BIT(a->cmd))) {
		snprintf(err, errlen, "option '%s' does not apply to '%s'", shown,
			 lab_cmd_name(a->cmd));
		return -EINVAL;
	}
	if (o->has_arg && !val) {
		if (*i + 1 >= argc) {
			snprintf(err, errlen, "option '%s' needs a value", shown);
			return -EINVAL;
		}
		val = argv[++*i];
	} else if (!o->has_arg && val) {
		snprintf(err, errlen, "option '%s' takes no value", shown);
		return -EINVAL;
	}
	return o->set(a, val, err, errlen);
}

static int args_parse(struct lab_args *a, int argc, char *const argv[], char *err, size_t errlen)
{
	int i = 1, c, ret;

	args_defaults(a);
	if (errlen)
		err[0] = '\0';
	if (argc < 2)
		return 0; /* bare `labrun`: help */
	if (argv[1][0] != '-') {
		c = lab_cmd_lookup(argv[1]);
		if (c < 0) {
			snprintf(err, errlen, "unknown command '%.40s' (try: %s)", argv[1],
				 lab_cmd_hint());
			return -EINVAL;
		}
		a->cmd = (enum lab_cmd)c;
		i = 2;
	} else if (strcmp(argv[1], "-h") && strcmp(argv[1], "--help")) {
		a->cmd = LAB_CMD_RUN; /* `labrun --json` means run */
	}
	for (; i < argc; i++) {
		if (argv[i][0] != '-' || !argv[i][1]) {
			/* `labrun help run` asks for run's help */
			c = a->cmd == LAB_CMD_HELP && !a->help ? lab_cmd_lookup(argv[i]) : -1;
			if (c >= 0 && c != LAB_CMD_HELP) {
				a->cmd = (enum lab_cmd)c;
				a->help = true;
				continue;
			}
			snprintf(err, errlen, "unexpected argument '%.40s'", argv[i]);
			return -EINVAL;
		}
		if (!strcmp(argv[i], "--")) {
			if (i + 1 < argc) {
				snprintf(err, errlen, "unexpected argument '%.40s'", argv[i + 1]);
				return -EINVAL;
			}
			break;
		}
		ret = parse_one(a, argc, argv, &i, err, errlen);
		if (ret < 0)
			return ret;
	}
	ret = lab_args_check_topology(a, err, errlen);
	if (ret < 0)
		return ret;
	if (a->fault && a->probe) {
		snprintf(err, errlen, "--fault and --probe do not go together");
		return -EINVAL;
	}
	if (!a->prefix_set)
		strcpy(a->prefix, "hplab"); /* run replaces it with a per-run one */
	return 0;
}

/* Whether the user asked for JSON: --json before any `--`, even where
 * the parse failed before reaching it (or --json=... itself failed). */
static bool wants_json(int argc, char *const argv[])
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--json") || !strncmp(argv[i], "--json=", 7))
			return true;
	return false;
}

int lab_args_parse(struct lab_args *a, int argc, char *const argv[], char *err, size_t errlen)
{
	int ret = args_parse(a, argc, argv, err, errlen);
	const char *cmd;

	/* the message quotes what was typed: one line, nothing that drives
	 * the terminal */
	for (char *c = err; ret < 0 && errlen && *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	if (ret >= 0 || !wants_json(argc, argv))
		return ret;
	/* the command, unless the word naming it was the error */
	cmd = argv[1][0] != '-' && lab_cmd_lookup(argv[1]) < 0 ? NULL : lab_cmd_name(a->cmd);
	lab_report_error(stdout, LAB_FORMAT_JSON, cmd, err);
	return ret;
}

void lab_args_usage(FILE *f, enum lab_cmd cmd)
{
	size_t i;

	if (cmd == LAB_CMD_HELP) {
		lab_cmd_help(f);
		return;
	}
	fprintf(f, "usage: %s %s [options]\n", lab_prog(), lab_cmd_name(cmd));
	if (lab_cmd_summary(cmd))
		fprintf(f, "%s\n", lab_cmd_summary(cmd));
	fputs("\noptions:\n", f);
	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if ((opts[i].cmds & CMD_BIT(cmd)) && opts[i].help)
			fprintf(f, "  %s%s\n", opts[i].help,
				opts[i].help_list ? opts[i].help_list() : "");
	if (cmd == LAB_CMD_RUN || cmd == LAB_CMD_UP)
		fprintf(f, "\nNAT types: %s\n", lab_nat_names());
}
