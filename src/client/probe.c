// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "client/probe.h"

/* Bits of `to` and `flags` below: which half of the server's other
 * endpoint replaces the primary's (RFC 5780 s.7.2 CHANGE-REQUEST's). */
#define ALT_ADDR STUN_CHANGE_IP
#define ALT_PORT STUN_CHANGE_PORT

/*
 * The tests (RFC 5780 s.4.3, s.4.4): where each request goes (`to`), the
 * CHANGE-REQUEST it carries (`flags`: where its answer must come from)
 * and its round. A round's requests go out together, when the verdict
 * first needs one of them. Round 0 (filtering) sends only to the primary
 * address; the verdict needs round 1 (to the other address) only once
 * the filtering is known, and round 2 only if M2 differs from M1: a
 * request that cannot change the verdict is not sent, since every
 * destination contacted changes what the NAT holds (docs/nat-types.md).
 */
static const struct probe_test_row {
	unsigned to, flags, round;
} probe_tests[PROBE_TESTS] = {
	[PROBE_T_BIND] = { 0, 0, 0 },
	[PROBE_T_CHANGE_BOTH] = { 0, ALT_ADDR | ALT_PORT, 0 },
	[PROBE_T_CHANGE_PORT] = { 0, ALT_PORT, 0 },
	[PROBE_T_ALT_ADDR] = { ALT_ADDR, 0, 1 },
	[PROBE_T_ALT_BOTH] = { ALT_ADDR | ALT_PORT, 0, 2 },
};

/* What became of a test: one setter, probe_settle(). */
enum probe_outcome { PROBE_NOT_STARTED, PROBE_PENDING, PROBE_ANSWERED, PROBE_UNANSWERED };

struct probe_state {
	const struct probe_io *io;
	const struct hp_endpoint *server;
	enum probe_test need;           /* what the verdict waits for, on -EAGAIN */
	enum probe_outcome out[PROBE_TESTS];
	struct stun_response resp[PROBE_TESTS];
	struct hp_endpoint from[PROBE_TESTS];
};

static const char *const behaviour_names[PROBE_BEHAVIOURS] = {
	[PROBE_EI] = "endpoint-independent",
	[PROBE_AD] = "address-dependent",
	[PROBE_APD] = "address-and-port-dependent",
};

const char *probe_behaviour_name(enum probe_behaviour b)
{
	return (unsigned)b < PROBE_BEHAVIOURS ? behaviour_names[b] : "?";
}

const char *probe_nat_name(const struct probe_result *res)
{
	if (res->no_nat)
		return "none";
	if (res->mapping == PROBE_EI) {
		if (res->filtering == PROBE_EI)
			return "full-cone";
		return res->filtering == PROBE_AD ? "restricted-cone" : "port-restricted";
	}
	/* a mapping per destination: symmetric, unless anyone may send in */
	return res->filtering == PROBE_EI ? "other" : "symmetric";
}

__attribute__((format(printf, 3, 4)))
static int probe_fail(struct probe_result *res, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(res->error, sizeof(res->error), fmt, ap);
	va_end(ap);
	return err;
}

/* server with the halves named by bits taken from the other endpoint. */
static struct hp_endpoint probe_endpoint(const struct probe_state *st,
					 const struct probe_result *res, unsigned bits)
{
	struct hp_endpoint e = *st->server;

	if (bits & ALT_ADDR) {
		e.family = res->other.family;
		memcpy(e.addr, res->other.addr, sizeof(e.addr));
	}
	if (bits & ALT_PORT)
		e.port = res->other.port;
	return e;
}

static void probe_settle(struct probe_state *st, enum probe_test t, enum probe_outcome o)
{
	st->out[t] = o;
}

/* -EAGAIN with st->need = t if t has no outcome yet, else 0. */
static int probe_wait(struct probe_state *st, enum probe_test t)
{
	if (st->out[t] != PROBE_NOT_STARTED && st->out[t] != PROBE_PENDING)
		return 0;
	st->need = t;
	return -EAGAIN;
}

/* A test that must be answered with a mapped address: 0, -EAGAIN while
 * it is open, or -errno with res->error. */
