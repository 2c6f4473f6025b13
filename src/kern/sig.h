/* SPDX-License-Identifier: MIT */
#ifndef LAB_SIG_H
#define LAB_SIG_H

/*
 * SIGINT, SIGTERM and SIGHUP become readable events on a signalfd, so the
 * runner notices them in its poll loop (or between setup steps) and always
 * gets to tear down, also when it was started with them ignored (a
 * shell's background job): lab_sig_open() restores their default action
 * once they are blocked. Children get a clean signal mask back (proc.c).
 */
int lab_sig_open(void);
/* The pending signal number, or 0 if none (never blocks). */
int lab_sig_check(int sigfd);
/* "SIGINT", "SIGTERM", "SIGHUP" (the ones lab_sig_open() watches), else
 * "a signal": for "interrupted by ..." lines. */
const char *lab_sig_name(int signo);

#endif
