// SPDX-License-Identifier: MIT
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lab/args.h"
#include "lab/nat.h"

#define ARGC(v) ((int)(sizeof(v) / sizeof((v)[0])))

static int parse(struct lab_args *a, int argc, char *const argv[], char *err)
{
	return lab_args_parse(a, argc, argv, err, 160);
}

static void test_bare_is_help(void **state)
{
	char *argv[] = { "labrun" };
	struct lab_args a;
	char err[160];

	(void)state;
	assert_int_equal(parse(&a, ARGC(argv), argv, err), 0);
	assert_int_equal(a.cmd, LAB_CMD_HELP);
}

static void test_run_defaults(void **state)
{
	char *argv[] = { "labrun", "run" };
	struct lab_args a;
	char err[160];

	(void)state;
	assert_int_equal(parse(&a, ARGC(argv), argv, err), 0);
	assert_int_equal(a.cmd, LAB_CMD_RUN);
	assert_int_equal(a.messages, 3);
	assert_false(a.json);
	assert_false(a.prefix_set);
	assert_string_equal(a.nat_a, "port-restricted");
	assert_string_equal(a.nat_b, "port-restricted");
}

static void test_run_options(void **state)
{
	char *argv[] = { "labrun", "run", "--messages", "7", "--json", "--prefix=t1", "-v", "-v",
			 "--nat-b", "sym" };
	struct lab_args a;
	char err[160];

	(void)state;
	assert_int_equal(parse(&a, ARGC(argv), argv, err), 0);
	assert_int_equal(a.messages, 7);
	assert_true(a.json);
	assert_true(a.prefix_set);
	assert_string_equal(a.prefix, "t1");
	assert_int_equal(a.verbose, 2);
	assert_string_equal(a.nat_b, "symmetric");
}

static void test_short_flag_cluster(void **state)
{
	char *ok[] = { "labrun", "run", "-vv" };
	char *bad[] = { "labrun", "run", "-vx" };
	struct lab_args a;
	char err[160];

	(void)state;
	assert_int_equal(parse(&a, ARGC(ok), ok, err), 0);
	assert_int_equal(a.verbose, 2);
	assert_int_equal(parse(&a, ARGC(bad), bad, err), -EINVAL);
	assert_non_null(strstr(err, "unknown option '-vx'"));
}

static void test_options_alone_mean_run(void **state)
{
	char *argv[] = { "labrun", "--json" };
	struct lab_args a;
	char err[160];

	(void)state;
	assert_int_equal(parse(&a, ARGC(argv), argv, err), 0);
	assert_int_equal(a.cmd, LAB_CMD_RUN);
	assert_true(a.json);
}

static void test_bad_messages(void **state)
{
	static const char *const bad[] = { "0", "-1", "1001", "3x", "", "+2", "99999999999999999999" };
	struct lab_args a;
	char err[160];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = { "labrun", "run", "--messages", (char *)bad[i] };

		assert_int_equal(parse(&a, ARGC(argv), argv, err), -EINVAL);
		assert_non_null(strstr(err, "--messages"));
	}
}

static void test_missing_value(void **state)
{
	char *argv[] = { "labrun", "run", "--messages" };
	struct lab_args a;
	char err[160];

	(void)state;
	assert_int_equal(parse(&a, ARGC(argv), argv, err), -EINVAL);
	assert_non_null(strstr(err, "needs a value"));
}

static void test_unknown_things(void **state)
{
	char *a1[] = { "labrun", "fly" };
	char *a2[] = { "labrun", "run", "--bogus" };
	char *a3[] = { "labrun", "run", "extra" };
	char *a4[] = { "labrun", "run", "--json=yes" };
	char *a5[] = { "labrun", "run", "--nat-a", "open" };
	struct lab_args a;
	char err[160];

	(void)state;
	assert_int_equal(parse(&a, ARGC(a1), a1, err), -EINVAL);
	assert_non_null(strstr(err, "unknown command"));
	assert_int_equal(parse(&a, ARGC(a2), a2, err), -EINVAL);
	assert_non_null(strstr(err, "unknown option"));
	assert_int_equal(parse(&a, ARGC(a3), a3, err), -EINVAL);
	assert_int_equal(parse(&a, ARGC(a4), a4, err), -EINVAL);
	assert_non_null(strstr(err, "takes no value"));
	assert_int_equal(parse(&a, ARGC(a5), a5, err), -EINVAL);
	assert_non_null(strstr(err, "unknown NAT type"));
}

