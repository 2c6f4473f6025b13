// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "rooms.h"

#define ROOMS_MIN_BUCKETS 16u
#define ROOMS_MAX_BUCKETS (1u << 16)

struct rooms {
	struct rooms_room **bucket;
	struct rooms_peer **tbucket; /* registrations by token, for RELAY */
	struct rooms_peer **abucket; /* registrations by source address, for the limit */
	size_t max_per_source;       /* 0: none */
	size_t n_buckets; /* power of two, for both tables */
	size_t n_rooms;
	size_t n_peers;
	size_t max_rooms;
	uint64_t timeout_ms;
	/* Room names are chosen by clients: a keyed hash keeps anyone from
	 * crafting names that all land in one chain. */
	uint8_t hash_key[crypto_shorthash_KEYBYTES];
};

static size_t rooms_bucket_of(const struct rooms *t, const char *name, size_t len)
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v = 0;

	crypto_shorthash(h, (const unsigned char *)name, len, t->hash_key);
	memcpy(&v, h, sizeof(v) < sizeof(h) ? sizeof(v) : sizeof(h));
	return (size_t)(v & (t->n_buckets - 1));
}

static size_t rooms_tbucket_of(const struct rooms *t, const uint8_t token[HP_TOKEN_LEN])
{
	return rooms_bucket_of(t, (const char *)token, HP_TOKEN_LEN);
}

static void rooms_token_link(struct rooms *t, struct rooms_peer *p)
{
	struct rooms_peer **head = &t->tbucket[rooms_tbucket_of(t, p->token)];

	p->tnext = *head;
	*head = p;
}

static void rooms_token_unlink(struct rooms *t, struct rooms_peer *p)
{
	struct rooms_peer **link = &t->tbucket[rooms_tbucket_of(t, p->token)];

	while (*link && *link != p)
		link = &(*link)->tnext;
	if (*link)
		*link = p->tnext;
	p->tnext = NULL;
}

/* By address only (family and address bytes, not the port): one host
 * behind one address is one source, whatever ports it uses. */
static size_t rooms_abucket_of(const struct rooms *t, const struct hp_endpoint *ep)
{
	uint8_t key[17];

	key[0] = ep->family;
	memcpy(key + 1, ep->addr, 16);
	return rooms_bucket_of(t, (const char *)key, ep->family == HP_FAMILY_V6 ? 17 : 5);
}

static void rooms_addr_link(struct rooms *t, struct rooms_peer *p)
{
	struct rooms_peer **head = &t->abucket[rooms_abucket_of(t, &p->public_ep)];

	p->anext = *head;
	*head = p;
}

static void rooms_addr_unlink(struct rooms *t, struct rooms_peer *p)
{
	struct rooms_peer **link = &t->abucket[rooms_abucket_of(t, &p->public_ep)];

	while (*link && *link != p)
		link = &(*link)->anext;
	if (*link)
		*link = p->anext;
	p->anext = NULL;
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
	size_t n = ROOMS_MIN_BUCKETS;
	int ret = 0;

	if (!out || max_rooms == 0 || timeout_ms == 0)
		return -EINVAL;
	if (sodium_init() < 0)
		return -EIO;
	while (n < max_rooms && n < ROOMS_MAX_BUCKETS)
		n <<= 1;
	t = calloc(1, sizeof(*t));
	if (!t) {
		ret = -ENOMEM;
		goto out;
	}
	t->bucket = calloc(n, sizeof(*t->bucket));
	t->tbucket = calloc(n, sizeof(*t->tbucket));
	t->abucket = calloc(n, sizeof(*t->abucket));
	if (!t->bucket || !t->tbucket || !t->abucket) {
		ret = -ENOMEM;
		goto out;
	}
	t->n_buckets = n;
	t->max_rooms = max_rooms;
	t->timeout_ms = timeout_ms;
	crypto_shorthash_keygen(t->hash_key);
	*out = t;
	t = NULL;
out:
	if (t) {
		free(t->bucket);
		free(t->tbucket);
		free(t->abucket);
		free(t);
	}
	return ret;
}

void rooms_set_source_limit(struct rooms *t, size_t n)
{
	if (t)
		t->max_per_source = n;
}

void rooms_destroy(struct rooms *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->n_buckets; i++) {
		struct rooms_room *r = t->bucket[i];

		while (r) {
			struct rooms_room *next = r->next;

			free(r);
			r = next;
		}
	}
	free(t->bucket);
	free(t->tbucket);
	free(t->abucket);
	sodium_memzero(t->hash_key, sizeof(t->hash_key));
	free(t);
}

