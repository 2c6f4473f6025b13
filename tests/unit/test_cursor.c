// SPDX-License-Identifier: MIT
/*
 * The bounded cursors of the wire codecs (src/common/cursor.c): byte
 * order, the sticky first error, nothing written or read past the end,
 * and the string, endpoint and trailer rules every codec relies on.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cursor.h"
#include "proto.h"

static void test_integers_big_endian(void **state)
{
	uint8_t buf[15];
	struct hp_wr w = { .buf = buf, .cap = sizeof(buf) };
	struct hp_rd r = { .buf = buf, .len = sizeof(buf) };

	(void)state;
	hp_wr_u8(&w, 0x01);
	hp_wr_u16(&w, 0x0203);
	hp_wr_u32(&w, 0x04050607);
	hp_wr_u64(&w, 0x08090a0b0c0d0e0full);
	assert_int_equal(w.err, 0);
	assert_int_equal(w.off, 15);
	assert_memory_equal(buf, ((uint8_t[]){ 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 }),
			    15);
	assert_int_equal(hp_rd_u8(&r), 0x01);
	assert_int_equal(hp_rd_u16(&r), 0x0203);
	assert_int_equal(hp_rd_u32(&r), 0x04050607);
	assert_true(hp_rd_u64(&r) == 0x08090a0b0c0d0e0full);
	hp_rd_end(&r, false);
	assert_int_equal(r.err, 0);
}

static void test_write_error_sticks_and_nothing_overflows(void **state)
{
	uint8_t buf[8];
	struct hp_wr w = { .buf = buf, .cap = 3 };

	(void)state;
	memset(buf, 0xa5, sizeof(buf));
	hp_wr_u16(&w, 0x1111);
	hp_wr_u16(&w, 0x2222); /* one byte short: nothing of it is written */
	assert_int_equal(w.err, -EMSGSIZE);
	assert_int_equal(w.off, 2);
	assert_int_equal(buf[2], 0xa5);
	hp_wr_u8(&w, 0x33);    /* fits, but the error sticks */
	assert_int_equal(w.off, 2);
	assert_int_equal(buf[2], 0xa5);
	hp_wr_fail(&w, -EINVAL);
	assert_int_equal(w.err, -EMSGSIZE); /* the first error is kept */
}

static void test_read_truncation_yields_zeros(void **state)
{
	const uint8_t buf[3] = { 0xff, 0xff, 0xff };
	struct hp_rd r = { .buf = buf, .len = sizeof(buf) };
	uint8_t dst[4] = { 9, 9, 9, 9 };

	(void)state;
	assert_int_equal(hp_rd_u16(&r), 0xffff);
	assert_int_equal(hp_rd_u16(&r), 0);
	assert_int_equal(r.err, -EBADMSG);
	assert_int_equal(hp_rd_u8(&r), 0); /* the byte is there, the error sticks */
	assert_null(hp_rd_bytes(&r, 0));
	hp_rd_copy(&r, dst, sizeof(dst));
	assert_memory_equal(dst, ((uint8_t[4]){ 0 }), 4);
	hp_rd_fail(&r, -EINVAL);
	assert_int_equal(r.err, -EBADMSG);
}

static void test_strings(void **state)
{
	uint8_t buf[16];
	struct hp_wr w = { .buf = buf, .cap = sizeof(buf) };
	struct hp_rd r;
	char s[6];

	(void)state;
	hp_wr_str(&w, "abc", 1, 5);
	assert_int_equal(w.err, 0);
	assert_memory_equal(buf, "\x03" "abc", 4);
	r = (struct hp_rd){ .buf = buf, .len = w.off };
	hp_rd_str(&r, s, 1, 5);
	assert_int_equal(r.err, 0);
	assert_string_equal(s, "abc");
	/* too long, too short */
	w = (struct hp_wr){ .buf = buf, .cap = sizeof(buf) };
	hp_wr_str(&w, "abcdef", 0, 5);
	assert_int_equal(w.err, -EMSGSIZE);
	w = (struct hp_wr){ .buf = buf, .cap = sizeof(buf) };
	hp_wr_str(&w, "", 1, 5);
	assert_int_equal(w.err, -EINVAL);
	/* on the wire: over max, under min, a NUL inside, cut short */
	r = (struct hp_rd){ .buf = (const uint8_t *)"\x06" "abcdef", .len = 7 };
	hp_rd_str(&r, s, 0, 5);
	assert_int_equal(r.err, -EBADMSG);
	assert_string_equal(s, "");
	r = (struct hp_rd){ .buf = (const uint8_t *)"\x00", .len = 1 };
	hp_rd_str(&r, s, 1, 5);
	assert_int_equal(r.err, -EBADMSG);
	r = (struct hp_rd){ .buf = (const uint8_t *)"\x03" "a\0c", .len = 4 };
	hp_rd_str(&r, s, 0, 5);
	assert_int_equal(r.err, -EBADMSG);
	r = (struct hp_rd){ .buf = (const uint8_t *)"\x03" "ab", .len = 3 };
	hp_rd_str(&r, s, 0, 5);
	assert_int_equal(r.err, -EBADMSG);
}

