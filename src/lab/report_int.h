/* SPDX-License-Identifier: MIT */
#ifndef LAB_REPORT_INT_H
#define LAB_REPORT_INT_H

/*
 * Inside the report: one writer per output format (format.h), the row
 * report.c's table keeps for it. Not an API for anything else.
 */
#include <stddef.h>
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
	/* No report at all: what stopped the command (NULL: nothing). */
	void (*error)(FILE *f, const char *cmd, const char *reason);
};

extern const struct lab_report_writer lab_report_text;  /* report_text.c */
extern const struct lab_report_writer lab_report_json;  /* report_json.c */
extern const struct lab_report_writer lab_report_junit; /* report_junit.c */
extern const struct lab_report_writer lab_report_markdown; /* report_markdown.c */
extern const struct lab_report_writer lab_report_html;  /* report_html.c */

/* A run's name in a test report: "NAT_A x NAT_B" or "same NAT (N),
 * hairpin on|off", then the fault and impairments, if any. */
const char *lab_report_title(const struct lab_report *r, char *buf, size_t len);

#endif