static void test_option_scoped_to_command(void **state)
{
	char *a1[] = { "labrun", "down", "--json" };
	char *a2[] = { "labrun", "clean", "--messages", "3" };
	char *a3[] = { "labrun", "run", "--all" };
	struct lab_args a;
	char err[160];

	(void)state;
	assert_int_equal(parse(&a, ARGC(a1), a1, err), -EINVAL);
	assert_non_null(strstr(err, "does not apply to 'down'"));
	assert_int_equal(parse(&a, ARGC(a2), a2, err), -EINVAL);
	assert_int_equal(parse(&a, ARGC(a3), a3, err), -EINVAL);
}

/* Every row of the subcommand table (commands.def) is a word the parser
 * knows, alone and with --help. */
static void test_each_command(void **state)
{
	struct lab_args a;
	char err[160];
	int c;

	(void)state;
	for (c = 0; c < LAB_CMD_COUNT; c++) {
		char *argv[] = { "labrun", (char *)lab_cmd_name((enum lab_cmd)c) };
		char *hargv[] = { "labrun", (char *)lab_cmd_name((enum lab_cmd)c), "--help" };

		assert_int_equal(lab_cmd_lookup(argv[1]), c);
		assert_int_equal(parse(&a, ARGC(argv), argv, err), 0);
		assert_int_equal(a.cmd, c);
		assert_false(a.help);
		assert_int_equal(parse(&a, ARGC(hargv), hargv, err), 0);
		assert_int_equal(a.cmd, c);
		assert_true(a.help);
	}
	assert_int_equal(lab_cmd_lookup("fly"), -1);
	assert_string_equal(lab_cmd_name(LAB_CMD_COUNT), "?");
}

static char *usage_text(enum lab_cmd cmd)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	lab_args_usage(f, cmd);
	fclose(f);
	return text;
}

/* The help page, the "try:" hint and each command's usage come from the
 * same rows: a listed command appears in all, a hidden one (bench) in none. */
static void test_help_and_hint_from_table(void **state)
{
	char *argv[] = { "labrun", "fly" };
	char *page = usage_text(LAB_CMD_HELP), line[160];
	struct lab_args a;
	char err[160];
	int c;

	(void)state;
	assert_int_equal(parse(&a, ARGC(argv), argv, err), -EINVAL);
	snprintf(line, sizeof(line), "unknown command 'fly' (try: %s)", lab_cmd_hint());
	assert_string_equal(err, line);
	assert_non_null(strstr(page, "\ncommands:\n  run    build the lab,"));
	for (c = 0; c < LAB_CMD_COUNT; c++) {
		const char *name = lab_cmd_name((enum lab_cmd)c), *sum = lab_cmd_summary((enum lab_cmd)c);
		char *own = usage_text((enum lab_cmd)c);

		snprintf(line, sizeof(line), "\n  %-6s %s\n", name, sum ? sum : "");
		assert_true(!sum == !strstr(page, line));
		assert_true(!sum == !strstr(lab_cmd_hint(), name));
		if (c != LAB_CMD_HELP) {
			snprintf(line, sizeof(line), "usage: lab %s [options]\n%s", name, sum ? sum : "");
			assert_true(!strncmp(own, line, strlen(line)));
		}
		free(own);
	}
	free(page);
}

/* Every personality of the NAT table, by name or alias, for either router;
 * the run help and the error for an unknown one list them all. */
