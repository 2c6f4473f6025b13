// SPDX-License-Identifier: MIT
/* The trace: resolve (merging a NAT's records, numbering across hops,
 * translations from conntrack, fates from ICMP errors) and the sentences,
 * on synthetic lists of the three teaching stories. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lab/plan.h"
#include "lab/trace.h"
#include "proto.h"

static struct lab_ct_tuple tup(const char *src, unsigned sport, const char *dst, unsigned dport)
{
	struct lab_ct_tuple t = { .sport = (uint16_t)sport, .dport = (uint16_t)dport };

	inet_pton(AF_INET, src, &t.src);
	inet_pton(AF_INET, dst, &t.dst);
	return t;
}

static struct lab_trace *trace_new(void)
{
	struct lab_trace *t = calloc(1, sizeof(*t));
	static const struct {
		unsigned node;
		const char *addr;
	} addrs[] = {
		{ LAB_NODE_RA, "198.51.100.10" }, { LAB_NODE_RA, "10.0.1.1" },
		{ LAB_NODE_RB, "203.0.113.10" },  { LAB_NODE_RB, "10.0.2.1" },
		{ LAB_NODE_CORE, "198.51.100.1" }, { LAB_NODE_CORE, "203.0.113.1" },
		{ LAB_NODE_SRV, "192.0.2.10" },
	};

	assert_non_null(t);
	t->on = true;
	lab_trace_side(t, 0, "alice", "10.0.1.2", 4000);
	lab_trace_side(t, 1, "bob", "10.0.2.2", 4000);
	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++)
		lab_trace_node_addr(t, addrs[i].node, addrs[i].addr);
	return t;
}

static void pkt(struct lab_trace *t, uint64_t us, unsigned node, enum lab_tr_at at,
		uint8_t proto, uint32_t fp, uint8_t ttl, struct lab_ct_tuple a)
{
	struct lab_tr_ev e = { .us = us, .kind = LAB_TR_PKT, .node = (uint8_t)node,
			       .at = (uint8_t)at, .proto = proto, .fp = fp, .ttl = ttl,
			       .hp_type = HP_PUNCH, .side = LAB_TR_NOBODY, .a = a };

	lab_trace_add(t, &e);
}

static void drop(struct lab_trace *t, uint64_t us, unsigned node, enum lab_tr_rule rule,
		 uint32_t fp, struct lab_ct_tuple a)
{
	struct lab_tr_ev e = { .us = us, .kind = LAB_TR_PKT, .node = (uint8_t)node,
			       .at = LAB_AT_DROP, .rule = (uint8_t)rule, .proto = IPPROTO_UDP,
			       .fp = fp, .ttl = 63, .hp_type = HP_PUNCH, .side = LAB_TR_NOBODY,
			       .a = a };

	lab_trace_add(t, &e);
}

static void icmp(struct lab_trace *t, uint64_t us, unsigned node, enum lab_tr_at at,
		 uint8_t type, uint8_t code, const char *from, uint32_t fp, struct lab_ct_tuple q)
{
	struct lab_tr_ev e = { .us = us, .kind = LAB_TR_PKT, .node = (uint8_t)node,
			       .at = (uint8_t)at, .proto = IPPROTO_ICMP, .fp = fp, .ttl = 64,
			       .icmp_type = type, .icmp_code = code, .hp_type = HP_PUNCH,
			       .side = LAB_TR_NOBODY, .a = q };

	inet_pton(AF_INET, from, &e.from);
	lab_trace_add(t, &e);
}

static void map(struct lab_trace *t, uint64_t us, unsigned node, enum lab_ct_ev_type type,
		uint32_t id, struct lab_ct_tuple orig, struct lab_ct_tuple reply)
{
	struct lab_tr_ev e = { .us = us, .kind = LAB_TR_MAP, .node = (uint8_t)node,
			       .what = (uint8_t)type, .ct_id = id, .a = orig, .b = reply };

	lab_trace_add(t, &e);
}

/* The one event of node with fingerprint fp and protocol proto. */
static const struct lab_tr_ev *find(const struct lab_trace *t, unsigned node, uint8_t proto,
				    uint32_t fp, size_t *at)
{
	const struct lab_tr_ev *found = NULL;

	for (size_t i = 0; i < t->n; i++)
		if (t->ev[i].kind == LAB_TR_PKT && t->ev[i].node == node &&
		    t->ev[i].proto == proto && t->ev[i].fp == fp) {
			assert_null(found);
			found = &t->ev[i];
			if (at)
				*at = i;
		}
	assert_non_null(found);
	return found;
}