/* Returns the link pointing at the named room (or at the chain's NULL end),
 * so callers can both find and unlink. */
static struct rooms_room **rooms_link(const struct rooms *t, const char *name, size_t len)
{
	struct rooms_room **link = &t->bucket[rooms_bucket_of(t, name, len)];

	while (*link) {
		if ((*link)->name_len == len && memcmp((*link)->name, name, len) == 0)
			break;
		link = &(*link)->next;
	}
	return link;
}

struct rooms_room *rooms_find(const struct rooms *t, const char *room)
{
	size_t len;

	if (rooms_check_name(room, &len) < 0)
		return NULL;
	return *rooms_link(t, room, len);
}

static bool rooms_room_empty(const struct rooms_room *r)
{
	return !r->peer[0].used && !r->peer[1].used;
}

static void rooms_unlink(struct rooms *t, struct rooms_room **link)
{
	struct rooms_room *r = *link;

	*link = r->next;
	free(r);
	t->n_rooms--;
}

static void rooms_drop_peer(struct rooms *t, struct rooms_peer *p)
{
	rooms_token_unlink(t, p);
	rooms_addr_unlink(t, p);
	memset(p, 0, sizeof(*p));
	t->n_peers--;
}

static bool rooms_peer_stale(const struct rooms *t, const struct rooms_peer *p, uint64_t now_ms)
{
	/* A clock that went backwards (should not happen on CLOCK_MONOTONIC)
	 * never expires anyone. */
	return p->used && now_ms > p->seen_ms && now_ms - p->seen_ms > t->timeout_ms;
}

static size_t rooms_expire_room(struct rooms *t, struct rooms_room *r, uint64_t now_ms)
{
	size_t n = 0;
	int i;

	for (i = 0; i < ROOMS_PEERS; i++) {
		if (rooms_peer_stale(t, &r->peer[i], now_ms)) {
			rooms_drop_peer(t, &r->peer[i]);
			n++;
		}
	}
	return n;
}

static int rooms_find_token(const struct rooms_room *r, const uint8_t token[HP_TOKEN_LEN])
{
	int i;

	for (i = 0; i < ROOMS_PEERS; i++)
		if (r->peer[i].used && memcmp(r->peer[i].token, token, HP_TOKEN_LEN) == 0)
			return i;
	return -1;
}

static void rooms_fill_peer(struct rooms_peer *p, const struct hp_register *reg,
			    const struct hp_endpoint *from, uint64_t now_ms)
{
	uint8_t n = reg->n_priv > HP_MAX_PRIV ? HP_MAX_PRIV : reg->n_priv;

	p->used = true;
	memcpy(p->token, reg->token, HP_TOKEN_LEN);
	memcpy(p->pubkey, reg->pubkey, HP_KEY_LEN);
	memset(p->nick, 0, sizeof(p->nick));
	memcpy(p->nick, reg->nick, strnlen(reg->nick, HP_NICK_MAX));
	p->public_ep = *from;
	p->n_priv = n;
	memset(p->priv, 0, sizeof(p->priv));
	memcpy(p->priv, reg->priv, n * sizeof(p->priv[0]));
	p->seen_ms = now_ms;
}