static void test_nat_names_from_table(void **state)
{
	char *bad[] = { "labrun", "run", "--nat-b", "open" };
	char *text = usage_text(LAB_CMD_RUN), want[256];
	struct lab_args a;
	char err[160];
	size_t i;

	(void)state;
	for (i = 0; i < lab_nat_count(); i++) {
		const struct lab_nat_personality *p = lab_nat_at(i);
		char *argv[] = { "labrun", "up", "--nat-a", (char *)p->alias, "--nat-b",
				 (char *)p->name };

		assert_int_equal(parse(&a, ARGC(argv), argv, err), 0);
		assert_string_equal(a.nat_a, p->name);
		assert_string_equal(a.nat_b, p->name);
	}
	assert_int_equal(parse(&a, ARGC(bad), bad, err), -EINVAL);
	snprintf(want, sizeof(want), "--nat-b: unknown NAT type 'open' (try: %s)", lab_nat_names());
	assert_string_equal(err, want);
	snprintf(want, sizeof(want), "\nNAT types: %s\n", lab_nat_names());
	assert_non_null(strstr(text, want));
	free(text);
}

static void test_up_down_clean_bench_options(void **state)
{
	char *up[] = { "labrun", "up", "--no-server", "--prefix", "mylab" };
	char *clean[] = { "labrun", "clean", "--all" };
	char *bench[] = { "labrun", "bench", "--runs", "9" };
	char *down[] = { "labrun", "down" };
	struct lab_args a;
	char err[160];

	(void)state;
	assert_int_equal(parse(&a, ARGC(up), up, err), 0);
	assert_true(a.no_server);
	assert_string_equal(a.prefix, "mylab");
	assert_int_equal(parse(&a, ARGC(clean), clean, err), 0);
	assert_true(a.all);
	assert_int_equal(parse(&a, ARGC(bench), bench, err), 0);
	assert_int_equal(a.runs, 9);
	assert_int_equal(parse(&a, ARGC(down), down, err), 0);
	assert_string_equal(a.prefix, "hplab");
}

static void test_help_topic(void **state)
{
	char *argv[] = { "labrun", "help", "up" };
	struct lab_args a;
	char err[160];

	(void)state;
	assert_int_equal(parse(&a, ARGC(argv), argv, err), 0);
	assert_int_equal(a.cmd, LAB_CMD_UP);
	assert_true(a.help);
}

static void test_prefix_rules(void **state)
{
	(void)state;
	assert_true(lab_args_prefix_valid("hplab"));
	assert_true(lab_args_prefix_valid("a"));
	assert_true(lab_args_prefix_valid("hpl12345_x"));
	assert_true(lab_args_prefix_valid("abcdefghijklmnopqrstuvwx")); /* 24 */
	assert_false(lab_args_prefix_valid("abcdefghijklmnopqrstuvwxy"));
	assert_false(lab_args_prefix_valid(""));
	assert_false(lab_args_prefix_valid("1abc"));
	assert_false(lab_args_prefix_valid("a-b"));
	assert_false(lab_args_prefix_valid("a/b"));
	assert_false(lab_args_prefix_valid("../x"));
	assert_false(lab_args_prefix_valid("a b"));
}

static void test_bad_prefix_option(void **state)
{
	char *argv[] = { "labrun", "run", "--prefix", "../../etc" };
	struct lab_args a;
	char err[160];

	(void)state;
	assert_int_equal(parse(&a, ARGC(argv), argv, err), -EINVAL);
	assert_non_null(strstr(err, "--prefix"));
}

static void test_personality_options(void **state)
{
	char *argv[] = { "labrun", "run", "--no-firewall", "--udp-timeout", "5", "--probe",
			 "--punch-ttl", "0", "--nat-a", "fc", "--nat-b", "restricted-cone" };
	struct lab_args a;
	char err[160];

	(void)state;
	assert_int_equal(parse(&a, ARGC(argv), argv, err), 0);
	assert_true(a.no_firewall);
	assert_int_equal(a.udp_timeout, 5);
	assert_true(a.probe);
	assert_int_equal(a.punch_ttl, 0);
	assert_string_equal(a.nat_a, "full-cone");
	assert_string_equal(a.nat_b, "restricted-cone");
	assert_false(a.same_nat);
	assert_int_equal(a.hairpin, -1);
}

