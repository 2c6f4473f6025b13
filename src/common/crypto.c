// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "crypto.h"

/* Domain separation for the secret, so its hash is useless anywhere else. */
static const char secret_label[] = "hplab-secret-v1";

int hp_crypto_init(void)
{
	return sodium_init() < 0 ? -EIO : 0;
}

int hp_crypto_keypair(struct hp_keypair *kp)
{
	if (!kp)
		return -EINVAL;
	return crypto_kx_keypair(kp->pk, kp->sk) == 0 ? 0 : -EIO;
}

void hp_crypto_random(void *buf, size_t len)
{
	randombytes_buf(buf, len);
}

/* key = BLAKE2b("hplab-secret-v1" || secret) */
static void crypto_hash_secret(uint8_t key[HP_SECRET_KEY_LEN], const char *secret, size_t len)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, HP_SECRET_KEY_LEN);
	crypto_generichash_update(&st, (const unsigned char *)secret_label, sizeof(secret_label) - 1);
	crypto_generichash_update(&st, (const unsigned char *)secret, len);
	crypto_generichash_final(&st, key, HP_SECRET_KEY_LEN);
	sodium_memzero(&st, sizeof(st));
}

/*
 * Both directions use the same function: my tx is the peer's rx, so the
 * re-derived keys still match across the two sides.
 */
static void crypto_rekey(uint8_t k[HP_SESSION_KEY_LEN], const uint8_t key[HP_SECRET_KEY_LEN])
{
	uint8_t out[HP_SESSION_KEY_LEN];

	crypto_generichash(out, sizeof(out), k, HP_SESSION_KEY_LEN, key, HP_SECRET_KEY_LEN);
	memcpy(k, out, sizeof(out));
	sodium_memzero(out, sizeof(out));
}

int hp_session_derive(struct hp_session *s, const uint8_t my_pk[HP_KEY_LEN],
		      const uint8_t my_sk[HP_SECRET_KEY_LEN], const uint8_t peer_pk[HP_KEY_LEN],
		      const char *secret, size_t secret_len)
{
	uint8_t skey[HP_SECRET_KEY_LEN];
	int cmp, ret;

	if (!s || !my_pk || !my_sk || !peer_pk || (!secret && secret_len))
		return -EINVAL;
	hp_session_clear(s);
	cmp = memcmp(my_pk, peer_pk, HP_KEY_LEN);
	if (cmp == 0)
		return -EINVAL;
	if (cmp < 0)
		ret = crypto_kx_client_session_keys(s->rx, s->tx, my_pk, my_sk, peer_pk);
	else
		ret = crypto_kx_server_session_keys(s->rx, s->tx, my_pk, my_sk, peer_pk);
	if (ret != 0) {
		hp_session_clear(s);
		return -EBADMSG;
	}
	if (secret_len) {
		crypto_hash_secret(skey, secret, secret_len);
		crypto_rekey(s->rx, skey);
		crypto_rekey(s->tx, skey);
		sodium_memzero(skey, sizeof(skey));
	}
	s->ready = true;
	return 0;
}

void hp_session_clear(struct hp_session *s)
{
	if (s)
		sodium_memzero(s, sizeof(*s));
}

int hp_session_seal(struct hp_session *s, struct hp_peer_msg *m, uint8_t *out, size_t cap)
{
	uint8_t plain[HP_MAX_DATAGRAM];
	unsigned long long clen;
	size_t body;
	int plen, ret;

	if (!s || !m || !out || !s->ready)
		return -EINVAL;
	if (!hp_type_is_peer(m->type))
		return -EINVAL;
	m->counter = s->tx_counter + 1;
	plen = hp_peer_encode(m, plain, sizeof(plain));
	if (plen < 0) {
		ret = plen;
		goto out;
	}
	body = HP_NONCE_LEN + (size_t)plen + HP_TAG_LEN;
	if (HP_HDR_LEN + body > cap || HP_HDR_LEN + body > HP_MAX_DATAGRAM) {
		ret = -EMSGSIZE;
		goto out;
	}
	ret = hp_header_encode(out, cap, m->type, (uint16_t)body);
	if (ret < 0)
		goto out;
	randombytes_buf(out + HP_HDR_LEN, HP_NONCE_LEN);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + HP_HDR_LEN + HP_NONCE_LEN, &clen, plain,
						   (unsigned long long)plen, out, HP_HDR_LEN, NULL,
						   out + HP_HDR_LEN, s->tx);
	s->tx_counter = m->counter;
	ret = (int)(HP_HDR_LEN + HP_NONCE_LEN + clen);
out:
	sodium_memzero(plain, sizeof(plain));
	return ret;
}

/* Sliding window as in RFC 4303 s.3.4.3: a bitmap of recent counters. */
static int session_replay_check(const struct hp_session *s, uint64_t ctr)
{
	uint64_t age;

	if (ctr == 0)
		return -EALREADY;
	if (ctr > s->rx_newest)
		return 1;
	age = s->rx_newest - ctr;
	if (age >= HP_REPLAY_WINDOW)
		return -EALREADY;
	return (s->rx_seen >> age) & 1 ? -EALREADY : 0;
}

static void session_replay_update(struct hp_session *s, uint64_t ctr)
{
	uint64_t shift;

	if (ctr > s->rx_newest) {
		shift = ctr - s->rx_newest;
		s->rx_seen = shift >= HP_REPLAY_WINDOW ? 0 : s->rx_seen << shift;
		s->rx_seen |= 1;
		s->rx_newest = ctr;
	} else {
		s->rx_seen |= (uint64_t)1 << (s->rx_newest - ctr);
	}
}

int hp_session_open(struct hp_session *s, const uint8_t *dgram, size_t len,
		    struct hp_peer_msg *out)
{
	uint8_t plain[HP_MAX_DATAGRAM];
	struct hp_header h;
	unsigned long long plen;
	int ret;

	if (!s || !dgram || !out || !s->ready)
		return -EINVAL;
	ret = -EBADMSG;
	if (len > HP_MAX_DATAGRAM || len < HP_HDR_LEN + HP_SEAL_OVERHEAD)
		goto out;
	if (hp_header_decode(&h, dgram, len) < 0 || !hp_type_is_peer(h.type))
		goto out;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(
		    plain, &plen, NULL, dgram + HP_HDR_LEN + HP_NONCE_LEN,
		    len - HP_HDR_LEN - HP_NONCE_LEN, dgram, HP_HDR_LEN, dgram + HP_HDR_LEN, s->rx) != 0)
		goto out;
	if (hp_peer_decode(out, h.type, plain, (size_t)plen) < 0)
		goto out;
	ret = session_replay_check(s, out->counter);
	if (ret < 0)
		goto out;
	session_replay_update(s, out->counter);
out:
	if (ret < 0)
		memset(out, 0, sizeof(*out));
	sodium_memzero(plain, sizeof(plain));
	return ret;
}