static void says(const struct lab_trace *t, size_t i, const char *want)
{
	char buf[256];

	lab_trace_describe(t, i, buf, sizeof(buf));
	if (!strstr(buf, want))
		fail_msg("'%s' does not say '%s'", buf, want);
}

static size_t map_at(const struct lab_trace *t, unsigned node, uint32_t id)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->ev[i].kind == LAB_TR_MAP && t->ev[i].node == node && t->ev[i].ct_id == id)
			return i;
	fail_msg("no entry %u", id);
	return 0;
}

/* The default run: the TTL-2 punch opens rA's mapping and dies in the
 * core; the error comes back through rA. */
static void test_story_ttl(void **state)
{
	struct lab_trace *t = trace_new();
	struct lab_ct_tuple in = tup("10.0.1.2", 4000, "203.0.113.10", 4000);
	struct lab_ct_tuple outside = tup("198.51.100.10", 4000, "203.0.113.10", 4000);
	const struct lab_tr_ev *e;
	size_t i;

	(void)state;
	/* added out of order: resolve sorts */
	map(t, 1020, LAB_NODE_RA, LAB_CT_EV_NEW, 5, in, tup("203.0.113.10", 4000, "198.51.100.10", 4000));
	pkt(t, 1000, LAB_NODE_RA, LAB_AT_IN, IPPROTO_UDP, 11, 2, in);
	pkt(t, 1010, LAB_NODE_RA, LAB_AT_OUT, IPPROTO_UDP, 11, 2, in);
	icmp(t, 1500, LAB_NODE_RA, LAB_AT_IN, 11, 0, "198.51.100.1", 11, outside);
	icmp(t, 1510, LAB_NODE_RA, LAB_AT_OUT, 11, 0, "198.51.100.1", 11, in);
	lab_trace_resolve(t);
	assert_int_equal(t->n, 3); /* the "out" records merged into their arrivals */
	for (i = 1; i < t->n; i++)
		assert_true(t->ev[i - 1].us <= t->ev[i].us);
	e = find(t, LAB_NODE_RA, IPPROTO_UDP, 11, &i);
	assert_int_equal(e->what, LAB_FATE_EXPIRED);
	assert_true(!memcmp(&e->b, &outside, sizeof(outside)));
	assert_int_equal(e->side, 0);
	assert_int_equal(e->icmp_type, 11);
	says(t, i, "alice's punch (ttl 2) left rA as 198.51.100.10:4000 and expired in the core: "
		   "ICMP time exceeded from 198.51.100.1");
	says(t, map_at(t, LAB_NODE_RA, 5),
	     "rA maps 10.0.1.2:4000 -> 198.51.100.10:4000 (for 203.0.113.10:4000)");
	e = find(t, LAB_NODE_RA, IPPROTO_ICMP, 11, &i);
	assert_int_equal(e->what, LAB_FATE_FORWARDED);
	assert_true(!memcmp(&e->b, &in, sizeof(in)));
	says(t, i, "rA passes back ICMP time exceeded from 198.51.100.1");
	assert_int_equal(t->nat[LAB_NODE_RA].maps, 1);
	free(t);
}

/* --punch-ttl 0: rB's firewall drops alice's first punch; the second one,
 * after bob's punch made rB's mapping, is forwarded to bob. */
