// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "client/probe.h"

const char *probe_behaviour_name(enum probe_behaviour b)
{
	switch (b) {
	case PROBE_EI:  return "endpoint-independent";
	case PROBE_AD:  return "address-dependent";
	default:        return "address-and-port-dependent";
	}
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

/* One exchange that must be answered with a mapped address. */
static int probe_need(const struct probe_io *io, const struct hp_endpoint *to, uint32_t flags,
		      struct stun_response *resp, struct hp_endpoint *from,
		      struct probe_result *res)
{
	char b[HP_ENDPOINT_STRLEN];
	int ret = io->exchange(io->ctx, to, flags, resp, from);

	hp_endpoint_format(to, b, sizeof(b));
	if (ret == -ETIMEDOUT)
		return probe_fail(res, ret, "no answer from STUN server %s", b);
	if (ret < 0)
		return probe_fail(res, ret, "cannot reach STUN server %s", b);
	if (resp->type != STUN_BINDING_SUCCESS || !resp->has_mapped)
		return probe_fail(res, -EPROTO, "STUN server %s answered without a mapped address", b);
	return 0;
}

/*
 * A CHANGE-REQUEST answer counts only if it came from the address the
 * request asked for: a server answering from the same address would make
 * every NAT look endpoint-independent. 1 = answered, 0 = not.
 */
static int probe_changed(const struct probe_io *io, const struct hp_endpoint *server,
			 const struct hp_endpoint *want_from, uint32_t flags,
			 struct probe_result *res)
{
	struct stun_response resp;
	struct hp_endpoint from;
	int ret = io->exchange(io->ctx, server, flags, &resp, &from);

	if (ret == -ETIMEDOUT)
		return 0;
	if (ret < 0)
		return probe_fail(res, ret, "%s", "STUN exchange failed");
	if (resp.type != STUN_BINDING_SUCCESS)
		return probe_fail(res, -EPROTO, "%s", "server refused CHANGE-REQUEST");
	if (!hp_endpoint_equal(&from, want_from))
		return probe_fail(res, -EPROTO, "%s",
				  "server answered CHANGE-REQUEST from the wrong address");
	return 1;
}

int probe_discover(const struct probe_io *io, const struct hp_endpoint *server,
		   const struct hp_endpoint *local, struct probe_result *res)
{
	struct stun_response resp;
	struct hp_endpoint from, alt_ip, alt_port, m2, m3;
	int ret;

	memset(res, 0, sizeof(*res));
	/* filtering, test I: the mapping M1 and the server's other address */
	ret = probe_need(io, server, 0, &resp, &from, res);
	if (ret < 0)
		return ret;
	res->mapped = resp.mapped;
	res->no_nat = local && hp_endpoint_equal(&resp.mapped, local);
	/* RFC 5780 s.4.2: OTHER-ADDRESS is how a server says it supports
	 * NAT behaviour discovery; the server may be any STUN server */
	if (!resp.has_other) {
		char b[HP_ENDPOINT_STRLEN];

		return probe_fail(res, -ENOTSUP,
				  "STUN server %s has no alternate address (RFC 5780 OTHER-ADDRESS "
				  "missing): it does not support NAT behaviour discovery; hpserver "
				  "needs --alt-addr", hp_endpoint_format(server, b, sizeof(b)));
	}
	res->other = resp.other;
	if (resp.other.family != server->family || hp_endpoint_same_addr(&resp.other, server) ||
	    resp.other.port == server->port)
		return probe_fail(res, -EPROTO, "%s",
				  "server's OTHER-ADDRESS differs from it in address or port only");

	/* test II: answer from the other address and port */
	ret = probe_changed(io, server, &resp.other, STUN_CHANGE_IP | STUN_CHANGE_PORT, res);
	if (ret < 0)
		return ret;
	if (ret) {
		res->filtering = PROBE_EI;
	} else {
		/* test III: same address, other port */
		alt_port = *server;
		alt_port.port = resp.other.port;
		ret = probe_changed(io, server, &alt_port, STUN_CHANGE_PORT, res);
		if (ret < 0)
			return ret;
		res->filtering = ret ? PROBE_AD : PROBE_APD;
	}

	/* mapping, test II: other address, primary port */
	alt_ip = resp.other;
	alt_ip.port = server->port;
	ret = probe_need(io, &alt_ip, 0, &resp, &from, res);
	if (ret < 0)
		return ret;
	m2 = resp.mapped;
	if (hp_endpoint_equal(&m2, &res->mapped)) {
		res->mapping = PROBE_EI;
		return 0;
	}
	/* test III: other address, other port */
	ret = probe_need(io, &res->other, 0, &resp, &from, res);
	if (ret < 0)
		return ret;
	m3 = resp.mapped;
	res->mapping = hp_endpoint_equal(&m3, &m2) ? PROBE_AD : PROBE_APD;
	return 0;
}
