/* SPDX-License-Identifier: MIT */
#ifndef HPCLIENT_PROBE_H
#define HPCLIENT_PROBE_H

/*
 * NAT behaviour discovery, RFC 5780 s.4.3 (mapping) and s.4.4 (filtering),
 * against a STUN server with a second address and port (hpserver
 * --alt-addr). The tests run from one local socket in an order where no
 * test disturbs a later one: filtering first (only the primary address has
 * been contacted, so nothing else is open in our NAT), then mapping.
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
};

struct probe_io {
	/*
	 * One Binding request to `to` (CHANGE-REQUEST flags, 0 = none), with
	 * retransmissions. 0 with *resp and the answer's source *from filled,
	 * -ETIMEDOUT when nothing came back, another -errno on failure.
	 */
	int (*exchange)(void *ctx, const struct hp_endpoint *to, uint32_t change_flags,
			struct stun_response *resp, struct hp_endpoint *from);
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
