/* SPDX-License-Identifier: MIT */
#ifndef HPCLIENT_PUNCHWAIT_H
#define HPCLIENT_PUNCHWAIT_H

#include <stdint.h>

#include "proto.h"

/* With the INTRO's timing, the normal punches to the public endpoint wait
 * this long beyond the skew the timing shows (punch_wait_us). */
#define PATH_PUBLIC_MARGIN_US 1000
/* ... but when the peer's word that its NAT is open (HP_FLAG_OPENED) is
 * expected sooner than this, they wait for it instead (punch_wait_us) */
#define PATH_OPENED_WAIT_MAX_US 25000

/* How long (us), counted from our short-TTL punch, the normal punches to
 * the peer's public endpoint wait, from the INTRO's timing (or without it,
 * from our own server round trip, ms). Unless the peer's word comes first
 * (HP_FLAG_OPENED, path.c). */
uint64_t punch_wait_us(const struct hp_intro *in, uint64_t server_rtt_ms);

#endif
