/* SPDX-License-Identifier: MIT */
#ifndef HP_CLOCK_H
#define HP_CLOCK_H

#include <stdint.h>

/* Milliseconds on CLOCK_MONOTONIC: for timers and intervals, never wall time. */
uint64_t hp_clock_ms(void);

#endif
