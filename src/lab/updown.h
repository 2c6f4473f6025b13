/* SPDX-License-Identifier: MIT */
#ifndef LAB_UPDOWN_H
#define LAB_UPDOWN_H

struct lab_args;

/* `labrun up`: build the topology (and start hpserver, detached) and leave
 * it for exploring; `labrun down`: remove it. Return exit statuses. */
int lab_updown_up(const struct lab_args *a, const char *bindir);
int lab_updown_down(const struct lab_args *a);

#endif
