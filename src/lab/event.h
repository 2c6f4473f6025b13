/* SPDX-License-Identifier: MIT */
#ifndef LAB_EVENT_H
#define LAB_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h" /* HP_NICK_MAX, HP_REASON_MAX */

/* One `hpclient --json` line, checked against the event contract that
 * docs/hpclient.md documents: one JSON object per line, its "event" naming
 * the type, and each type carrying its fields with the right JSON types
 * (a missing or mistyped field makes the line invalid). */
enum lab_event_type {
	LAB_EV_REGISTERED,
	LAB_EV_INTRODUCED,
	LAB_EV_CONNECTED,
	LAB_EV_MESSAGE,
	LAB_EV_ACKED,
	LAB_EV_PEER_MOVED,
	LAB_EV_PEER_LOST,
	LAB_EV_ERROR,
	LAB_EV_BYE,
	LAB_EV_PROBE,  /* hpclient --probe: RFC 5780 verdict */
	LAB_EV_RETRANSMIT,   /* one chat message sent again */
	LAB_EV_STATS,        /* counters, once before bye */
	LAB_EV_RECONNECTING, /* the path died: back through the server */
	LAB_EV_PUNCH,        /* a punch sent: to, ttl, candidate, n */
	LAB_EV_ICMP,         /* an ICMP error read: from, about, type, code, what */
	LAB_EV_PATH,         /* the path changed: from, to, why */
	LAB_EV_NAT,          /* the introduction's verdicts: self, peer (easy|hard|unknown) */
	LAB_EV_SPRAY,        /* the spray starts: role; hard: sockets; easy: probes, rate */
	LAB_EV_SPRAY_HIT,    /* a sprayed path works: role, port, probes, ms */
	LAB_EV_SPRAY_END,    /* the spray stopped: role, probes, why */
	LAB_EV_OTHER, /* a well-formed event this runner does not know: ignored */
};

#define LAB_EVENT_TEXT_MAX 4096
/* What hpclient may legally print: a nick of HP_NICK_MAX bytes, a
 * server's reason of HP_REASON_MAX, each byte of which may come back as
 * U+FFFD (3 bytes in UTF-8) when it was not valid UTF-8; a reason carries
 * a nick and a server's reason in words of its own. */
#define LAB_EVENT_NICK_MAX (3 * HP_NICK_MAX + 1)
#define LAB_EVENT_REASON_MAX (3 * (HP_REASON_MAX + HP_NICK_MAX) + 200)

struct lab_event {
	enum lab_event_type type;
	char public_ep[64]; /* registered, introduced, probe */
	char mapping[40];   /* probe: RFC 4787 behaviours */
	char filtering[40];
	char nat[24];       /* probe: "full-cone", ..., "none", "other" */
	char peer[LAB_EVENT_NICK_MAX]; /* introduced: nick; connected/peer_moved: IP:PORT */
	char path[16];      /* connected */
	char from[LAB_EVENT_NICK_MAX]; /* message: nick; bye: "peer"|"self"; icmp: IP ("" null);
			     * path: the state left */
	char to[64];        /* punch: IP:PORT; path: the state entered */
	char about[64];     /* icmp: IP:PORT the datagram that caused it went to */
	char what[32];      /* icmp: in words; punch: the candidate kind */
	char reason[LAB_EVENT_REASON_MAX]; /* peer_lost, error; path: why */
	char text[LAB_EVENT_TEXT_MAX];
	int64_t seq;        /* message, acked */
	int64_t ms;         /* registered, introduced, connected; -1 if absent */
	int64_t rtt_ms;     /* acked; -1 if absent */
	int64_t rtt_us;     /* acked, the same in microseconds; -1 if absent */
	int64_t t_us;       /* every event: CLOCK_MONOTONIC us when emitted; -1 if absent */
	int64_t ttl, n;     /* punch */
	int64_t icmp_type, icmp_code; /* icmp */
	/* the spray's (docs/hpclient.md): role "easy"|"hard"; nat: the verdicts
	 * in self_nat, peer_nat; counts -1 if absent; why in reason */
	char role[8], self_nat[8], peer_nat[8];
	int64_t sockets, probes, rate, port;
	/* stats (each -1 if absent) */
	int64_t st_sent, st_delivered, st_retransmitted, st_duplicates, st_auth_failed;
};

/* Returns 0, or -EINVAL for a line that is not a valid event. */
int lab_event_parse(struct lab_event *ev, const uint8_t *buf, size_t len);

#endif
