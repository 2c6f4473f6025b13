/* SPDX-License-Identifier: MIT */
#ifndef HP_UTF8_H
#define HP_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * One UTF-8 decoder for every writer that must not pass invalid text on
 * (JSON strings, the lab's XML and markdown): RFC 3629 s.3 and s.4.
 */

/*
 * The valid UTF-8 sequence at s, of at most `left` bytes: its length (1..4)
 * with its code point in *cp, or 0 when it is invalid (a stray continuation
 * byte, cut short, overlong, a surrogate, beyond U+10FFFF). A NUL ends a
 * sequence like any other non-continuation byte, so a NUL-terminated
 * string is never read past its end.
 */
size_t hp_utf8_decode(const unsigned char *s, size_t left, uint32_t *cp);

#endif
