/* SPDX-License-Identifier: MIT */
#ifndef TEST_XMLCHECK_H
#define TEST_XMLCHECK_H

/*
 * For the unit tests of the XML writers: python3's xml.etree parses doc
 * (so it must be well-formed) and runs check, python code with d the root
 * element. 0: parsed and check passed; 1: either failed; -1: no python3
 * here (the caller decides whether that is a skip).
 */
int xml_check(const char *doc, const char *check);

#endif
