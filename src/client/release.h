/* SPDX-License-Identifier: MIT */
#ifndef HPCLIENT_RELEASE_H
#define HPCLIENT_RELEASE_H

#include <stdio.h>

/* "hpclient VERSION\n", the release from version.h (--version). */
void release_print(FILE *f);

#endif
