/* SPDX-License-Identifier: MIT */
#ifndef HPCLIENT_ICMP_H
#define HPCLIENT_ICMP_H

/*
 * The ICMP errors a UDP socket hears of (IP_RECVERR, ip(7)), in words: one
 * table of (type, code) rows, read by the icmp event (a short class: "time
 * exceeded", "port unreachable", ...) and by the server-unreachable check
 * (the code's own words, RFC 792 and RFC 1122 s.3.2.2.1).
 */

#include <stdint.h>

#define ICMP_TYPE_UNREACH  3  /* RFC 792: destination unreachable */
#define ICMP_TYPE_TIME     11 /* RFC 792: time exceeded (TTL 0 in transit) */

/* The icmp event's "what": never NULL. */
const char *icmp_what(uint8_t type, uint8_t code);
/* A destination unreachable's own words ("network unreachable", ...), or
 * NULL when it is not an unreachable (code 4, fragmentation needed, is
 * path MTU discovery) or not a destination unreachable at all. */
const char *icmp_unreach_words(uint8_t type, uint8_t code);

#endif
