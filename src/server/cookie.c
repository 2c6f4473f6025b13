// SPDX-License-Identifier: MIT
#include <string.h>

#include <sodium.h>

#include "server/cookie.h"

void cookie_init(struct cookie_jar *j, uint64_t now_ms)
{
	randombytes_buf(j->secret, sizeof(j->secret));
	j->cur = 0;
	j->rotated_ms = now_ms;
}

/* A new current secret once the old one is COOKIE_ROTATE_MS old; after a
 * long idle both are replaced, so no cookie outlives two periods. */
static void cookie_rotate(struct cookie_jar *j, uint64_t now_ms)
{
	if (now_ms - j->rotated_ms < COOKIE_ROTATE_MS)
		return;
	if (now_ms - j->rotated_ms >= 2 * (uint64_t)COOKIE_ROTATE_MS)
		randombytes_buf(j->secret[j->cur], COOKIE_SECRET_LEN);
	j->cur ^= 1;
	randombytes_buf(j->secret[j->cur], COOKIE_SECRET_LEN);
	j->rotated_ms = now_ms;
}

/* Keyed BLAKE2b (libsodium crypto_generichash) over the endpoint's wire
 * form and the token: the endpoint as the server saw it, so a cookie
 * is good only where it was sent. */
static void cookie_mac(const uint8_t *secret, const struct hp_endpoint *from,
		       const uint8_t token[HP_TOKEN_LEN], uint8_t out[HP_COOKIE_LEN])
{
	crypto_generichash_state st;
	uint8_t port[2] = { (uint8_t)(from->port >> 8), (uint8_t)from->port };
	uint8_t fam = (uint8_t)from->family;

	crypto_generichash_init(&st, secret, COOKIE_SECRET_LEN, HP_COOKIE_LEN);
	crypto_generichash_update(&st, &fam, 1);
	crypto_generichash_update(&st, from->addr, from->family == HP_FAMILY_V6 ? 16 : 4);
	crypto_generichash_update(&st, port, sizeof(port));
	crypto_generichash_update(&st, token, HP_TOKEN_LEN);
	crypto_generichash_final(&st, out, HP_COOKIE_LEN);
}

void cookie_make(struct cookie_jar *j, uint64_t now_ms, const struct hp_endpoint *from,
		 const uint8_t token[HP_TOKEN_LEN], uint8_t out[HP_COOKIE_LEN])
{
	cookie_rotate(j, now_ms);
	cookie_mac(j->secret[j->cur], from, token, out);
}

bool cookie_valid(struct cookie_jar *j, uint64_t now_ms, const struct hp_endpoint *from,
		  const uint8_t token[HP_TOKEN_LEN], const uint8_t cookie[HP_COOKIE_LEN])
{
	uint8_t want[HP_COOKIE_LEN];
	int i;

	cookie_rotate(j, now_ms);
	for (i = 0; i < 2; i++) {
		cookie_mac(j->secret[j->cur ^ i], from, token, want);
		if (sodium_memcmp(want, cookie, HP_COOKIE_LEN) == 0)
			return true;
	}
	return false;
}
