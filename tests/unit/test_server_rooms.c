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

static void test_many_rooms_distinct(void **state)
{
	struct rooms *t = NULL;
	struct hp_endpoint ea = make_ep(1, 4000);
	struct rooms_join j;
	char name[HP_ROOM_MAX + 1];
	struct hp_register r;
	int i;

	(void)state;
	assert_int_equal(rooms_create(&t, 5000, TIMEOUT_MS), 0);
	for (i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "room-%d", i);
		r = make_reg(name, 1, 0x11);
		memcpy(r.token, &i, sizeof(i)); /* tokens are unique server-wide */
		assert_int_equal(rooms_register(t, &r, &ea, (uint64_t)i, &j), 0);
		assert_false(j.paired);
	}
	assert_int_equal(rooms_count(t), 5000);
	assert_non_null(rooms_find(t, "room-4321"));
	assert_null(rooms_find(t, "room-5000"));
	/* rooms seen at 0..1999 are idle longer than the timeout at 2000+timeout */
	assert_int_equal(rooms_expire(t, 2000 + TIMEOUT_MS), 2000);
	assert_int_equal(rooms_count(t), 5000 - 2000);
	rooms_destroy(t);
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