static void test_personality_defaults(void **state)
{
	char *argv[] = { "labrun", "run" };
	struct lab_args a;
	char err[160];

	(void)state;
	assert_int_equal(parse(&a, ARGC(argv), argv, err), 0);
	assert_false(a.no_firewall);
	assert_int_equal(a.udp_timeout, 0);
	assert_false(a.probe);
	assert_int_equal(a.punch_ttl, -1);
}

static void test_same_nat_and_hairpin(void **state)
{
	char *on[] = { "labrun", "run", "--same-nat" };
	char *off[] = { "labrun", "up", "--same-nat", "--hairpin=off" };
	char *alone[] = { "labrun", "run", "--hairpin", "on" };
	char *bad[] = { "labrun", "run", "--same-nat", "--hairpin", "maybe" };
	char *other[] = { "labrun", "run", "--same-nat", "--nat-a", "sym" };
	struct lab_args a;
	char err[160];

	(void)state;
	assert_int_equal(parse(&a, ARGC(on), on, err), 0);
	assert_true(a.same_nat);
	assert_int_equal(a.hairpin, 1); /* RFC 4787 REQ-9 */
	assert_int_equal(parse(&a, ARGC(off), off, err), 0);
	assert_int_equal(a.hairpin, 0);
	assert_int_equal(parse(&a, ARGC(alone), alone, err), -EINVAL);
	assert_non_null(strstr(err, "--same-nat"));
	assert_int_equal(parse(&a, ARGC(bad), bad, err), -EINVAL);
	assert_int_equal(parse(&a, ARGC(other), other, err), -EINVAL);
}

static void test_topology(void **state)
{
	char *dflt[] = { "labrun", "run" };
	char *lan[] = { "labrun", "up", "--topology", "same-lan" };
	char *off[] = { "labrun", "run", "--topology=same-lan", "--hairpin", "off" };
	char *bad[] = { "labrun", "run", "--topology", "moon" };
	char *both[] = { "labrun", "run", "--topology", "same-lan", "--same-nat" };
	char *natb[] = { "labrun", "run", "--topology", "same-lan", "--nat-b", "sym" };
	char *imp[] = { "labrun", "run", "--topology", "same-lan", "--delay", "10" };
	char *fault[] = { "labrun", "run", "--topology", "same-lan", "--fault", "rebind" };
	char *matrix[] = { "labrun", "matrix", "--topology", "same-lan" };
	struct lab_args a;
	char err[160];

	(void)state;
	assert_int_equal(parse(&a, ARGC(dflt), dflt, err), 0);
	assert_int_equal(a.topology, LAB_TOPOLOGY_HOME);
	assert_int_equal(parse(&a, ARGC(lan), lan, err), 0);
	assert_int_equal(a.topology, LAB_TOPOLOGY_SAME_LAN);
	assert_false(a.same_nat);
	assert_int_equal(a.hairpin, 1); /* RFC 4787 REQ-9 */
	assert_true(lab_args_plan(&a)->one_router);
	assert_int_equal(parse(&a, ARGC(off), off, err), 0);
	assert_int_equal(a.hairpin, 0);
	assert_int_equal(parse(&a, ARGC(bad), bad, err), -EINVAL);
	assert_non_null(strstr(err, "home, same-lan"));
	assert_int_equal(parse(&a, ARGC(both), both, err), -EINVAL);
	assert_non_null(strstr(err, "--same-nat"));
	assert_int_equal(parse(&a, ARGC(natb), natb, err), -EINVAL);
	assert_non_null(strstr(err, "same-lan builds one"));
	assert_int_equal(parse(&a, ARGC(imp), imp, err), -EINVAL);
	assert_int_equal(parse(&a, ARGC(fault), fault, err), -EINVAL);
	assert_int_equal(parse(&a, ARGC(matrix), matrix, err), -EINVAL);
}

static void test_bad_personality_values(void **state)
{
	static const char *const opt[] = { "--udp-timeout", "--udp-timeout", "--udp-timeout",
					   "--punch-ttl", "--punch-ttl" };
	static const char *const val[] = { "0", "86401", "1.5", "256", "-1" };
	struct lab_args a;
	char err[160];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(opt) / sizeof(opt[0]); i++) {
		char *argv[] = { "labrun", "run", (char *)opt[i], (char *)val[i] };

		if (parse(&a, ARGC(argv), argv, err) != -EINVAL)
			fail_msg("accepted %s %s", opt[i], val[i]);
	}
}

