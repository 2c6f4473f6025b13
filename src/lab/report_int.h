/* SPDX-License-Identifier: MIT */
#ifndef LAB_REPORT_INT_H
#define LAB_REPORT_INT_H

/*
 * Inside the report: one writer per output format (format.h), the row
 * report.c's table keeps for it. Not an API for anything else.
 */
#include <stdio.h>

struct lab_report;
struct lab_step;

struct lab_report_writer {
	/* A step as it happens (NULL: the format prints only at the end). */
	void (*step)(const struct lab_step *s, FILE *f);
	/* The end of the run: the last line, or the whole document. */
	void (*finish)(const struct lab_report *r, FILE *f);
	/* On failure, the clients' last stderr lines, for people (NULL: none). */
	void (*last_words)(const struct lab_report *r, FILE *f);
};

extern const struct lab_report_writer lab_report_text;  /* report_text.c */
extern const struct lab_report_writer lab_report_json;  /* report_json.c */

#endif
