/* SPDX-License-Identifier: MIT */
#ifndef LAB_ESCAPE_H
#define LAB_ESCAPE_H

#include <stdbool.h>
#include <stdio.h>

/*
 * Any string (a reason, a client's last words, a step) written safely
 * into the file formats' documents, whatever bytes it holds:
 *
 *   XML (JUnit): & < > " ' as entities; in an attribute also tab, newline
 *   and carriage return as character references (XML 1.0 s.3.3.3 would
 *   fold them into spaces); the control characters XML 1.0 s.2.2 does not
 *   allow at all as the visible text \xNN (\uFFFE, \uFFFF).
 *
 *   Markdown (a GFM table cell): | and what could start inline markup
 *   (\ ` * _ [ ] < > ~ & $) backslash-escaped (CommonMark s.2.4), a line
 *   break as a space (a cell is one line), other control characters as
 *   \xNN.
 *
 * Both: bytes that are not UTF-8 (RFC 3629 s.3) become U+FFFD.
 */
void lab_xml_write(FILE *f, const char *s, bool attr);
void lab_md_write(FILE *f, const char *s);

#endif