static void test_matrix_options(void **state)
{
	char *argv[] = { "labrun", "matrix", "--json", "-j", "4", "--messages", "2" };
	char *dflt[] = { "labrun", "matrix" };
	char *wrong[] = { "labrun", "matrix", "--nat-a", "sym" };
	char *jobs0[] = { "labrun", "matrix", "--jobs", "0" };
	char *runjobs[] = { "labrun", "run", "--jobs", "2" };
	struct lab_args a;
	char err[160];

	(void)state;
	assert_int_equal(parse(&a, ARGC(dflt), dflt, err), 0);
	assert_int_equal(a.cmd, LAB_CMD_MATRIX);
	assert_int_equal(a.jobs, 6);
	assert_int_equal(parse(&a, ARGC(argv), argv, err), 0);
	assert_true(a.json);
	assert_int_equal(a.jobs, 4);
	assert_int_equal(a.messages, 2);
	assert_int_equal(parse(&a, ARGC(wrong), wrong, err), -EINVAL);
	assert_non_null(strstr(err, "does not apply to 'matrix'"));
	assert_int_equal(parse(&a, ARGC(jobs0), jobs0, err), -EINVAL);
	assert_int_equal(parse(&a, ARGC(runjobs), runjobs, err), -EINVAL);
}

/* The hard-NAT options: --trials and --cells for the matrix,
 * --spray-probes for run and matrix, --nat-sessions for run, up, matrix. */
static void test_spray_options(void **state)
{
	char *argv[] = { "labrun", "matrix", "--trials", "40", "--cells", "spray",
			 "--spray-probes", "256", "--nat-sessions", "64" };
	char *run[] = { "labrun", "run", "--spray-probes", "1024", "--nat-sessions", "8" };
	char *up[] = { "labrun", "up", "--nat-sessions", "8" };
	char *dflt[] = { "labrun", "matrix" };
	char *bad[][4] = {
		{ "labrun", "matrix", "--trials", "0" },
		{ "labrun", "matrix", "--trials", "201" },
		{ "labrun", "matrix", "--cells", "some" },
		{ "labrun", "run", "--trials", "3" },
		{ "labrun", "up", "--spray-probes", "9" },
		{ "labrun", "run", "--nat-sessions", "0" },
		{ "labrun", "run", "--spray-probes", "65536" },
	};
	struct lab_args a;
	char err[160];

	(void)state;
	assert_int_equal(parse(&a, ARGC(dflt), dflt, err), 0);
	assert_true(a.trials == 0 && !a.spray_cells && a.spray_probes == 0 && a.nat_sessions == 0);
	assert_int_equal(parse(&a, ARGC(argv), argv, err), 0);
	assert_int_equal(a.trials, 40);
	assert_true(a.spray_cells);
	assert_int_equal(a.spray_probes, 256);
	assert_int_equal(a.nat_sessions, 64);
	assert_int_equal(parse(&a, ARGC(run), run, err), 0);
	assert_int_equal(a.spray_probes, 1024);
	assert_int_equal(a.nat_sessions, 8);
	assert_int_equal(parse(&a, ARGC(up), up, err), 0);
	assert_int_equal(a.nat_sessions, 8);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse(&a, 4, bad[i], err), -EINVAL);
	assert_int_equal(parse(&a, 4, bad[0], err), -EINVAL);
	assert_non_null(strstr(err, "--trials wants a number from 1 to 200"));
}

static void test_impair_both_sides(void **state)
{
	char *argv[] = { "labrun", "run", "--delay", "50:10", "--loss", "20", "--reorder=2.5%",
			 "--duplicate", "0.0001" };
	struct lab_args a;
	char err[160];

	(void)state;
	assert_int_equal(parse(&a, ARGC(argv), argv, err), 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(a.imp[i].delay_us, 50000);
		assert_int_equal(a.imp[i].jitter_us, 10000);
		assert_int_equal(a.imp[i].loss_ppm, 200000);
		assert_int_equal(a.imp[i].reorder_ppm, 25000);
		assert_int_equal(a.imp[i].dup_ppm, 1);
	}
	assert_int_equal(a.fault, LAB_FAULT_NONE);
}

