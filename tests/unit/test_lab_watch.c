// SPDX-License-Identifier: MIT
/*
 * `lab watch`'s view (watch_view.c), without a kernel: the lines it
 * prints for conntrack events and logged datagrams, the tables kept from
 * the events, the counts and the screen.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter/nf_conntrack_common.h>

#include <cmocka.h>

#include "lab/watch.h"

static struct lab_ct_tuple tuple(const char *src, uint16_t sport, const char *dst,
				 uint16_t dport)
{
	struct lab_ct_tuple t = { .sport = sport, .dport = dport };

	inet_pton(AF_INET, src, &t.src);
	inet_pton(AF_INET, dst, &t.dst);
	return t;
}

/* alice's mapping in rA: 10.0.1.2:4000 out as 198.51.100.10:4000 */
static struct lab_ct_entry alice_map(uint32_t id)
{
	return (struct lab_ct_entry){
		.l4proto = IPPROTO_UDP,
		.orig = tuple("10.0.1.2", 4000, "192.0.2.10", 3478),
		.reply = tuple("192.0.2.10", 3478, "198.51.100.10", 4000),
		.status = IPS_SRC_NAT | IPS_CONFIRMED,
		.id = id,
	};
}

static void test_entry_lines(void **state)
{
	struct lab_ct_entry e = alice_map(7);
	/* pitfall 1's clash: an inbound punch confirmed, not translated */
	struct lab_ct_entry in = {
		.l4proto = IPPROTO_UDP,
		.orig = tuple("198.51.100.10", 4000, "203.0.113.10", 4000),
		.reply = tuple("203.0.113.10", 4000, "198.51.100.10", 4000),
	};
	/* a destination rewritten on the way in (a port forward) */
	struct lab_ct_entry dnat = {
		.l4proto = IPPROTO_UDP,
		.orig = tuple("192.0.2.10", 5000, "198.51.100.10", 4000),
		.reply = tuple("10.0.1.2", 4000, "192.0.2.10", 5000),
	};
	char buf[LAB_WATCH_LINE];

	(void)state;
	lab_watch_fmt_entry(buf, sizeof(buf), &e);
	assert_string_equal(buf, "10.0.1.2:4000 -> 198.51.100.10:4000 (for 192.0.2.10:3478)");
	lab_watch_fmt_entry(buf, sizeof(buf), &in);
	assert_string_equal(buf, "198.51.100.10:4000 -> 203.0.113.10:4000");
	lab_watch_fmt_entry(buf, sizeof(buf), &dnat);
	assert_string_equal(buf, "192.0.2.10:5000 -> 198.51.100.10:4000 (to 10.0.1.2:4000)");
}

static void test_ct_lines(void **state)
{
	struct lab_ct_event ev = { .type = LAB_CT_EV_NEW, .e = alice_map(7) };
	char buf[LAB_WATCH_LINE], small[12];
	int n;

	(void)state;
	n = lab_watch_fmt_ct(buf, sizeof(buf), 1234567, "rA", &ev);
	assert_string_equal(buf, "+1.234 rA new 10.0.1.2:4000 -> 198.51.100.10:4000 "
				 "(for 192.0.2.10:3478)");
	assert_int_equal(n, (int)strlen(buf));
	ev.type = LAB_CT_EV_UPDATE;
	ev.e.status |= IPS_SEEN_REPLY;
	lab_watch_fmt_ct(buf, sizeof(buf), 61000000, "rA", &ev);
	assert_string_equal(buf, "+61.000 rA update 10.0.1.2:4000 -> 198.51.100.10:4000 "
				 "(for 192.0.2.10:3478) replied");
	ev.type = LAB_CT_EV_DESTROY;
	lab_watch_fmt_ct(buf, sizeof(buf), 90000, "rB", &ev);
	assert_string_equal(buf, "+0.090 rB destroy 10.0.1.2:4000 -> 198.51.100.10:4000 "
				 "(for 192.0.2.10:3478)");
	/* cut short, never past the buffer, always terminated */
	memset(small, 'x', sizeof(small));
	n = lab_watch_fmt_ct(small, sizeof(small), 1234567, "rA", &ev);
	assert_int_equal(n, (int)sizeof(small) - 1);
	assert_string_equal(small, "+1.234 rA d");
}

