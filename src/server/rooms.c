// SPDX-License-Identifier: MIT
/*
 * The rendezvous table (rooms.h). Memory: a room and each registration
 * are one arena.c object each, at their own length (name; candidates and
 * nick), so a room with two peers costs less than two rooms with one. Time:
 * three htab.c indexes and one last-seen list; expiry pops the list's
 * oldest end while it is stale, so it never looks at a live registration.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "rooms.h"
#include "server/arena.h"

#define ROOMS_MIN_BUCKETS 16u

struct rooms {
	struct htab names;  /* rooms_room.hnode by name */
	struct htab tokens; /* rooms_peer.tnode by token, for RELAY */
	struct htab addrs;  /* rooms_peer.anode by address, with a limit only */
	struct arena mem;   /* every room and peer */
	bool by_addr;       /* addrs is initialised */
	size_t max_per_source; /* 0: none */
	struct rooms_peer *oldest, *newest; /* last-seen list */
	size_t n_rooms;
	size_t n_peers;
	size_t max_rooms;
	size_t bytes;       /* rooms and peers, as asked of the arena */
	uint64_t timeout_ms;
	/* Room names are chosen by clients: a keyed hash keeps anyone from
	 * crafting names that all land in one chain. */
	uint8_t hash_key[crypto_shorthash_KEYBYTES];
};

#define ROOMS_OF(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

static uint64_t rooms_hash(const struct rooms *t, const void *key, size_t len)
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v;

	_Static_assert(sizeof(h) == sizeof(v), "SipHash-2-4 gives 64 bits");
	crypto_shorthash(h, key, len, t->hash_key);
	memcpy(&v, h, sizeof(v));
	return v;
}

/* By address only (family and address bytes, not the port): one host
 * behind one address is one source, whatever ports it uses. */
static uint64_t rooms_addr_hash(const struct rooms *t, const struct hp_endpoint *ep)
{
	uint8_t key[17]; /* the family, then the address bytes */

	key[0] = ep->family;
	memcpy(key + 1, ep->addr, 16);
	return rooms_hash(t, key, ep->family == HP_FAMILY_V6 ? 17 : 5);
}

static int rooms_check_name(const char *name, size_t *len_out)
{
	size_t len = strnlen(name, HP_ROOM_MAX + 1);

	if (len == 0 || len > HP_ROOM_MAX)
		return -EINVAL;
	*len_out = len;
	return 0;
}

int rooms_create(struct rooms **out, size_t max_rooms, uint64_t timeout_ms)
{
	struct rooms *t = NULL;
	int ret;

	if (!out || max_rooms == 0 || timeout_ms == 0)
		return -EINVAL;
	if (sodium_init() < 0)
		return -EIO;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	crypto_shorthash_keygen(t->hash_key);
	arena_init(&t->mem);
	ret = htab_init(&t->names, ROOMS_MIN_BUCKETS);
	if (ret == 0)
		ret = htab_init(&t->tokens, ROOMS_MIN_BUCKETS);
	if (ret < 0) {
		htab_fini(&t->names);
		free(t);
		return ret;
	}
	t->max_rooms = max_rooms;
	t->timeout_ms = timeout_ms;
	*out = t;
	return 0;
}

/* The address index of everything there, or none. */
static int rooms_index_addrs(struct rooms *t, bool on)
{
	struct rooms_peer *p;
	int ret;

	if (t->by_addr == on)
		return 0;
	if (!on) {
		htab_fini(&t->addrs);
		t->by_addr = false;
		return 0;
	}
	ret = htab_init(&t->addrs, ROOMS_MIN_BUCKETS);
	if (ret < 0)
		return ret;
	t->by_addr = true;
	for (p = t->oldest; p; p = p->newer)
		htab_insert(&t->addrs, &p->anode, rooms_addr_hash(t, &p->public_ep));
	return 0;
}

int rooms_set_source_limit(struct rooms *t, size_t n)
{
	int ret;

	if (!t)
		return -EINVAL;
	ret = rooms_index_addrs(t, n != 0);
	t->max_per_source = ret < 0 ? 0 : n;
	return ret;
}

void rooms_destroy(struct rooms *t)
{
	if (!t)
		return;
	arena_fini(&t->mem); /* every room and peer: no walk */
	htab_fini(&t->names);
	htab_fini(&t->tokens);
	rooms_index_addrs(t, false);
	sodium_memzero(t->hash_key, sizeof(t->hash_key));
	free(t);
}

