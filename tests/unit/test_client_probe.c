// SPDX-License-Identifier: MIT
/*
 * The RFC 5780 verdict logic against a simulated NAT and server (no
 * sockets): for every mapping x filtering behaviour, the probe must find
 * exactly the behaviour the simulated NAT has, and its tests must not
 * disturb one another (a filtering test whose answer comes back after a
 * mapping test went out would see holes the mapping test opened). The
 * fake NAT opens its holes when a request starts and judges each answer
 * when it is delivered, so a probe that started the mapping tests too
 * early would be caught; answers come before the "not answered" verdicts
 * (those wait), in start order or, with `reverse`, the other way round.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "client/probe.h"

#define MAX_HOLES 16

struct fake {
	/* server: sockets 0..3 as in hpserver (bit 1 other IP, bit 0 other port) */
	struct hp_endpoint sock[4];
	bool has_other, silent, wrong_source;
	bool reverse;       /* deliver answers last started first */
	/* NAT */
	enum probe_behaviour mapping, filtering;
	bool no_nat;
	struct hp_endpoint local;
	struct hp_endpoint holes[MAX_HOLES]; /* destinations we have sent to */
	size_t n_holes;
	unsigned calls;     /* requests started */
	unsigned outcomes;  /* outcomes delivered */
	/* started tests without an outcome, in start order */
	struct {
		enum probe_test test;
		struct hp_endpoint to;
		uint32_t flags;
	} open[PROBE_TESTS];
	size_t n_open;
};

