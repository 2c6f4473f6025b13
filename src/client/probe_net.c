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

/*
 * Retransmissions (RFC 8489 s.6.2.1 style): from PROBE_FIRST_MS, doubling,
 * capped at PROBE_MAX_RTO_MS. A request without CHANGE-REQUEST must be
 * answered: it is retried until the probe's deadline, so a slow first path
 * (neighbour discovery, a lost datagram) is not mistaken for a dead
 * server. One with CHANGE-REQUEST may rightly go unanswered (the NAT
 * filters the answer): it was sent with test I, whose answer gives the
 * path's round trip; it gets max(PROBE_WAIT_RTTS round trips, --probe-wait)
 * from then, in PROBE_WAIT_TRIES tries, before it counts as not answered.
 * The round trip is taken from the answered request's latest send: an
 * answer to a retransmitted request may be to any of its sends (Karn's
 * problem, RFC 6298 s.5), and timing it from the first send would count
 * the lost ones too. One lost first datagram (a neighbour not yet resolved
 * costs a second) made the wait four seconds.
 * The answers to all three come from one server, over one path, at once.
 */
#define PROBE_FIRST_MS   100
#define PROBE_MAX_RTO_MS 1000
#define PROBE_WAIT_RTTS  4
#define PROBE_WAIT_TRIES 3

/* One test's request while it has no outcome. */
struct probe_req {
	bool open;
	bool may_fail;          /* CHANGE-REQUEST: may go unanswered */
	struct hp_endpoint to;
	uint8_t txid[STUN_TXID_LEN];
	uint8_t msg[STUN_ANSWER_MAX];
	size_t len;
	uint64_t first_ms;      /* its first send */
	uint64_t last_ms;       /* its latest send */
	uint64_t next_ms;       /* its next retransmission */
	uint64_t rto_ms;
	uint64_t give_up_ms;    /* may_fail, once the round trip is known; 0: not yet */
};

struct probe_net {
	int fd;
	uint64_t deadline;      /* --timeout bounds the whole probe */
	unsigned wait_ms;       /* --probe-wait */
	bool have_rtt;
	uint64_t rtt_ms;        /* the first answer's, from its request's latest send */
	volatile sig_atomic_t *stop;
	struct probe_req req[PROBE_TESTS];
};

/* How long an unanswered CHANGE-REQUEST is given, from the first answer. */
static uint64_t probe_net_wait_ms(const struct probe_net *n)
{
	uint64_t k = PROBE_WAIT_RTTS * n->rtt_ms;

	return k > n->wait_ms ? k : n->wait_ms;
}

/* Once the round trip is known, a request that may go unanswered gets its
 * window: the rest of its tries spread over it. */
static void probe_net_window(struct probe_net *n, struct probe_req *q, uint64_t now)
{
	uint64_t w = probe_net_wait_ms(n);

	if (!q->may_fail || q->give_up_ms || !n->have_rtt)
		return;
	q->give_up_ms = (q->first_ms > now ? q->first_ms : now) + w;
	q->rto_ms = w / PROBE_WAIT_TRIES ? w / PROBE_WAIT_TRIES : 1;
	if (q->next_ms > now + q->rto_ms)
		q->next_ms = now + q->rto_ms;
}

static int probe_net_send(struct probe_net *n, struct probe_req *q, uint64_t now)
{
	int ret = netio_send(n->fd, &q->to, q->msg, q->len, 0);

	if (ret < 0 && ret != -ECONNREFUSED)
		return ret;
	q->last_ms = now;
	q->next_ms = now + q->rto_ms;
	if (!q->give_up_ms)
		q->rto_ms = q->rto_ms * 2 > PROBE_MAX_RTO_MS ? PROBE_MAX_RTO_MS : q->rto_ms * 2;
	return 0;
}

static int probe_net_start(void *ctx, enum probe_test test, const struct hp_endpoint *to,
			   uint32_t change_flags)
{
	struct probe_net *n = ctx;
	struct probe_req *q = &n->req[test];
	uint64_t now = hp_clock_ms();
	int len;

	memset(q, 0, sizeof(*q));
	hp_crypto_random(q->txid, sizeof(q->txid));
	/* hpserver's answer is no longer than the request: padded (RFC 5780
	 * s.7.6) to the longest answer, it carries OTHER-ADDRESS and
	 * RESPONSE-ORIGIN (docs/protocol.md, "Anti-amplification") */
	len = stun_build_request_padded(q->msg, sizeof(q->msg), q->txid, change_flags,
					sizeof(q->msg));
	if (len < 0)
		return len;
	q->len = (size_t)len;
	q->to = *to;
	q->may_fail = change_flags != 0;
	q->first_ms = now;
	q->rto_ms = PROBE_FIRST_MS;
	q->open = true;
	probe_net_window(n, q, now);
	return probe_net_send(n, q, now);
}