static int probe_need(struct probe_state *st, enum probe_test t, struct probe_result *res)
{
	char b[HP_ENDPOINT_STRLEN];
	struct hp_endpoint to = probe_endpoint(st, res, probe_tests[t].to);

	if (probe_wait(st, t) < 0)
		return -EAGAIN;
	hp_endpoint_format(&to, b, sizeof(b));
	if (st->out[t] != PROBE_ANSWERED)
		return probe_fail(res, -ETIMEDOUT, "no answer from STUN server %s", b);
	if (st->resp[t].type != STUN_BINDING_SUCCESS || !st->resp[t].has_mapped)
		return probe_fail(res, -EPROTO, "STUN server %s answered without a mapped address", b);
	return 0;
}

/*
 * A CHANGE-REQUEST test: 1 answered, 0 not, -EAGAIN still open. An answer
 * counts only if it came from the address the request asked for: a
 * server answering from the same address would make every NAT look
 * endpoint-independent.
 */
static int probe_changed(struct probe_state *st, enum probe_test t, struct probe_result *res)
{
	struct hp_endpoint want = probe_endpoint(st, res, probe_tests[t].flags);

	if (probe_wait(st, t) < 0)
		return -EAGAIN;
	if (st->out[t] != PROBE_ANSWERED)
		return 0;
	if (st->resp[t].type != STUN_BINDING_SUCCESS)
		return probe_fail(res, -EPROTO, "%s", "server refused CHANGE-REQUEST");
	if (!hp_endpoint_equal(&st->from[t], &want))
		return probe_fail(res, -EPROTO, "%s",
				  "server answered CHANGE-REQUEST from the wrong address");
	return 1;
}

/* Test I's answer: M1 and the server's other address. */
static int probe_primary(struct probe_state *st, const struct hp_endpoint *local,
			 struct probe_result *res)
{
	const struct stun_response *r = &st->resp[PROBE_T_BIND];
	const struct hp_endpoint *server = st->server;
	char b[HP_ENDPOINT_STRLEN];
	int ret = probe_need(st, PROBE_T_BIND, res);

	if (ret < 0)
		return ret;
	res->mapped = r->mapped;
	res->no_nat = local && hp_endpoint_equal(&r->mapped, local);
	/* RFC 5780 s.4.2: OTHER-ADDRESS is how a server says it supports
	 * NAT behaviour discovery; the server may be any STUN server */
	if (!r->has_other)
		return probe_fail(res, -ENOTSUP,
				  "STUN server %s has no alternate address (RFC 5780 OTHER-ADDRESS "
				  "missing): it does not support NAT behaviour discovery; hpserver "
				  "needs --alt-addr", hp_endpoint_format(server, b, sizeof(b)));
	res->other = r->other;
	if (r->other.family != server->family || hp_endpoint_same_addr(&r->other, server) ||
	    r->other.port == server->port)
		return probe_fail(res, -EPROTO, "%s",
				  "server's OTHER-ADDRESS differs from it in address or port only");
	return 0;
}

/*
 * The filtering, as soon as the outcomes prove it: an answer from the
 * other address and port is endpoint-independent filtering whatever test
 * III says; without it, test III decides. 0, -EAGAIN (not yet), -errno.
 */
static int probe_filtering(struct probe_state *st, const struct hp_endpoint *local,
			   struct probe_result *res)
{
	int ret = probe_primary(st, local, res);

	if (ret < 0)
		return ret;
	ret = probe_changed(st, PROBE_T_CHANGE_BOTH, res);
	if (ret < 0)
		return ret;
	if (ret) {
		res->filtering = PROBE_EI;
		return 0;
	}
	ret = probe_changed(st, PROBE_T_CHANGE_PORT, res);
	if (ret < 0)
		return ret;
	res->filtering = ret ? PROBE_AD : PROBE_APD;
	return 0;
}

/* The mapping: M2 = M1 is endpoint-independent, and M3 is not asked
 * for; otherwise M3 = M2 is address-dependent. */
