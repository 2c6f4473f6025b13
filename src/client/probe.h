/* SPDX-License-Identifier: MIT */
#ifndef HPCLIENT_PROBE_H
#define HPCLIENT_PROBE_H

/*
 * NAT behaviour discovery, RFC 5780 s.4.3 (mapping) and s.4.4 (filtering),
 * against a STUN server with a second address and port (hpserver
 * --alt-addr). The tests run from one local socket in rounds, so that no
 * test disturbs a later one: the filtering round first (its three
 * requests all go to the primary address, so nothing else is open in our
 * NAT when the answers from the other address and port come back), then
 * the mapping's (to the other address), the second of them only if the
 * first leaves the mapping open. A round's requests go out at once, each
 * with its own transaction id, and the verdict is taken as soon as the
 * outcomes so far prove it.
 *
 * The verdict logic talks to the network only through struct probe_io, so
 * it can be tested with a scripted fake.
 */

#include <signal.h>
#include <stdint.h>

#include "client/opts.h"
#include "client/output.h"
#include "endpoint.h"
#include "stun.h"

enum probe_behaviour {
	PROBE_EI,  /* endpoint-independent */
	PROBE_AD,  /* address-dependent */
	PROBE_APD, /* address-and-port-dependent */
	PROBE_BEHAVIOURS
};

/* The tests, in the order they start (probe.c's table says what each is). */
enum probe_test {
	PROBE_T_BIND,        /* primary address: M1 and OTHER-ADDRESS */
	PROBE_T_CHANGE_BOTH, /* filtering II: answer from the other address and port */
	PROBE_T_CHANGE_PORT, /* filtering III: answer from the other port */
	PROBE_T_ALT_ADDR,    /* mapping II: other address, primary port */
	PROBE_T_ALT_BOTH,    /* mapping III: other address and port */
	PROBE_TESTS
};

struct probe_io {
	/*
	 * Starts test `test`: one Binding request to `to` (CHANGE-REQUEST
	 * flags, 0 = none), retransmitted until its outcome. A request
	 * without flags must be answered (it is retried until the probe's
	 * deadline); one with flags may rightly go unanswered (the NAT
	 * filters the answer), and is given up after a wait. 0 or -errno.
	 */
	int (*start)(void *ctx, enum probe_test test, const struct hp_endpoint *to,
		     uint32_t change_flags);
	/* No more retransmissions of test, and its outcome is not wanted. */
	void (*stop)(void *ctx, enum probe_test test);
	/*
	 * Waits for the next outcome of a started test: *test is set and the
	 * return is 0 with *resp and the answer's source *from filled, or
	 * -ETIMEDOUT when it went unanswered. Another -errno: the probe
	 * cannot go on (-EINTR: a signal asked it to stop).
	 */
	int (*next)(void *ctx, enum probe_test *test, struct stun_response *resp,
		    struct hp_endpoint *from);
	void *ctx;
};

struct probe_result {
	enum probe_behaviour mapping, filtering;
	struct hp_endpoint mapped;  /* M1: our public endpoint towards the server */
	struct hp_endpoint other;   /* the server's OTHER-ADDRESS */
	bool no_nat;                /* mapped == our local endpoint */
	char error[200];            /* why the probe failed, when it returns < 0;
				     * the lab reads up to 199 bytes (event.h) */
};

/*
 * Runs the tests against server. local is our own address and port as
 * seen by the routing towards server. Returns 0 or -errno with
 * res->error set.
 */
int probe_discover(const struct probe_io *io, const struct hp_endpoint *server,
		   const struct hp_endpoint *local, struct probe_result *res);

const char *probe_behaviour_name(enum probe_behaviour b);
/* Classic (RFC 3489) name: full-cone, restricted-cone, port-restricted,
 * symmetric, none, other. */
const char *probe_nat_name(const struct probe_result *res);

/* hpclient --probe: the whole run, with a real socket. Returns the exit code. */
int probe_run(const struct client_opts *o, volatile sig_atomic_t *stop);

#endif
