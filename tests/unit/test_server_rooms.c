// SPDX-License-Identifier: MIT
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "server/rooms.h"

#define TIMEOUT_MS 60000u

static struct hp_register make_reg(const char *room, uint8_t token_byte, uint8_t key_byte)
{
	struct hp_register reg;

	memset(&reg, 0, sizeof(reg));
	memset(reg.token, token_byte, sizeof(reg.token));
	memset(reg.pubkey, key_byte, sizeof(reg.pubkey));
	snprintf(reg.room, sizeof(reg.room), "%s", room);
	snprintf(reg.nick, sizeof(reg.nick), "nick%u", token_byte);
	reg.n_priv = 1;
	reg.priv[0].family = HP_FAMILY_V4;
	reg.priv[0].port = 4000;
	reg.priv[0].addr[0] = 10;
	reg.priv[0].addr[3] = token_byte;
	return reg;
}

static struct hp_endpoint make_ep(uint8_t last, uint16_t port)
{
	struct hp_endpoint ep;

	memset(&ep, 0, sizeof(ep));
	ep.family = HP_FAMILY_V4;
	ep.port = port;
	ep.addr[0] = 203;
	ep.addr[1] = 0;
	ep.addr[2] = 113;
	ep.addr[3] = last;
	return ep;
}

static int setup(void **state)
{
	struct rooms *t = NULL;

	if (rooms_create(&t, 4, TIMEOUT_MS) < 0)
		return -1;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	rooms_destroy(*state);
	return 0;
}

static void test_first_peer_waits_alone(void **state)
{
	struct rooms *t = *state;
	struct hp_register a = make_reg("lobby", 1, 0xa1);
	struct hp_endpoint ea = make_ep(1, 4000);
	struct rooms_join j;

	assert_int_equal(rooms_register(t, &a, &ea, 1000, &j), 0);
	assert_true(j.fresh);
	assert_false(j.paired);
	assert_int_equal(rooms_count(t), 1);
	assert_int_equal(rooms_peer_count(t), 1);
	assert_string_equal(j.room->name, "lobby");
	assert_true(hp_endpoint_equal(&j.room->peer[j.self]->public_ep, &ea));
}

static void test_second_peer_pairs(void **state)
{
	struct rooms *t = *state;
	struct hp_register a = make_reg("lobby", 1, 0xa1), b = make_reg("lobby", 2, 0xb2);
	struct hp_endpoint ea = make_ep(1, 4000), eb = make_ep(2, 5000);
	struct rooms_join j;
	const struct rooms_peer *pa, *pb;

	assert_int_equal(rooms_register(t, &a, &ea, 1000, &j), 0);
	assert_int_equal(rooms_register(t, &b, &eb, 1001, &j), 0);
	assert_true(j.fresh);
	assert_true(j.paired);
	assert_int_equal(rooms_count(t), 1);
	assert_int_equal(rooms_peer_count(t), 2);

	pb = j.room->peer[j.self];
	pa = j.room->peer[rooms_other(j.self)];
	assert_memory_equal(pa->token, a.token, HP_TOKEN_LEN);
	assert_memory_equal(pa->pubkey, a.pubkey, HP_KEY_LEN);
	assert_string_equal(rooms_peer_nick(pa), "nick1");
	assert_true(hp_endpoint_equal(&pa->public_ep, &ea));
	assert_int_equal(pa->n_priv, 1);
	assert_int_equal(pa->priv[0].addr[3], 1);
	assert_memory_equal(pb->token, b.token, HP_TOKEN_LEN);
	assert_true(hp_endpoint_equal(&pb->public_ep, &eb));
}

