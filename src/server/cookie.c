// SPDX-License-Identifier: MIT
#include <string.h>

#include <sodium.h>

#include "server/cookie.h"

void cookie_init(struct cookie_jar *j, uint64_t now_us)
{
	randombytes_buf(j->secret, sizeof(j->secret));
	j->cur = 0;
	j->rotated_ms = now_us / 1000;
}

/* A new current secret once the old one is COOKIE_ROTATE_MS old; after a
 * long idle both are replaced, so no cookie outlives two periods. */
static void cookie_rotate(struct cookie_jar *j, uint64_t now_us)
{
	uint64_t now_ms = now_us / 1000;

	if (now_ms - j->rotated_ms < COOKIE_ROTATE_MS)
		return;
	if (now_ms - j->rotated_ms >= 2 * (uint64_t)COOKIE_ROTATE_MS)
		randombytes_buf(j->secret[j->cur], COOKIE_SECRET_LEN);
	j->cur ^= 1;
	randombytes_buf(j->secret[j->cur], COOKIE_SECRET_LEN);
	j->rotated_ms = now_ms;
}

/* Keyed BLAKE2b (libsodium crypto_generichash) over the endpoint's wire
 * form, the token and the issue time: the endpoint as the server saw it,
 * so a cookie is good only where it was sent, and the time cannot be
 * altered. libsodium's shortest output is 16 bytes; the first 12 are
 * kept (truncating a keyed hash, as HMAC-SHA-256-128 does, RFC 4868 s.2.3). */
static void cookie_mac(const uint8_t *secret, const struct hp_endpoint *from,
		       const uint8_t token[HP_TOKEN_LEN], const uint8_t issued[COOKIE_TIME_LEN],
		       uint8_t out[COOKIE_MAC_LEN])
{
	crypto_generichash_state st;
	uint8_t port[2] = { (uint8_t)(from->port >> 8), (uint8_t)from->port };
	uint8_t fam = (uint8_t)from->family;
	uint8_t mac[crypto_generichash_BYTES_MIN];

	crypto_generichash_init(&st, secret, COOKIE_SECRET_LEN, sizeof(mac));
	crypto_generichash_update(&st, &fam, 1);
	crypto_generichash_update(&st, from->addr, from->family == HP_FAMILY_V6 ? 16 : 4);
	crypto_generichash_update(&st, port, sizeof(port));
	crypto_generichash_update(&st, token, HP_TOKEN_LEN);
	crypto_generichash_update(&st, issued, COOKIE_TIME_LEN);
	crypto_generichash_final(&st, mac, sizeof(mac));
	memcpy(out, mac, COOKIE_MAC_LEN);
}

void cookie_make(struct cookie_jar *j, uint64_t now_us, const struct hp_endpoint *from,
		 const uint8_t token[HP_TOKEN_LEN], uint8_t out[HP_COOKIE_LEN])
{
	uint32_t t = (uint32_t)now_us;

	cookie_rotate(j, now_us);
	out[0] = (uint8_t)(t >> 24);
	out[1] = (uint8_t)(t >> 16);
	out[2] = (uint8_t)(t >> 8);
	out[3] = (uint8_t)t;
	cookie_mac(j->secret[j->cur], from, token, out, out + COOKIE_TIME_LEN);
}

bool cookie_valid(struct cookie_jar *j, uint64_t now_us, const struct hp_endpoint *from,
		  const uint8_t token[HP_TOKEN_LEN], const uint8_t cookie[HP_COOKIE_LEN],
		  uint64_t *age_us)
{
	uint8_t want[COOKIE_MAC_LEN];
	uint32_t issued;
	int i;

	cookie_rotate(j, now_us);
	for (i = 0; i < 2; i++) {
		cookie_mac(j->secret[j->cur ^ i], from, token, cookie, want);
		if (sodium_memcmp(want, cookie + COOKIE_TIME_LEN, COOKIE_MAC_LEN) != 0)
			continue;
		issued = (uint32_t)cookie[0] << 24 | (uint32_t)cookie[1] << 16 |
			 (uint32_t)cookie[2] << 8 | cookie[3];
		/* modulo 2^32: right for any cookie younger than 71 minutes,
		 * and the rotation keeps none older than 4 */
		*age_us = (uint32_t)((uint32_t)now_us - issued);
		return true;
	}
	return false;
}