static void test_story_firewall(void **state)
{
	struct lab_trace *t = trace_new();
	struct lab_ct_tuple a_in = tup("10.0.1.2", 4000, "203.0.113.10", 4000);
	struct lab_ct_tuple a_out = tup("198.51.100.10", 4000, "203.0.113.10", 4000);
	struct lab_ct_tuple b_in = tup("10.0.2.2", 4000, "198.51.100.10", 4000);
	const struct lab_tr_ev *e, *first;
	size_t i;

	(void)state;
	pkt(t, 1000, LAB_NODE_RA, LAB_AT_IN, IPPROTO_UDP, 21, 64, a_in);
	pkt(t, 1001, LAB_NODE_RA, LAB_AT_OUT, IPPROTO_UDP, 21, 64, a_in);
	map(t, 1002, LAB_NODE_RA, LAB_CT_EV_NEW, 1, a_in, tup("203.0.113.10", 4000, "198.51.100.10", 4000));
	pkt(t, 1100, LAB_NODE_RB, LAB_AT_IN, IPPROTO_UDP, 21, 63, a_out);
	drop(t, 1101, LAB_NODE_RB, LAB_RULE_FW_INPUT, 21, a_out);
	pkt(t, 2000, LAB_NODE_RB, LAB_AT_IN, IPPROTO_UDP, 22, 64, b_in);
	pkt(t, 2001, LAB_NODE_RB, LAB_AT_OUT, IPPROTO_UDP, 22, 64, b_in);
	map(t, 2002, LAB_NODE_RB, LAB_CT_EV_NEW, 2, b_in, a_out);
	pkt(t, 3000, LAB_NODE_RA, LAB_AT_IN, IPPROTO_UDP, 23, 64, a_in);
	pkt(t, 3001, LAB_NODE_RA, LAB_AT_OUT, IPPROTO_UDP, 23, 64, a_in);
	pkt(t, 3100, LAB_NODE_RB, LAB_AT_IN, IPPROTO_UDP, 23, 63, a_out);
	pkt(t, 3101, LAB_NODE_RB, LAB_AT_OUT, IPPROTO_UDP, 23, 63,
	    tup("198.51.100.10", 4000, "10.0.2.2", 4000));
	lab_trace_resolve(t);
	first = find(t, LAB_NODE_RA, IPPROTO_UDP, 21, NULL);
	e = find(t, LAB_NODE_RB, IPPROTO_UDP, 21, &i);
	assert_int_equal(e->what, LAB_FATE_DROPPED);
	assert_int_equal(e->rule, LAB_RULE_FW_INPUT);
	assert_int_equal(e->dgram, first->dgram);
	assert_int_equal(e->side, 0);
	says(t, i, "rB drops alice's punch from 198.51.100.10:4000 (rule fw-input: nothing new "
		   "from the wan reaches the router)");
	e = find(t, LAB_NODE_RB, IPPROTO_UDP, 22, &i);
	assert_int_equal(e->side, 1);
	says(t, i, "rB forwards bob's punch (ttl 64) 10.0.2.2:4000 -> 198.51.100.10:4000 as "
		   "203.0.113.10:4000");
	e = find(t, LAB_NODE_RB, IPPROTO_UDP, 23, &i);
	assert_int_equal(e->what, LAB_FATE_FORWARDED);
	assert_int_equal(e->side, 0);
	assert_int_equal(e->b.dst.s_addr, tup("0.0.0.0", 0, "10.0.2.2", 0).dst.s_addr);
	says(t, i, "rB forwards alice's punch (ttl 63) 198.51.100.10:4000 -> 203.0.113.10:4000 to "
		   "10.0.2.2:4000");
	assert_int_not_equal(e->dgram, first->dgram);
	assert_int_equal(t->nat[LAB_NODE_RB].drops[LAB_RULE_FW_INPUT], 1);
	assert_int_equal(t->nat[LAB_NODE_RB].forwarded, 2);
	free(t);
}

/* --no-firewall --punch-ttl 0: alice's first punch reaches rB itself,
 * which tracks it (the clash entry) and answers port unreachable; bob's
 * mapping then gets another port. */
