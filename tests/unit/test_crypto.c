// SPDX-License-Identifier: MIT
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "crypto.h"

struct pair {
	struct hp_keypair ka, kb;
	struct hp_session a, b;
};

static int pair_setup(void **state)
{
	static struct pair p;

	memset(&p, 0, sizeof(p));
	assert_int_equal(hp_crypto_init(), 0);
	assert_int_equal(hp_crypto_keypair(&p.ka), 0);
	assert_int_equal(hp_crypto_keypair(&p.kb), 0);
	assert_int_equal(hp_session_derive(&p.a, p.ka.pk, p.ka.sk, p.kb.pk, NULL, 0), 0);
	assert_int_equal(hp_session_derive(&p.b, p.kb.pk, p.kb.sk, p.ka.pk, NULL, 0), 0);
	*state = &p;
	return 0;
}

static int chat_seal(struct hp_session *s, const char *text, uint32_t seq, uint8_t *buf,
		     size_t cap)
{
	struct hp_peer_msg m;

	memset(&m, 0, sizeof(m));
	m.type = HP_CHAT;
	m.u.chat.seq = seq;
	m.u.chat.len = (uint16_t)strlen(text);
	memcpy(m.u.chat.text, text, m.u.chat.len);
	return hp_session_seal(s, &m, buf, cap);
}

static void test_both_directions_agree(void **state)
{
	struct pair *p = *state;
	uint8_t buf[HP_MAX_DATAGRAM];
	struct hp_peer_msg out;
	int n;

	n = chat_seal(&p->a, "hello from a", 7, buf, sizeof(buf));
	assert_true(n > HP_HDR_LEN + HP_SEAL_OVERHEAD);
	assert_int_equal(buf[3], HP_CHAT); /* header stays cleartext */
	assert_true(hp_session_open(&p->b, buf, (size_t)n, &out) >= 0);
	assert_int_equal(out.type, HP_CHAT);
	assert_int_equal(out.u.chat.seq, 7);
	assert_string_equal(out.u.chat.text, "hello from a");

	n = chat_seal(&p->b, "and back", 1, buf, sizeof(buf));
	assert_true(n > 0);
	assert_true(hp_session_open(&p->a, buf, (size_t)n, &out) >= 0);
	assert_string_equal(out.u.chat.text, "and back");
	/* own datagram does not open with own rx key */
	n = chat_seal(&p->a, "mine", 2, buf, sizeof(buf));
	assert_int_equal(hp_session_open(&p->a, buf, (size_t)n, &out), -EBADMSG);
}

static void test_tampering_rejected(void **state)
{
	struct pair *p = *state;
	uint8_t buf[HP_MAX_DATAGRAM], copy[HP_MAX_DATAGRAM];
	struct hp_peer_msg out;
	size_t offs[4];
	int n, i;

	n = chat_seal(&p->a, "integrity", 1, buf, sizeof(buf));
	assert_true(n > 0);
	offs[0] = 6;                      /* header flags: associated data */
	offs[1] = HP_HDR_LEN + 3;         /* nonce */
	offs[2] = HP_HDR_LEN + HP_NONCE_LEN + 2; /* ciphertext */
	offs[3] = (size_t)n - 1;          /* tag */
	for (i = 0; i < 4; i++) {
		memcpy(copy, buf, (size_t)n);
		copy[offs[i]] ^= 0x01;
		assert_int_equal(hp_session_open(&p->b, copy, (size_t)n, &out), -EBADMSG);
	}
	/* type swapped in the header: authenticated too */
	memcpy(copy, buf, (size_t)n);
	copy[3] = HP_ACK;
	assert_int_equal(hp_session_open(&p->b, copy, (size_t)n, &out), -EBADMSG);
	/* truncated */
	assert_int_equal(hp_session_open(&p->b, buf, (size_t)n - 1, &out), -EBADMSG);
	assert_int_equal(hp_session_open(&p->b, buf, HP_HDR_LEN, &out), -EBADMSG);
	/* the untouched one still opens: failures left no state behind */
	assert_int_equal(hp_session_open(&p->b, buf, (size_t)n, &out), 1);
}

