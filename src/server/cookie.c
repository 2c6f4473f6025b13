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

/*
 * SipHash-2-4 with its 128-bit output (libsodium
 * crypto_shorthash_siphashx24) over the endpoint's wire form, the token
 * and the issue time: the endpoint as the server saw it, so a cookie is
 * good only where it was sent, and the time cannot be altered. SipHash is
 * a MAC for short inputs under a 128-bit key (Aumasson and Bernstein,
 * "SipHash: a fast short-input PRF", 2012); Linux makes its TCP SYN
 * cookies with it. The first 12 bytes are kept (a truncated MAC, as
 * HMAC-SHA-256-128 is, RFC 4868 s.2.3). A keyed BLAKE2b here cost some
 * 480 ns per cookie, a fifth of a REGISTER; this costs some 25.
 */
_Static_assert(COOKIE_SECRET_LEN == crypto_shorthash_siphashx24_KEYBYTES, "a SipHash key");

static void cookie_mac(const uint8_t *secret, const struct hp_endpoint *from,
		       const uint8_t token[HP_TOKEN_LEN], const uint8_t issued[COOKIE_TIME_LEN],
		       uint8_t out[COOKIE_MAC_LEN])
{
	uint8_t msg[1 + 16 + 2 + HP_TOKEN_LEN + COOKIE_TIME_LEN], *w = msg;
	uint8_t mac[crypto_shorthash_siphashx24_BYTES];
	size_t alen = from->family == HP_FAMILY_V6 ? 16 : 4;

	_Static_assert(COOKIE_MAC_LEN <= sizeof(mac), "the MAC is a truncated SipHash-128");
	*w++ = (uint8_t)from->family;
	memcpy(w, from->addr, alen);
	w += alen;
	*w++ = (uint8_t)(from->port >> 8);
	*w++ = (uint8_t)from->port;
	memcpy(w, token, HP_TOKEN_LEN);
	w += HP_TOKEN_LEN;
	memcpy(w, issued, COOKIE_TIME_LEN);
	w += COOKIE_TIME_LEN;
	crypto_shorthash_siphashx24(mac, msg, (unsigned long long)(w - msg), secret);
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
