/* SPDX-License-Identifier: MIT */
#ifndef LAB_FORMAT_H
#define LAB_FORMAT_H

/*
 * The output formats of `labrun run` and `labrun matrix`. Each is one
 * writer beside the others (report.c's table for a run, matrixout.c's for
 * the matrix), fed by the same data: a new format is one value here and
 * one writer in each table. Switches over it have no `default:`, so the
 * compiler names every place a new format must reach.
 *
 * Text or JSON goes to stdout (--json picks); the file formats are written
 * in addition, each to the file its option names (--junit FILE,
 * --markdown FILE, --html FILE; args.h keeps the paths indexed by this
 * enum).
 */
enum lab_format {
	LAB_FORMAT_TEXT,     /* the narrative for people, then PASS or FAIL */
	LAB_FORMAT_JSON,     /* one JSON object for machines */
	LAB_FORMAT_JUNIT,    /* JUnit XML: one testcase per run or cell, for CI */
	LAB_FORMAT_MARKDOWN, /* summary tables for a CI step summary page */
	LAB_FORMAT_HTML,     /* one self-contained page: topology, sequence diagram, NAT tables */
	LAB_FORMAT_COUNT
};

/* The version of the JSON objects' shape (docs/lab.md): raised when a
 * field changes meaning or goes away, not when one is added. */
#define LAB_SCHEMA_VERSION 1

#endif
