/* SPDX-License-Identifier: MIT */
#ifndef HP_STUN_H
#define HP_STUN_H

/* STUN Binding (RFC 8489), just enough for a reflexive-address server and
 * for a client that asks one; the server side also answers classic RFC
 * 3489 requests (RFC 8489 s.11) and the RFC 5780 attributes. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "endpoint.h"

#define STUN_HDR_LEN      20
#define STUN_MAGIC_COOKIE 0x2112A442u
#define STUN_TXID_LEN     12
#define STUN_MAX_UNKNOWN  8

/*
 * The largest request accepted: a PADDING as long as a 1500-byte link's
 * MTU (RFC 5780 s.7.6: such requests are meant to be fragmented, so they
 * are an exception to STUN's "less than the path MTU"), plus the header
 * and 524 bytes for the other attributes a discovery request carries
 * (CHANGE-REQUEST, RESPONSE-PORT, SOFTWARE, FINGERPRINT, ...).
 */
#define STUN_MAX_REQUEST 2048
/* The longest success answer: the header and three IPv6 address
 * attributes (mapped, other, origin). A request padded to this size gets
 * every optional attribute (docs/protocol.md, "Anti-amplification"). */
#define STUN_ANSWER_MAX  (STUN_HDR_LEN + 3 * 24)

#define STUN_BINDING_REQUEST  0x0001
#define STUN_BINDING_SUCCESS  0x0101
#define STUN_BINDING_ERROR    0x0111

#define STUN_CHANGE_IP   0x04
#define STUN_CHANGE_PORT 0x02

/* Which STUN a request speaks, told by the magic cookie (RFC 8489 s.11). */
enum stun_dialect {
	STUN_RFC8489, /* cookie: XOR-MAPPED-ADDRESS, OTHER-, RESPONSE-ORIGIN */
	STUN_RFC3489, /* classic: MAPPED-, CHANGED-, SOURCE-ADDRESS */
};

struct stun_request {
	enum stun_dialect dialect;
	/* bytes 4..7: the magic cookie, or in a classic request the first 32
	 * bits of its 128-bit transaction ID; answers echo them with txid */
	uint8_t cookie[4];
	uint8_t txid[STUN_TXID_LEN];
	int has_change_request;
	uint32_t change_flags;
	/* comprehension-required attributes (type < 0x8000) we do not know */
	size_t n_unknown;
	uint16_t unknown[STUN_MAX_UNKNOWN];
	int has_fingerprint; /* present and correct */
};

struct stun_response {
	uint16_t type; /* STUN_BINDING_SUCCESS or STUN_BINDING_ERROR */
	uint8_t txid[STUN_TXID_LEN];
	int has_mapped;
	struct hp_endpoint mapped; /* XOR-MAPPED-ADDRESS, else MAPPED-ADDRESS */
	int has_other;
	struct hp_endpoint other;  /* OTHER-ADDRESS (RFC 5780), if present */
	int has_origin;
	struct hp_endpoint origin; /* RESPONSE-ORIGIN (RFC 5780 s.7.3), if present */
	uint16_t error_code;       /* e.g. 420, if an error response */
};

/* What a success answer carries besides the header; NULL = left out. */
struct stun_answer {
	const struct hp_endpoint *mapped; /* the request's source; required */
	const struct hp_endpoint *other;  /* OTHER-ADDRESS / CHANGED-ADDRESS */
	const struct hp_endpoint *origin; /* RESPONSE-ORIGIN / SOURCE-ADDRESS */
};

/* A classic (RFC 3489) Binding request: a STUN header without the magic
 * cookie whose type is Binding request and whose length field matches.
 * Its first byte is 0x00, which no hplab datagram starts with (0x48). */
bool stun_is_classic_request(const uint8_t *buf, size_t len);
/* 0 on a well-formed Binding request, with or without the magic cookie
 * (r->dialect says which); -EBADMSG otherwise (not STUN, not a request,
 * truncated, bad lengths, bad FINGERPRINT, longer than STUN_MAX_REQUEST). */
int stun_parse_request(struct stun_request *r, const uint8_t *buf, size_t len);
/* Success answer to r in r's dialect, attributes in the order of struct
 * stun_answer. Returns length or -errno (-EMSGSIZE if cap is short). */
int stun_build_answer(uint8_t *buf, size_t cap, const struct stun_request *r,
		      const struct stun_answer *a);
/* RFC 8489 success with XOR-MAPPED-ADDRESS only: 32 or 44 bytes. */
int stun_build_success(uint8_t *buf, size_t cap, const uint8_t txid[STUN_TXID_LEN],
		       const struct hp_endpoint *mapped);
/* 420 Unknown Attribute with UNKNOWN-ATTRIBUTES, in r's dialect. Returns
 * length or -errno. */
int stun_build_error_420(uint8_t *buf, size_t cap, const struct stun_request *r);
/* A Binding request (client side); change_flags 0 = no CHANGE-REQUEST. */
int stun_build_request(uint8_t *buf, size_t cap, const uint8_t txid[STUN_TXID_LEN],
		       uint32_t change_flags);
/* The same, padded with PADDING (RFC 5780 s.7.6) to pad_to bytes (rounded
 * up to a multiple of 4; at most STUN_MAX_REQUEST) if it is shorter. */
int stun_build_request_padded(uint8_t *buf, size_t cap, const uint8_t txid[STUN_TXID_LEN],
			      uint32_t change_flags, size_t pad_to);
/* 0 on a well-formed Binding success or error response; -EBADMSG otherwise. */
int stun_parse_response(struct stun_response *r, const uint8_t *buf, size_t len);

#endif
