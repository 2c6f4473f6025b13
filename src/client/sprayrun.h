/* SPDX-License-Identifier: MIT */
#ifndef HPCLIENT_SPRAYRUN_H
#define HPCLIENT_SPRAYRUN_H

/*
 * The birthday spray of one introduction (docs/hpclient.md, "The birthday
 * spray"): the INTRO's mapping verdicts pick the roles, then
 *
 *   hard side (endpoint-dependent mapping): K extra sockets, one sealed
 *     opener from each to the peer's public endpoint: K fresh mappings in
 *     our NAT, each open to the peer;
 *   easy side: sealed PUNCH probes to distinct random ports of the peer's
 *     public address (never anywhere else), R per second, at most N.
 *
 * A probe that lands on one of the K mappings reaches its socket; the
 * answer from that socket opens the easy side's NAT (it has sent there)
 * and the path goes direct, with the same session keys: the winning
 * socket carries the peer's datagrams from then on (wire_use_socket), the
 * others close at once. Nothing unauthenticated counts: a datagram on a
 * sprayed socket is opened by wire_open like every other.
 *
 * Calls spray.c (the schedule), sprayset.c (the sockets), wire.c (sends),
 * output.c (events); reads struct path, never changes it.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/opts.h"
#include "client/output.h"
#include "client/path.h"
#include "client/spray.h"
#include "client/sprayset.h"
#include "client/wire.h"
#include "proto.h"

struct sprayrun {
	const struct client_opts *o;
	const struct output *out;
	struct wire *w;
	bool easy_on, hard_on; /* running */
	bool pending_easy, pending_hard; /* to start at start_us */
	uint64_t start_us;
	bool decided;          /* the verdicts were known: roles picked */
	bool won;              /* hard side: a socket won, it stays in set.fd[0] */
	struct hp_endpoint peer; /* the peer's public endpoint of the INTRO */
	uint64_t t_intro_us, hard_until_us;
	struct spray_sched sched;
	struct sprayset set;
};

void sprayrun_init(struct sprayrun *s, const struct client_opts *o, const struct output *out,
		   struct wire *w);
/* A new introduction (the wire holds its session): picks the roles, says
 * so (the nat event) and starts. */
void sprayrun_intro(struct sprayrun *s, const struct hp_intro *in, uint64_t now_us);
/* A re-introduction of the same peer: a verdict that was unknown at the
 * introduction and has come since starts the spray now (if not direct: a
 * relayed chat is upgraded when the spray wins). */
void sprayrun_reintro(struct sprayrun *s, const struct hp_intro *in, const struct path *p,
		      uint64_t now_us);
/* Probes that are due; stops when the path is direct or the budget is out. */
void sprayrun_tick(struct sprayrun *s, const struct path *p, uint64_t now_us, uint64_t *wake_ms);
/* An authenticated datagram arrived on set.fd[idx] from `from`: the first
 * one wins (call before path_input, so the answer leaves from that socket). */
void sprayrun_won(struct sprayrun *s, size_t idx, const struct hp_peer_msg *m,
		  const struct hp_endpoint *from, uint64_t now_us);
/* Was `to` a probe's destination (an ICMP error about it is expected)? */
bool sprayrun_probed(const struct sprayrun *s, const struct hp_endpoint *to);
void sprayrun_free(struct sprayrun *s);

#endif