size_t rooms_source_count(const struct rooms *t, const struct hp_endpoint *from, uint64_t now_ms)
{
	const struct rooms_peer *p;
	size_t n = 0;

	if (!t || !from)
		return 0;
	for (p = t->abucket[rooms_abucket_of(t, from)]; p; p = p->anext)
		n += p->used && hp_endpoint_same_addr(&p->public_ep, from) &&
		     !rooms_peer_stale(t, p, now_ms);
	return n;
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

int rooms_register(struct rooms *t, const struct hp_register *reg,
		   const struct hp_endpoint *from, uint64_t now_ms,
		   struct rooms_join *out)
{
	struct rooms_room **link, *r;
	struct rooms_peer *held;
	size_t len;
	int self, ret;

	if (!t || !reg || !from || !out)
		return -EINVAL;
	ret = rooms_check_name(reg->room, &len);
	if (ret < 0)
		return ret;
	memset(out, 0, sizeof(*out));
	/* a token names one registration server-wide: held in another room,
	 * a second registration would take over its relay (relay.c finds the
	 * sender by token alone) */
	held = rooms_find_token_peer(t, reg->token, now_ms);
	if (held && (held->room->name_len != len || memcmp(held->room->name, reg->room, len)))
		return -EEXIST;
	if (rooms_source_full(t, held, from, now_ms))
		return -EDQUOT;

	link = rooms_link(t, reg->room, len);
	r = *link;
	if (r) {
		/* Expire lazily too, so a stale peer never blocks a newcomer
		 * just because the periodic sweep has not run yet. */
		rooms_expire_room(t, r, now_ms);
	} else {
		if (t->n_rooms >= t->max_rooms)
			return -ENOSPC;
		r = calloc(1, sizeof(*r));
		if (!r)
			return -ENOMEM;
		memcpy(r->name, reg->room, len);
		r->name_len = len;
		*link = r;
		t->n_rooms++;
	}

	self = rooms_find_token(r, reg->token);
	if (self >= 0) {
		struct rooms_peer *p = &r->peer[self];

		if (memcmp(p->pubkey, reg->pubkey, HP_KEY_LEN) != 0)
			return -EKEYREJECTED;
		out->moved = !hp_endpoint_equal(&p->public_ep, from);
		if (out->moved)
			p->moved_ms = now_ms;
		rooms_addr_unlink(t, p); /* under its old address */
		rooms_fill_peer(p, reg, from, now_ms);
		rooms_addr_link(t, p);
	} else {
		if (!r->peer[0].used)
			self = 0;
		else if (!r->peer[1].used)
			self = 1;
		else
			return -EBUSY;
		rooms_fill_peer(&r->peer[self], reg, from, now_ms);
		memset(&r->peer[self].told_ep, 0, sizeof(r->peer[self].told_ep));
		r->peer[self].moved_ms = 0;
		r->peer[self].room = r;
		rooms_token_link(t, &r->peer[self]);
		rooms_addr_link(t, &r->peer[self]);
		t->n_peers++;
		out->fresh = true;
	}
	out->room = r;
	out->self = self;
	out->paired = r->peer[rooms_other(self)].used;

	/* A room emptied by the lazy expiry above is refilled here, so no
	 * path leaves an empty room behind. */
	return 0;
}

int rooms_leave(struct rooms *t, const char *room, const uint8_t token[HP_TOKEN_LEN])
{
	struct rooms_room **link;
	size_t len;
	int i;

	if (!t || !room || !token || rooms_check_name(room, &len) < 0)
		return -ENOENT;
	link = rooms_link(t, room, len);
	if (!*link)
		return -ENOENT;
	i = rooms_find_token(*link, token);
	if (i < 0)
		return -ENOENT;
	rooms_drop_peer(t, &(*link)->peer[i]);
	if (rooms_room_empty(*link))
		rooms_unlink(t, link);
	return 0;
}

size_t rooms_expire(struct rooms *t, uint64_t now_ms)
{
	size_t i, n = 0;

	if (!t)
		return 0;
	for (i = 0; i < t->n_buckets; i++) {
		struct rooms_room **link = &t->bucket[i];

		while (*link) {
			n += rooms_expire_room(t, *link, now_ms);
			if (rooms_room_empty(*link))
				rooms_unlink(t, link);
			else
				link = &(*link)->next;
		}
	}
	return n;
}

size_t rooms_count(const struct rooms *t)
{
	return t ? t->n_rooms : 0;
}

size_t rooms_peer_count(const struct rooms *t)
{
	return t ? t->n_peers : 0;
}

struct rooms_peer *rooms_find_token_peer(const struct rooms *t, const uint8_t token[HP_TOKEN_LEN],
					 uint64_t now_ms)
{
	struct rooms_peer *p;

	if (!t || !token)
		return NULL;
	for (p = t->tbucket[rooms_tbucket_of(t, token)]; p; p = p->tnext)
		if (p->used && memcmp(p->token, token, HP_TOKEN_LEN) == 0 &&
		    !rooms_peer_stale(t, p, now_ms))
			return p;
	return NULL;
}

/* Index of p in its room's peer[] (0 or 1). */
static int rooms_peer_index(const struct rooms_peer *p)
{
	return p == &p->room->peer[0] ? 0 : 1;
}

struct rooms_peer *rooms_peer_other(const struct rooms *t, struct rooms_peer *p, uint64_t now_ms)
{
	struct rooms_peer *o;

	if (!t || !p || !p->room)
		return NULL;
	o = &p->room->peer[rooms_other(rooms_peer_index(p))];
	return o->used && !rooms_peer_stale(t, o, now_ms) ? o : NULL;
}