static void test_story_clash(void **state)
{
	struct lab_trace *t = trace_new();
	struct lab_ct_tuple a_out = tup("198.51.100.10", 4000, "203.0.113.10", 4000);
	struct lab_ct_tuple b_in = tup("10.0.2.2", 4000, "198.51.100.10", 4000);
	const struct lab_tr_ev *e;
	size_t i;

	(void)state;
	pkt(t, 1000, LAB_NODE_RA, LAB_AT_IN, IPPROTO_UDP, 31, 64, tup("10.0.1.2", 4000, "203.0.113.10", 4000));
	pkt(t, 1001, LAB_NODE_RA, LAB_AT_OUT, IPPROTO_UDP, 31, 64, tup("10.0.1.2", 4000, "203.0.113.10", 4000));
	map(t, 1002, LAB_NODE_RA, LAB_CT_EV_NEW, 1, tup("10.0.1.2", 4000, "203.0.113.10", 4000), tup("203.0.113.10", 4000, "198.51.100.10", 4000));
	pkt(t, 1100, LAB_NODE_RB, LAB_AT_IN, IPPROTO_UDP, 31, 63, a_out);
	map(t, 1102, LAB_NODE_RB, LAB_CT_EV_NEW, 7, a_out, tup("203.0.113.10", 4000, "198.51.100.10", 4000));
	icmp(t, 1103, LAB_NODE_RB, LAB_AT_OUT, 3, 3, "203.0.113.10", 31, a_out);
	/* a second one, unanswered (ICMP errors are rate-limited) */
	pkt(t, 1200, LAB_NODE_RB, LAB_AT_IN, IPPROTO_UDP, 32, 63, a_out);
	pkt(t, 2000, LAB_NODE_RB, LAB_AT_IN, IPPROTO_UDP, 33, 64, b_in);
	pkt(t, 2001, LAB_NODE_RB, LAB_AT_OUT, IPPROTO_UDP, 33, 64, b_in);
	map(t, 2002, LAB_NODE_RB, LAB_CT_EV_NEW, 8, b_in, tup("198.51.100.10", 4000, "203.0.113.10", 1024));
	lab_trace_resolve(t);
	e = find(t, LAB_NODE_RB, IPPROTO_UDP, 31, &i);
	assert_int_equal(e->what, LAB_FATE_LOCAL);
	assert_int_equal(e->icmp_code, 3);
	says(t, i, "rB takes alice's punch from 198.51.100.10:4000 for itself");
	assert_int_equal(find(t, LAB_NODE_RB, IPPROTO_UDP, 32, NULL)->what, LAB_FATE_LOCAL);
	says(t, map_at(t, LAB_NODE_RB, 7),
	     "rB tracks 198.51.100.10:4000 -> 203.0.113.10:4000 (to rB itself)");
	says(t, map_at(t, LAB_NODE_RB, 8),
	     "rB maps 10.0.2.2:4000 -> 203.0.113.10:1024 (for 198.51.100.10:4000)");
	e = find(t, LAB_NODE_RB, IPPROTO_UDP, 33, &i);
	assert_int_equal(e->b.sport, 1024);
	assert_int_equal(t->nat[LAB_NODE_RB].maps, 1); /* the clash entry translates nothing */
	free(t);
}

/* A datagram the NAT cannot route (a private candidate) and a retried
 * register whose payload repeats: each is its own datagram. */