static void test_impair_one_side(void **state)
{
	char *argv[] = { "labrun", "run", "--delay", "30", "--delay-b", "5", "--loss-a", "1",
			 "--reorder-b", "3", "--duplicate-a", "4" };
	char *none[] = { "labrun", "run" };
	struct lab_args a;
	char err[160];

	(void)state;
	assert_int_equal(parse(&a, ARGC(argv), argv, err), 0);
	/* later, narrower options win for their side only */
	assert_int_equal(a.imp[0].delay_us, 30000);
	assert_int_equal(a.imp[1].delay_us, 5000);
	assert_int_equal(a.imp[0].loss_ppm, 10000);
	assert_int_equal(a.imp[1].loss_ppm, 0);
	assert_int_equal(a.imp[0].reorder_ppm, 0);
	assert_int_equal(a.imp[1].reorder_ppm, 30000);
	assert_int_equal(a.imp[0].dup_ppm, 40000);
	assert_int_equal(a.imp[1].dup_ppm, 0);
	assert_int_equal(parse(&a, ARGC(none), none, err), 0);
	assert_false(lab_impair_active(&a.imp[0]));
	assert_false(lab_impair_active(&a.imp[1]));
}

static void test_impair_bad_values(void **state)
{
	char *bad[][4] = {
		{ "labrun", "run", "--delay", "-5" },     { "labrun", "run", "--delay", "5:" },
		{ "labrun", "run", "--delay", "60001" },  { "labrun", "run", "--loss", "101" },
		{ "labrun", "run", "--loss", "1e2" },     { "labrun", "run", "--reorder-a", "x" },
		{ "labrun", "run", "--duplicate", "" },   { "labrun", "run", "--loss-b", "0.00001" },
	};
	char *upd[] = { "labrun", "up", "--delay", "5" };
	char *samenat_b[] = { "labrun", "run", "--same-nat", "--loss-b", "5" };
	char *samenat_both[] = { "labrun", "run", "--same-nat", "--loss", "5" };
	struct lab_args a;
	char err[160];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(&a, 4, bad[i], err), -EINVAL);
		assert_non_null(strstr(err, bad[i][2]));
	}
	assert_int_equal(parse(&a, ARGC(upd), upd, err), -EINVAL);
	assert_int_equal(parse(&a, ARGC(samenat_b), samenat_b, err), -EINVAL);
	assert_non_null(strstr(err, "router B"));
	assert_int_equal(parse(&a, ARGC(samenat_both), samenat_both, err), 0);
	{
		char *jit[] = { "labrun", "run", "--delay-a", "20:30" };

		assert_int_equal(parse(&a, ARGC(jit), jit, err), -EINVAL);
		assert_non_null(strstr(err, "jitter must not exceed the delay"));
	}
}

/* An error quotes what was typed, as one line without control bytes
 * (found by tests/fuzz/fuzz_args.c). */
static void test_error_is_one_clean_line(void **state)
{
	char *argv[] = { "labrun", "r\nun\x1b[2J" };
	char *opt[] = { "labrun", "run", "--prefix", "a\nb" };
	struct lab_args a;
	char err[160];

	(void)state;
	assert_int_equal(parse(&a, ARGC(argv), argv, err), -EINVAL);
	assert_null(strchr(err, '\n'));
	assert_null(strchr(err, '\x1b'));
	assert_non_null(strstr(err, "r?un?[2J"));
	assert_int_equal(parse(&a, ARGC(opt), opt, err), -EINVAL);
	assert_null(strchr(err, '\n'));
}