static struct hp_endpoint ep(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
{
	struct hp_endpoint e = { .family = HP_FAMILY_V4, .port = port, .addr = { a, b, c, d } };

	return e;
}

static int fake_sock_of(const struct fake *f, const struct hp_endpoint *to)
{
	int i;

	for (i = 0; i < 4; i++)
		if (hp_endpoint_equal(&f->sock[i], to))
			return i;
	return -1;
}

/* Public endpoint the NAT uses towards `to`. */
static struct hp_endpoint fake_map(const struct fake *f, const struct hp_endpoint *to)
{
	struct hp_endpoint pub = ep(203, 0, 113, 7, 40000);

	if (f->no_nat)
		return f->local;
	if (f->mapping == PROBE_AD)
		pub.port = (uint16_t)(40000 + to->addr[3]);
	else if (f->mapping == PROBE_APD)
		pub.port = (uint16_t)(40000 + to->addr[3] * 100 + to->port % 100);
	return pub;
}

static bool fake_filter_passes(const struct fake *f, const struct hp_endpoint *src)
{
	size_t i;

	if (f->no_nat || f->filtering == PROBE_EI)
		return true;
	for (i = 0; i < f->n_holes; i++) {
		if (f->filtering == PROBE_AD && hp_endpoint_same_addr(&f->holes[i], src))
			return true;
		if (f->filtering == PROBE_APD && hp_endpoint_equal(&f->holes[i], src))
			return true;
	}
	return false;
}

static int fake_start(void *ctx, enum probe_test test, const struct hp_endpoint *to,
		      uint32_t flags)
{
	struct fake *f = ctx;

	f->calls++;
	assert_true(f->n_holes < MAX_HOLES);
	assert_true(f->n_open < PROBE_TESTS);
	f->holes[f->n_holes++] = *to; /* sending opens the NAT towards `to` */
	f->open[f->n_open].test = test;
	f->open[f->n_open].to = *to;
	f->open[f->n_open].flags = flags;
	f->n_open++;
	return 0;
}

static void fake_drop(struct fake *f, size_t i)
{
	memmove(&f->open[i], &f->open[i + 1], (f->n_open - i - 1) * sizeof(f->open[0]));
	f->n_open--;
}

static void fake_stop(void *ctx, enum probe_test test)
{
	struct fake *f = ctx;
	size_t i;

	for (i = 0; i < f->n_open && f->open[i].test != test; i++)
		;
	assert_true(i < f->n_open); /* only what is open is stopped */
	fake_drop(f, i);
}

/* The answer to open request i as the NAT lets it in now; 0 = none. */
static int fake_answer(const struct fake *f, size_t i, struct stun_response *resp,
		       struct hp_endpoint *from)
{
	int in = fake_sock_of(f, &f->open[i].to), out;

	if (in < 0 || f->silent)
		return 0;
	out = in;
	if (f->open[i].flags & STUN_CHANGE_IP)
		out ^= 2;
	if (f->open[i].flags & STUN_CHANGE_PORT)
		out ^= 1;
	if (f->wrong_source)
		out = in;
	if (!fake_filter_passes(f, &f->sock[out]))
		return 0;
	memset(resp, 0, sizeof(*resp));
	resp->type = STUN_BINDING_SUCCESS;
	resp->has_mapped = 1;
	resp->mapped = fake_map(f, &f->open[i].to);
	resp->has_other = f->has_other;
	resp->other = f->sock[in ^ 3];
	*from = f->sock[out];
	return 1;
}

static int fake_next(void *ctx, enum probe_test *test, struct stun_response *resp,
		     struct hp_endpoint *from)
{
	struct fake *f = ctx;
	size_t k, i;

	assert_true(f->n_open > 0); /* never waits for nothing */
	f->outcomes++;
	for (k = 0; k < f->n_open; k++) {
		i = f->reverse ? f->n_open - 1 - k : k;
		if (fake_answer(f, i, resp, from)) {
			*test = f->open[i].test;
			fake_drop(f, i);
			return 0;
		}
	}
	*test = f->open[0].test;
	fake_drop(f, 0);
	return -ETIMEDOUT;
}

static void fake_init(struct fake *f, enum probe_behaviour m, enum probe_behaviour flt)
{
	memset(f, 0, sizeof(*f));
	f->sock[0] = ep(198, 51, 100, 1, 3478);
	f->sock[1] = ep(198, 51, 100, 1, 3479);
	f->sock[2] = ep(198, 51, 100, 2, 3478);
	f->sock[3] = ep(198, 51, 100, 2, 3479);
	f->has_other = true;
	f->mapping = m;
	f->filtering = flt;
	f->local = ep(10, 0, 1, 2, 4000);
}

static void test_every_nat_behaviour_found(void **state)
{
	static const char *const names[3][3] = {
		{ "full-cone", "restricted-cone", "port-restricted" },
		{ "other", "symmetric", "symmetric" },
		{ "other", "symmetric", "symmetric" },
	};
	/* outcomes each round waits for, answers in start order: an answer
	 * from the other address and port proves EI filtering without test
	 * III's, M2 = M1 proves EI mapping without M3 */
	static const unsigned filtering_outcomes[3] = { 2, 3, 3 };
	static const unsigned mapping_outcomes[3] = { 1, 2, 2 };
	struct probe_io io = { .start = fake_start, .stop = fake_stop, .next = fake_next };
	struct probe_result res;
	struct fake f;
	int m, flt, rev;

	(void)state;
	for (rev = 0; rev < 2; rev++) {
		for (m = PROBE_EI; m <= PROBE_APD; m++) {
			for (flt = PROBE_EI; flt <= PROBE_APD; flt++) {
				fake_init(&f, (enum probe_behaviour)m, (enum probe_behaviour)flt);
				f.reverse = rev;
				io.ctx = &f;
				assert_int_equal(probe_discover(&io, &f.sock[0], &f.local, &res), 0);
				assert_int_equal(res.mapping, m);
				assert_int_equal(res.filtering, flt);
				assert_false(res.no_nat);
				assert_true(hp_endpoint_equal(&res.other, &f.sock[3]));
				assert_string_equal(probe_nat_name(&res), names[m][flt]);
				/* every test once, but M3 only when M2 differs
				 * from M1; nothing left open */
				assert_int_equal(f.calls, m == PROBE_EI ? 4 : 5);
				assert_int_equal(f.n_open, 0);
				if (!rev)
					assert_int_equal(f.outcomes, filtering_outcomes[flt] +
									 mapping_outcomes[m]);
			}
		}
	}
}

static void test_no_nat_reported_as_none(void **state)
{
	struct probe_io io = { .start = fake_start, .stop = fake_stop, .next = fake_next };
	struct probe_result res;
	struct fake f;

	(void)state;
	fake_init(&f, PROBE_EI, PROBE_EI);
	f.no_nat = true;
	io.ctx = &f;
	assert_int_equal(probe_discover(&io, &f.sock[0], &f.local, &res), 0);
	assert_true(res.no_nat);
	assert_int_equal(res.mapping, PROBE_EI);
	assert_int_equal(res.filtering, PROBE_EI);
	assert_string_equal(probe_nat_name(&res), "none");
	assert_true(hp_endpoint_equal(&res.mapped, &f.local));
}

static void test_server_errors(void **state)
{
	struct probe_io io = { .start = fake_start, .stop = fake_stop, .next = fake_next };
	struct probe_result res;
	struct fake f;

	(void)state;
	fake_init(&f, PROBE_EI, PROBE_EI);
	f.has_other = false;
	io.ctx = &f;
	assert_int_equal(probe_discover(&io, &f.sock[0], &f.local, &res), -ENOTSUP);
	assert_string_equal(res.error,
			    "STUN server 198.51.100.1:3478 has no alternate address (RFC 5780 "
			    "OTHER-ADDRESS missing): it does not support NAT behaviour discovery; "
			    "hpserver needs --alt-addr");

	fake_init(&f, PROBE_EI, PROBE_EI);
	f.silent = true;
	io.ctx = &f;
	assert_int_equal(probe_discover(&io, &f.sock[0], &f.local, &res), -ETIMEDOUT);
	assert_string_equal(res.error, "no answer from STUN server 198.51.100.1:3478");

	/* a server answering CHANGE-REQUEST from its own address would make
	 * every NAT look open: refused, not believed */
	for (int rev = 0; rev < 2; rev++) {
		fake_init(&f, PROBE_EI, PROBE_EI);
		f.wrong_source = true;
		f.reverse = rev; /* the wrong answer before test I's, too */
		io.ctx = &f;
		assert_int_equal(probe_discover(&io, &f.sock[0], &f.local, &res), -EPROTO);
		assert_string_equal(res.error, "server answered CHANGE-REQUEST from the wrong address");
		assert_int_equal(f.n_open, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_nat_behaviour_found),
		cmocka_unit_test(test_no_nat_reported_as_none),
		cmocka_unit_test(test_server_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