static struct rooms_room *rooms_lookup(const struct rooms *t, const char *name, size_t len,
				       uint64_t hv)
{
	struct htab_node *n;

	for (n = *htab_chain(&t->names, hv); n; n = n->next) {
		struct rooms_room *r = ROOMS_OF(n, struct rooms_room, hnode);

		if (n->hv == hv && r->name_len == len && memcmp(r->name, name, len) == 0)
			return r;
	}
	return NULL;
}

struct rooms_room *rooms_find(const struct rooms *t, const char *room)
{
	size_t len;

	if (!t || !room || rooms_check_name(room, &len) < 0)
		return NULL;
	return rooms_lookup(t, room, len, rooms_hash(t, room, len));
}

static size_t rooms_room_size(size_t name_len)
{
	return offsetof(struct rooms_room, name) + name_len + 1;
}

static size_t rooms_peer_size(size_t n_priv, size_t nick_len)
{
	return offsetof(struct rooms_peer, priv) + n_priv * sizeof(struct hp_endpoint) +
	       nick_len + 1;
}

static size_t rooms_peer_bytes(const struct rooms_peer *p)
{
	return rooms_peer_size(p->n_priv, strlen(rooms_peer_nick(p)));
}

/* Frees r if no peer holds it any more. */
static void rooms_room_release(struct rooms *t, struct rooms_room *r)
{
	if (r->peer[0] || r->peer[1])
		return;
	htab_remove(&t->names, &r->hnode);
	t->bytes -= rooms_room_size(r->name_len);
	arena_free(&t->mem, r, rooms_room_size(r->name_len));
	t->n_rooms--;
}

/* The last-seen list: newest at the end, kept in seen_ms order (a clock
 * that went back puts a refresh before newer ones, not at the end). */
static void rooms_list_unlink(struct rooms *t, struct rooms_peer *p)
{
	*(p->older ? &p->older->newer : &t->oldest) = p->newer;
	*(p->newer ? &p->newer->older : &t->newest) = p->older;
	p->older = p->newer = NULL;
}

static void rooms_list_append(struct rooms *t, struct rooms_peer *p)
{
	struct rooms_peer *after = t->newest;

	while (after && after->seen_ms > p->seen_ms)
		after = after->older;
	p->older = after;
	p->newer = after ? after->newer : t->oldest;
	*(p->newer ? &p->newer->older : &t->newest) = p;
	*(after ? &after->newer : &t->oldest) = p;
}

/* Unlinks p from every index and frees it; its room stays (release it). */
static void rooms_drop_peer(struct rooms *t, struct rooms_peer *p)
{
	htab_remove(&t->tokens, &p->tnode);
	if (t->by_addr)
		htab_remove(&t->addrs, &p->anode);
	rooms_list_unlink(t, p);
	p->room->peer[p->slot] = NULL;
	t->bytes -= rooms_peer_bytes(p);
	arena_free(&t->mem, p, rooms_peer_bytes(p));
	t->n_peers--;
}

static bool rooms_peer_stale(const struct rooms *t, const struct rooms_peer *p, uint64_t now_ms)
{
	/* A clock that went backwards (should not happen on CLOCK_MONOTONIC)
	 * never expires anyone. */
	return now_ms > p->seen_ms && now_ms - p->seen_ms > t->timeout_ms;
}

/* Drops r's stale peers; r itself stays, even empty. */
static void rooms_expire_room(struct rooms *t, struct rooms_room *r, uint64_t now_ms)
{
	int i;

	for (i = 0; i < ROOMS_PEERS; i++)
		if (r->peer[i] && rooms_peer_stale(t, r->peer[i], now_ms))
			rooms_drop_peer(t, r->peer[i]);
}

static int rooms_find_token(const struct rooms_room *r, const uint8_t token[HP_TOKEN_LEN])
{
	int i;

	for (i = 0; i < ROOMS_PEERS; i++)
		if (r->peer[i] && memcmp(r->peer[i]->token, token, HP_TOKEN_LEN) == 0)
			return i;
	return -1;
}

/* What a REGISTER sets: everything but the links, the slot and the
 * INTRO bookkeeping (told_ep, moved_ms, rtt_us). */
