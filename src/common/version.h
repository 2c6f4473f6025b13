/* SPDX-License-Identifier: MIT */
#ifndef HP_VERSION_H
#define HP_VERSION_H

/*
 * The one version of hplab: hpserver, hpclient and the lab print it for
 * --version ("hpserver 0.9.0"), and the `lab` wrapper reads it from here
 * before there is a build. A build may pass -DHP_VERSION=... (the Makefile
 * does, from `git describe`, when it runs in a git checkout); a tarball
 * without git builds with this default. Keep it one plain string literal
 * on its own line: the wrapper reads it with sed.
 */
#ifndef HP_VERSION
#define HP_VERSION "0.9.0"
#endif

#endif