static void probe_net_stop(void *ctx, enum probe_test test)
{
	struct probe_net *n = ctx;

	n->req[test].open = false;
}

/* Everything the socket holds, until an answer to an open request: 1
 * with it, 0 when the socket is empty. Strays are dropped. */
static int probe_net_read(struct probe_net *n, enum probe_test *test,
			  struct stun_response *resp, struct hp_endpoint *from)
{
	uint8_t buf[HP_MAX_DATAGRAM + 1];
	uint64_t now;
	ssize_t len;
	unsigned t;

	for (;;) {
		len = netio_recv(n->fd, buf, sizeof(buf), from);
		if (len == -EINTR)
			continue;
		if (len < 0)
			return 0;
		if ((size_t)len > HP_MAX_DATAGRAM || stun_parse_response(resp, buf, (size_t)len) != 0)
			continue;
		for (t = 0; t < PROBE_TESTS; t++)
			if (n->req[t].open && !memcmp(resp->txid, n->req[t].txid, STUN_TXID_LEN))
				break;
		if (t == PROBE_TESTS)
			continue;
		n->req[t].open = false;
		*test = (enum probe_test)t;
		now = hp_clock_ms();
		if (!n->have_rtt) {
			n->have_rtt = true;
			n->rtt_ms = now - n->req[t].last_ms;
			for (t = 0; t < PROBE_TESTS; t++)
				if (n->req[t].open)
					probe_net_window(n, &n->req[t], now);
		}
		return 1;
	}
}

/* Timers: a request given up on (1, *test), a retransmission that failed
 * (-errno, *test), or 0 with *wake set to the next timer. */
static int probe_net_timers(struct probe_net *n, uint64_t now, enum probe_test *test,
			    uint64_t *wake)
{
	unsigned t;
	int ret;

	*wake = n->deadline;
	for (t = 0; t < PROBE_TESTS; t++) {
		struct probe_req *q = &n->req[t];

		if (!q->open)
			continue;
		*test = (enum probe_test)t;
		if (now >= n->deadline || (q->give_up_ms && now >= q->give_up_ms)) {
			q->open = false;
			return 1;
		}
		if (now >= q->next_ms && (ret = probe_net_send(n, q, now)) < 0)
			return ret;
		if (q->next_ms < *wake)
			*wake = q->next_ms;
		if (q->give_up_ms && q->give_up_ms < *wake)
			*wake = q->give_up_ms;
	}
	return 0;
}

/* The next outcome: an answer read before any timer is looked at, so a
 * late reader does not give up on what already came. */
static int probe_net_next(void *ctx, enum probe_test *test, struct stun_response *resp,
			  struct hp_endpoint *from)
{
	struct probe_net *n = ctx;
	struct pollfd pfd = { .fd = n->fd, .events = POLLIN };
	struct timespec ts;
	sigset_t none;
	uint64_t now, wake;
	int ret;

	sigemptyset(&none);
	*test = PROBE_TESTS;
	for (;;) {
		if (*n->stop)
			return -EINTR;
		if (probe_net_read(n, test, resp, from))
			return 0;
		now = hp_clock_ms();
		ret = probe_net_timers(n, now, test, &wake);
		if (ret)
			return ret > 0 ? -ETIMEDOUT : ret;
		*test = PROBE_TESTS;
		if (wake <= now)
			continue;
		ts.tv_sec = (time_t)((wake - now) / 1000);
		ts.tv_nsec = (long)((wake - now) % 1000) * 1000000L;
		if (ppoll(&pfd, 1, &ts, &none) < 0 && errno != EINTR)
			return -errno;
	}
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
	struct probe_net n = { .fd = -1, .stop = stop, .wait_ms = o->probe_wait_ms };
	struct probe_io io = { .start = probe_net_start, .stop = probe_net_stop,
			       .next = probe_net_next, .ctx = &n };
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
