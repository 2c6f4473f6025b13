// SPDX-License-Identifier: MIT
/* The fault table (fault.c): every row complete, names unique, parsing by
 * name round-trips, and the help and errors list exactly its names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lab/args.h"
#include "lab/fault.h"
#include "lab/report.h"
#include "lab/scenario_int.h"

static void test_every_row_is_complete(void **state)
{
	(void)state;
	assert_null(lab_fault_get(LAB_FAULT_NONE));
	assert_null(lab_fault_get(LAB_FAULT_COUNT));
	for (int f = LAB_FAULT_NONE + 1; f < LAB_FAULT_COUNT; f++) {
		const struct lab_fault_ops *o = lab_fault_get((enum lab_fault)f);

		assert_non_null(o);
		assert_non_null(o->name);
		assert_true(o->name[0]);
		assert_non_null(o->help);
		assert_true(o->help[0]);
		assert_non_null(o->verify);
		/* a tick or done needs an inject to start them */
		if (o->tick || o->done)
			assert_non_null(o->inject);
		for (int g = LAB_FAULT_NONE + 1; g < f; g++)
			assert_string_not_equal(lab_fault_get((enum lab_fault)g)->name, o->name);
	}
}

static void test_find_round_trips(void **state)
{
	(void)state;
	for (int f = LAB_FAULT_NONE + 1; f < LAB_FAULT_COUNT; f++) {
		const char *name = lab_fault_get((enum lab_fault)f)->name;

		assert_int_equal(lab_fault_find(name), f);
		assert_string_equal(lab_args_fault_name((enum lab_fault)f), name);
	}
	assert_int_equal(lab_fault_find("none"), LAB_FAULT_NONE);
	assert_int_equal(lab_fault_find("reboot"), LAB_FAULT_NONE);
	assert_int_equal(lab_fault_find(""), LAB_FAULT_NONE);
	assert_string_equal(lab_args_fault_name(LAB_FAULT_NONE), "none");
}

static void test_names_in_table_order(void **state)
{
	char want[256] = "";

	(void)state;
	for (int f = LAB_FAULT_NONE + 1; f < LAB_FAULT_COUNT; f++) {
		if (want[0])
			strcat(want, ", ");
		strcat(want, lab_fault_get((enum lab_fault)f)->name);
	}
	assert_string_equal(lab_fault_names(), want);
	assert_string_equal(lab_fault_names(), "rebind, idle, server-restart, server-down");
}

/* `run --help` and the unknown-fault error name exactly the table's faults. */
static void test_help_and_error_list_the_table(void **state)
{
	char *text = NULL, err[160], line[256];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	char *argv[] = { "labrun", "run", "--fault", "reboot" };
	struct lab_args a;

	(void)state;
	assert_non_null(f);
	lab_args_usage(f, LAB_CMD_RUN);
	fclose(f);
	snprintf(line, sizeof(line), "inject F mid-chat: %s\n", lab_fault_names());
	assert_non_null(strstr(text, line));
	free(text);
	assert_int_equal(lab_args_parse(&a, 4, argv, err, sizeof(err)), -22);
	snprintf(line, sizeof(line), "(try: %s)", lab_fault_names());
	assert_non_null(strstr(err, line));
}

/* What the rows ask of the run, as docs/lab.md describes each fault. */
static void test_rows_say_what_they_need(void **state)
{
	const struct lab_fault_ops *down = lab_fault_get(LAB_FAULT_SERVER_DOWN);
	const struct lab_fault_ops *idle = lab_fault_get(LAB_FAULT_IDLE);

	(void)state;
	assert_true(down->flags & LAB_FAULT_NO_SERVER);
	assert_true(down->flags & LAB_FAULT_CLIENTS_FAIL);
	assert_null(down->inject);
	assert_string_equal(down->expect, "none");
	assert_int_equal(idle->udp_timeout, 5);
	assert_string_equal(idle->client_opts[0], "--keepalive");
	for (int f = LAB_FAULT_NONE + 1; f < LAB_FAULT_COUNT; f++) {
		const struct lab_fault_ops *o = lab_fault_get((enum lab_fault)f);

		if (o != down)
			assert_false(o->flags & (LAB_FAULT_NO_SERVER | LAB_FAULT_CLIENTS_FAIL));
	}
}

/* The shared machinery with server-restart's row, no kernel: the first
 * half crosses, inject asks to stop the server and lets the rest through;
 * once the pair is over the second pair is asked for, and it is done only
 * when that pair is over too. */