static void test_wrong_secret_rejected(void **state)
{
	struct pair *p = *state;
	struct hp_session sa, sb, sc;
	uint8_t buf[HP_MAX_DATAGRAM];
	struct hp_peer_msg out;
	int n;

	assert_int_equal(hp_session_derive(&sa, p->ka.pk, p->ka.sk, p->kb.pk, "s3cret", 6), 0);
	assert_int_equal(hp_session_derive(&sb, p->kb.pk, p->kb.sk, p->ka.pk, "s3cret", 6), 0);
	assert_int_equal(hp_session_derive(&sc, p->kb.pk, p->kb.sk, p->ka.pk, "s3creT", 6), 0);
	n = chat_seal(&sa, "with secret", 1, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(hp_session_open(&sc, buf, (size_t)n, &out), -EBADMSG);
	assert_int_equal(hp_session_open(&p->b, buf, (size_t)n, &out), -EBADMSG);
	assert_int_equal(hp_session_open(&sb, buf, (size_t)n, &out), 1);
	/* the secret changes both directions */
	n = chat_seal(&sb, "reply", 1, buf, sizeof(buf));
	assert_int_equal(hp_session_open(&p->a, buf, (size_t)n, &out), -EBADMSG);
	assert_int_equal(hp_session_open(&sa, buf, (size_t)n, &out), 1);
}

static void test_third_party_cannot_forge(void **state)
{
	struct pair *p = *state;
	struct hp_keypair km;
	struct hp_session m;
	uint8_t buf[HP_MAX_DATAGRAM];
	struct hp_peer_msg out;
	int n;

	/* mallory knows both public keys and uses her own secret key */
	assert_int_equal(hp_crypto_keypair(&km), 0);
	assert_int_equal(hp_session_derive(&m, km.pk, km.sk, p->kb.pk, NULL, 0), 0);
	n = chat_seal(&m, "i am a", 1, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(hp_session_open(&p->b, buf, (size_t)n, &out), -EBADMSG);
	/* random body behind a valid header */
	assert_int_equal(hp_header_encode(buf, sizeof(buf), HP_CHAT, 100), HP_HDR_LEN);
	hp_crypto_random(buf + HP_HDR_LEN, 100);
	assert_int_equal(hp_session_open(&p->b, buf, HP_HDR_LEN + 100, &out), -EBADMSG);
}

static void test_counter_increases_and_replay_refused(void **state)
{
	struct pair *p = *state;
	uint8_t d1[HP_MAX_DATAGRAM], d2[HP_MAX_DATAGRAM], d3[HP_MAX_DATAGRAM];
	struct hp_peer_msg m, out;
	uint64_t c1, c2, c3;
	int n1, n2, n3;

	memset(&m, 0, sizeof(m));
	m.type = HP_KEEPALIVE;
	n1 = hp_session_seal(&p->a, &m, d1, sizeof(d1));
	c1 = m.counter;
	n2 = hp_session_seal(&p->a, &m, d2, sizeof(d2));
	c2 = m.counter;
	n3 = hp_session_seal(&p->a, &m, d3, sizeof(d3));
	c3 = m.counter;
	assert_true(n1 > 0 && n2 > 0 && n3 > 0);
	assert_true(c1 < c2 && c2 < c3);
	/* same plaintext twice: random nonces make different datagrams */
	assert_memory_not_equal(d1 + HP_HDR_LEN, d2 + HP_HDR_LEN, HP_NONCE_LEN);

	assert_int_equal(hp_session_open(&p->b, d1, (size_t)n1, &out), 1);
	assert_int_equal(out.counter, c1);
	assert_int_equal(hp_session_open(&p->b, d3, (size_t)n3, &out), 1);
	/* late but new: accepted, not newest */
	assert_int_equal(hp_session_open(&p->b, d2, (size_t)n2, &out), 0);
	/* replays */
	assert_int_equal(hp_session_open(&p->b, d1, (size_t)n1, &out), -EALREADY);
	assert_int_equal(hp_session_open(&p->b, d2, (size_t)n2, &out), -EALREADY);
	assert_int_equal(hp_session_open(&p->b, d3, (size_t)n3, &out), -EALREADY);
}

static void test_equal_keys_and_bad_args(void **state)
{
	struct pair *p = *state;
	struct hp_session s;
	struct hp_peer_msg m;
	uint8_t buf[64];

	assert_int_equal(hp_session_derive(&s, p->ka.pk, p->ka.sk, p->ka.pk, NULL, 0), -EINVAL);
	assert_false(s.ready);
	memset(&m, 0, sizeof(m));
	m.type = HP_REGISTER; /* control types are never sealed */
	assert_int_equal(hp_session_seal(&p->a, &m, buf, sizeof(buf)), -EINVAL);
	m.type = HP_KEEPALIVE;
	assert_int_equal(hp_session_seal(&p->a, &m, buf, 20), -EMSGSIZE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_both_directions_agree, pair_setup),
		cmocka_unit_test_setup(test_tampering_rejected, pair_setup),
		cmocka_unit_test_setup(test_wrong_secret_rejected, pair_setup),
		cmocka_unit_test_setup(test_third_party_cannot_forge, pair_setup),
		cmocka_unit_test_setup(test_counter_increases_and_replay_refused, pair_setup),
		cmocka_unit_test_setup(test_equal_keys_and_bad_args, pair_setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
