/* SPDX-License-Identifier: MIT */
#ifndef HP_ENDPOINT_H
#define HP_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/*
 * A transport address as it travels on the wire: explicit family, port in
 * host order here (network order only on the wire), address bytes in
 * network order. Never put a struct sockaddr on the wire.
 */
#define HP_FAMILY_V4 4
#define HP_FAMILY_V6 6

struct hp_endpoint {
	uint8_t family;   /* HP_FAMILY_V4 or HP_FAMILY_V6; 0 = unset */
	uint16_t port;    /* host byte order */
	uint8_t addr[16]; /* first 4 bytes used for V4 */
};

/* Longest string hp_endpoint_format() writes: "[v6]:65535" + NUL. */
#define HP_ENDPOINT_STRLEN 56

int hp_endpoint_from_sockaddr(struct hp_endpoint *ep, const struct sockaddr *sa, socklen_t salen);
/* Returns the sockaddr length written, or -EAFNOSUPPORT. */
int hp_endpoint_to_sockaddr(const struct hp_endpoint *ep, struct sockaddr_storage *ss, socklen_t *salen);
/* "1.2.3.4:5" or "[::1]:5"; always NUL-terminates; returns buf. */
const char *hp_endpoint_format(const struct hp_endpoint *ep, char *buf, size_t len);
/* Parses "IP:PORT", "[IPv6]:PORT", or a bare IP when default_port >= 0. */
int hp_endpoint_parse(struct hp_endpoint *ep, const char *s, int default_port);
bool hp_endpoint_equal(const struct hp_endpoint *a, const struct hp_endpoint *b);
bool hp_endpoint_same_addr(const struct hp_endpoint *a, const struct hp_endpoint *b);

#endif