static void test_third_peer_refused(void **state)
{
	struct rooms *t = *state;
	struct hp_register a = make_reg("lobby", 1, 0xa1), b = make_reg("lobby", 2, 0xb2);
	struct hp_register c = make_reg("lobby", 3, 0xc3);
	struct hp_endpoint ea = make_ep(1, 4000), eb = make_ep(2, 5000), ec = make_ep(3, 6000);
	struct rooms_join j;

	assert_int_equal(rooms_register(t, &a, &ea, 1000, &j), 0);
	assert_int_equal(rooms_register(t, &b, &eb, 1000, &j), 0);
	assert_int_equal(rooms_register(t, &c, &ec, 1000, &j), -EBUSY);
	assert_int_equal(rooms_peer_count(t), 2);
	/* the refusal changed nothing: a still refreshes as paired */
	assert_int_equal(rooms_register(t, &a, &ea, 1001, &j), 0);
	assert_true(j.paired);
	assert_false(j.fresh);
}

static void test_reregister_is_idempotent(void **state)
{
	struct rooms *t = *state;
	struct hp_register a = make_reg("lobby", 1, 0xa1);
	struct hp_endpoint ea = make_ep(1, 4000);
	struct rooms_join j1, j2;

	assert_int_equal(rooms_register(t, &a, &ea, 1000, &j1), 0);
	assert_int_equal(rooms_register(t, &a, &ea, 2000, &j2), 0);
	assert_false(j2.fresh);
	assert_false(j2.moved);
	assert_false(j2.paired);
	assert_ptr_equal(j1.room, j2.room);
	assert_int_equal(j1.self, j2.self);
	assert_int_equal(rooms_peer_count(t), 1);
	assert_int_equal(j2.room->peer[j2.self]->seen_ms, 2000);
}

static void test_reregister_from_new_address_updates_endpoint(void **state)
{
	struct rooms *t = *state;
	struct hp_register a = make_reg("lobby", 1, 0xa1), b = make_reg("lobby", 2, 0xb2);
	struct hp_endpoint ea = make_ep(1, 4000), ea2 = make_ep(1, 4444), eb = make_ep(2, 5000);
	struct rooms_join j;
	int self_a;

	assert_int_equal(rooms_register(t, &a, &ea, 1000, &j), 0);
	self_a = j.self;
	assert_int_equal(rooms_register(t, &b, &eb, 1000, &j), 0);
	assert_int_equal(rooms_register(t, &a, &ea2, 1500, &j), 0);
	assert_true(j.moved);
	assert_false(j.fresh);
	assert_true(j.paired);
	assert_int_equal(j.self, self_a);
	assert_true(hp_endpoint_equal(&j.room->peer[j.self]->public_ep, &ea2));
	assert_int_equal(rooms_peer_count(t), 2);
}

static void test_key_change_refused(void **state)
{
	struct rooms *t = *state;
	struct hp_register a = make_reg("lobby", 1, 0xa1), evil = make_reg("lobby", 1, 0xee);
	struct hp_endpoint ea = make_ep(1, 4000), ee = make_ep(66, 6666);
	struct rooms_join j;

	assert_int_equal(rooms_register(t, &a, &ea, 1000, &j), 0);
	assert_int_equal(rooms_register(t, &evil, &ee, 1001, &j), -EKEYREJECTED);
	j.room = rooms_find(t, "lobby");
	assert_non_null(j.room);
	/* the original registration is untouched */
	assert_true(hp_endpoint_equal(&j.room->peer[0]->public_ep, &ea));
	assert_memory_equal(j.room->peer[0]->pubkey, a.pubkey, HP_KEY_LEN);
}

