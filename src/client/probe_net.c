// SPDX-License-Identifier: MIT
/* hpclient --probe: the RFC 5780 tests over a real UDP socket. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "crypto.h"
#include "client/netio.h"
#include "client/probe.h"

#define PROBE_TRIES    3
#define PROBE_FIRST_MS 100 /* then 200, 400: a lost answer costs 700 ms */
#define PROBE_MAX_RTO_MS 1000

struct probe_net {
	int fd;
	uint64_t deadline; /* --timeout bounds the whole probe */
	volatile sig_atomic_t *stop;
};

/* Waits until `until` for the answer with txid; 1 = got it, 0 = not yet. */
static int probe_net_wait(struct probe_net *n, const uint8_t txid[STUN_TXID_LEN], uint64_t until,
			  struct stun_response *resp, struct hp_endpoint *from)
{
	uint8_t buf[HP_MAX_DATAGRAM + 1];
	struct pollfd pfd = { .fd = n->fd, .events = POLLIN };
	struct timespec ts;
	sigset_t none;
	uint64_t now;
	ssize_t len;

	sigemptyset(&none);
	while ((now = hp_clock_ms()) < until) {
		if (*n->stop)
			return -EINTR;
		ts.tv_sec = (time_t)((until - now) / 1000);
		ts.tv_nsec = (long)((until - now) % 1000) * 1000000L;
		if (ppoll(&pfd, 1, &ts, &none) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!(pfd.revents & POLLIN))
			continue;
		len = netio_recv(n->fd, buf, sizeof(buf), from);
		if (len < 0 || (size_t)len > HP_MAX_DATAGRAM)
			continue; /* ICMP errors, strays: keep waiting */
		if (stun_parse_response(resp, buf, (size_t)len) == 0 &&
		    !memcmp(resp->txid, txid, STUN_TXID_LEN))
			return 1;
	}
	return 0;
}

/*
 * A plain request must be answered: it is retransmitted (RFC 8489 s.6.2.1
 * style, doubling, capped at 1 s) until the probe's deadline, so a slow
 * first path (neighbour discovery, a lost datagram) is not mistaken for a
 * dead server. A CHANGE-REQUEST may rightly go unanswered (the NAT filters
 * the answer): three tries, 700 ms, then "not answered".
 */
static int probe_net_exchange(void *ctx, const struct hp_endpoint *to, uint32_t change_flags,
			      struct stun_response *resp, struct hp_endpoint *from)
{
	struct probe_net *n = ctx;
	uint8_t req[STUN_ANSWER_MAX], txid[STUN_TXID_LEN];
	uint64_t wait = PROBE_FIRST_MS, until;
	int len, i, ret;

	hp_crypto_random(txid, sizeof(txid));
	/* hpserver's answer is no longer than the request: padded (RFC 5780
	 * s.7.6) to the longest answer, it carries OTHER-ADDRESS and
	 * RESPONSE-ORIGIN (docs/protocol.md, "Anti-amplification") */
	len = stun_build_request_padded(req, sizeof(req), txid, change_flags, sizeof(req));
	if (len < 0)
		return len;
	for (i = 0; change_flags == 0 || i < PROBE_TRIES; i++) {
		if (hp_clock_ms() >= n->deadline)
			break;
		ret = netio_send(n->fd, to, req, (size_t)len, 0);
		if (ret < 0 && ret != -ECONNREFUSED)
			return ret;
		until = hp_clock_ms() + wait;
		if (until > n->deadline)
			until = n->deadline;
		ret = probe_net_wait(n, txid, until, resp, from);
		if (ret != 0)
			return ret < 0 ? ret : 0;
		wait = wait * 2 > PROBE_MAX_RTO_MS ? PROBE_MAX_RTO_MS : wait * 2;
	}
	return -ETIMEDOUT;
}

/* Our address as routing picks it towards the server, with our port. */
static int probe_local(const struct hp_endpoint *server, uint16_t port, struct hp_endpoint *local)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, ret;

	ret = hp_endpoint_to_sockaddr(server, &ss, &sl);
	if (ret < 0)
		return ret;
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ret = 0;
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0)
		ret = -errno;
	sl = sizeof(ss);
	if (!ret && getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		ret = -errno;
	if (!ret)
		ret = hp_endpoint_from_sockaddr(local, (struct sockaddr *)&ss, sl);
	close(fd);
	if (!ret)
		local->port = port;
	return ret;
}

int probe_run(const struct client_opts *o, volatile sig_atomic_t *stop)
{
	struct output out = { .json = o->json, .quiet = o->quiet, .verbose = o->verbose };
	struct hp_endpoint server, local;
	struct probe_result res;
	struct probe_net n = { .fd = -1, .stop = stop };
	struct probe_io io = { .exchange = probe_net_exchange, .ctx = &n };
	uint16_t port;
	uint64_t t0 = hp_clock_ms();
	int ret, code = 1;

	if (hp_crypto_init() < 0) {
		out_error(&out, "libsodium initialisation failed");
		goto out;
	}
	if (netio_resolve(&server, o->server_host, o->server_port) < 0) {
		out_error(&out, "cannot resolve server '%s' (IPv4 address or name)", o->server_host);
		goto out;
	}
	n.fd = netio_open(o->port, &port);
	if (n.fd < 0) {
		out_error(&out, "cannot bind UDP port %u: %s", o->port, strerror(-n.fd));
		goto out;
	}
	if (probe_local(&server, port, &local) < 0)
		memset(&local, 0, sizeof(local));
	n.deadline = t0 + (uint64_t)o->timeout_s * 1000;
	ret = probe_discover(&io, &server, local.family ? &local : NULL, &res);
	if (ret == -EINTR) {
		code = 0;
		goto out;
	}
	if (ret < 0) {
		out_error(&out, "%s", res.error);
		goto out;
	}
	out_probe(&out, probe_behaviour_name(res.mapping), probe_behaviour_name(res.filtering),
		  &res.mapped, probe_nat_name(&res), hp_clock_ms() - t0);
	code = 0;
out:
	if (n.fd >= 0)
		close(n.fd);
	return code;
}
