/* SPDX-License-Identifier: MIT */
#ifndef HP_SERVER_ROOMS_H
#define HP_SERVER_ROOMS_H

/*
 * The rendezvous table: rooms named by clients, each holding at most two
 * registrations identified by their token. Pure data structure: no sockets,
 * no clock of its own (every call that depends on time takes now_ms), so it
 * can be tested deterministically.
 *
 * Indexes: rooms by name, registrations by token and (with a source
 * limit) by address, each an htab.c table that resizes a step at a time;
 * and a last-seen list, oldest first, so expiry looks only at what
 * expires. Every operation costs O(1) on average, none walks the table.
 * Calls htab.c, arena.c (its memory) and libsodium (the keyed hash) only.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "endpoint.h"
#include "proto.h"
#include "server/htab.h"

#define ROOMS_PEERS 2

/*
 * One registration. Allocated at its own size: priv[] holds n_priv
 * candidates and the nick follows them (rooms_peer_nick), so a typical
 * one-peer room costs under 300 bytes (docs/hpserver.md, "Scale").
 * Pointers to it stay valid until the next call that changes the table.
 */
struct rooms_peer {
	struct htab_node tnode;       /* token index */
	struct htab_node anode;       /* source address index (with a limit) */
	struct rooms_peer *older, *newer; /* last-seen list, oldest first */
	struct rooms_room *room;      /* the room holding it */
	uint64_t seen_ms;             /* last REGISTER, for expiry */
	uint64_t moved_ms;            /* last refresh from a new endpoint; 0 = never */
	uint32_t rtt_us;              /* server-measured round trip; 0 = unknown */
	uint8_t token[HP_TOKEN_LEN];
	uint8_t pubkey[HP_KEY_LEN];
	struct hp_endpoint public_ep; /* source address of its last REGISTER */
	struct hp_endpoint told_ep;   /* the other peer's public endpoint as last
				       * sent to this one in an INTRO */
	uint8_t n_priv;
	uint8_t slot;                 /* its index in room->peer[] */
	uint8_t mapping;              /* enum hp_mapping of its last REGISTER */
	struct hp_endpoint priv[];    /* n_priv of them, then the nick */
};

/* The peer's nick, NUL-terminated (at most HP_NICK_MAX bytes). */
static inline const char *rooms_peer_nick(const struct rooms_peer *p)
{
	return (const char *)&p->priv[p->n_priv];
}

/* A room: allocated at its name's length; lives while a peer holds it. */
struct rooms_room {
	struct htab_node hnode;              /* name index */
	struct rooms_peer *peer[ROOMS_PEERS]; /* NULL = free slot */
	/* relay quota, shared by both peers (server/relay.c) */
	uint64_t relay_bytes;     /* inner bytes forwarded so far */
	uint64_t relay_mtokens;   /* token bucket, 1000 per datagram */
	uint64_t relay_refill_ms; /* last refill; 0 = bucket not started */
	uint64_t relay_err_ms;    /* last quota ERROR sent; 0 = never */
	uint8_t name_len;
	char name[];              /* name_len bytes and a NUL */
};

/* What a successful rooms_register() did. */
struct rooms_join {
	struct rooms_room *room;
	int self;     /* index of the requester in room->peer[] (never NULL) */
	bool paired;  /* both slots are held: introduce */
	bool fresh;   /* a new registration (not a refresh) */
	bool moved;   /* a refresh from a new source endpoint (NAT rebind) */
};

struct rooms;

/* timeout_ms: a registration not refreshed for longer than this expires. */
int rooms_create(struct rooms **out, size_t max_rooms, uint64_t timeout_ms);
void rooms_destroy(struct rooms *t);
/* At most n live registrations from one source address (any port); 0, the
 * default: no limit. A refresh is always allowed; a new registration, or a
 * move to another address, beyond it gets -EDQUOT. The address index
 * exists only while there is a limit (set it before registering: it is
 * built from what is there). Returns 0 or -ENOMEM (then no limit). */
int rooms_set_source_limit(struct rooms *t, size_t n);
/* Live registrations whose public endpoint has from's address; 0 when
 * there is no limit (nothing is indexed by address then). */
size_t rooms_source_count(const struct rooms *t, const struct hp_endpoint *from, uint64_t now_ms);

/*
 * Adds or refreshes reg's registration, seen from public endpoint from.
 * Returns 0, or -EINVAL (bad room name), -EBUSY (room full: two other
 * tokens hold it), -EKEYREJECTED (known token, different public key),
 * -ENOSPC (room limit reached), -EEXIST (the token is live in another
 * room: tokens are unique server-wide), -EDQUOT (the source address holds
 * the most registrations it may: rooms_set_source_limit), -ENOMEM.
 */
int rooms_register(struct rooms *t, const struct hp_register *reg,
		   const struct hp_endpoint *from, uint64_t now_ms,
		   struct rooms_join *out);

/* Removes token's registration from room (and the room once empty).
 * Returns 0 or -ENOENT. */
int rooms_leave(struct rooms *t, const char *room, const uint8_t token[HP_TOKEN_LEN]);

/* Drops every registration idle longer than the timeout; returns how many. */
size_t rooms_expire(struct rooms *t, uint64_t now_ms);
/* The same, but at most max of them (the oldest): the loop's sweep, which
 * must not hold the loop while a burst of registrations times out at once.
 * Costs what it drops, not what the table holds. */
size_t rooms_expire_max(struct rooms *t, uint64_t now_ms, size_t max);

struct rooms_room *rooms_find(const struct rooms *t, const char *room);
/* The live (not expired) registration holding token, or NULL. */
struct rooms_peer *rooms_find_token_peer(const struct rooms *t, const uint8_t token[HP_TOKEN_LEN],
					 uint64_t now_ms);
/*
 * Lookups started ahead. The loop takes a batch of datagrams at once, and
 * each lookup in a big table waits for two cache misses, the bucket and
 * the first node in it, one request after another. Started ahead, they
 * overlap: rooms_ahead notes the chains a request will walk and fetches
 * their buckets (__builtin_prefetch, GCC's
 * manual); rooms_ahead_fetch, a pass later, fetches their first nodes.
 * Only a hint: lookups never read it, and it is stale once the table has
 * changed (after that, call rooms_ahead_fetch no more).
 */
struct rooms_ahead {
	struct htab_node *const *chain[2]; /* [0] token, [1] room; NULL = none */
};
/* token's chain and, with a name (else NULL), the room's */
void rooms_ahead(const struct rooms *t, struct rooms_ahead *a, const uint8_t token[HP_TOKEN_LEN],
		 const uint8_t *name, size_t name_len);
void rooms_ahead_fetch(const struct rooms_ahead *a);
/* The other live registration of p's room, or NULL. */
struct rooms_peer *rooms_peer_other(const struct rooms *t, struct rooms_peer *p, uint64_t now_ms);
size_t rooms_count(const struct rooms *t);
size_t rooms_peer_count(const struct rooms *t);
/* Bytes the table has asked for (rooms, registrations, bucket arrays),
 * without the allocators' rounding. */
size_t rooms_bytes(const struct rooms *t);
/* Faults in a little of the memory the next rooms will take (arena.h,
 * arena_prefault): for the loop to call before it sleeps. Returns true
 * if it did some (there may be more to do). */
bool rooms_prefault(struct rooms *t);

static inline int rooms_other(int self)
{
	return 1 - self;
}

#endif
