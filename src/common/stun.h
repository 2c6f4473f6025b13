/* SPDX-License-Identifier: MIT */
#ifndef HP_STUN_H
#define HP_STUN_H

/* STUN Binding (RFC 8489), just enough for a reflexive-address server and
 * for a client that asks one. */

#include <stddef.h>
#include <stdint.h>

#include "endpoint.h"

#define STUN_HDR_LEN      20
#define STUN_MAGIC_COOKIE 0x2112A442u
#define STUN_TXID_LEN     12
#define STUN_MAX_UNKNOWN  8

#define STUN_BINDING_REQUEST  0x0001
#define STUN_BINDING_SUCCESS  0x0101
#define STUN_BINDING_ERROR    0x0111

#define STUN_CHANGE_IP   0x04
#define STUN_CHANGE_PORT 0x02

struct stun_request {
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
	uint16_t error_code;       /* e.g. 420, if an error response */
};

/* 0 on a well-formed Binding request; -EBADMSG otherwise (not STUN, not a
 * request, truncated, bad lengths, bad FINGERPRINT). */
int stun_parse_request(struct stun_request *r, const uint8_t *buf, size_t len);
/* Success response with XOR-MAPPED-ADDRESS. Returns length or -EMSGSIZE. */
int stun_build_success(uint8_t *buf, size_t cap, const uint8_t txid[STUN_TXID_LEN],
		       const struct hp_endpoint *mapped);
/* The same plus OTHER-ADDRESS (RFC 5780 s.7.4) when other is not NULL:
 * 44 bytes (IPv4) or 68 (IPv6). */
int stun_build_success_other(uint8_t *buf, size_t cap, const uint8_t txid[STUN_TXID_LEN],
			     const struct hp_endpoint *mapped, const struct hp_endpoint *other);
/* 420 Unknown Attribute with UNKNOWN-ATTRIBUTES. Returns length or -errno. */
int stun_build_error_420(uint8_t *buf, size_t cap, const struct stun_request *r);
/* A Binding request (client side); change_flags 0 = no CHANGE-REQUEST. */
int stun_build_request(uint8_t *buf, size_t cap, const uint8_t txid[STUN_TXID_LEN],
		       uint32_t change_flags);
/* 0 on a well-formed Binding success or error response; -EBADMSG otherwise. */
int stun_parse_response(struct stun_response *r, const uint8_t *buf, size_t len);

#endif
