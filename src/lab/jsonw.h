/* SPDX-License-Identifier: MIT */
#ifndef LAB_JSONW_H
#define LAB_JSONW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Writing the lab's JSON objects (the run's report, the matrix, errors):
 * `"key":value`, with the one convention for "no value": null (an empty
 * string, a negative count of milliseconds). The caller writes the commas
 * and braces. Strings go through hp_json_write_string (RFC 8259 s.7).
 */
void lab_jw_str(FILE *f, const char *key, const char *val);  /* "" or NULL: null */
void lab_jw_ms(FILE *f, const char *key, int64_t ms);        /* < 0: null */
void lab_jw_bool(FILE *f, const char *key, bool val);
void lab_jw_tristate(FILE *f, const char *key, int val);     /* < 0: null, else bool */

#endif
