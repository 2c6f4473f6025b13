/* SPDX-License-Identifier: MIT */
#ifndef HP_RELEASE_H
#define HP_RELEASE_H

/*
 * The one version of hplab: hpserver, hpclient and the lab print it for
 * --version ("hpserver 0.9.0"), and the `lab` wrapper reads it from here
 * before there is a build, and the Makefile for its VERSION. Keep it one
 * plain string literal on its own line: both read it with a pattern.
 * (HP_VERSION in proto.h is the wire protocol's version byte, not this.)
 */
#ifndef HP_RELEASE
#define HP_RELEASE "0.9.0"
#endif

#endif