static void test_midchat_phases(void **state)
{
	static struct lab_report rep;
	struct side side[RUN_SIDES];
	struct lab_report_side rs[RUN_SIDES];
	struct lab_fault_ctx c;

	(void)state;
	memset(side, 0, sizeof(side));
	memset(rs, 0, sizeof(rs));
	for (int i = 0; i < RUN_SIDES; i++) {
		side[i].rep = &rs[i];
		side[i].started = i < 2;
		side[i].proc.out.fd = side[i].proc.err.fd = 3;
	}
	lab_report_init(&rep, LAB_FORMAT_JSON, NULL, 0);
	snprintf(rep.fault, sizeof(rep.fault), "server-restart");
	lab_fault_init(&c, LAB_FAULT_SERVER_RESTART, 4, side, NULL, &rep, "192.0.2.10:3478");
	lab_fault_begin(&c);
	assert_int_equal(c.phase, LAB_FAULT_FIRST);
	assert_int_equal(c.feed_limit, 2);
	assert_int_equal(lab_fault_wait_ms(&c), -1);
	assert_int_equal(lab_fault_tick(&c), LAB_FAULT_ASK_NOTHING);
	assert_false(lab_fault_done(&c));
	for (int i = 0; i < 2; i++) {
		rs[i].received = 2;
		side[i].acked_events = 2;
		rs[i].connects = 1;
	}
	assert_int_equal(lab_fault_tick(&c), LAB_FAULT_ASK_STOP_SERVER);
	assert_int_equal(c.phase, LAB_FAULT_PLAYING);
	assert_int_equal(c.feed_limit, 4);
	assert_true(c.server_stopped);
	assert_true(rep.fault_ms >= 0);
	assert_int_equal(c.connects_at[0], 1);
	assert_int_equal(lab_fault_tick(&c), LAB_FAULT_ASK_NOTHING);
	assert_false(lab_fault_done(&c));
	for (int i = 0; i < 2; i++) {
		side[i].proc.exited = true;
		side[i].proc.out.fd = side[i].proc.err.fd = -1;
	}
	assert_false(lab_fault_done(&c));
	assert_int_equal(lab_fault_tick(&c), LAB_FAULT_ASK_PAIR2);
	assert_int_equal(lab_fault_tick(&c), LAB_FAULT_ASK_NOTHING);
	side[2].started = side[3].started = true;
	assert_false(lab_fault_done(&c));
	for (int i = 2; i < 4; i++) {
		side[i].proc.exited = true;
		side[i].proc.out.fd = side[i].proc.err.fd = -1;
	}
	assert_true(lab_fault_done(&c));
	assert_int_equal(rep.result, LAB_RESULT_PASS);
}

/* A pair that ends before the first half crossed ends the fault: verify
 * then says it was never injected. */
static void test_never_injected(void **state)
{
	static struct lab_report rep;
	struct side side[RUN_SIDES];
	struct lab_report_side rs[RUN_SIDES];
	struct lab_fault_ctx c;

	(void)state;
	memset(side, 0, sizeof(side));
	memset(rs, 0, sizeof(rs));
	for (int i = 0; i < RUN_SIDES; i++)
		side[i].rep = &rs[i];
	lab_report_init(&rep, LAB_FORMAT_JSON, NULL, 0);
	snprintf(rep.fault, sizeof(rep.fault), "rebind");
	lab_fault_init(&c, LAB_FAULT_REBIND, 3, side, NULL, &rep, "192.0.2.10:3478");
	lab_fault_begin(&c);
	assert_int_equal(c.feed_limit, 2);
	assert_int_equal(lab_fault_tick(&c), LAB_FAULT_ASK_NOTHING);
	assert_int_equal(c.phase, LAB_FAULT_OVER);
	assert_true(lab_fault_done(&c));
	lab_fault_verify(&c);
	assert_int_equal(rep.result, LAB_RESULT_FAIL);
	assert_string_equal(rep.reason, "rebind: never injected: the chat's first half did not cross");
}

/* No fault: everything typed at once, nothing to wait for. */
static void test_no_fault(void **state)
{
	static struct lab_report rep;
	struct side side[RUN_SIDES];
	struct lab_fault_ctx c;

	(void)state;
	memset(side, 0, sizeof(side));
	lab_report_init(&rep, LAB_FORMAT_JSON, NULL, 0);
	lab_fault_init(&c, LAB_FAULT_NONE, 5, side, NULL, &rep, "");
	lab_fault_begin(&c);
	assert_int_equal(c.phase, LAB_FAULT_OFF);
	assert_int_equal(c.feed_limit, 5);
	assert_int_equal(lab_fault_tick(&c), LAB_FAULT_ASK_NOTHING);
	assert_true(lab_fault_done(&c));
	assert_false(lab_fault_has(&c, LAB_FAULT_NO_SERVER));
	assert_null(lab_fault_client_opts(&c));
	assert_int_equal(lab_fault_extra_ms(&c), 0);
	lab_fault_verify(&c);
	assert_int_equal(rep.result, LAB_RESULT_PASS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_row_is_complete),
		cmocka_unit_test(test_find_round_trips),
		cmocka_unit_test(test_names_in_table_order),
		cmocka_unit_test(test_help_and_error_list_the_table),
		cmocka_unit_test(test_rows_say_what_they_need),
		cmocka_unit_test(test_midchat_phases),
		cmocka_unit_test(test_never_injected),
		cmocka_unit_test(test_no_fault),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
