/* SPDX-License-Identifier: MIT */
#ifndef LAB_HTML_H
#define LAB_HTML_H

#include <stdio.h>

/*
 * The pieces of the HTML pages (--html FILE): the run's page
 * (report_html.c) and the matrix's (matrixout_html.c) are one
 * self-contained HTML5 document each, everything inline (style, SVG; no
 * script, no fetch), readable when printed. Both tell a run's story the
 * same way, from its report and its trace (trace.h):
 *
 *   result    what was predicted, what was seen, why it failed
 *   topology  the nodes, their addresses, the mappings each NAT made
 *   sequence  one lifeline per node, one arrow per hop of each datagram,
 *             coloured by its fate (html_seq.c)
 *   NAT tables each NAT's conntrack entries, when made and gone
 *   steps     the narrative's steps, and the trace in sentences
 *
 * The markup is also well-formed XML (every element closed, attributes
 * quoted, only numeric character references), so an XML parser can check
 * it; every string from the run goes through lab_xml_write (escape.h).
 */
struct lab_report;

/* The document up to its <body>'s heading: doctype, the inline style
 * sheet, the arrowheads every diagram points with, <h1>title</h1>. */
void lab_html_begin(FILE *f, const char *title);
void lab_html_end(FILE *f);
/* One run's story, its section headings at level h (2 on the run's page,
 * 3 inside a matrix cell's section). */
void lab_html_story(FILE *f, const struct lab_report *r, int h);

/* html_seq.c: the fates' colours as CSS rules (for lab_html_begin's
 * style sheet), their arrowheads (SVG markers, once per page), the
 * legend, and the sequence diagram. */
void lab_html_seq_style(FILE *f);
void lab_html_seq_defs(FILE *f);
void lab_html_seq_legend(FILE *f);
void lab_html_sequence(FILE *f, const struct lab_report *r);

#endif
