/* SPDX-License-Identifier: MIT */
#ifndef HPCLIENT_NATMAP_H
#define HPCLIENT_NATMAP_H

/*
 * The mapping verdict (docs/protocol.md, "Mapping verdicts"): one STUN
 * Binding request to the server, then one to the server's alternate
 * address (its OTHER-ADDRESS, RFC 5780 s.7.4) at the server's port: RFC
 * 5780 s.4.3's mapping tests I and II, from the chat socket. The same public endpoint in both answers means our NAT maps
 * independently of the destination (RFC 4787 s.4.1, "easy"); two
 * different ones mean a new mapping per destination ("hard"), which is
 * what decides the birthday spray's roles. Pure: builds requests, reads
 * answers; ctl.c sends them.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "endpoint.h"
#include "proto.h"
#include "stun.h"

#define NATMAP_N 2 /* the server, and its alternate address */

struct natmap {
	uint8_t txid[NATMAP_N][STUN_TXID_LEN];
	struct hp_endpoint seen[NATMAP_N]; /* our endpoint as each port saw it */
	bool got[NATMAP_N];
	struct hp_endpoint other; /* the first answer's OTHER-ADDRESS */
	bool have_other;
	enum hp_mapping verdict; /* HP_MAP_UNKNOWN until both answered */
};

/* Fresh transaction IDs (libsodium's randombytes). */
void natmap_init(struct natmap *m);
/* The request for destination i (0 the server, 1 its alternate) (i < NATMAP_N): length or -errno. It is
 * padded to the answer's size: the server never amplifies. */
int natmap_request(const struct natmap *m, unsigned i, uint8_t *buf, size_t cap);
/* A STUN datagram: true when it completed the verdict. Only an answer
 * to one of our two transaction IDs (96 random bits) counts. */
bool natmap_input(struct natmap *m, const uint8_t *buf, size_t len);
const char *natmap_name(enum hp_mapping v);

#endif
