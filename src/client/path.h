/* SPDX-License-Identifier: MIT */
#ifndef HPCLIENT_PATH_H
#define HPCLIENT_PATH_H

/*
 * The path to the peer: one state, changed only by path_set() in path.c,
 * which also emits the event that goes with the change:
 *
 *   from                      on                             to                 event
 *   any (a new peer key)      INTRO                          PUNCHING           introduced
 *   PUNCHING                  --relay-after                  RELAYING           (debug)
 *   RELAYING                  ERROR 5 (relay refused)        PUNCHING           -
 *   PUNCHING, RELAYING,       authenticated, direct          DIRECT             connected direct
 *     RELAYED (not a PUNCH), RECONNECTING(_RELAY)
 *   PUNCHING, RELAYING,       authenticated, relayed         RELAYED            connected relay
 *     RECONNECTING(_RELAY)
 *   DIRECT                    direct non-PUNCH, or --timeout CONFIRMED          -
 *   DIRECT, CONFIRMED,        no answer max(1.5 s, 4 RTO)    RECONNECTING       reconnecting
 *     RELAYED
 *   DIRECT, CONFIRMED         INTRO: an endpoint moved       RECONNECTING       reconnecting
 *   RECONNECTING              --relay-after                  RECONNECTING_RELAY (debug)
 *   RECONNECTING_RELAY        ERROR 5                        RECONNECTING       -
 *   PUNCHING, RELAYING        --timeout                      UNREACHABLE        error
 *   RECONNECTING(_RELAY)      --timeout                      LOST               peer_lost
 *
 * Punching (docs/hpclient.md, "Life of a run", steps 3 to 5b): PUNCH to
 * every candidate, the first one to the peer's public endpoint with a short
 * TTL so it opens our NAT but dies before the peer's (docs/nat-types.md,
 * `--no-firewall`); the source of the first authenticated datagram becomes
 * the peer's endpoint (ICE's peer-reflexive candidate, RFC 8445 sections
 * 7.2.5.3.1 and 7.3.1.3), which is what makes a symmetric NAT on one side
 * work (docs/nat-types.md, "The theory").
 *
 * Time comes in as now_us (CLOCK_MONOTONIC microseconds of this loop turn),
 * every datagram goes out through the wire's send hook: the unit tests run
 * it on a fake clock and record each punch.
 */

#include <stdbool.h>
#include <stdint.h>

#include "client/opts.h"
#include "client/output.h"
#include "client/punchwait.h"
#include "client/wire.h"
#include "proto.h"

/* Punch ids end in a byte that says what sent them (path.c's candidate
 * index, or one of these): a spray probe's id carries the port it was
 * sent to, so its echo is no round trip (sprayrun.h). */
#define PATH_PUNCH_OPENER 0xfc /* the hard side's openers */
#define PATH_PUNCH_PROBE  0xfe /* the easy side's probes: id = port << 8 | 0xfe */

#define PATH_MAX_CAND (1 + HP_MAX_PRIV + 1) /* public, private, peer-reflexive */

/* The states in one list: the enum and the names of the path event
 * (docs/hpclient.md) both come from it. */
#define PATH_STATES(X)                                                                   \
	X(WAITING, "waiting")           /* no peer introduced yet */                     \
	X(PUNCHING, "punching")         /* introduced: punching, nothing authenticated */ \
	X(RELAYING, "relaying")         /* ... and --relay-after passed: the relay too */ \
	X(DIRECT, "direct")             /* direct, punching until the peer hears us */   \
	X(CONFIRMED, "confirmed")       /* direct, proven both ways: punching stopped */ \
	X(RELAYED, "relayed")           /* the relay; direct punching in the background */ \
	X(RECONNECTING, "reconnecting") /* the path died: punching again, session kept */ \
	X(RECONNECTING_RELAY, "reconnecting_relay") /* ... and --relay-after again */    \
	X(UNREACHABLE, "unreachable")   /* never connected within the limits (exit 1) */ \
	X(LOST, "lost")                 /* connected once, then nothing (exit 1) */

enum path_state {
#define PATH_STATE_ENUM(id, name) PATH_##id,
	PATH_STATES(PATH_STATE_ENUM)
#undef PATH_STATE_ENUM
};

/* Where a candidate came from: the punch event's "candidate". */
enum path_cand_kind {
	PATH_CAND_PUBLIC,  /* the peer's public endpoint, as the server saw it */
	PATH_CAND_PRIVATE, /* one of the peer's host addresses */
	PATH_CAND_PEER,    /* learnt from the peer's own datagrams (peer-reflexive) */
	PATH_CAND_RELAY,   /* not a candidate: a punch through the relay */
};

struct path_cand {
	struct hp_endpoint ep;
	enum path_cand_kind kind;
	unsigned unanswered; /* punches sent since it last answered (or was named) */
};

/* Punches to a candidate that never answers, before it is left alone
 * until there is news of it (RFC 8445 s.19.5.1: bounded checks): 2 s at
 * the fast pace, then 5 s at the slow one. */
#define PATH_CAND_MAX_UNANSWERED 40

/* cand.c: the candidate list c[0..*n) of a struct path. A host candidate
 * outside the private ranges is refused (a -v line says so); one already
 * there is news of it (its count starts again). */
void cand_add(struct path_cand *c, size_t *n, const struct hp_endpoint *ep,
	      enum path_cand_kind kind, const struct output *out);
