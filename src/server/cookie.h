/* SPDX-License-Identifier: MIT */
#ifndef HP_SERVER_COOKIE_H
#define HP_SERVER_COOKIE_H
/*
 * Return routability without state (docs/protocol.md, "Return
 * routability"): a cookie is a MAC over the source endpoint, the token and
 * the time it was made, under a secret that rotates, like WireGuard's
 * cookie reply or DTLS's HelloVerifyRequest (RFC 6347 s.4.2.1). A client
 * that sends it back proves it receives at that source; the server keeps
 * nothing for a source until then. Because the cookie carries its own
 * (authenticated) issue time, the REGISTER that returns it also gives the
 * server that client's round trip, still without state. Pure: the caller
 * passes the clock.
 *
 *   cookie = issued[4] || MAC[12]
 *   issued = the server's CLOCK_MONOTONIC in microseconds, mod 2^32,
 *            big-endian (wraps every 71 minutes; a cookie lives 4 at most)
 */
#include <stdbool.h>
#include <stdint.h>

#include "endpoint.h"
#include "proto.h"

#define COOKIE_ROTATE_MS 120000 /* a cookie is good for 2 to 4 minutes */
#define COOKIE_SECRET_LEN 16 /* crypto_shorthash_siphashx24_KEYBYTES */
#define COOKIE_TIME_LEN 4
#define COOKIE_MAC_LEN (HP_COOKIE_LEN - COOKIE_TIME_LEN) /* 96 bits */

struct cookie_jar {
	uint8_t secret[2][COOKIE_SECRET_LEN]; /* [cur], [cur ^ 1] the one before */
	int cur;
	uint64_t rotated_ms;
};

/* Fresh random secrets (libsodium must be initialised). */
void cookie_init(struct cookie_jar *j, uint64_t now_us);
/* The cookie for a source and token under the current secret. */
void cookie_make(struct cookie_jar *j, uint64_t now_us, const struct hp_endpoint *from,
		 const uint8_t token[HP_TOKEN_LEN], uint8_t out[HP_COOKIE_LEN]);
/* Made by cookie_make for this source and token, under the current or
 * the previous secret? Compared in constant time. If so, *age_us gets
 * how long ago it was made (µs): for the REGISTER that answers a COOKIE,
 * the client's round trip to the server. */
bool cookie_valid(struct cookie_jar *j, uint64_t now_us, const struct hp_endpoint *from,
		  const uint8_t token[HP_TOKEN_LEN], const uint8_t cookie[HP_COOKIE_LEN],
		  uint64_t *age_us);

#endif