static void test_fault_option(void **state)
{
	static const struct {
		const char *name;
		enum lab_fault f;
	} ok[] = { { "rebind", LAB_FAULT_REBIND }, { "idle", LAB_FAULT_IDLE },
		   { "server-restart", LAB_FAULT_SERVER_RESTART },
		   { "server-down", LAB_FAULT_SERVER_DOWN } };
	char *bad[] = { "labrun", "run", "--fault", "reboot" };
	char *with_probe[] = { "labrun", "run", "--fault", "idle", "--probe" };
	char *with_same[] = { "labrun", "run", "--fault", "idle", "--same-nat" };
	struct lab_args a;
	char err[160];

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char *argv[] = { "labrun", "run", "--fault", (char *)ok[i].name };

		assert_int_equal(parse(&a, ARGC(argv), argv, err), 0);
		assert_int_equal(a.fault, ok[i].f);
		assert_string_equal(lab_args_fault_name(a.fault), ok[i].name);
	}
	assert_int_equal(parse(&a, ARGC(bad), bad, err), -EINVAL);
	assert_non_null(strstr(err, "reboot"));
	assert_int_equal(parse(&a, ARGC(with_probe), with_probe, err), -EINVAL);
	assert_int_equal(parse(&a, ARGC(with_same), with_same, err), -EINVAL);
}

/* lab_args_parse with its stdout captured: the return value, and in out
 * what it printed there. */
static int parse_stdout(int argc, char *const argv[], char *err, char *out, size_t outlen)
{
	struct lab_args a;
	FILE *tmp = tmpfile();
	int saved, ret;
	size_t n;

	assert_non_null(tmp);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), STDOUT_FILENO) >= 0);
	ret = parse(&a, argc, argv, err);
	fflush(stdout);
	assert_true(dup2(saved, STDOUT_FILENO) >= 0);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, outlen - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
	return ret;
}

/* --json promises one JSON object on stdout: a usage error is one too. */
static void test_json_usage_errors(void **state)
{
	char *bad_value[] = { "labrun", "run", "--json", "--messages", "0" };
	char *bad_after[] = { "labrun", "run", "--bogus", "--json" };
	char *bad_cmd[] = { "labrun", "fly", "--json" };
	char *implicit_run[] = { "labrun", "--json", "--all" };
	char *not_here[] = { "labrun", "up", "--json" };
	char *with_value[] = { "labrun", "matrix", "--json=yes" };
	char *plain[] = { "labrun", "run", "--messages", "0" };
	char *after_dashes[] = { "labrun", "run", "--", "--json" };
	char *fine[] = { "labrun", "run", "--json" };
	char err[160], out[512];

	(void)state;
	assert_int_equal(parse_stdout(ARGC(bad_value), bad_value, err, out, sizeof(out)), -EINVAL);
	assert_string_equal(out, "{\"schema_version\":1,\"result\":\"error\",\"command\":\"run\","
				 "\"reason\":\"--messages wants a number from 1 to 1000, not '0'\"}\n");
	assert_int_equal(parse_stdout(ARGC(bad_after), bad_after, err, out, sizeof(out)), -EINVAL);
	assert_string_equal(out, "{\"schema_version\":1,\"result\":\"error\",\"command\":\"run\","
				 "\"reason\":\"unknown option '--bogus'\"}\n");
	assert_int_equal(parse_stdout(ARGC(bad_cmd), bad_cmd, err, out, sizeof(out)), -EINVAL);
	assert_non_null(strstr(out, "\"command\":null,\"reason\":\"unknown command 'fly' (try: "));
	assert_int_equal(parse_stdout(ARGC(implicit_run), implicit_run, err, out, sizeof(out)),
			 -EINVAL);
	assert_non_null(strstr(out, "\"command\":\"run\",\"reason\":\"option '--all' does not "
				    "apply to 'run'\"}\n"));
	assert_int_equal(parse_stdout(ARGC(not_here), not_here, err, out, sizeof(out)), -EINVAL);
	assert_non_null(strstr(out, "\"command\":\"up\",\"reason\":\"option '--json' does not "
				    "apply to 'up'\"}\n"));
	assert_int_equal(parse_stdout(ARGC(with_value), with_value, err, out, sizeof(out)),
			 -EINVAL);
	assert_non_null(strstr(out, "\"command\":\"matrix\",\"reason\":\"option '--json' takes "
				    "no value\"}\n"));
	/* the error line itself is still main.c's to print on stderr */
	assert_string_equal(err, "option '--json' takes no value");
	/* without --json (or with it only after `--`), stdout stays empty */
	assert_int_equal(parse_stdout(ARGC(plain), plain, err, out, sizeof(out)), -EINVAL);
	assert_string_equal(out, "");
	assert_int_equal(parse_stdout(ARGC(after_dashes), after_dashes, err, out, sizeof(out)),
			 -EINVAL);
	assert_string_equal(out, "");
	assert_int_equal(parse_stdout(ARGC(fine), fine, err, out, sizeof(out)), 0);
	assert_string_equal(out, "");
}

