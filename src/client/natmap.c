// SPDX-License-Identifier: MIT
/*
 * natmap.c: the mapping verdict from two STUN answers (natmap.h). Calls
 * stun.c and crypto.c (random transaction IDs) only.
 */
#include <errno.h>
#include <string.h>

#include "client/natmap.h"
#include "crypto.h"

void natmap_init(struct natmap *m)
{
	memset(m, 0, sizeof(*m));
	hp_crypto_random(m->txid, sizeof(m->txid));
}

int natmap_request(const struct natmap *m, unsigned i, uint8_t *buf, size_t cap)
{
	if (i >= NATMAP_N)
		return -EINVAL;
	/* RFC 5780 s.7.6 PADDING: at least as long as any answer */
	return stun_build_request_padded(buf, cap, m->txid[i], 0, STUN_ANSWER_MAX);
}

bool natmap_input(struct natmap *m, const uint8_t *buf, size_t len)
{
	struct stun_response r;
	unsigned i;

	if (m->verdict != HP_MAP_UNKNOWN || stun_parse_response(&r, buf, len) < 0 ||
	    r.type != STUN_BINDING_SUCCESS || !r.has_mapped)
		return false;
	for (i = 0; i < NATMAP_N; i++)
		if (!memcmp(r.txid, m->txid[i], STUN_TXID_LEN))
			break;
	if (i == NATMAP_N || m->got[i])
		return false;
	m->got[i] = true;
	m->seen[i] = r.mapped;
	if (i == 0 && r.has_other) {
		m->other = r.other;
		m->have_other = true;
	}
	if (!m->got[0] || !m->got[1])
		return false;
	m->verdict = hp_endpoint_equal(&m->seen[0], &m->seen[1]) ? HP_MAP_EASY : HP_MAP_HARD;
	return true;
}

const char *natmap_name(enum hp_mapping v)
{
	static const char *const names[] = {
		[HP_MAP_UNKNOWN] = "unknown",
		[HP_MAP_EASY] = "easy",
		[HP_MAP_HARD] = "hard",
	};

	return v <= HP_MAP_HARD ? names[v] : "unknown";
}