static void test_unroutable_and_repeats(void **state)
{
	struct lab_trace *t = trace_new();
	struct lab_ct_tuple priv = tup("10.0.1.2", 4000, "10.0.2.2", 4000);
	struct lab_ct_tuple reg = tup("10.0.1.2", 4000, "192.0.2.10", 3478);
	const struct lab_tr_ev *e;
	uint32_t d1 = 0;

	(void)state;
	pkt(t, 100, LAB_NODE_RA, LAB_AT_IN, IPPROTO_UDP, 41, 64, priv);
	icmp(t, 101, LAB_NODE_RA, LAB_AT_OUT, 3, 0, "10.0.1.1", 41, priv);
	pkt(t, 200, LAB_NODE_RA, LAB_AT_IN, IPPROTO_UDP, 42, 64, reg);
	pkt(t, 201, LAB_NODE_RA, LAB_AT_OUT, IPPROTO_UDP, 42, 64, reg);
	pkt(t, 300, LAB_NODE_RA, LAB_AT_IN, IPPROTO_UDP, 42, 64, reg);
	pkt(t, 301, LAB_NODE_RA, LAB_AT_OUT, IPPROTO_UDP, 42, 64, reg);
	lab_trace_resolve(t);
	e = find(t, LAB_NODE_RA, IPPROTO_UDP, 41, NULL);
	assert_int_equal(e->what, LAB_FATE_UNROUTABLE);
	for (size_t i = 0; i < t->n; i++)
		if (t->ev[i].fp == 42) {
			assert_int_equal(t->ev[i].what, LAB_FATE_FORWARDED);
			assert_int_not_equal(t->ev[i].dgram, d1);
			d1 = t->ev[i].dgram;
		}
	assert_int_equal(t->nat[LAB_NODE_RA].forwarded, 3); /* two registers, the ICMP */
	free(t);
}

/* The NATs' sockets are read one after the other: bob's punch may seem to
 * arrive at rA before it left rB. Still one datagram, bob's, and told in
 * the order it went; alice's ICMP error is told after rA passed it on. */
static void test_read_order(void **state)
{
	struct lab_trace *t = trace_new();
	struct lab_ct_tuple b_in = tup("10.0.2.2", 4000, "198.51.100.10", 4000);
	struct lab_ct_tuple b_out = tup("203.0.113.10", 4000, "198.51.100.10", 4000);
	struct lab_ct_tuple a_in = tup("10.0.1.2", 4000, "203.0.113.10", 4000);
	struct lab_tr_ev c = { .us = 1100, .kind = LAB_TR_CLIENT, .what = LAB_TRC_ICMP, .side = 0,
			       .icmp_type = 11, .a = tup("198.51.100.1", 0, "203.0.113.10", 4000) };
	const struct lab_tr_ev *ra, *rb;
	size_t i, ic = 0;

	(void)state;
	map(t, 10, LAB_NODE_RB, LAB_CT_EV_NEW, 3, b_in, tup("198.51.100.10", 4000, "203.0.113.10", 4000));
	map(t, 10, LAB_NODE_RA, LAB_CT_EV_NEW, 4, a_in, tup("203.0.113.10", 4000, "198.51.100.10", 4000));
	pkt(t, 500, LAB_NODE_RA, LAB_AT_IN, IPPROTO_UDP, 51, 62, b_out);
	pkt(t, 501, LAB_NODE_RA, LAB_AT_OUT, IPPROTO_UDP, 51, 62, tup("203.0.113.10", 4000, "10.0.1.2", 4000));
	pkt(t, 510, LAB_NODE_RB, LAB_AT_IN, IPPROTO_UDP, 51, 64, b_in);
	pkt(t, 511, LAB_NODE_RB, LAB_AT_OUT, IPPROTO_UDP, 51, 64, b_in);
	lab_trace_add(t, &c);
	pkt(t, 1000, LAB_NODE_RA, LAB_AT_IN, IPPROTO_UDP, 52, 2, a_in);
	pkt(t, 1001, LAB_NODE_RA, LAB_AT_OUT, IPPROTO_UDP, 52, 2, a_in);
	icmp(t, 1200, LAB_NODE_RA, LAB_AT_IN, 11, 0, "198.51.100.1", 52,
	     tup("198.51.100.10", 4000, "203.0.113.10", 4000));
	icmp(t, 1201, LAB_NODE_RA, LAB_AT_OUT, 11, 0, "198.51.100.1", 52, a_in);
	lab_trace_resolve(t);
	ra = find(t, LAB_NODE_RA, IPPROTO_UDP, 51, NULL);
	rb = find(t, LAB_NODE_RB, IPPROTO_UDP, 51, NULL);
	assert_int_equal(ra->dgram, rb->dgram);
	assert_int_equal(ra->side, 1);
	assert_true(ra->us > rb->us);
	for (i = 0; i < t->n; i++)
		if (t->ev[i].kind == LAB_TR_CLIENT)
			ic = i;
	find(t, LAB_NODE_RA, IPPROTO_ICMP, 52, &i);
	assert_true(ic > i);
	assert_int_equal(t->ev[i].side, 0);
	free(t);
}