static void test_expiry_with_injected_clock(void **state)
{
	struct rooms *t = *state;
	struct hp_register a = make_reg("lobby", 1, 0xa1), b = make_reg("lobby", 2, 0xb2);
	struct hp_endpoint ea = make_ep(1, 4000), eb = make_ep(2, 5000);
	struct rooms_join j;

	assert_int_equal(rooms_register(t, &a, &ea, 1000, &j), 0);
	assert_int_equal(rooms_register(t, &b, &eb, 30000, &j), 0);
	/* exactly at the timeout a is still alive */
	assert_int_equal(rooms_expire(t, 1000 + TIMEOUT_MS), 0);
	assert_int_equal(rooms_expire(t, 1001 + TIMEOUT_MS), 1);
	assert_int_equal(rooms_peer_count(t), 1);
	assert_int_equal(rooms_count(t), 1);
	/* b refreshes and is alone now */
	assert_int_equal(rooms_register(t, &b, &eb, 40000, &j), 0);
	assert_false(j.paired);
	assert_int_equal(rooms_expire(t, 40001 + TIMEOUT_MS), 1);
	assert_int_equal(rooms_count(t), 0);
	assert_null(rooms_find(t, "lobby"));
}

static void test_stale_peer_does_not_block_newcomer(void **state)
{
	struct rooms *t = *state;
	struct hp_register a = make_reg("lobby", 1, 0xa1), b = make_reg("lobby", 2, 0xb2);
	struct hp_register c = make_reg("lobby", 3, 0xc3);
	struct hp_endpoint ea = make_ep(1, 4000), eb = make_ep(2, 5000), ec = make_ep(3, 6000);
	struct rooms_join j;

	assert_int_equal(rooms_register(t, &a, &ea, 1000, &j), 0);
	assert_int_equal(rooms_register(t, &b, &eb, 50000, &j), 0);
	/* no sweep ran, but a is stale: c takes its slot and pairs with b */
	assert_int_equal(rooms_register(t, &c, &ec, 2000 + TIMEOUT_MS, &j), 0);
	assert_true(j.paired);
	assert_memory_equal(j.room->peer[rooms_other(j.self)]->token, b.token, HP_TOKEN_LEN);
	assert_int_equal(rooms_peer_count(t), 2);
}

static void test_leave(void **state)
{
	struct rooms *t = *state;
	struct hp_register a = make_reg("lobby", 1, 0xa1), b = make_reg("lobby", 2, 0xb2);
	struct hp_register c = make_reg("lobby", 3, 0xc3);
	struct hp_endpoint ea = make_ep(1, 4000), eb = make_ep(2, 5000), ec = make_ep(3, 6000);
	struct rooms_join j;

	assert_int_equal(rooms_register(t, &a, &ea, 1000, &j), 0);
	assert_int_equal(rooms_register(t, &b, &eb, 1000, &j), 0);
	assert_int_equal(rooms_leave(t, "lobby", c.token), -ENOENT);
	assert_int_equal(rooms_leave(t, "other", a.token), -ENOENT);
	assert_int_equal(rooms_leave(t, "lobby", a.token), 0);
	assert_int_equal(rooms_peer_count(t), 1);
	/* the freed slot is available again */
	assert_int_equal(rooms_register(t, &c, &ec, 1001, &j), 0);
	assert_true(j.paired);
	assert_int_equal(rooms_leave(t, "lobby", b.token), 0);
	assert_int_equal(rooms_leave(t, "lobby", c.token), 0);
	assert_int_equal(rooms_count(t), 0);
	assert_int_equal(rooms_peer_count(t), 0);
	assert_int_equal(rooms_leave(t, "lobby", c.token), -ENOENT);
}

static void test_max_rooms(void **state)
{
	struct rooms *t = *state; /* created with max 4 */
	struct hp_endpoint ea = make_ep(1, 4000);
	struct rooms_join j;
	char name[16];
	struct hp_register r;
	int i;

	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "room%d", i);
		r = make_reg(name, (uint8_t)(10 + i), 0x11);
		assert_int_equal(rooms_register(t, &r, &ea, 1000, &j), 0);
	}
	r = make_reg("room4", 20, 0x11);
	assert_int_equal(rooms_register(t, &r, &ea, 1000, &j), -ENOSPC);
	assert_int_equal(rooms_count(t), 4);
	/* an existing room still takes its second peer at the limit */
	r = make_reg("room0", 21, 0x11);
	assert_int_equal(rooms_register(t, &r, &ea, 1000, &j), 0);
	assert_true(j.paired);
	/* once a room goes, a new one fits */
	r = make_reg("room1", 11, 0x11);
	assert_int_equal(rooms_leave(t, "room1", r.token), 0);
	r = make_reg("room4", 20, 0x11);
	assert_int_equal(rooms_register(t, &r, &ea, 1000, &j), 0);
	assert_int_equal(rooms_count(t), 4);
}