/* An IPv4 datagram as a rule logs it: the IP header, UDP header, payload. */
static size_t udp_dgram(uint8_t *b, const char *src, uint16_t sport, const char *dst,
			uint16_t dport)
{
	memset(b, 0, 32);
	b[0] = 0x45;
	b[3] = 32; /* total length */
	b[8] = 64; /* ttl */
	b[9] = IPPROTO_UDP;
	inet_pton(AF_INET, src, b + 12);
	inet_pton(AF_INET, dst, b + 16);
	b[20] = (uint8_t)(sport >> 8), b[21] = (uint8_t)sport;
	b[22] = (uint8_t)(dport >> 8), b[23] = (uint8_t)dport;
	b[25] = 12; /* UDP length: header and 4 bytes */
	return 32;
}

/* The ICMP time exceeded the core sends back about such a datagram. */
static size_t icmp_expired(uint8_t *b, const uint8_t *quoted)
{
	memset(b, 0, 56);
	b[0] = 0x45;
	b[3] = 56;
	b[8] = 64;
	b[9] = IPPROTO_ICMP;
	inet_pton(AF_INET, "203.0.113.1", b + 12);
	inet_pton(AF_INET, "198.51.100.10", b + 16);
	b[20] = 11; /* time exceeded, code 0: in transit (RFC 792) */
	memcpy(b + 28, quoted, 28); /* its IP header and first 8 bytes */
	return 56;
}

static void test_pkt_lines(void **state)
{
	uint8_t dgram[32], icmp[56];
	struct lab_nflog_pkt pkt = { .prefix = "fw-input", .payload = dgram };
	char buf[LAB_WATCH_LINE];

	(void)state;
	pkt.len = udp_dgram(dgram, "198.51.100.10", 4000, "203.0.113.10", 4000);
	lab_watch_fmt_pkt(buf, sizeof(buf), 2500, "rB", &pkt);
	assert_string_equal(buf, "+0.002 rB drop fw-input 198.51.100.10:4000 -> 203.0.113.10:4000");
	snprintf(pkt.prefix, sizeof(pkt.prefix), "in");
	lab_watch_fmt_pkt(buf, sizeof(buf), 2500, "rA", &pkt);
	assert_string_equal(buf, "+0.002 rA in 198.51.100.10:4000 -> 203.0.113.10:4000");
	/* hostile bytes: said, not read past */
	pkt.len = 3;
	lab_watch_fmt_pkt(buf, sizeof(buf), 0, "rA", &pkt);
	assert_string_equal(buf, "+0.000 rA in (not IPv4, 3 bytes)");
	pkt.payload = NULL;
	pkt.len = 0;
	lab_watch_fmt_pkt(buf, sizeof(buf), 0, "rA", &pkt);
	assert_string_equal(buf, "+0.000 rA in (not IPv4, 0 bytes)");
	pkt.payload = icmp;
	pkt.len = icmp_expired(icmp, dgram);
	lab_watch_fmt_pkt(buf, sizeof(buf), 0, "rA", &pkt);
	assert_string_equal(buf, "+0.000 rA in icmp 11/0 203.0.113.1 -> 198.51.100.10 "
				 "(about 198.51.100.10:4000 -> 203.0.113.10:4000)");
	snprintf(pkt.prefix, sizeof(pkt.prefix), "other");
	lab_watch_fmt_pkt(buf, sizeof(buf), 0, "rA", &pkt);
	assert_string_equal(buf, "+0.000 rA log other icmp 11/0 203.0.113.1 -> 198.51.100.10 "
				 "(about 198.51.100.10:4000 -> 203.0.113.10:4000)");
	lab_watch_fmt_lost(buf, sizeof(buf), 9000000, "cB");
	assert_string_equal(buf, "+9.000 cB lost events: the kernel's queue overflowed");
}

