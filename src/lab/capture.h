/* SPDX-License-Identifier: MIT */
#ifndef LAB_CAPTURE_H
#define LAB_CAPTURE_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "lab/plan.h"

/*
 * `--pcap DIR`: what crosses the NATs, in files tcpdump and Wireshark
 * read. One capture per interface of every node with a NAT role (the
 * home routers, the carrier-grade NATs), each a libpcap packet socket
 * opened inside that node's namespace (a socket stays in the namespace it
 * was born in, so the runner itself never leaves its own), each written
 * to its own file named by node and interface:
 *
 *   DIR/rA-wan.pcap  DIR/rA-lan.pcap  DIR/rB-wan.pcap  DIR/rB-lan.pcap
 *   (same-nat: DIR/rA-lan2.pcap; same-lan: rA-portA, rA-portB and the
 *   switch rA-lan; cgnat: cA-wan, cA-lan, ... as well)
 *
 * The sockets are non-blocking: the caller polls their fds with its own
 * and calls lab_captures_pump() after every poll.
 */
#define LAB_CAPTURE_MAX 12
/* Ethernet, IPv4, UDP, the hplab header and some: what a story needs,
 * without the sealed payload */
#define LAB_CAPTURE_SNAPLEN 256

struct lab_capture_iface {
	enum lab_node node;
	const char *name;
};

/* The interfaces p's NAT nodes have, node by node (plan.h order), each
 * node's link ends then its switches; returns how many there are (only
 * max stored). Pure. */
size_t lab_capture_ifaces(const struct lab_plan *p, struct lab_capture_iface *out, size_t max);

/* DIR made if it is missing (one level, like mkdir(1) without -p), and
 * a directory; else -errno and err says so. */
int lab_capture_dir_ready(const char *dir, char *err, size_t errlen);

struct lab_captures;

/* Makes DIR ready (lab_capture_dir_ready()) and starts a capture on every interface lab_capture_ifaces() names, inside
 * ns_fds[node]; the files are created (or truncated) at once. On failure
 * err names the interface or the file, nothing is left open, and -errno
 * (or -EIO for libpcap's own errors) is returned. */
int lab_captures_open(struct lab_captures **out, const struct lab_plan *p,
		      const int ns_fds[LAB_NODE_COUNT], const char *dir, char *err,
		      size_t errlen);
/* Appends a POLLIN entry per live capture to pfd (at most max); returns
 * how many it added. */
size_t lab_captures_pollfds(const struct lab_captures *c, struct pollfd *pfd, size_t max);
/* Writes every packet waiting in every capture to its file; never
 * blocks. A capture that fails (its interface gone) stops, and the
 * count of stopped captures is returned (0: all fine). NULL: nothing. */
int lab_captures_pump(struct lab_captures *c);

struct lab_captures_stats {
	size_t files;
	uint64_t packets;   /* written to the files */
	uint64_t dropped;   /* the kernel could not queue (pcap_stats) */
};

/* Writes what is still waiting, flushes and closes every file, frees c
 * (NULL: nothing to do). Returns 0, or -errno of the first capture that
 * failed, with err naming it; st (may be NULL) gets the totals. */
int lab_captures_close(struct lab_captures *c, struct lab_captures_stats *st, char *err,
		       size_t errlen);

#endif
