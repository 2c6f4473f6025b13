/* SPDX-License-Identifier: MIT */
#ifndef LAB_UPDOWN_H
#define LAB_UPDOWN_H

struct lab_args;

/* `lab up`: build the topology (and start hpserver, detached) and leave
 * it for exploring, unless a signal came on sigfd meanwhile (then remove
 * it and return 1); `lab down`: remove it. Return exit statuses. */
int lab_updown_up(const struct lab_args *a, int sigfd, const char *bindir);
int lab_updown_down(const struct lab_args *a);
/* The hidden `capture` command `up --pcap` starts (capture.h): captures
 * the topology a names into a->pcap until a signal comes on sigfd. */
int lab_updown_capture(const struct lab_args *a, int sigfd);

#endif
