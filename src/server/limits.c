// SPDX-License-Identifier: MIT
#include <string.h>

#include "server/limits.h"

void limits_init(struct limits *l, uint32_t reg_rate, uint64_t relay_rate)
{
	memset(l, 0, sizeof(*l));
	crypto_shorthash_keygen(l->key);
	l->reg_rate = reg_rate;
	l->relay_rate = relay_rate;
}

static size_t limits_slot(const struct limits *l, const struct hp_endpoint *from)
{
	uint8_t in[17], h[crypto_shorthash_BYTES];
	uint64_t v;

	in[0] = from->family;
	memcpy(in + 1, from->addr, 16);
	crypto_shorthash(h, in, from->family == HP_FAMILY_V6 ? 17 : 5, l->key);
	memcpy(&v, h, sizeof(v));
	return (size_t)(v & (LIMITS_SLOTS - 1));
}

/* rate units per second, one second deep; cost units. */
static bool limits_take(struct limits_bucket *b, uint64_t rate, uint64_t cost, uint64_t now_ms)
{
	uint64_t depth = rate * 1000;

	if (b->at_ms == 0 || now_ms < b->at_ms) {
		b->level = depth;
	} else {
		uint64_t add = (now_ms - b->at_ms) * rate;

		b->level = add >= depth - b->level ? depth : b->level + add;
	}
	b->at_ms = now_ms ? now_ms : 1;
	if (b->level < cost * 1000)
		return false;
	b->level -= cost * 1000;
	return true;
}

bool limits_register_ok(struct limits *l, const struct hp_endpoint *from, uint64_t now_ms)
{
	if (!l->reg_rate)
		return true;
	return limits_take(&l->reg[limits_slot(l, from)], l->reg_rate, 1, now_ms);
}

bool limits_relay_ok(struct limits *l, const struct hp_endpoint *from, size_t bytes,
		     uint64_t now_ms)
{
	if (!l->relay_rate)
		return true;
	return limits_take(&l->relay[limits_slot(l, from)], l->relay_rate, bytes, now_ms);
}
