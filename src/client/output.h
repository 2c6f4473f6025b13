/* SPDX-License-Identifier: MIT */
#ifndef HPCLIENT_OUTPUT_H
#define HPCLIENT_OUTPUT_H

/*
 * Everything the client tells its user goes through here, once per event:
 * with --json one JSON object per line on stdout, otherwise chat lines on
 * stdout and status lines on stderr. Both renderings come from the same
 * call, so they cannot drift apart.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/drops.h"
#include "endpoint.h"

struct output {
	bool json, quiet, verbose;
	/* the time stamp of each JSON event (t_us): NULL is hp_clock_us(),
	 * CLOCK_MONOTONIC, the lab's clock too; the unit tests set a fake */
	uint64_t (*clock_us)(void);
};

/* Human mode only: whom we register with, before the first REGISTER. */
void out_registering(const struct output *o, const struct hp_endpoint *server, const char *room);
/* waiting_room: the room we wait in for a peer (NULL: the peer is here). */
void out_registered(const struct output *o, const struct hp_endpoint *pub, uint64_t ms,
		    const char *waiting_room);
void out_introduced(const struct output *o, const char *nick, const struct hp_endpoint *pub,
		    const struct hp_endpoint *priv, size_t n_priv, uint64_t ms);
/* relay: peer is the server that relays for us. */
void out_connected(const struct output *o, bool relay, const struct hp_endpoint *peer, uint64_t ms);
void out_message(const struct output *o, const char *nick, uint32_t seq, const char *text,
		 size_t len);
/* rtt_us is reported only for a line sent once (Karn: tx > 1 is ambiguous). */
void out_acked(const struct output *o, uint32_t seq, uint64_t rtt_us, unsigned tx);
void out_retransmit(const struct output *o, uint32_t seq, unsigned tx);
/* The direct (or relayed) path went silent: back through the server. */
void out_reconnecting(const struct output *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
struct out_stats {
	uint64_t sent, delivered, retransmitted, duplicates;
	uint64_t drop[CLIENT_N_DROPS]; /* datagrams dropped, per reason (drops.h) */
};
void out_stats(const struct output *o, const struct out_stats *st);
/* -v only: "dropped: N unauthenticated, N replayed, ..." (drops.h's words). */
void out_drops(const struct output *o, const uint64_t drop[CLIENT_N_DROPS]);
void out_peer_moved(const struct output *o, const struct hp_endpoint *peer);
void out_peer_lost(const struct output *o, const char *reason);
/* Fatal: also on stderr in JSON mode, and even with -q. */
void out_error(const struct output *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void out_warning(const struct output *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void out_bye(const struct output *o, bool from_peer, const char *nick);
/* What the client waits for (at the end of input): a human status line
 * only, no JSON event. */
void out_waiting(const struct output *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * What the glass box needs (docs/hpclient.md, "Events"): each punch sent
 * (ttl as sent, candidate: "public", "private", "peer" or "relay", n: the
 * punches so far), each ICMP error heard (from: the offender, NULL if not
 * known; about: where the failed datagram went), each change of the path
 * state (why: a short phrase). A JSON event, or with -v a status line.
 */
void out_punch(const struct output *o, const struct hp_endpoint *to, unsigned ttl,
	       const char *candidate, uint64_t n);
void out_icmp(const struct output *o, const struct hp_endpoint *from,
	      const struct hp_endpoint *about, uint8_t type, uint8_t code);
void out_path(const struct output *o, const char *from, const char *to, const char *why);
/* The birthday spray's events (docs/hpclient.md, "JSON events"). */
void out_nat(const struct output *o, const char *self, const char *peer);
void out_spray_hard(const struct output *o, size_t sockets);
void out_spray_easy(const struct output *o, unsigned probes, unsigned rate);
void out_spray_hit(const struct output *o, const char *role, uint16_t port, unsigned n,
		   uint64_t ms);
/* p >= 0: the expected success that was judged too small (why hard-hard). */
void out_spray_end(const struct output *o, const char *role, size_t n, const char *why,
		   double p);
/* --probe's verdict: on stdout in both modes. */
void out_probe(const struct output *o, const char *mapping, const char *filtering,
	       const struct hp_endpoint *pub, const char *nat, uint64_t ms);
/* -v only, on stderr. */
void out_debug(const struct output *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* on: events on stdout are buffered until out_flush() (the chat loop
 * calls it before every wait); off: each goes at once (the default). */
void out_batch(bool on);
void out_flush(void);

#endif