static void rooms_fill_peer(struct rooms_peer *p, const struct hp_register *reg,
			    size_t n_priv, size_t nick_len, const struct hp_endpoint *from,
			    uint64_t now_ms)
{
	char *nick;

	memcpy(p->token, reg->token, HP_TOKEN_LEN);
	memcpy(p->pubkey, reg->pubkey, HP_KEY_LEN);
	p->public_ep = *from;
	p->n_priv = (uint8_t)n_priv;
	memcpy(p->priv, reg->priv, n_priv * sizeof(p->priv[0]));
	nick = (char *)&p->priv[n_priv];
	memcpy(nick, reg->nick, nick_len);
	nick[nick_len] = '\0';
	p->seen_ms = now_ms;
}

size_t rooms_source_count(const struct rooms *t, const struct hp_endpoint *from, uint64_t now_ms)
{
	const struct htab_node *n;
	size_t count = 0;
	uint64_t hv;

	if (!t || !from || !t->by_addr)
		return 0;
	hv = rooms_addr_hash(t, from);
	for (n = *htab_chain(&t->addrs, hv); n; n = n->next) {
		const struct rooms_peer *p = ROOMS_OF(n, const struct rooms_peer, anode);

		count += n->hv == hv && hp_endpoint_same_addr(&p->public_ep, from) &&
			 !rooms_peer_stale(t, p, now_ms);
	}
	return count;
}

/* Would a registration (new, or moved from elsewhere) from `from` go
 * beyond the per-source limit? */
static bool rooms_source_full(const struct rooms *t, const struct rooms_peer *held,
			      const struct hp_endpoint *from, uint64_t now_ms)
{
	if (!t->max_per_source || (held && hp_endpoint_same_addr(&held->public_ep, from)))
		return false;
	return rooms_source_count(t, from, now_ms) >= t->max_per_source;
}

/* The registration holding token, live or not yet swept: the index holds
 * a token once (rooms_register drops a stale holder before reusing it). */
static struct rooms_peer *rooms_token_holder(const struct rooms *t,
					     const uint8_t token[HP_TOKEN_LEN], uint64_t hv)
{
	struct htab_node *n;

	for (n = *htab_chain(&t->tokens, hv); n; n = n->next) {
		struct rooms_peer *p = ROOMS_OF(n, struct rooms_peer, tnode);

		if (n->hv == hv && memcmp(p->token, token, HP_TOKEN_LEN) == 0)
			return p;
	}
	return NULL;
}

static struct rooms_peer *rooms_token_lookup(const struct rooms *t,
					     const uint8_t token[HP_TOKEN_LEN], uint64_t hv,
					     uint64_t now_ms)
{
	struct rooms_peer *p = rooms_token_holder(t, token, hv);

	return p && !rooms_peer_stale(t, p, now_ms) ? p : NULL;
}

/* The named room, made (empty) if there is none. */
static int rooms_get_room(struct rooms *t, const char *name, size_t len, uint64_t now_ms,
			  struct rooms_room **out)
{
	uint64_t hv = rooms_hash(t, name, len);
	struct rooms_room *r = rooms_lookup(t, name, len, hv);

	if (r) {
		/* Expire lazily too, so a stale peer never blocks a newcomer
		 * just because the periodic sweep has not run yet. */
		rooms_expire_room(t, r, now_ms);
		*out = r;
		return 0;
	}
	if (t->n_rooms >= t->max_rooms)
		return -ENOSPC;
	r = arena_alloc(&t->mem, rooms_room_size(len));
	if (!r)
		return -ENOMEM;
	memcpy(r->name, name, len);
	r->name_len = (uint8_t)len;
	htab_insert(&t->names, &r->hnode, hv);
	t->bytes += rooms_room_size(len);
	t->n_rooms++;
	*out = r;
	return 0;
}