static int probe_mapping(struct probe_state *st, struct probe_result *res)
{
	const struct hp_endpoint *m2 = &st->resp[PROBE_T_ALT_ADDR].mapped;
	int ret = probe_need(st, PROBE_T_ALT_ADDR, res);

	if (ret < 0)
		return ret;
	if (hp_endpoint_equal(m2, &res->mapped)) {
		res->mapping = PROBE_EI;
		return 0;
	}
	ret = probe_need(st, PROBE_T_ALT_BOTH, res);
	if (ret < 0)
		return ret;
	res->mapping = hp_endpoint_equal(&st->resp[PROBE_T_ALT_BOTH].mapped, m2) ? PROBE_AD :
										    PROBE_APD;
	return 0;
}

/* The whole verdict: 0, -EAGAIN (st->need says for what) or -errno.
 * Filtering first: the mapping's requests may open holes. */
static int probe_judge(struct probe_state *st, const struct hp_endpoint *local,
		       struct probe_result *res)
{
	int ret = probe_filtering(st, local, res);

	return ret < 0 ? ret : probe_mapping(st, res);
}

/* One outcome from the io into the state; a stray one (a test already
 * settled or stopped) is dropped. */
static int probe_take(struct probe_state *st, struct probe_result *res)
{
	struct stun_response resp;
	struct hp_endpoint from;
	enum probe_test t = PROBE_TESTS;
	int ret = st->io->next(st->io->ctx, &t, &resp, &from);

	if (ret < 0 && ret != -ETIMEDOUT && (unsigned)t < PROBE_TESTS) {
		char b[HP_ENDPOINT_STRLEN];
		struct hp_endpoint to = probe_endpoint(st, res, probe_tests[t].to);

		return probe_fail(res, ret, "cannot reach STUN server %s: %s",
				  hp_endpoint_format(&to, b, sizeof(b)), strerror(-ret));
	}
	if (ret < 0 && ret != -ETIMEDOUT)
		return probe_fail(res, ret, "STUN exchange failed: %s", strerror(-ret));
	if ((unsigned)t >= PROBE_TESTS || st->out[t] != PROBE_PENDING)
		return 0;
	if (ret == -ETIMEDOUT) {
		probe_settle(st, t, PROBE_UNANSWERED);
		return 0;
	}
	st->resp[t] = resp;
	st->from[t] = from;
	probe_settle(st, t, PROBE_ANSWERED);
	return 0;
}

/* Round `round`'s requests, all at once; what earlier rounds left open
 * is stopped: the verdict has moved past it. */
static int probe_start_round(struct probe_state *st, unsigned round, struct probe_result *res)
{
	char b[HP_ENDPOINT_STRLEN];
	unsigned t;
	int ret;

	for (t = 0; t < PROBE_TESTS; t++)
		if (st->out[t] == PROBE_PENDING && probe_tests[t].round != round) {
			st->io->stop(st->io->ctx, (enum probe_test)t);
			probe_settle(st, (enum probe_test)t, PROBE_NOT_STARTED);
		}
	for (t = 0; t < PROBE_TESTS; t++) {
		struct hp_endpoint to = probe_endpoint(st, res, probe_tests[t].to);

		if (probe_tests[t].round != round || st->out[t] != PROBE_NOT_STARTED)
			continue;
		ret = st->io->start(st->io->ctx, (enum probe_test)t, &to, probe_tests[t].flags);
		if (ret < 0)
			return probe_fail(res, ret, "cannot reach STUN server %s",
					  hp_endpoint_format(&to, b, sizeof(b)));
		probe_settle(st, (enum probe_test)t, PROBE_PENDING);
	}
	return 0;
}

int probe_discover(const struct probe_io *io, const struct hp_endpoint *server,
		   const struct hp_endpoint *local, struct probe_result *res)
{
	struct probe_state st = { .io = io, .server = server };
	unsigned t;
	int ret;

	memset(res, 0, sizeof(*res));
	while ((ret = probe_judge(&st, local, res)) == -EAGAIN) {
		if (st.out[st.need] == PROBE_NOT_STARTED)
			ret = probe_start_round(&st, probe_tests[st.need].round, res);
		else
			ret = probe_take(&st, res);
		if (ret < 0)
			break;
	}
	for (t = 0; t < PROBE_TESTS; t++)
		if (st.out[t] == PROBE_PENDING)
			io->stop(io->ctx, (enum probe_test)t);
	return ret;
}