static void test_table_follows_events(void **state)
{
	struct lab_watch_view v;
	struct lab_watch_nat *nat;
	struct lab_ct_entry dump[2] = { alice_map(7), alice_map(8) };
	struct lab_ct_event ev = { .type = LAB_CT_EV_NEW, .e = alice_map(9) };
	size_t i;

	(void)state;
	lab_watch_view_init(&v);
	assert_int_equal(lab_watch_view_add(&v, "rA"), 0);
	assert_int_equal(lab_watch_view_add(&v, "rB"), 1);
	assert_int_equal(lab_watch_view_add(&v, "cA"), 2);
	assert_int_equal(lab_watch_view_add(&v, "cB"), 3);
	assert_int_equal(lab_watch_view_add(&v, "xx"), -ENOSPC);
	nat = &v.nat[0];
	assert_string_equal(nat->name, "rA");
	dump[1].orig.sport = 4001;
	lab_watch_load(nat, dump, 2, 2);
	assert_int_equal(nat->n, 2);
	/* new: added and counted; the same id again (the dump raced the
	 * event) replaces it, uncounted */
	assert_true(lab_watch_ct_apply(nat, &ev));
	assert_int_equal(nat->n, 3);
	assert_int_equal(nat->made, 1);
	ev.e.status |= IPS_SEEN_REPLY;
	assert_true(lab_watch_ct_apply(nat, &ev));
	assert_int_equal(nat->n, 3);
	assert_int_equal(nat->made, 1);
	assert_true(nat->e[2].status & IPS_SEEN_REPLY);
	/* update and destroy find the entry by id */
	ev.type = LAB_CT_EV_DESTROY;
	ev.e = alice_map(7);
	assert_true(lab_watch_ct_apply(nat, &ev));
	assert_int_equal(nat->n, 2);
	for (i = 0; i < nat->n; i++)
		assert_int_not_equal(nat->e[i].id, 7);
	/* without an id, by the original tuple */
	ev.e = dump[1];
	ev.e.id = 0;
	assert_true(lab_watch_ct_apply(nat, &ev));
	assert_int_equal(nat->n, 1);
	assert_int_equal(nat->e[0].id, 9);
	/* not UDP: not the NAT table the view shows */
	ev.type = LAB_CT_EV_NEW;
	ev.e.l4proto = IPPROTO_ICMP;
	assert_false(lab_watch_ct_apply(nat, &ev));
	assert_int_equal(nat->n, 1);
}

static void test_table_full(void **state)
{
	static struct lab_watch_view v;
	struct lab_ct_event ev = { .type = LAB_CT_EV_NEW };
	struct lab_watch_nat *nat = &v.nat[0];
	uint32_t id;

	(void)state;
	lab_watch_view_init(&v);
	lab_watch_view_add(&v, "rA");
	for (id = 1; id <= LAB_WATCH_ENTRIES + 3; id++) {
		ev.e = alice_map(id);
		lab_watch_ct_apply(nat, &ev);
	}
	assert_int_equal(nat->n, LAB_WATCH_ENTRIES);
	assert_int_equal(nat->more, 3);
	assert_int_equal(nat->made, LAB_WATCH_ENTRIES + 3);
	/* an entry not held goes from the count */
	ev.type = LAB_CT_EV_DESTROY;
	ev.e = alice_map(LAB_WATCH_ENTRIES + 2);
	lab_watch_ct_apply(nat, &ev);
	assert_int_equal(nat->more, 2);
	assert_int_equal(nat->n, LAB_WATCH_ENTRIES);
	/* a dump larger than the table */
	lab_watch_load(nat, nat->e, LAB_WATCH_ENTRIES + 5, LAB_WATCH_ENTRIES + 9);
	assert_int_equal(nat->n, LAB_WATCH_ENTRIES);
	assert_int_equal(nat->more, 9);
}

