// SPDX-License-Identifier: MIT
/*
 * The release number, in a file of its own: proto.h (which every other
 * client file sees through opts.h) defines HP_VERSION as the wire
 * protocol's version byte (docs/protocol.md), and version.h's HP_VERSION
 * is the release string; only here is the second one in scope.
 */
#include "client/release.h"
#include "version.h"

void release_print(FILE *f)
{
	fputs("hpclient " HP_VERSION "\n", f);
}