/* The public endpoint first (a new one replaces the old in front). */
void cand_set_public(struct path_cand *c, size_t *n, const struct hp_endpoint *ep);
/* An authenticated datagram came from `from`: it answers. */
void cand_answered(struct path_cand *c, size_t n, const struct hp_endpoint *from);
void cand_reset(struct path_cand *c, size_t n);
/* May c be punched once more? Counts the punch when it may. */
bool cand_take(struct path_cand *c);

/* The first punch to the peer's public endpoint, then the normal ones. */
enum path_public {
	PATH_PUBLIC_FIRST, /* short-TTL punch still to go (if --punch-ttl > 0) */
	PATH_PUBLIC_DELAY, /* sent: normal punches wait for public_normal_at */
	PATH_PUBLIC_NORMAL,
};

struct path {
	enum path_state state;
	const struct client_opts *o;
	const struct output *out;
	struct wire *w;
	uint64_t t_start;  /* of the run, for the introduced event */
	uint64_t server_rtt;

	char nick[HP_NICK_MAX + 1];
	uint8_t pk[HP_KEY_LEN];
	struct hp_endpoint public; /* as the server last introduced it */
	struct path_cand cand[PATH_MAX_CAND];
	size_t n_cand;
	uint64_t n_punch; /* punches sent in this run: the punch event's n */
	struct hp_endpoint ep; /* the peer, valid once direct */

	uint64_t t_intro, punch_next; /* ms */
	uint64_t public_wait;          /* us: punch_wait_us() of the last INTRO */
	bool timed;                    /* ... which had the timing: say PATH_OPENED */
	bool peer_opened;              /* the server passed on the peer's HP_FLAG_OPENED */
	uint64_t public_normal_at;     /* us: public_wait after the short-TTL punch */
	enum path_public public_punch;
	uint64_t relay_at;  /* when to fall back to relaying */
	bool relay_refused; /* the server said HP_ERR_QUOTA before we connected */

	/* liveness: await_since = oldest send still waiting for an ACK or
	 * PUNCH_ACK (0 = none); silence beyond the stall threshold means the
	 * path died and we go back through the server (reconnecting) */
	uint64_t last_send, await_since;
};

/* What a tick or an intro asks of the caller. */
enum path_verdict {
	PATH_GOING,
	PATH_REREGISTER, /* the path died: ask the server again at once */
	PATH_GAVE_UP,    /* UNREACHABLE or LOST: the run ends, exit 1 */
	PATH_OPENED,     /* our short-TTL punch is out: tell the peer (ctl_opened) */
};

/* What an authenticated datagram did to the path. */
enum path_news {
	PATH_NEWS_NONE,
	PATH_NEWS_CONNECTED,   /* we are connected (again, on another path) */
	PATH_NEWS_RECONNECTED, /* ... after an outage: retransmit at once */
};

static inline bool path_is_introduced(enum path_state s)
{
	return s != PATH_WAITING;
}

static inline bool path_is_connected(enum path_state s)
{
	return s == PATH_DIRECT || s == PATH_CONFIRMED || s == PATH_RELAYED;
}

static inline bool path_is_direct(enum path_state s)
{
	return s == PATH_DIRECT || s == PATH_CONFIRMED;
}

static inline bool path_is_reconnecting(enum path_state s)
{
	return s == PATH_RECONNECTING || s == PATH_RECONNECTING_RELAY;
}

/* Connected at least once with this peer: it is owed a BYE. */
static inline bool path_was_connected(enum path_state s)
{
	return path_is_connected(s) || path_is_reconnecting(s) || s == PATH_LOST;
}

/* The state's name, lower case ("punching"). */
const char *path_state_name(enum path_state s);

void path_init(struct path *p, const struct client_opts *o, const struct output *out,
	       struct wire *w, uint64_t t_start);
/* A new peer (the wire already holds its session): punching starts. */
void path_intro(struct path *p, const struct hp_intro *in, uint64_t server_rtt, uint64_t now_us);
/* An INTRO with the same peer key; self_moved: our public endpoint moved. */
enum path_verdict path_reintro(struct path *p, const struct hp_intro *in, bool self_moved,
			       bool peer_bye, uint64_t now_us);
/* An authenticated datagram (from == NULL: through the relay); fresh is
 * hp_session_open()'s result. *rtt_us gets a punch round trip, or 0. */
enum path_news path_input(struct path *p, const struct hp_peer_msg *m, int fresh,
			  const struct hp_endpoint *from, uint64_t now_us, uint64_t *rtt_us);
/* The server answered a RELAY with ERROR HP_ERR_QUOTA. */
void path_relay_refused(struct path *p, const char *reason);
/* To the peer over whichever path is in use (while reconnecting: the last
 * direct endpoint, in case the path comes back by itself). */
int path_send(struct path *p, struct hp_peer_msg *m, uint64_t now_us);
/* Punching, relay fallback and their timeouts. */
enum path_verdict path_punch_tick(struct path *p, uint64_t now_us, uint64_t *wake);
/* Keepalives and the stall detector; rto_ms is the chat's current RTO. */
enum path_verdict path_live_tick(struct path *p, uint64_t now_us, uint64_t rto_ms, uint64_t *wake);

static inline void path_wake_at(uint64_t *wake, uint64_t t)
{
	if (t < *wake)
		*wake = t;
}

#endif