static void test_endpoints(void **state)
{
	struct hp_endpoint eps[HP_MAX_PRIV + 1] = {
		{ .family = HP_FAMILY_V4, .port = 0x1234, .addr = { 192, 0, 2, 1 } },
		{ .family = HP_FAMILY_V6, .port = 80, .addr = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } },
	}, back[HP_MAX_PRIV];
	uint8_t buf[128], n;
	struct hp_wr w = { .buf = buf, .cap = sizeof(buf) };
	struct hp_rd r;

	(void)state;
	hp_wr_endpoints(&w, 2, eps);
	assert_int_equal(w.err, 0);
	assert_int_equal(w.off, 1 + (1 + 2 + 4) + (1 + 2 + 16));
	assert_memory_equal(buf, ((uint8_t[]){ 2, HP_FAMILY_V4, 0x12, 0x34, 192, 0, 2, 1 }), 8);
	r = (struct hp_rd){ .buf = buf, .len = w.off };
	hp_rd_endpoints(&r, &n, back);
	assert_int_equal(r.err, 0);
	assert_int_equal(n, 2);
	assert_true(hp_endpoint_equal(&back[0], &eps[0]));
	assert_true(hp_endpoint_equal(&back[1], &eps[1]));
	/* more than HP_MAX_PRIV, or an unknown family */
	w = (struct hp_wr){ .buf = buf, .cap = sizeof(buf) };
	hp_wr_endpoints(&w, HP_MAX_PRIV + 1, eps);
	assert_int_equal(w.err, -EINVAL);
	w = (struct hp_wr){ .buf = buf, .cap = sizeof(buf) };
	hp_wr_endpoint(&w, &(struct hp_endpoint){ .family = 9 });
	assert_int_equal(w.err, -EINVAL);
	buf[0] = HP_MAX_PRIV + 1;
	r = (struct hp_rd){ .buf = buf, .len = sizeof(buf) };
	hp_rd_endpoints(&r, &n, back);
	assert_int_equal(r.err, -EBADMSG);
	assert_int_equal(n, 0);
	buf[0] = 9;
	r = (struct hp_rd){ .buf = buf, .len = sizeof(buf) };
	hp_rd_endpoint(&r, &back[0]);
	assert_int_equal(r.err, -EBADMSG);
	assert_int_equal(back[0].family, 0);
}

static void test_end_and_padding(void **state)
{
	const uint8_t buf[4] = { 7, 0, 0, 0 }, bad[4] = { 7, 0, 1, 0 };
	struct hp_rd r = { .buf = buf, .len = sizeof(buf) };

	(void)state;
	hp_rd_u8(&r);
	hp_rd_end(&r, true);
	assert_int_equal(r.err, 0);
	assert_int_equal(r.off, r.len);
	r = (struct hp_rd){ .buf = buf, .len = sizeof(buf) };
	hp_rd_u8(&r);
	hp_rd_end(&r, false);
	assert_int_equal(r.err, -EBADMSG);
	r = (struct hp_rd){ .buf = bad, .len = sizeof(bad) };
	hp_rd_u8(&r);
	hp_rd_end(&r, true);
	assert_int_equal(r.err, -EBADMSG);
}

/* Padding read by words and a tail: one stray byte anywhere is found. */
static void test_long_padding_every_position(void **state)
{
	uint8_t buf[45] = { 0 };
	struct hp_rd r;
	size_t at;

	(void)state;
	r = (struct hp_rd){ .buf = buf, .len = sizeof(buf) };
	hp_rd_u8(&r);
	hp_rd_end(&r, true);
	assert_int_equal(r.err, 0);
	for (at = 1; at < sizeof(buf); at++) {
		buf[at] = 0x80;
		r = (struct hp_rd){ .buf = buf, .len = sizeof(buf) };
		hp_rd_u8(&r);
		hp_rd_end(&r, true);
		assert_int_equal(r.err, -EBADMSG);
		buf[at] = 0;
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integers_big_endian),
		cmocka_unit_test(test_write_error_sticks_and_nothing_overflows),
		cmocka_unit_test(test_read_truncation_yields_zeros),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_endpoints),
		cmocka_unit_test(test_end_and_padding),
		cmocka_unit_test(test_long_padding_every_position),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
