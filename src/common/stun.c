// SPDX-License-Identifier: MIT
/*
 * STUN Binding, RFC 8489, plus CHANGE-REQUEST/OTHER-ADDRESS/RESPONSE-
 * ORIGIN/PADDING/RESPONSE-PORT from RFC 5780, and the classic RFC 3489
 * Binding request and answer (RFC 8489 s.11). No authentication:
 * MESSAGE-INTEGRITY is recognised and skipped, never checked.
 */
#include <errno.h>
#include <string.h>

#include "stun.h"

#define ATTR_MAPPED_ADDRESS     0x0001
#define ATTR_CHANGE_REQUEST     0x0003
#define ATTR_SOURCE_ADDRESS     0x0004 /* RFC 3489 s.11.2.5 */
#define ATTR_CHANGED_ADDRESS    0x0005 /* RFC 3489 s.11.2.3 */
#define ATTR_USERNAME           0x0006
#define ATTR_MESSAGE_INTEGRITY  0x0008
#define ATTR_ERROR_CODE         0x0009
#define ATTR_UNKNOWN_ATTRIBUTES 0x000a
#define ATTR_XOR_MAPPED_ADDRESS 0x0020
#define ATTR_PADDING            0x0026
#define ATTR_RESPONSE_PORT      0x0027
#define ATTR_SOFTWARE           0x8022
#define ATTR_FINGERPRINT        0x8028
#define ATTR_RESPONSE_ORIGIN    0x802b
#define ATTR_OTHER_ADDRESS      0x802c

#define STUN_FINGERPRINT_XOR 0x5354554eu /* "STUN", RFC 8489 s.14.7 */
#define STUN_FAMILY_V4 0x01
#define STUN_FAMILY_V6 0x02

static const char reason_420[] = "Unknown Attribute";
static const uint8_t magic_cookie[4] = { 0x21, 0x12, 0xa4, 0x42 };

/* The address attributes of a success answer, per dialect, in the order
 * of struct stun_answer. */
static const struct {
	uint16_t mapped, other, origin;
	bool xor_mapped;
} dialects[] = {
	/* RFC 8489 s.14.2; RFC 5780 s.7.4 and s.7.3 */
	[STUN_RFC8489] = { ATTR_XOR_MAPPED_ADDRESS, ATTR_OTHER_ADDRESS, ATTR_RESPONSE_ORIGIN, true },
	/* RFC 3489 s.11.2.1, s.11.2.3 and s.11.2.5 */
	[STUN_RFC3489] = { ATTR_MAPPED_ADDRESS, ATTR_CHANGED_ADDRESS, ATTR_SOURCE_ADDRESS, false },
};

static uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t get_u32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* CRC-32 as in ISO 3309 / ITU-T V.42 (reflected, polynomial 0x04C11DB7),
 * which RFC 8489 s.14.7 names. Bitwise: messages are tiny. */
