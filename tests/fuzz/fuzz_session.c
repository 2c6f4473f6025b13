// SPDX-License-Identifier: MIT
/* libFuzzer harness for opening a sealed peer datagram (crypto.c): any
 * bytes from the network, under a real session, are refused or decoded
 * without a read past them; nothing unauthenticated is ever accepted. */
#include <stdlib.h>
#include <string.h>

#include "crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct hp_session sess;
static int ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hp_keypair a, b;
	struct hp_peer_msg m;
	uint8_t *buf;

	if (!ready) {
		if (hp_crypto_init() < 0 || hp_crypto_keypair(&a) < 0 || hp_crypto_keypair(&b) < 0 ||
		    hp_session_derive(&sess, a.pk, a.sk, b.pk, NULL, 0) < 0)
			abort();
		ready = 1;
	}
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	/* the fuzzer cannot forge the AEAD tag: acceptance would be a bug */
	if (hp_session_open(&sess, buf, size, &m) >= 0)
		abort();
	free(buf);
	return 0;
}