static void test_bad_room_names(void **state)
{
	struct rooms *t = *state;
	struct hp_register r = make_reg("", 1, 0x11);
	struct hp_endpoint ea = make_ep(1, 4000);
	struct rooms_join j;

	assert_int_equal(rooms_register(t, &r, &ea, 1000, &j), -EINVAL);
	/* 64 bytes is the longest legal name */
	memset(r.room, 'x', HP_ROOM_MAX);
	r.room[HP_ROOM_MAX] = '\0';
	assert_int_equal(rooms_register(t, &r, &ea, 1000, &j), 0);
	assert_int_equal(j.room->name_len, HP_ROOM_MAX);
	assert_int_equal(rooms_count(t), 0 + 1);
}

/* A token held in one room cannot register in another (it would take over
 * the owner's relay); once its registration expired it can. */
static void test_token_unique_server_wide(void **state)
{
	struct rooms *t = NULL;
	struct hp_endpoint ea = make_ep(1, 4000), ex = make_ep(9, 4000);
	struct hp_register a = make_reg("lobby", 1, 0xa1), x = make_reg("elsewhere", 1, 0xa1);
	struct rooms_join j;

	(void)state;
	assert_int_equal(rooms_create(&t, 16, TIMEOUT_MS), 0);
	assert_int_equal(rooms_register(t, &a, &ea, 0, &j), 0);
	assert_int_equal(rooms_register(t, &x, &ex, 10, &j), -EEXIST);
	assert_null(rooms_find(t, "elsewhere")); /* refused before any room is made */
	assert_int_equal(rooms_register(t, &a, &ea, 20, &j), 0); /* its own room: a refresh */
	assert_int_equal(rooms_register(t, &x, &ex, 21 + TIMEOUT_MS, &j), 0);
	rooms_destroy(t);
}

/* Attack 6: one address cannot hold every room: beyond the limit a new
 * registration from it is refused, from any port; refreshes still pass;
 * a slot freed (leave) can be taken again; other addresses are free. */
static void test_source_limit(void **state)
{
	struct rooms *t = NULL;
	struct hp_endpoint e = make_ep(1, 4000), other = make_ep(2, 4000);
	struct rooms_join j;
	char name[HP_ROOM_MAX + 1];
	struct hp_register r;
	int i;

	(void)state;
	assert_int_equal(rooms_create(&t, 1024, TIMEOUT_MS), 0);
	rooms_set_source_limit(t, 3);
	for (i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "squat-%d", i);
		r = make_reg(name, (uint8_t)(0x40 + i), 0x11);
		e.port = (uint16_t)(4000 + i);
		assert_int_equal(rooms_register(t, &r, &e, 10, &j), i < 3 ? 0 : -EDQUOT);
	}
	assert_int_equal(rooms_count(t), 3);
	assert_int_equal(rooms_source_count(t, &e, 10), 3);
	r = make_reg("squat-0", 0x40, 0x11);
	e.port = 4000;
	assert_int_equal(rooms_register(t, &r, &e, 11, &j), 0); /* a refresh */
	r = make_reg("squat-9", 0x50, 0x11);
	assert_int_equal(rooms_register(t, &r, &other, 11, &j), 0);
	assert_int_equal(rooms_leave(t, "squat-1", make_reg("squat-1", 0x41, 0x11).token), 0);
	assert_int_equal(rooms_source_count(t, &e, 12), 2);
	r = make_reg("squat-4", 0x44, 0x11);
	assert_int_equal(rooms_register(t, &r, &e, 12, &j), 0);
	/* moving another address's registration here counts too */
	r = make_reg("squat-9", 0x50, 0x11);
	assert_int_equal(rooms_register(t, &r, &e, 13, &j), -EDQUOT);
	rooms_destroy(t);
}

