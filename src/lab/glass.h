/* SPDX-License-Identifier: MIT */
#ifndef LAB_GLASS_H
#define LAB_GLASS_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "topo.h"
#include "trace.h"

/*
 * The glass box's readers during a run: for every NAT of the topology
 * (home routers and CGNs), its conntrack events (ct.h) and what its NFLOG
 * rules log (nflog.h, nat.c's rules), each record turned into a trace
 * event (trace.h) on the run's clock. Opened after the build and before
 * any datagram is sent, polled with the run's other fds, closed (after a
 * last read) at teardown.
 *
 *   run_pump -> glass -> nflog, ct (src/kern), pktdec
 *                    \-> trace (lab_trace_add)
 */
struct lab_glass;

/* *out on success; -errno with err saying which NAT and socket failed.
 * t0_us: the run's start on CLOCK_MONOTONIC, in microseconds. Also tells
 * the trace every node's addresses (lab_trace_node_addr). */
int lab_glass_open(struct lab_glass **out, const struct lab_topo *topo, struct lab_trace *tr,
		   uint64_t t0_us, char *err, size_t errlen);
/* Adds its fds to pfd (up to max); returns how many. */
size_t lab_glass_pollfds(const struct lab_glass *g, struct pollfd *pfd, size_t max);
/* Reads whatever is queued on every socket, without blocking. */
void lab_glass_read(struct lab_glass *g);
/* A last read, the kernel's losses into the trace's count, then closed.
 * NULL is a no-op. */
void lab_glass_close(struct lab_glass *g);

#endif
