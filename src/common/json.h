/* SPDX-License-Identifier: MIT */
#ifndef HP_JSON_H
#define HP_JSON_H

#include <stdio.h>
#include <stddef.h>

/*
 * Writes s as a JSON string literal (with the quotes), escaping quotes,
 * backslashes and control characters (RFC 8259 s.7). Bytes that are not
 * valid UTF-8 are written as U+FFFD so the output is always valid JSON.
 */
void hp_json_write_string(FILE *f, const char *s, size_t len);

#endif
