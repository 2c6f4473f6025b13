/* SPDX-License-Identifier: MIT */
#ifndef LAB_FORMAT_H
#define LAB_FORMAT_H

/*
 * The output formats of `labrun run` and `labrun matrix`. Each is one
 * writer beside the others (report.c's table for a run, matrixout.c's for
 * the matrix), fed by the same data: a new format is one value here and
 * one writer in each table. Switches over it have no `default:`, so the
 * compiler names every place a new format must reach.
 */
enum lab_format {
	LAB_FORMAT_TEXT,  /* the narrative for people, then PASS or FAIL */
	LAB_FORMAT_JSON,  /* one JSON object for machines */
	LAB_FORMAT_COUNT
};

#endif
