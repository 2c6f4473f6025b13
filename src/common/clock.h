/* SPDX-License-Identifier: MIT */
#ifndef HP_CLOCK_H
#define HP_CLOCK_H

#include <stdint.h>

/*
 * CLOCK_MONOTONIC: for timers and intervals, never wall time. It is one
 * clock for every process on the machine (clock_gettime(2)), so the lab
 * can put the clients' event times (t_us) and its own on one line.
 */
uint64_t hp_clock_us(void);
uint64_t hp_clock_ms(void); /* hp_clock_us() / 1000 */

#endif
