// SPDX-License-Identifier: MIT
#include <time.h>

#include "clock.h"

uint64_t hp_clock_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t hp_clock_ms(void)
{
	return hp_clock_us() / 1000u;
}