static void test_counts(void **state)
{
	struct lab_watch_nat nat = { .name = "rB" };
	struct lab_nflog_pkt pkt = { .prefix = "fw-input" };
	int i;

	(void)state;
	assert_true(lab_watch_pkt_apply(&nat, &pkt));
	snprintf(pkt.prefix, sizeof(pkt.prefix), "%s", lab_trace_rule_name(LAB_RULE_FW_FORWARD));
	assert_true(lab_watch_pkt_apply(&nat, &pkt));
	assert_true(lab_watch_pkt_apply(&nat, &pkt));
	assert_int_equal(nat.drops[LAB_RULE_FW_INPUT], 1);
	assert_int_equal(nat.drops[LAB_RULE_FW_FORWARD], 2);
	/* the datagrams seen passing, where the NAT's log saw them */
	for (i = 0; i < 3; i++) {
		snprintf(pkt.prefix, sizeof(pkt.prefix), "%s", lab_trace_at_name(LAB_AT_IN));
		assert_false(lab_watch_pkt_apply(&nat, &pkt));
	}
	snprintf(pkt.prefix, sizeof(pkt.prefix), "%s", lab_trace_at_name(LAB_AT_OUT));
	assert_false(lab_watch_pkt_apply(&nat, &pkt));
	assert_int_equal(nat.seen[LAB_AT_IN], 3);
	assert_int_equal(nat.seen[LAB_AT_OUT], 1);
	assert_int_equal(nat.seen[LAB_AT_DROP], 0);
	/* a prefix not the lab's, none, or overlong: other */
	snprintf(pkt.prefix, sizeof(pkt.prefix), "someone-else");
	assert_false(lab_watch_pkt_apply(&nat, &pkt));
	pkt.prefix[0] = '\0';
	assert_false(lab_watch_pkt_apply(&nat, &pkt));
	memset(pkt.prefix, 'a', sizeof(pkt.prefix) - 1);
	pkt.prefix[sizeof(pkt.prefix) - 1] = '\0';
	assert_false(lab_watch_pkt_apply(&nat, &pkt));
	assert_int_equal(nat.logged_other, 3);
	assert_int_equal(nat.drops[LAB_RULE_FW_INPUT], 1);
	assert_int_equal(nat.drops[LAB_RULE_NONE], 0);
}

static void test_screen(void **state)
{
	static struct lab_watch_view v;
	struct lab_ct_entry e = alice_map(7);
	struct lab_nflog_pkt pkt = { .prefix = "fw-input" };
	char line[32], *s = NULL;
	size_t len;
	FILE *f;
	int i;

	(void)state;
	lab_watch_view_init(&v);
	lab_watch_view_add(&v, "rA");
	lab_watch_view_add(&v, "rB");
	lab_watch_load(&v.nat[0], &e, 1, 1);
	lab_watch_pkt_apply(&v.nat[1], &pkt);
	for (i = 1; i <= LAB_WATCH_RECENT + 2; i++) {
		snprintf(line, sizeof(line), "event %d;", i);
		lab_watch_recent(&v, line);
	}
	f = open_memstream(&s, &len);
	assert_non_null(f);
	lab_watch_render(f, &v, "hplab", 3000000);
	fclose(f);
	assert_non_null(strstr(s, "lab watch: prefix hplab, +3 s"));
	assert_non_null(strstr(s, "rA  1 UDP entry, 0 made; dropped: fw-input 0 fw-forward 0"));
	assert_non_null(strstr(s, "\n    10.0.1.2:4000 -> 198.51.100.10:4000 (for 192.0.2.10:3478)"));
	assert_non_null(strstr(s, "rB  0 UDP entries, 0 made; dropped: fw-input 1 "));
	assert_non_null(strstr(s, "; seen: in 0 out 0\n"));
	/* the recent lines: the last ones, oldest first */
	assert_null(strstr(s, "event 2;"));
	assert_non_null(strstr(s, "  event 3;\n  event 4;"));
	assert_non_null(strstr(s, "  event 12;\n"));
	free(s);
	/* the log group taken: no drop counts that cannot be known */
	v.log_off = true;
	f = open_memstream(&s, &len);
	lab_watch_render(f, &v, "hplab", 0);
	fclose(f);
	assert_non_null(strstr(s, "the log group is taken"));
	assert_null(strstr(s, "dropped:"));
	assert_null(strstr(s, "events lost"));
	free(s);
	v.lost = 2;
	f = open_memstream(&s, &len);
	lab_watch_render(f, &v, "hplab", 0);
	fclose(f);
	assert_non_null(strstr(s, "\nevents lost 2 times"));
	free(s);
	/* the plain output's beginning: the table at the start */
	v.log_off = false;
	f = open_memstream(&s, &len);
	lab_watch_print_start(f, &v, "hplab");
	fclose(f);
	assert_string_equal(s, "lab watch: prefix hplab, the tables at the start\n"
			       "+0.000 rA holds 1 UDP entry\n"
			       "+0.000 rA has 10.0.1.2:4000 -> 198.51.100.10:4000 "
			       "(for 192.0.2.10:3478) unreplied\n"
			       "+0.000 rB holds 0 UDP entries\n");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entry_lines),
		cmocka_unit_test(test_ct_lines),
		cmocka_unit_test(test_pkt_lines),
		cmocka_unit_test(test_table_follows_events),
		cmocka_unit_test(test_table_full),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_screen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
