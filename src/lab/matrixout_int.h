/* SPDX-License-Identifier: MIT */
#ifndef LAB_MATRIXOUT_INT_H
#define LAB_MATRIXOUT_INT_H

/*
 * Inside the matrix's output: one writer per output format (format.h), the
 * row matrixout.c's table keeps for it. Not an API for anything else.
 */
#include <stdio.h>

struct lab_matrix_result;

struct lab_matrix_writer {
	/* Before the cells run (NULL: nothing). */
	void (*begin)(FILE *f, const struct lab_matrix_result *m);
	/* Once they all ran, or a signal (m->signo) stopped them. */
	void (*finish)(FILE *f, const struct lab_matrix_result *m);
};

extern const struct lab_matrix_writer lab_matrix_junit;    /* matrixout_junit.c */
extern const struct lab_matrix_writer lab_matrix_markdown; /* matrixout_markdown.c */
extern const struct lab_matrix_writer lab_matrix_html;     /* matrixout_html.c */

#endif
