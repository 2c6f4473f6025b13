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

#endif
