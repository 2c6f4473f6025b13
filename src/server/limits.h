/* SPDX-License-Identifier: MIT */
#ifndef HP_SERVER_LIMITS_H
#define HP_SERVER_LIMITS_H
/*
 * Per-source rates (docs/hpserver.md, "Per-source limits"): registrations
 * per second and relayed bytes per second from one address (any port),
 * each a token bucket one second deep. The buckets live in a fixed table
 * indexed by a keyed hash of the address, so its memory is bounded however
 * many addresses write to the server; two addresses that share a slot
 * share its budget (only the key's holder could choose such a pair). Only
 * sources that proved return routability reach it. Pure: the caller
 * passes the clock.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "endpoint.h"

#define LIMITS_SLOTS 4096 /* power of two */

struct limits_bucket {
	uint64_t level;   /* units left, times 1000 */
	uint64_t at_ms;   /* last refill; 0: never used (full) */
};

struct limits {
	uint8_t key[crypto_shorthash_KEYBYTES];
	uint32_t reg_rate;    /* registrations per second per address; 0: no limit */
	uint64_t relay_rate;  /* relayed bytes per second per address; 0: no limit */
	struct limits_bucket reg[LIMITS_SLOTS], relay[LIMITS_SLOTS];
};

/* A fresh table (libsodium must be initialised). */
void limits_init(struct limits *l, uint32_t reg_rate, uint64_t relay_rate);
/* May `from` register once more now? Takes one unit when it may. */
bool limits_register_ok(struct limits *l, const struct hp_endpoint *from, uint64_t now_ms);
/* May `from` have `bytes` relayed now? Takes them when it may. */
bool limits_relay_ok(struct limits *l, const struct hp_endpoint *from, size_t bytes,
		     uint64_t now_ms);

#endif
