// SPDX-License-Identifier: MIT
#include <stddef.h>

#include "client/icmp.h"

#define ICMP_ANY_CODE 0x100 /* a row for every code of its type */

/*
 * Destination unreachable codes: RFC 792 (0-5), RFC 1122 s.3.2.2.1 (6-12),
 * RFC 1812 s.5.2.7.1 (13-15). Time exceeded: code 0 in transit (a short
 * TTL), 1 in reassembly. Parameter problem (12) is the last error Linux
 * passes to a UDP socket (icmp_err_convert[] and icmp_unreach() in
 * net/ipv4/icmp.c). The first row that matches wins: an ICMP_ANY_CODE row
 * after its type's own rows.
 */
static const struct {
	uint8_t type;
	uint16_t code;
	const char *what, *words;
} icmp_rows[] = {
	{ ICMP_TYPE_UNREACH, 0, "net unreachable", "network unreachable" },
	{ ICMP_TYPE_UNREACH, 1, "host unreachable", "host unreachable" },
	{ ICMP_TYPE_UNREACH, 2, "unreachable", "protocol unreachable" },
	{ ICMP_TYPE_UNREACH, 3, "port unreachable", "port unreachable" },
	{ ICMP_TYPE_UNREACH, 4, "unreachable", NULL },
	{ ICMP_TYPE_UNREACH, 5, "unreachable", "source route failed" },
	{ ICMP_TYPE_UNREACH, 6, "net unreachable", "network unknown" },
	{ ICMP_TYPE_UNREACH, 7, "host unreachable", "host unknown" },
	{ ICMP_TYPE_UNREACH, 8, "unreachable", "source host isolated" },
	{ ICMP_TYPE_UNREACH, 9, "admin prohibited", "network administratively prohibited" },
	{ ICMP_TYPE_UNREACH, 10, "admin prohibited", "host administratively prohibited" },
	{ ICMP_TYPE_UNREACH, 11, "net unreachable", "network unreachable for TOS" },
	{ ICMP_TYPE_UNREACH, 12, "host unreachable", "host unreachable for TOS" },
	{ ICMP_TYPE_UNREACH, 13, "admin prohibited", "communication administratively prohibited" },
	{ ICMP_TYPE_UNREACH, 14, "unreachable", "host precedence violation" },
	{ ICMP_TYPE_UNREACH, 15, "unreachable", "precedence cutoff in effect" },
	{ ICMP_TYPE_UNREACH, ICMP_ANY_CODE, "unreachable", NULL },
	{ ICMP_TYPE_TIME, ICMP_ANY_CODE, "time exceeded", NULL },
	{ 12, ICMP_ANY_CODE, "parameter problem", NULL },
};

static int icmp_row(uint8_t type, uint8_t code)
{
	size_t i;

	for (i = 0; i < sizeof(icmp_rows) / sizeof(icmp_rows[0]); i++)
		if (icmp_rows[i].type == type &&
		    (icmp_rows[i].code == code || icmp_rows[i].code == ICMP_ANY_CODE))
			return (int)i;
	return -1;
}

const char *icmp_what(uint8_t type, uint8_t code)
{
	int i = icmp_row(type, code);

	return i < 0 ? "icmp error" : icmp_rows[i].what;
}

const char *icmp_unreach_words(uint8_t type, uint8_t code)
{
	int i = icmp_row(type, code);

	return i < 0 || type != ICMP_TYPE_UNREACH ? NULL : icmp_rows[i].words;
}