static void client(struct lab_trace *t, uint64_t us, unsigned side, enum lab_tr_client what,
		   const struct lab_tr_ev *fill)
{
	struct lab_tr_ev e = *fill;

	e.us = us;
	e.kind = LAB_TR_CLIENT;
	e.side = (uint8_t)side;
	e.node = side ? LAB_NODE_HB : LAB_NODE_HA;
	e.what = (uint8_t)what;
	lab_trace_add(t, &e);
}

/* The spray's story from hpclient's events (synthetic: docs/hpclient.md's
 * nat, spray, spray_hit, spray_end): bob is hard, alice easy. */
static void test_story_spray(void **state)
{
	struct lab_trace *t = trace_new();
	struct lab_tr_ev e = { 0 };

	(void)state;
	e.role = LAB_TRH_HARD, e.peer_role = LAB_TRH_EASY;
	client(t, 100, 1, LAB_TRC_NAT, &e);
	e.count = 256;
	e.a = tup("0.0.0.0", 0, "198.51.100.10", 4000);
	client(t, 200, 1, LAB_TRC_SPRAY, &e);
	e = (struct lab_tr_ev){ .role = LAB_TRH_EASY, .count = 1024, .rate = 500,
				.a = tup("0.0.0.0", 0, "203.0.113.10", 4000) };
	client(t, 300, 0, LAB_TRC_SPRAY, &e);
	e = (struct lab_tr_ev){ .role = LAB_TRH_EASY, .count = 137, .ms = 274,
				.a = tup("0.0.0.0", 0, "203.0.113.10", 40123) };
	client(t, 400, 0, LAB_TRC_SPRAY_HIT, &e);
	e.role = LAB_TRH_HARD, e.count = 256;
	client(t, 401, 1, LAB_TRC_SPRAY_HIT, &e);
	e = (struct lab_tr_ev){ .role = LAB_TRH_EASY, .count = 137, .text = "hit" };
	client(t, 500, 0, LAB_TRC_SPRAY_END, &e);
	e = (struct lab_tr_ev){ .role = LAB_TRH_EASY, .count = 1024, .text = "budget" };
	client(t, 600, 0, LAB_TRC_SPRAY_END, &e);
	e = (struct lab_tr_ev){ .role = LAB_TRH_HARD, .text = "hard-hard" };
	client(t, 700, 1, LAB_TRC_SPRAY_END, &e);
	says(t, 0, "bob's NAT is hard (endpoint-dependent), alice's easy (endpoint-independent)");
	says(t, 1, "bob opens 256 sockets toward alice's mapping 198.51.100.10:4000");
	says(t, 2, "alice probes 1024 random ports of 203.0.113.10 at 500/s");
	says(t, 3, "alice's probe 137 hit port 40123 after 274 ms");
	says(t, 4, "bob's sprayed port 40123 got alice's probe after 274 ms (256 sockets)");
	says(t, 5, "alice stops spraying: a probe hit, after 137");
	says(t, 6, "alice's spray missed: all 1024 probes went to closed ports");
	says(t, 7, "both NATs are hard: no spray (1024 probes would succeed with probability "
		   "0.03 %): relayed");
	assert_string_equal(lab_trace_client_name(LAB_TRC_SPRAY_HIT), "spray_hit");
	/* the budget the run gave the clients is the one quoted */
	t->spray_probes = 4096;
	says(t, 7, "4096 probes would succeed with probability 0.40 %");
	free(t);
}