/* n one-peer rooms PREFIX0.., each its own token (tokens are unique
 * server-wide), from one endpoint, room i seen at i * step_ms. */
static void register_alone_n(struct rooms *t, const char *prefix, int n, uint64_t step_ms)
{
	struct hp_endpoint ea = make_ep(1, 4000);
	char name[HP_ROOM_MAX + 1];
	struct rooms_join j;
	struct hp_register r;
	int i;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s%d", prefix, i);
		r = make_reg(name, 1, 0x11);
		memcpy(r.token, &i, sizeof(i));
		assert_int_equal(rooms_register(t, &r, &ea, (uint64_t)i * step_ms, &j), 0);
		assert_false(j.paired);
	}
}

static void test_many_rooms_distinct(void **state)
{
	struct rooms *t = NULL;

	(void)state;
	assert_int_equal(rooms_create(&t, 5000, TIMEOUT_MS), 0);
	register_alone_n(t, "room-", 5000, 1);
	assert_int_equal(rooms_count(t), 5000);
	assert_non_null(rooms_find(t, "room-4321"));
	assert_null(rooms_find(t, "room-5000"));
	/* rooms seen at 0..1999 are idle longer than the timeout at 2000+timeout */
	assert_int_equal(rooms_expire(t, 2000 + TIMEOUT_MS), 2000);
	assert_int_equal(rooms_count(t), 5000 - 2000);
	rooms_destroy(t);
}

/* Only what is idle goes, and a bounded sweep takes the oldest first:
 * peers seen at 0, 10, ..., refreshed or not, against a fake clock. */
static void test_expiry_exact(void **state)
{
	struct rooms *t = NULL;
	struct hp_endpoint ea = make_ep(1, 4000);
	struct rooms_join j;
	char name[HP_ROOM_MAX + 1];
	struct hp_register r;
	int i;

	(void)state;
	assert_int_equal(rooms_create(&t, 1000, TIMEOUT_MS), 0);
	register_alone_n(t, "r", 100, 10);
	/* the even ones refresh at 5000 */
	for (i = 0; i < 100; i += 2) {
		snprintf(name, sizeof(name), "r%d", i);
		r = make_reg(name, 1, 0x11);
		memcpy(r.token, &i, sizeof(i));
		assert_int_equal(rooms_register(t, &r, &ea, 5000, &j), 0);
		assert_false(j.fresh);
	}
	/* at 500 + timeout, odd peers seen at 10..490 are idle: 25 of them,
	 * taken 10 at a time */
	assert_int_equal(rooms_expire_max(t, 500 + TIMEOUT_MS, 10), 10);
	assert_null(rooms_find(t, "r1"));
	assert_non_null(rooms_find(t, "r21"));
	assert_int_equal(rooms_expire_max(t, 500 + TIMEOUT_MS, 10), 10);
	assert_int_equal(rooms_expire_max(t, 500 + TIMEOUT_MS, 10), 5);
	assert_int_equal(rooms_expire_max(t, 500 + TIMEOUT_MS, 10), 0);
	assert_int_equal(rooms_count(t), 75);
	assert_non_null(rooms_find(t, "r51"));
	assert_non_null(rooms_find(t, "r0"));
	/* the rest of the odd ones, and none of the refreshed even ones */
	assert_int_equal(rooms_expire(t, 5000 + TIMEOUT_MS), 25);
	assert_int_equal(rooms_count(t), 50);
	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "r%d", i);
		if (i % 2)
			assert_null(rooms_find(t, name));
		else
			assert_non_null(rooms_find(t, name));
	}
	assert_int_equal(rooms_expire(t, 5001 + TIMEOUT_MS), 50);
	assert_int_equal(rooms_count(t), 0);
	assert_int_equal(rooms_peer_count(t), 0);
	rooms_destroy(t);
}

