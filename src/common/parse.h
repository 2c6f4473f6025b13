/* SPDX-License-Identifier: MIT */
#ifndef HP_PARSE_H
#define HP_PARSE_H

/*
 * A decimal number from the command line, digits only (no sign, no
 * spaces, no trailing junk), within min..max. 0 or -EINVAL.
 * strtoul(3) alone would accept " 12", "-1" (wrapping) and "12abc".
 */
int hp_parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out);

#endif