/* --nat-sessions: the refusal names the full table and what it refused. */
static void test_session_refused(void **state)
{
	struct lab_trace *t = trace_new();

	(void)state;
	t->sessions = 8;
	pkt(t, 1000, LAB_NODE_RA, LAB_AT_IN, IPPROTO_UDP, 31, 64,
	    tup("10.0.1.2", 4000, "203.0.113.10", 40123));
	drop(t, 1001, LAB_NODE_RA, LAB_RULE_SESSIONS, 31, tup("10.0.1.2", 4000, "203.0.113.10", 40123));
	lab_trace_resolve(t);
	for (size_t i = 0; i < t->n; i++)
		if (t->ev[i].what == LAB_FATE_DROPPED && t->ev[i].kind == LAB_TR_PKT)
			says(t, i, "rA's session table is full (8 entries): refused alice's punch to "
				   "203.0.113.10:40123");
	assert_int_equal(t->nat[LAB_NODE_RA].drops[LAB_RULE_SESSIONS], 1);
	free(t);
}

static void test_names(void **state)
{
	struct lab_trace *t = trace_new();
	struct lab_tr_ev e = { .kind = LAB_TR_CLIENT, .what = LAB_TRC_PUNCH, .side = 1, .ttl = 2,
			       .a = tup("10.0.2.2", 4000, "198.51.100.10", 4000) };
	enum lab_tr_rule rule;
	char small[8];

	(void)state;
	for (int r = LAB_RULE_NONE + 1; r < LAB_RULE_COUNT; r++) {
		assert_int_equal(lab_trace_rule_find(lab_trace_rule_name(r)), r);
		assert_int_equal(lab_trace_at_find(lab_trace_rule_name(r), &rule), LAB_AT_DROP);
		assert_int_equal(rule, r);
		assert_true(lab_trace_rule_why(r)[0]);
	}
	assert_int_equal(lab_trace_at_find("in", &rule), LAB_AT_IN);
	assert_int_equal(lab_trace_at_find("out", &rule), LAB_AT_OUT);
	assert_int_equal(lab_trace_at_find("nope", &rule), LAB_AT_COUNT);
	for (int f = 0; f < LAB_FATE_COUNT; f++)
		assert_true(lab_trace_fate_name(f)[0] != '?');
	for (int c = 0; c < LAB_TRC_COUNT; c++)
		assert_true(lab_trace_client_name(c)[0] != '?');
	assert_string_equal(lab_trace_map_name(LAB_CT_EV_DESTROY), "destroy");
	snprintf(e.text, sizeof(e.text), "public");
	lab_trace_add(t, &e);
	says(t, 0, "bob sends a punch to 198.51.100.10:4000 (public, ttl 2)");
	/* truncated, still terminated */
	assert_int_equal(lab_trace_describe(t, 0, small, sizeof(small)), 7);
	assert_int_equal(strlen(small), 7);
	assert_int_equal(lab_trace_describe(t, 5, small, sizeof(small)), 0);
	free(t);
}

static void test_full_counts_lost(void **state)
{
	struct lab_trace *t = trace_new();
	struct lab_tr_ev e = { .kind = LAB_TR_CLIENT, .what = LAB_TRC_OTHER };

	(void)state;
	for (int i = 0; i < LAB_TRACE_MAX + 3; i++)
		lab_trace_add(t, &e);
	assert_int_equal(t->n, LAB_TRACE_MAX);
	assert_int_equal(t->lost, 3);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_story_ttl),
		cmocka_unit_test(test_story_firewall),
		cmocka_unit_test(test_story_clash),
		cmocka_unit_test(test_unroutable_and_repeats),
		cmocka_unit_test(test_read_order),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_story_spray),
		cmocka_unit_test(test_session_refused),
		cmocka_unit_test(test_full_counts_lost),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