static uint32_t stun_crc32(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xffffffffu;
	size_t i;
	int b;

	for (i = 0; i < n; i++) {
		crc ^= p[i];
		for (b = 0; b < 8; b++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

/*
 * Header checks common to requests and responses (RFC 8489 s.5, s.6.3).
 * Without the cookie the message can only be a classic one (RFC 3489
 * s.11.1: the same header, a 128-bit transaction ID from offset 4), which
 * only requests may be.
 */
static int stun_check_header(const uint8_t *buf, size_t len, uint16_t *type, bool classic_ok)
{
	size_t mlen;

	if (!buf || len < STUN_HDR_LEN || (buf[0] & 0xc0) != 0)
		return -EBADMSG;
	mlen = get_u16(buf + 2);
	if (mlen % 4 != 0 || mlen != len - STUN_HDR_LEN)
		return -EBADMSG;
	if (!classic_ok && get_u32(buf + 4) != STUN_MAGIC_COOKIE)
		return -EBADMSG;
	*type = get_u16(buf);
	return 0;
}

bool stun_is_classic_request(const uint8_t *buf, size_t len)
{
	uint16_t type;

	return stun_check_header(buf, len, &type, true) == 0 && type == STUN_BINDING_REQUEST &&
	       get_u32(buf + 4) != STUN_MAGIC_COOKIE;
}

struct stun_attr {
	uint16_t type;
	uint16_t len;
	const uint8_t *val;
	size_t off; /* of the attribute header within the message */
};

/* Next attribute at *off; 1 if one was read, 0 at the end, -EBADMSG if an
 * attribute (with its padding) runs past the message. */
static int stun_next_attr(const uint8_t *buf, size_t len, size_t *off, struct stun_attr *a)
{
	size_t left;

	if (*off == len)
		return 0;
	left = len - *off;
	if (left < 4)
		return -EBADMSG;
	a->off = *off;
	a->type = get_u16(buf + *off);
	a->len = get_u16(buf + *off + 2);
	if (pad4(a->len) > left - 4)
		return -EBADMSG;
	a->val = buf + *off + 4;
	*off += 4 + pad4(a->len);
	return 1;
}

/* FINGERPRINT must be the last attribute and covers everything before it. */
static int stun_check_fingerprint(const uint8_t *buf, size_t len, const struct stun_attr *a)
{
	if (a->len != 4 || a->off + 8 != len)
		return -EBADMSG;
	if ((stun_crc32(buf, a->off) ^ STUN_FINGERPRINT_XOR) != get_u32(a->val))
		return -EBADMSG;
	return 0;
}

static void stun_add_unknown(struct stun_request *r, uint16_t type)
{
	size_t i;

	for (i = 0; i < r->n_unknown; i++)
		if (r->unknown[i] == type)
			return;
	if (r->n_unknown < STUN_MAX_UNKNOWN)
		r->unknown[r->n_unknown++] = type;
}

int stun_parse_request(struct stun_request *r, const uint8_t *buf, size_t len)
{
	struct stun_attr a;
	size_t off = STUN_HDR_LEN;
	uint16_t type;
	int after_integrity = 0;
	int ret;

	if (!r)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	if (len > STUN_MAX_REQUEST)
		return -EBADMSG;
	ret = stun_check_header(buf, len, &type, true);
	if (ret < 0)
		return ret;
	if (type != STUN_BINDING_REQUEST)
		return -EBADMSG;
	r->dialect = get_u32(buf + 4) == STUN_MAGIC_COOKIE ? STUN_RFC8489 : STUN_RFC3489;
	memcpy(r->cookie, buf + 4, sizeof(r->cookie));
	memcpy(r->txid, buf + 8, STUN_TXID_LEN);

	while ((ret = stun_next_attr(buf, len, &off, &a)) > 0) {
		if (a.type == ATTR_FINGERPRINT) {
			ret = stun_check_fingerprint(buf, len, &a);
			if (ret < 0)
				return ret;
			r->has_fingerprint = 1;
			continue;
		}
		/* RFC 8489 s.14.5: what follows MESSAGE-INTEGRITY is ignored */
		if (after_integrity)
			continue;
		switch (a.type) {
		case ATTR_CHANGE_REQUEST:
			/* RFC 5780 s.7.2 says 4 bytes; some clients send it empty */
			if (a.len != 0 && a.len != 4)
				return -EBADMSG;
			r->has_change_request = 1;
			r->change_flags = a.len ? get_u32(a.val) : 0;
			break;
		case ATTR_MESSAGE_INTEGRITY:
			after_integrity = 1;
			break;
		case ATTR_USERNAME:
		case ATTR_SOFTWARE:
		case ATTR_PADDING:
		case ATTR_RESPONSE_PORT:
			break;
		default:
			if (a.type < 0x8000)
				stun_add_unknown(r, a.type);
			break;
		}
	}
	return ret;
}

static int stun_put_header(uint8_t *buf, uint16_t type, size_t body, const uint8_t cookie[4],
			   const uint8_t txid[STUN_TXID_LEN])
{
	put_u16(buf, type);
	put_u16(buf + 2, (uint16_t)body);
	memcpy(buf + 4, cookie, 4);
	memcpy(buf + 8, txid, STUN_TXID_LEN);
	return (int)(STUN_HDR_LEN + body);
}

/*
 * One address attribute at *off in the MAPPED-ADDRESS layout (RFC 8489
 * s.14.1; RFC 3489 s.11.2.1 has the same for IPv4). xor_key is the cookie
 * followed by the transaction id for XOR-MAPPED-ADDRESS (s.14.2: port ^
 * the cookie's top half, address ^ the key), NULL for the plain forms.
 */
static int stun_put_address(uint8_t *buf, size_t cap, size_t *off, uint16_t type,
			    const struct hp_endpoint *ep, const uint8_t *xor_key)
{
	uint8_t *v;
	size_t alen, i;
	uint16_t port = ep->port;

	if (ep->family == HP_FAMILY_V4)
		alen = 4;
	else if (ep->family == HP_FAMILY_V6)
		alen = 16;
	else
		return -EAFNOSUPPORT;
	if (cap < *off + 8 + alen)
		return -EMSGSIZE;
	v = buf + *off + 4;
	put_u16(buf + *off, type);
	put_u16(buf + *off + 2, (uint16_t)(4 + alen));
	v[0] = 0;
	v[1] = alen == 4 ? STUN_FAMILY_V4 : STUN_FAMILY_V6;
	if (xor_key)
		port ^= (uint16_t)(STUN_MAGIC_COOKIE >> 16);
	put_u16(v + 2, port);
	for (i = 0; i < alen; i++)
		v[4 + i] = ep->addr[i] ^ (xor_key ? xor_key[i] : 0);
	*off += 8 + alen;
	return 0;
}

int stun_build_answer(uint8_t *buf, size_t cap, const struct stun_request *r,
		      const struct stun_answer *a)
{
	size_t off = STUN_HDR_LEN;
	int ret;

	if (!buf || !r || !a || !a->mapped ||
	    (r->dialect != STUN_RFC8489 && r->dialect != STUN_RFC3489))
		return -EINVAL;
	if (cap < STUN_HDR_LEN)
		return -EMSGSIZE;
	/* the header first: it holds XOR-MAPPED-ADDRESS's key */
	stun_put_header(buf, STUN_BINDING_SUCCESS, 0, r->cookie, r->txid);
	ret = stun_put_address(buf, cap, &off, dialects[r->dialect].mapped, a->mapped,
			       dialects[r->dialect].xor_mapped ? buf + 4 : NULL);
	if (!ret && a->other)
		ret = stun_put_address(buf, cap, &off, dialects[r->dialect].other, a->other, NULL);
	if (!ret && a->origin)
		ret = stun_put_address(buf, cap, &off, dialects[r->dialect].origin, a->origin, NULL);
	if (ret < 0)
		return ret;
	put_u16(buf + 2, (uint16_t)(off - STUN_HDR_LEN));
	return (int)off;
}

int stun_build_success(uint8_t *buf, size_t cap, const uint8_t txid[STUN_TXID_LEN],
		       const struct hp_endpoint *mapped)
{
	struct stun_request r = { .dialect = STUN_RFC8489 };
	struct stun_answer a = { .mapped = mapped };

	if (!txid)
		return -EINVAL;
	memcpy(r.cookie, magic_cookie, sizeof(r.cookie));
	memcpy(r.txid, txid, STUN_TXID_LEN);
	return stun_build_answer(buf, cap, &r, &a);
}

int stun_build_error_420(uint8_t *buf, size_t cap, const struct stun_request *r)
{
	size_t rlen = sizeof(reason_420) - 1;
	size_t ec_len = 4 + rlen;
	size_t ua_len, body, off, i;

	if (!buf || !r || r->n_unknown == 0 || r->n_unknown > STUN_MAX_UNKNOWN)
		return -EINVAL;
	ua_len = 2 * r->n_unknown;
	/* RFC 3489 s.11.2.10: an odd list repeats one type, no padding */
	if (r->dialect == STUN_RFC3489 && r->n_unknown % 2)
		ua_len += 2;
	body = 4 + pad4(ec_len) + 4 + pad4(ua_len);
	if (cap < STUN_HDR_LEN + body)
		return -EMSGSIZE;
	memset(buf, 0, STUN_HDR_LEN + body);
	off = STUN_HDR_LEN;

	/* ERROR-CODE, RFC 8489 s.14.8: class 4, number 20 */
	put_u16(buf + off, ATTR_ERROR_CODE);
	put_u16(buf + off + 2, (uint16_t)ec_len);
	buf[off + 6] = 4;
	buf[off + 7] = 20;
	memcpy(buf + off + 8, reason_420, rlen);
	off += 4 + pad4(ec_len);

	put_u16(buf + off, ATTR_UNKNOWN_ATTRIBUTES);
	put_u16(buf + off + 2, (uint16_t)ua_len);
	for (i = 0; i < ua_len / 2; i++)
		put_u16(buf + off + 4 + 2 * i, r->unknown[i < r->n_unknown ? i : 0]);

	return stun_put_header(buf, STUN_BINDING_ERROR, body, r->cookie, r->txid);
}

int stun_build_request_padded(uint8_t *buf, size_t cap, const uint8_t txid[STUN_TXID_LEN],
			      uint32_t change_flags, size_t pad_to)
{
	size_t body = change_flags ? 8 : 0, total;

	if (!buf || !txid || pad_to > STUN_MAX_REQUEST)
		return -EINVAL;
	total = pad4(pad_to) > STUN_HDR_LEN + body ? pad4(pad_to) : STUN_HDR_LEN + body;
	if (cap < total)
		return -EMSGSIZE;
	if (change_flags) {
		put_u16(buf + 20, ATTR_CHANGE_REQUEST);
		put_u16(buf + 22, 4);
		put_u32(buf + 24, change_flags);
	}
	if (total > STUN_HDR_LEN + body) {
		/* the gap is a multiple of 4, so at least the TLV header */
		size_t plen = total - STUN_HDR_LEN - body - 4;

		put_u16(buf + STUN_HDR_LEN + body, ATTR_PADDING);
		put_u16(buf + STUN_HDR_LEN + body + 2, (uint16_t)plen);
		memset(buf + STUN_HDR_LEN + body + 4, 0, plen);
	}
	return stun_put_header(buf, STUN_BINDING_REQUEST, total - STUN_HDR_LEN, magic_cookie, txid);
}

int stun_build_request(uint8_t *buf, size_t cap, const uint8_t txid[STUN_TXID_LEN],
		       uint32_t change_flags)
{
	return stun_build_request_padded(buf, cap, txid, change_flags, 0);
}

/* MAPPED-ADDRESS layout, shared by XOR-MAPPED-, OTHER- and RESPONSE-ORIGIN;
 * xor_key is NULL for the plain forms. */
static int stun_parse_address(const struct stun_attr *a, const uint8_t *xor_key,
			      struct hp_endpoint *ep)
{
	size_t alen, i;
	uint16_t port;

	if (a->len < 4)
		return -EBADMSG;
	if (a->val[1] == STUN_FAMILY_V4)
		alen = 4;
	else if (a->val[1] == STUN_FAMILY_V6)
		alen = 16;
	else
		return -EBADMSG;
	if (a->len != 4 + alen)
		return -EBADMSG;
	memset(ep, 0, sizeof(*ep));
	ep->family = alen == 4 ? HP_FAMILY_V4 : HP_FAMILY_V6;
	port = get_u16(a->val + 2);
	if (xor_key)
		port ^= (uint16_t)(STUN_MAGIC_COOKIE >> 16);
	ep->port = port;
	for (i = 0; i < alen; i++)
		ep->addr[i] = a->val[4 + i] ^ (xor_key ? xor_key[i] : 0);
	return 0;
}

int stun_parse_response(struct stun_response *r, const uint8_t *buf, size_t len)
{
	struct stun_attr a;
	struct hp_endpoint plain;
	size_t off = STUN_HDR_LEN;
	uint16_t type;
	int has_plain = 0, has_xor = 0;
	int ret;

	if (!r)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	memset(&plain, 0, sizeof(plain));
	ret = stun_check_header(buf, len, &type, false);
	if (ret < 0)
		return ret;
	if (type != STUN_BINDING_SUCCESS && type != STUN_BINDING_ERROR)
		return -EBADMSG;
	r->type = type;
	memcpy(r->txid, buf + 8, STUN_TXID_LEN);

	while ((ret = stun_next_attr(buf, len, &off, &a)) > 0) {
		switch (a.type) {
		case ATTR_XOR_MAPPED_ADDRESS:
			/* the key is the cookie followed by the transaction id */
			ret = stun_parse_address(&a, buf + 4, &r->mapped);
			has_xor = 1;
			break;
		case ATTR_MAPPED_ADDRESS:
			ret = stun_parse_address(&a, NULL, &plain);
			has_plain = 1;
			break;
		case ATTR_OTHER_ADDRESS:
			ret = stun_parse_address(&a, NULL, &r->other);
			r->has_other = 1;
			break;
		case ATTR_RESPONSE_ORIGIN:
			ret = stun_parse_address(&a, NULL, &r->origin);
			r->has_origin = 1;
			break;
		case ATTR_ERROR_CODE:
			if (a.len < 4 || (a.val[2] & 0x07) < 3 || (a.val[2] & 0x07) > 6 || a.val[3] > 99)
				return -EBADMSG;
			r->error_code = (uint16_t)((a.val[2] & 0x07) * 100 + a.val[3]);
			break;
		case ATTR_FINGERPRINT:
			ret = stun_check_fingerprint(buf, len, &a);
			break;
		default:
			break;
		}
		if (ret < 0)
			return ret;
	}
	if (ret < 0)
		return ret;
	if (!has_xor && has_plain)
		r->mapped = plain;
	r->has_mapped = has_xor || has_plain;
	if (type == STUN_BINDING_ERROR && !r->error_code)
		return -EBADMSG;
	return 0;
}
