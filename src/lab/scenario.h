/* SPDX-License-Identifier: MIT */
#ifndef LAB_SCENARIO_H
#define LAB_SCENARIO_H

struct lab_args;

/*
 * `labrun run`: build the topology, start hpserver in srv and hpclient in
 * hA and hB, make them chat, check every line crossed once, in order and
 * directly, tear everything down, report. Returns the exit status
 * (0 pass, 1 fail, 2 setup error).
 */
int lab_scenario_run(const struct lab_args *a, int sigfd, const char *bindir);

/* The same run, printing nothing itself: rep (lab_report_init'ed by the
 * caller, in its output format, with or without a stream) receives everything.
 * Returns the exit status. For `labrun matrix`, one per cell. */
struct lab_report;
int lab_scenario_exec(const struct lab_args *a, int sigfd, const char *bindir,
		      struct lab_report *rep);

#endif