static struct hp_register numbered_reg(int i)
{
	char name[HP_ROOM_MAX + 1];
	struct hp_register r;

	snprintf(name, sizeof(name), "room-%d", i);
	r = make_reg(name, 1, 0x11);
	memcpy(r.token, &i, sizeof(i));
	return r;
}

static void assert_all_findable(const struct rooms *t, int from, int to)
{
	int i;

	for (i = from; i < to; i++) {
		struct hp_register r = numbered_reg(i);
		struct rooms_peer *p = rooms_find_token_peer(t, r.token, 0);

		assert_non_null(rooms_find(t, r.room));
		assert_non_null(p);
		assert_string_equal(p->room->name, r.room);
	}
}

/* The indexes grow from 16 buckets to thousands and back while every
 * room stays findable, at every step of each resize. */
static void test_resize_keeps_rooms(void **state)
{
	struct rooms *t = NULL;
	struct hp_endpoint ea = make_ep(1, 4000);
	struct rooms_join j;
	struct hp_register r;
	size_t small, big;
	int i;

	(void)state;
	assert_int_equal(rooms_create(&t, 1u << 20, TIMEOUT_MS), 0);
	small = rooms_bytes(t);
	for (i = 0; i < 20000; i++) {
		r = numbered_reg(i);
		assert_int_equal(rooms_register(t, &r, &ea, 0, &j), 0);
		if (i % 997 == 0)
			assert_all_findable(t, 0, i + 1);
	}
	assert_all_findable(t, 0, 20000);
	big = rooms_bytes(t);
	for (i = 0; i < 19990; i++) {
		r = numbered_reg(i);
		assert_int_equal(rooms_leave(t, r.room, r.token), 0);
		assert_null(rooms_find(t, r.room));
		if (i % 997 == 0)
			assert_all_findable(t, i + 1, 20000);
	}
	assert_all_findable(t, 19990, 20000);
	assert_int_equal(rooms_count(t), 10);
	/* the bucket arrays went back down with the rooms */
	assert_true(rooms_bytes(t) < small + 10 * 1024);
	assert_true(rooms_bytes(t) < big / 100);
	rooms_destroy(t);
}

/* A pair costs no more than two single peers; a refresh with a longer
 * nick and more candidates costs what they add, and nothing is lost. */
static void test_memory_accounting(void **state)
{
	struct rooms *t = NULL, *u = NULL;
	struct hp_register a = make_reg("lobby", 1, 0xa1), b = make_reg("lobby", 2, 0xb2);
	struct hp_register c = make_reg("other", 3, 0xc3);
	struct hp_endpoint ea = make_ep(1, 4000), eb = make_ep(2, 5000);
	struct rooms_join j;
	size_t empty, one, pair, singles;

	(void)state;
	assert_int_equal(rooms_create(&t, 16, TIMEOUT_MS), 0);
	assert_int_equal(rooms_create(&u, 16, TIMEOUT_MS), 0);
	empty = rooms_bytes(t);
	assert_int_equal(rooms_register(t, &a, &ea, 0, &j), 0);
	one = rooms_bytes(t) - empty;
	assert_true(one < 320);
	assert_int_equal(rooms_register(t, &b, &eb, 0, &j), 0);
	pair = rooms_bytes(t) - empty;
	assert_int_equal(rooms_register(u, &a, &ea, 0, &j), 0);
	assert_int_equal(rooms_register(u, &c, &eb, 0, &j), 0);
	singles = rooms_bytes(u) - empty;
	assert_true(pair <= singles);
	/* grows in place of the old one, still found by token and room */
	snprintf(a.nick, sizeof(a.nick), "a much longer nickname");
	a.n_priv = 3;
	a.priv[2] = make_ep(7, 7);
	assert_int_equal(rooms_register(t, &a, &ea, 1, &j), 0);
	assert_false(j.fresh);
	assert_true(j.paired);
	assert_string_equal(rooms_peer_nick(j.room->peer[j.self]), "a much longer nickname");
	assert_int_equal(j.room->peer[j.self]->n_priv, 3);
	assert_true(hp_endpoint_equal(&j.room->peer[j.self]->priv[2], &a.priv[2]));
	assert_ptr_equal(rooms_find_token_peer(t, a.token, 1), j.room->peer[j.self]);
	assert_int_equal(rooms_bytes(t) - empty, pair + 2 * sizeof(struct hp_endpoint) +
			 strlen("a much longer nickname") - strlen("nick1"));
	assert_int_equal(rooms_leave(t, "lobby", a.token), 0);
	assert_int_equal(rooms_leave(t, "lobby", b.token), 0);
	assert_int_equal(rooms_bytes(t), empty);
	rooms_destroy(t);
	rooms_destroy(u);
}