static void test_file_formats(void **state)
{
	char *run[] = { "labrun", "run", "--junit", "out/run.xml", "--markdown=sum.md" };
	char *matrix[] = { "labrun", "matrix", "--json", "--junit=m.xml" };
	char *none[] = { "labrun", "run" };
	char *empty[] = { "labrun", "run", "--junit=" };
	char *missing[] = { "labrun", "matrix", "--markdown" };
	char *up[] = { "labrun", "up", "--junit", "x.xml" };
	struct lab_args a;
	char err[160];

	(void)state;
	assert_int_equal(parse(&a, ARGC(run), run, err), 0);
	assert_string_equal(a.files[LAB_FORMAT_JUNIT], "out/run.xml");
	assert_string_equal(a.files[LAB_FORMAT_MARKDOWN], "sum.md");
	assert_null(a.files[LAB_FORMAT_TEXT]);
	assert_null(a.files[LAB_FORMAT_JSON]);
	assert_int_equal(lab_args_format(&a), LAB_FORMAT_TEXT);
	assert_int_equal(parse(&a, ARGC(matrix), matrix, err), 0);
	assert_string_equal(a.files[LAB_FORMAT_JUNIT], "m.xml");
	assert_null(a.files[LAB_FORMAT_MARKDOWN]);
	assert_int_equal(lab_args_format(&a), LAB_FORMAT_JSON);
	assert_int_equal(parse(&a, ARGC(none), none, err), 0);
	for (int f = 0; f < LAB_FORMAT_COUNT; f++)
		assert_null(a.files[f]);
	assert_int_equal(parse(&a, ARGC(empty), empty, err), -EINVAL);
	assert_string_equal(err, "--junit wants a file name");
	assert_int_equal(parse(&a, ARGC(missing), missing, err), -EINVAL);
	assert_non_null(strstr(err, "needs a value"));
	assert_int_equal(parse(&a, ARGC(up), up, err), -EINVAL);
	assert_non_null(strstr(err, "does not apply to 'up'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bare_is_help),
		cmocka_unit_test(test_json_usage_errors),
		cmocka_unit_test(test_file_formats),
		cmocka_unit_test(test_run_defaults),
		cmocka_unit_test(test_run_options),
		cmocka_unit_test(test_short_flag_cluster),
		cmocka_unit_test(test_options_alone_mean_run),
		cmocka_unit_test(test_bad_messages),
		cmocka_unit_test(test_missing_value),
		cmocka_unit_test(test_unknown_things),
		cmocka_unit_test(test_option_scoped_to_command),
		cmocka_unit_test(test_each_command),
		cmocka_unit_test(test_help_and_hint_from_table),
		cmocka_unit_test(test_nat_names_from_table),
		cmocka_unit_test(test_up_down_clean_bench_options),
		cmocka_unit_test(test_help_topic),
		cmocka_unit_test(test_prefix_rules),
		cmocka_unit_test(test_bad_prefix_option),
		cmocka_unit_test(test_personality_options),
		cmocka_unit_test(test_personality_defaults),
		cmocka_unit_test(test_same_nat_and_hairpin),
		cmocka_unit_test(test_topology),
		cmocka_unit_test(test_bad_personality_values),
		cmocka_unit_test(test_matrix_options),
		cmocka_unit_test(test_spray_options),
		cmocka_unit_test(test_impair_both_sides),
		cmocka_unit_test(test_impair_one_side),
		cmocka_unit_test(test_impair_bad_values),
		cmocka_unit_test(test_error_is_one_clean_line),
		cmocka_unit_test(test_fault_option),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
