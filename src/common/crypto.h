/* SPDX-License-Identifier: MIT */
#ifndef HP_CRYPTO_H
#define HP_CRYPTO_H

/*
 * Peer-to-peer session crypto, libsodium only.
 *
 * Each client run makes an X25519 key pair; the server only relays public
 * keys. Session keys come from crypto_kx (the peer with the smaller public
 * key plays the kx "client"). An optional shared secret re-derives both
 * keys with a BLAKE2b keyed by a hash of the secret, so that whoever swaps
 * public keys in transit (a hostile server) still cannot speak for a peer.
 *
 * Sealed datagram: header[8] || nonce[24] || XChaCha20-Poly1305(plain)
 * with the header as associated data; plain = hp_peer_encode() output.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

#define HP_SESSION_KEY_LEN 32
#define HP_SECRET_KEY_LEN  32
/* counters older than the newest seen by more than this are refused */
#define HP_REPLAY_WINDOW   64

struct hp_keypair {
	uint8_t pk[HP_KEY_LEN];
	uint8_t sk[HP_SECRET_KEY_LEN];
};

struct hp_session {
	uint8_t rx[HP_SESSION_KEY_LEN];
	uint8_t tx[HP_SESSION_KEY_LEN];
	uint64_t tx_counter;   /* last counter sealed; the next is one higher */
	uint64_t rx_newest;    /* highest counter accepted; 0 = none yet */
	uint64_t rx_seen;      /* bit i: counter rx_newest - i accepted */
	bool ready;
};

/* Calls sodium_init(); 0 or -EIO. Safe to call more than once. */
int hp_crypto_init(void);
int hp_crypto_keypair(struct hp_keypair *kp);
void hp_crypto_random(void *buf, size_t len);

/*
 * Derives the session keys. secret may be NULL (secret_len 0 = no secret).
 * Returns 0, -EINVAL (equal public keys) or -EBADMSG (peer key rejected by
 * X25519, e.g. a low-order point).
 */
int hp_session_derive(struct hp_session *s, const uint8_t my_pk[HP_KEY_LEN],
		      const uint8_t my_sk[HP_SECRET_KEY_LEN], const uint8_t peer_pk[HP_KEY_LEN],
		      const char *secret, size_t secret_len);
/* Wipes the keys. */
void hp_session_clear(struct hp_session *s);

/*
 * Assigns m->counter (strictly increasing), encodes and seals m into out.
 * Returns the datagram length or -errno (-EMSGSIZE when cap is too small).
 */
int hp_session_seal(struct hp_session *s, struct hp_peer_msg *m, uint8_t *out, size_t cap);

/*
 * Authenticates and decodes a sealed datagram. Returns 1 when accepted and
 * its counter is the highest seen so far in this session, 0 when accepted
 * but older (reordered), -EBADMSG on any authentication or format failure,
 * -EALREADY when the counter was already accepted or is too old (replay).
 * Only an accepted datagram updates the replay state.
 */
int hp_session_open(struct hp_session *s, const uint8_t *dgram, size_t len,
		    struct hp_peer_msg *out);

#endif