/* A new registration in r's free slot `slot`. */
static int rooms_add_peer(struct rooms *t, struct rooms_room *r, int slot,
			  const struct hp_register *reg, size_t n_priv, size_t nick_len,
			  const struct hp_endpoint *from, uint64_t hv, uint64_t now_ms)
{
	size_t size = rooms_peer_size(n_priv, nick_len);
	struct rooms_peer *p = arena_alloc(&t->mem, size);

	if (!p)
		return -ENOMEM;
	rooms_fill_peer(p, reg, n_priv, nick_len, from, now_ms);
	p->room = r;
	p->slot = (uint8_t)slot;
	r->peer[slot] = p;
	htab_insert(&t->tokens, &p->tnode, hv);
	if (t->by_addr)
		htab_insert(&t->addrs, &p->anode, rooms_addr_hash(t, from));
	rooms_list_append(t, p);
	t->bytes += size;
	t->n_peers++;
	return 0;
}

/*
 * A refresh of p. Its size follows its candidates and nick: when they
 * change length it moves to a new allocation (nothing outside the table
 * keeps a peer pointer across calls, rooms.h). On no memory the old one
 * stays, unrefreshed.
 */
static int rooms_refresh_peer(struct rooms *t, struct rooms_peer *p,
			      const struct hp_register *reg, size_t n_priv, size_t nick_len,
			      const struct hp_endpoint *from, uint64_t hv, uint64_t now_ms)
{
	size_t size = rooms_peer_size(n_priv, nick_len), old_size = rooms_peer_bytes(p);
	struct rooms_peer *q = p;

	if (size != old_size) {
		q = arena_alloc(&t->mem, size);
		if (!q)
			return -ENOMEM;
		memcpy(q, p, offsetof(struct rooms_peer, priv));
		htab_remove(&t->tokens, &p->tnode);
		htab_insert(&t->tokens, &q->tnode, hv);
		p->room->peer[p->slot] = q;
		t->bytes += size - old_size;
	}
	if (t->by_addr)
		htab_remove(&t->addrs, &p->anode);
	rooms_list_unlink(t, p);
	if (q != p)
		arena_free(&t->mem, p, old_size);
	rooms_fill_peer(q, reg, n_priv, nick_len, from, now_ms);
	if (t->by_addr)
		htab_insert(&t->addrs, &q->anode, rooms_addr_hash(t, from));
	rooms_list_append(t, q);
	return 0;
}

static int rooms_join_room(struct rooms *t, struct rooms_room *r, const struct hp_register *reg,
			   const struct hp_endpoint *from, uint64_t hv, uint64_t now_ms,
			   struct rooms_join *out)
{
	size_t n_priv = reg->n_priv > HP_MAX_PRIV ? HP_MAX_PRIV : reg->n_priv;
	size_t nick_len = strnlen(reg->nick, HP_NICK_MAX);
	int self = rooms_find_token(r, reg->token), ret;

	if (self >= 0) {
		struct rooms_peer *p = r->peer[self];
		bool moved = !hp_endpoint_equal(&p->public_ep, from);

		if (memcmp(p->pubkey, reg->pubkey, HP_KEY_LEN) != 0)
			return -EKEYREJECTED;
		ret = rooms_refresh_peer(t, p, reg, n_priv, nick_len, from, hv, now_ms);
		if (ret < 0)
			return ret;
		out->moved = moved;
		if (moved)
			r->peer[self]->moved_ms = now_ms;
	} else {
		if (!r->peer[0])
			self = 0;
		else if (!r->peer[1])
			self = 1;
		else
			return -EBUSY;
		ret = rooms_add_peer(t, r, self, reg, n_priv, nick_len, from, hv, now_ms);
		if (ret < 0)
			return ret;
		out->fresh = true;
	}
	out->room = r;
	out->self = self;
	out->paired = r->peer[rooms_other(self)] != NULL;
	return 0;
}

int rooms_register(struct rooms *t, const struct hp_register *reg,
		   const struct hp_endpoint *from, uint64_t now_ms,
		   struct rooms_join *out)
{
	struct rooms_room *r;
	struct rooms_peer *held;
	uint64_t hv;
	size_t len;
	int ret;