/* A token whose registration expired unswept may register elsewhere: the
 * stale one goes first, so the token is indexed once. */
static void test_stale_token_moves_room(void **state)
{
	struct rooms *t = *state;
	struct hp_register a = make_reg("lobby", 1, 0xa1), x = make_reg("elsewhere", 1, 0xa1);
	struct hp_endpoint ea = make_ep(1, 4000);
	struct rooms_join j;

	assert_int_equal(rooms_register(t, &a, &ea, 0, &j), 0);
	assert_int_equal(rooms_register(t, &x, &ea, 1 + TIMEOUT_MS, &j), 0);
	assert_true(j.fresh);
	assert_null(rooms_find(t, "lobby"));
	assert_int_equal(rooms_count(t), 1);
	assert_int_equal(rooms_peer_count(t), 1);
	assert_int_equal(rooms_leave(t, "elsewhere", x.token), 0);
	assert_null(rooms_find_token_peer(t, x.token, 1 + TIMEOUT_MS));
	assert_int_equal(rooms_expire(t, 10 * TIMEOUT_MS), 0);
}

/* The source limit set after registering indexes what is there. */
static void test_source_limit_late(void **state)
{
	struct rooms *t = *state;
	struct hp_register a = make_reg("r1", 1, 0xa1), b = make_reg("r2", 2, 0xa1);
	struct hp_register c = make_reg("r3", 3, 0xa1);
	struct hp_endpoint ea = make_ep(1, 4000), ea2 = make_ep(1, 4001);
	struct rooms_join j;

	assert_int_equal(rooms_register(t, &a, &ea, 0, &j), 0);
	assert_int_equal(rooms_register(t, &b, &ea2, 0, &j), 0);
	assert_int_equal(rooms_source_count(t, &ea, 0), 0); /* not indexed yet */
	assert_int_equal(rooms_set_source_limit(t, 2), 0);
	assert_int_equal(rooms_source_count(t, &ea, 0), 2);
	assert_int_equal(rooms_register(t, &c, &ea, 0, &j), -EDQUOT);
	assert_null(rooms_find(t, "r3"));
	assert_int_equal(rooms_set_source_limit(t, 0), 0);
	assert_int_equal(rooms_register(t, &c, &ea, 0, &j), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_first_peer_waits_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_peer_pairs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_third_peer_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reregister_is_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reregister_from_new_address_updates_endpoint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_change_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry_with_injected_clock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_peer_does_not_block_newcomer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leave, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_rooms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_room_names, setup, teardown),
		cmocka_unit_test(test_token_unique_server_wide),
		cmocka_unit_test(test_source_limit),
		cmocka_unit_test(test_many_rooms_distinct),
		cmocka_unit_test(test_expiry_exact),
		cmocka_unit_test(test_resize_keeps_rooms),
		cmocka_unit_test(test_memory_accounting),
		cmocka_unit_test_setup_teardown(test_stale_token_moves_room, setup, teardown),
		cmocka_unit_test_setup_teardown(test_source_limit_late, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