	if (!t || !reg || !from || !out)
		return -EINVAL;
	ret = rooms_check_name(reg->room, &len);
	if (ret < 0)
		return ret;
	memset(out, 0, sizeof(*out));
	/* a token names one registration server-wide: held in another room,
	 * a second registration would take over its relay (relay.c finds the
	 * sender by token alone) */
	hv = rooms_hash(t, reg->token, HP_TOKEN_LEN);
	held = rooms_token_holder(t, reg->token, hv);
	/* its room, if it is this one: a refresh (the common REGISTER) finds
	 * it without a second lookup */
	r = held && held->room->name_len == len && !memcmp(held->room->name, reg->room, len) ?
		    held->room : NULL;
	if (held && rooms_peer_stale(t, held, now_ms)) {
		/* expired, not yet swept: in this room the lazy expiry below
		 * drops it (the room and its relay quota stay) */
		if (!r) {
			struct rooms_room *old = held->room;

			rooms_drop_peer(t, held);
			rooms_room_release(t, old);
		}
		held = NULL;
	}
	if (held && !r)
		return -EEXIST;
	if (rooms_source_full(t, held, from, now_ms))
		return -EDQUOT;
	if (r)
		rooms_expire_room(t, r, now_ms); /* as rooms_get_room does */
	else if ((ret = rooms_get_room(t, reg->room, len, now_ms, &r)) < 0)
		return ret;
	ret = rooms_join_room(t, r, reg, from, hv, now_ms, out);
	/* a room made (or emptied by the lazy expiry) for a refused
	 * registration goes: no path leaves an empty room behind */
	if (ret < 0)
		rooms_room_release(t, r);
	return ret;
}

int rooms_leave(struct rooms *t, const char *room, const uint8_t token[HP_TOKEN_LEN])
{
	struct rooms_room *r;
	int i;

	if (!t || !token)
		return -ENOENT;
	r = rooms_find(t, room);
	if (!r)
		return -ENOENT;
	i = rooms_find_token(r, token);
	if (i < 0)
		return -ENOENT;
	rooms_drop_peer(t, r->peer[i]);
	rooms_room_release(t, r);
	return 0;
}

size_t rooms_expire_max(struct rooms *t, uint64_t now_ms, size_t max)
{
	size_t n = 0;

	if (!t)
		return 0;
	while (n < max && t->oldest && rooms_peer_stale(t, t->oldest, now_ms)) {
		struct rooms_room *r = t->oldest->room;

		rooms_drop_peer(t, t->oldest);
		rooms_room_release(t, r);
		n++;
	}
	return n;
}

size_t rooms_expire(struct rooms *t, uint64_t now_ms)
{
	return rooms_expire_max(t, now_ms, SIZE_MAX);
}

size_t rooms_count(const struct rooms *t)
{
	return t ? t->n_rooms : 0;
}

size_t rooms_peer_count(const struct rooms *t)
{
	return t ? t->n_peers : 0;
}

bool rooms_prefault(struct rooms *t)
{
	return t && arena_prefault(&t->mem);
}

size_t rooms_bytes(const struct rooms *t)
{
	if (!t)
		return 0;
	return sizeof(*t) + t->bytes + htab_bytes(&t->names) + htab_bytes(&t->tokens) +
	       (t->by_addr ? htab_bytes(&t->addrs) : 0);
}

struct rooms_peer *rooms_find_token_peer(const struct rooms *t, const uint8_t token[HP_TOKEN_LEN],
					 uint64_t now_ms)
{
	if (!t || !token)
		return NULL;
	return rooms_token_lookup(t, token, rooms_hash(t, token, HP_TOKEN_LEN), now_ms);
}

void rooms_ahead(const struct rooms *t, struct rooms_ahead *a, const uint8_t token[HP_TOKEN_LEN],
		 const uint8_t *name, size_t name_len)
{
	a->chain[0] = htab_chain(&t->tokens, rooms_hash(t, token, HP_TOKEN_LEN));
	a->chain[1] = name ? htab_chain(&t->names, rooms_hash(t, name, name_len)) : NULL;
	__builtin_prefetch(a->chain[0]);
	__builtin_prefetch(a->chain[1]); /* a hint: NULL is no fault */
}

void rooms_ahead_fetch(const struct rooms_ahead *a)
{
	int i;

	for (i = 0; i < 2; i++)
		if (a->chain[i] && *a->chain[i])
			__builtin_prefetch(*a->chain[i]);
}

struct rooms_peer *rooms_peer_other(const struct rooms *t, struct rooms_peer *p, uint64_t now_ms)
{
	struct rooms_peer *o;

	if (!t || !p || !p->room)
		return NULL;
	o = p->room->peer[rooms_other(p->slot)];
	return o && !rooms_peer_stale(t, o, now_ms) ? o : NULL;
}
