// SPDX-License-Identifier: MIT
/*
 * The loop (server.h): sockets, signals, poll, receive, sweep. Called by
 * main.c; calls dispatch.c with the server_ctx it owns, and rooms,
 * counters and log directly. Replies leave through reply.c, not here.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "proto.h"
#include "stun.h"
#include "server/dispatch.h"
#include "server/reply.h"
#include "server/server.h"

/* Datagrams read per socket per wakeup before signals get a look in. */
#define SERVER_RX_BUDGET 256
/* Expiry sweep period; registrations also expire lazily on lookup. */
#define SERVER_SWEEP_MS 1000u
/* Registrations one sweep drops at most (1-1.5 us each at a million
 * rooms, cache misses mostly): a burst that times out at once is taken
 * over several turns of the loop, with the sockets served in between,
 * not in one long stall. A sweep also stops once it has run
 * SERVER_EXPIRE_SLICE_US, looking at the clock after every drop (a clock
 * read is some 3 % of a drop): on the test VM a registration untouched
 * for half a minute sometimes cost 300-650 us to drop (memory the host
 * had to map back, no page fault in the guest); looking every 16 drops,
 * then every 4, sweeps still ran 1.6-3.1 ms there. */
#define SERVER_EXPIRE_BUDGET   128
#define SERVER_EXPIRE_SLICE_US 250

/*
 * Every IPv4 datagram leaves with DF set and the path MTU not used
 * (IP_PMTUDISC_PROBE, ip(7)). The default (IP_PMTUDISC_WANT) would let
 * the kernel fragment, so it gives each datagram an IP ID of its own: a
 * keyed hash and an atomic add per datagram (__ip_select_ident), some 5 %
 * of a STUN answer's cost here. A DF datagram is atomic and needs no ID
 * (RFC 6864 s.4). Nothing hpserver sends needs fragments: answers are
 * small and a RELAYED at most HP_MAX_DATAGRAM (docs/hpserver.md,
 * "Scale", DF). On a dual-stack socket this is its IPv4-mapped side; an
 * error only costs the saving, so it is not one.
 */
static void server_set_df(int fd)
{
	int v = IP_PMTUDISC_PROBE;

	setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof(v));
}

/* Binds one socket to ep; *local gets the address actually bound. */
static int server_bind_one(const struct hp_endpoint *ep, int *fd_out,
			   struct hp_endpoint *local)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	char buf[HP_ENDPOINT_STRLEN];
	int fd = -1, ret, off = 0;

	ret = hp_endpoint_to_sockaddr(ep, &ss, &sslen);
	if (ret < 0)
		goto out;
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		fprintf(stderr, "hpserver: socket: %s\n", strerror(-ret));
		goto out;
	}
	/* "::" serves IPv4 clients as well, whatever the sysctl default */
	if (ss.ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) < 0) {
		ret = -errno;
		fprintf(stderr, "hpserver: IPV6_V6ONLY: %s\n", strerror(-ret));
		goto out;
	}
	server_set_df(fd);
	if (bind(fd, (struct sockaddr *)&ss, sslen) < 0) {
		ret = -errno;
		fprintf(stderr, "hpserver: bind %s: %s\n",
			hp_endpoint_format(ep, buf, sizeof(buf)), strerror(-ret));
		goto out;
	}
	sslen = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) < 0) {
		ret = -errno;
		goto out;
	}
	ret = hp_endpoint_from_sockaddr(local, (struct sockaddr *)&ss, sslen);
	if (ret < 0)
		goto out;
	*fd_out = fd;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

/*
 * RFC 5780 s.4: the alternate sockets. Socket 1 = bind:alt-port,
 * 2 = alt:port, 3 = alt:alt-port. With port 0 and no --alt-port, the
 * kernel picks the alternate port on socket 1 and the others reuse it.
 */
static int server_bind_alt(struct server *s)
{
	struct server_socks *k = &s->ctx.socks;
	struct hp_endpoint bind_ep = k->local[0], alt_ep;
	int ret, i;

	ret = hp_endpoint_parse(&alt_ep, s->cfg.alt_addr, 0);
	if (ret < 0 || alt_ep.family != k->local[0].family) {
		fprintf(stderr, "hpserver: bad --alt-addr '%s' (an IP of --bind's family)\n",
			s->cfg.alt_addr);
		return -EINVAL;
	}
	if (s->cfg.alt_port >= 0)
		bind_ep.port = (uint16_t)s->cfg.alt_port;
	else if (s->cfg.port != 0 && k->local[0].port < 65535)
		bind_ep.port = (uint16_t)(k->local[0].port + 1);
	else
		bind_ep.port = 0;
	for (i = 1; i < SERVER_SOCKS; i++) {
		struct hp_endpoint ep = (i & 2) ? alt_ep : k->local[0];

		ep.port = (i & 1) ? bind_ep.port : k->local[0].port;
		ret = server_bind_one(&ep, &k->fd[i], &k->local[i]);
		if (ret < 0)
			return ret;
		if (i == 1)
			bind_ep.port = k->local[1].port;
	}
	if (k->local[1].port == k->local[0].port) {
		fprintf(stderr, "hpserver: --alt-port must differ from the port\n");
		return -EINVAL;
	}
	k->n = SERVER_SOCKS;
	return 0;
}

/*
 * A socket buffer of the size asked for: SO_RCVBUF/SO_SNDBUF are capped
 * by net.core.rmem_max/wmem_max (socket(7)); the *FORCE variants are not,
 * but need CAP_NET_ADMIN. The kernel doubles the value for its own
 * bookkeeping, so what getsockopt reports is compared against twice the
 * request. A cap is said once per option, not per socket.
 */
static void server_set_buf(struct server *s, int fd, int force, int opt, size_t bytes,
			   const char *name, const char *sysctl, bool *said)
{
	int v = (int)bytes, got = 0;
	socklen_t len = sizeof(got);

	if (!bytes)
		return;
	if (setsockopt(fd, SOL_SOCKET, force, &v, sizeof(v)) < 0)
		setsockopt(fd, SOL_SOCKET, opt, &v, sizeof(v));
	if (getsockopt(fd, SOL_SOCKET, opt, &got, &len) < 0 || (size_t)got >= 2 * bytes ||
	    *said)
		return;
	*said = true;
	if (s->cfg.verbosity > SERVER_QUIET)
		fprintf(stderr, "hpserver: --%s: the kernel gave %d bytes of %zu asked "
			"(capped by %s; not capped when run with CAP_NET_ADMIN)\n",
			name, got / 2, bytes, sysctl);
}

static void server_set_bufs(struct server *s)
{
	bool said_rcv = false, said_snd = false;
	int i;

	for (i = 0; i < s->ctx.socks.n; i++) {
		server_set_buf(s, s->ctx.socks.fd[i], SO_RCVBUFFORCE, SO_RCVBUF, s->cfg.rcvbuf,
			       "rcvbuf", "net.core.rmem_max", &said_rcv);
		server_set_buf(s, s->ctx.socks.fd[i], SO_SNDBUFFORCE, SO_SNDBUF, s->cfg.sndbuf,
			       "sndbuf", "net.core.wmem_max", &said_snd);
	}
}

static int server_bind(struct server *s)
{
	struct hp_endpoint ep;
	const char *addr = s->cfg.bind_addr ? s->cfg.bind_addr : "0.0.0.0";
	int ret;

	ret = hp_endpoint_parse(&ep, addr, s->cfg.port);
	if (ret < 0) {
		fprintf(stderr, "hpserver: bad bind address '%s'\n", addr);
		return ret;
	}
	ret = server_bind_one(&ep, &s->ctx.socks.fd[0], &s->ctx.socks.local[0]);
	if (ret < 0)
		return ret;
	s->ctx.socks.n = 1;
	s->ctx.socks.family = s->ctx.socks.local[0].family == HP_FAMILY_V6 ? AF_INET6 : AF_INET;
	if (s->cfg.alt_addr)
		ret = server_bind_alt(s);
	if (ret == 0)
		server_set_bufs(s);
	return ret;
}

static int server_signals_open(struct server *s)
{
	sigset_t set;
	int ret = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	/* Signals become readable events on a fd: the loop handles them in
	 * order with datagrams, and no handler runs mid-update. */
	if (sigprocmask(SIG_BLOCK, &set, &s->old_mask) < 0) {
		ret = -errno;
		goto out;
	}
	s->sigmask_saved = true;
	s->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->sig_fd < 0)
		ret = -errno;
out:
	if (ret < 0)
		fprintf(stderr, "hpserver: signals: %s\n", strerror(-ret));
	return ret;
}

static void server_rx_init(struct server_rx *rx)
{
	int i;

	for (i = 0; i < SERVER_BATCH; i++) {
		rx->iov[i] = (struct iovec){ .iov_base = rx->buf[i], .iov_len = sizeof(rx->buf[i]) };
		rx->msg[i] = (struct mmsghdr){ .msg_hdr = {
			.msg_name = &rx->from[i], .msg_namelen = sizeof(rx->from[i]),
			.msg_iov = &rx->iov[i], .msg_iovlen = 1,
		} };
	}
}

int server_open(struct server *s, const struct server_opts *cfg)
{
	struct server_socks *k = &s->ctx.socks;
	char buf[HP_ENDPOINT_STRLEN];
	int ret, i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < SERVER_SOCKS; i++)
		k->fd[i] = -1;
	s->sig_fd = -1;
	s->cfg = *cfg;
	s->ctx.log.verbosity = cfg->verbosity;
	s->ctx.relay_bytes = cfg->relay_bytes;
	s->ctx.relay_rate = cfg->relay_rate;
	if (cfg->alt_addr && cfg->bind_addr) {
		struct hp_endpoint b;

		/* a wildcard would answer CHANGE-REQUEST from whatever source
		 * address routing picks, and clash with the alternates */
		if (hp_endpoint_parse(&b, cfg->bind_addr, 0) < 0 ||
		    !memcmp(b.addr, (uint8_t[16]){ 0 }, b.family == HP_FAMILY_V4 ? 4 : 16)) {
			fprintf(stderr, "hpserver: --alt-addr needs --bind with a specific address\n");
			ret = -EINVAL;
			goto out;
		}
	} else if (cfg->alt_addr) {
		fprintf(stderr, "hpserver: --alt-addr needs --bind with a specific address\n");
		ret = -EINVAL;
		goto out;
	}
	s->timeout_ms = (uint64_t)cfg->room_timeout_s * 1000u;
	ret = rooms_create(&s->ctx.rooms, cfg->max_rooms, s->timeout_ms);
	if (ret < 0) {
		fprintf(stderr, "hpserver: rooms: %s\n", strerror(-ret));
		goto out;
	}
	ret = rooms_set_source_limit(s->ctx.rooms, cfg->max_per_source);
	if (ret < 0) {
		fprintf(stderr, "hpserver: rooms: %s\n", strerror(-ret));
		goto out;
	}
	s->rx = calloc(1, sizeof(*s->rx));
	s->txq = calloc(1, sizeof(*s->txq));
	if (!s->rx || !s->txq) {
		ret = -ENOMEM;
		fprintf(stderr, "hpserver: batch buffers: %s\n", strerror(-ret));
		goto out;
	}
	s->ctx.txq = s->txq;
	server_rx_init(s->rx);
	/* rooms_create initialised libsodium */
	cookie_init(&s->ctx.cookies, hp_clock_us());
	limits_init(&s->ctx.limits, cfg->register_rate, cfg->relay_source_rate);
	ret = server_signals_open(s);
	if (ret < 0)
		goto out;
	ret = server_bind(s);
	if (ret < 0)
		goto out;
	s->next_sweep_ms = hp_clock_ms() + SERVER_SWEEP_MS;
	if (k->n == SERVER_SOCKS) {
		char a[HP_ENDPOINT_STRLEN], b[HP_ENDPOINT_STRLEN], c[HP_ENDPOINT_STRLEN];

		/* before the ready line, so it is there when scripts look */
		fprintf(stderr, "hpserver: STUN alternates %s %s %s\n",
			hp_endpoint_format(&k->local[1], a, sizeof(a)),
			hp_endpoint_format(&k->local[2], b, sizeof(b)),
			hp_endpoint_format(&k->local[3], c, sizeof(c)));
	}
	/* the ready line is the synchronisation point for scripts: always */
	fprintf(stderr, "hpserver: listening on %s\n", hp_endpoint_format(&k->local[0], buf, sizeof(buf)));
	fflush(stderr);
out:
	if (ret < 0)
		server_close(s);
	return ret;
}

void server_close(struct server *s)
{
	struct server_socks *k = &s->ctx.socks;
	int i;

	for (i = 0; i < SERVER_SOCKS; i++) {
		if (k->fd[i] >= 0)
			close(k->fd[i]);
		k->fd[i] = -1;
	}
	k->n = 0;
	if (s->sig_fd >= 0)
		close(s->sig_fd);
	s->sig_fd = -1;
	if (s->sigmask_saved)
		sigprocmask(SIG_SETMASK, &s->old_mask, NULL);
	s->sigmask_saved = false;
	rooms_destroy(s->ctx.rooms);
	s->ctx.rooms = NULL;
	free(s->rx);
	free(s->txq);
	s->rx = NULL;
	s->txq = s->ctx.txq = NULL;
}

/* Returns true when the server must stop. */
static bool server_read_signals(struct server *s)
{
	struct signalfd_siginfo si;
	bool stop = false;

	while (read(s->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGUSR1)
			counters_print(&s->ctx.counters, stderr);
		else
			stop = true;
	}
	return stop;
}

/* One recvmmsg(2) into s->rx; returns how many datagrams (0: none). */
static int server_recv_batch(struct server *s, int fd)
{
	struct server_rx *rx = s->rx;
	int n;

	/* MSG_TRUNC: learn the real size, so oversized datagrams are
	 * counted as such rather than parsed cut short (udp(7)) */
	n = recvmmsg(fd, rx->msg, SERVER_BATCH, MSG_DONTWAIT | MSG_TRUNC, NULL);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			counters_inc(&s->ctx.counters, CNT_RX_ERRORS);
		return 0;
	}
	return n;
}

/*
 * Serves the n datagrams just read: as requests first, each with its
 * lookups started ahead (dispatch.h), then a pass that fetches the first
 * nodes of the chains they will walk, then each is served. Nothing
 * changes the tables before the last pass, so what the first two noted
 * still holds. Measured: a lookup in a table of 300 000 rooms waited for
 * two cache misses, a fifth of what a new room cost the server itself.
 */
static void server_serve_batch(struct server *s, int sock, int n)
{
	struct server_rx *rx = s->rx;
	uint64_t now_us = hp_clock_us();
	int i;

	for (i = 0; i < n; i++) {
		struct server_request *req = &rx->req[i];

		*req = (struct server_request){ .buf = rx->buf[i], .len = rx->msg[i].msg_len,
						.now_us = now_us, .now_ms = now_us / 1000,
						.sock = sock };
		rx->ok[i] = hp_endpoint_from_sockaddr(&req->from, (struct sockaddr *)&rx->from[i],
						      rx->msg[i].msg_hdr.msg_namelen) == 0;
		/* the kernel shortened it to the source's length */
		rx->msg[i].msg_hdr.msg_namelen = sizeof(rx->from[i]);
		if (rx->ok[i])
			server_dispatch_ahead(&s->ctx, req, &rx->ahead[i]);
		else
			rx->ahead[i] = (struct rooms_ahead){ 0 };
	}
	for (i = 0; i < n; i++)
		rooms_ahead_fetch(&rx->ahead[i]);
	for (i = 0; i < n; i++) {
		if (rx->ok[i]) {
			server_dispatch(&s->ctx, &rx->req[i]);
			continue;
		}
		counters_inc(&s->ctx.counters, CNT_RX);
		counters_inc(&s->ctx.counters, CNT_RX_ERRORS);
	}
	reply_flush(&s->ctx);
}

static void server_read_datagrams(struct server *s, int sock)
{
	_Static_assert(STUN_MAX_REQUEST >= HP_MAX_DATAGRAM, "hplab datagrams fit the buffer");
	int got = 0, n;

	while (got < SERVER_RX_BUDGET) {
		n = server_recv_batch(s, s->ctx.socks.fd[sock]);
		if (n <= 0)
			break;
		got += n;
		server_serve_batch(s, sock, n);
		if (n < SERVER_BATCH)
			break;
	}
}

/* Drops what has expired, at most SERVER_EXPIRE_BUDGET or
 * SERVER_EXPIRE_SLICE_US at a time: with more to go the next sweep is due
 * at once (after the sockets had their turn). */
static void server_sweep(struct server *s, uint64_t now)
{
	uint64_t start;
	size_t n = 0, k;

	if (now < s->next_sweep_ms)
		return;
	start = hp_clock_us();
	do {
		k = rooms_expire_max(s->ctx.rooms, now, 1);
		n += k;
	} while (k && n < SERVER_EXPIRE_BUDGET && hp_clock_us() - start < SERVER_EXPIRE_SLICE_US);
	s->ctx.counters.v[CNT_EXPIRED] += n;
	if (n)
		server_log(&s->ctx.log, "expired %zu registration(s), %zu room(s) left", n,
			   rooms_count(s->ctx.rooms));
	s->next_sweep_ms = k ? now : now + SERVER_SWEEP_MS;
}

/* A turn: from poll's return to its next call, the sweep included. The
 * longest since the last counters line is how long the loop kept a
 * waiting datagram waiting (wall time: a preempted turn counts too). */
static void server_turn_end(struct server *s, uint64_t start_us)
{
	uint64_t d = hp_clock_us() - start_us;

	if (start_us && d > s->ctx.counters.v[CNT_TURN_MAX_US])
		s->ctx.counters.v[CNT_TURN_MAX_US] = d;
}

int server_run(struct server *s)
{
	struct pollfd pfd[1 + SERVER_SOCKS];
	uint64_t now, turn = 0;
	int ret = 0, timeout, i, nsock = s->ctx.socks.n;

	pfd[0].fd = s->sig_fd;
	pfd[0].events = POLLIN;
	for (i = 0; i < nsock; i++) {
		pfd[1 + i].fd = s->ctx.socks.fd[i];
		pfd[1 + i].events = POLLIN;
	}
	for (;;) {
		now = hp_clock_ms();
		server_sweep(s, now);
		timeout = (int)(s->next_sweep_ms - now);
		/* the memory of the next rooms is faulted in here, a huge page
		 * a turn, between batches, rather than by whichever REGISTER
		 * first touches it (arena.h); more to do: look again at once */
		if (rooms_prefault(s->ctx.rooms))
			timeout = 0;
		server_turn_end(s, turn);
		if (poll(pfd, (nfds_t)(1 + nsock), timeout) < 0) {
			turn = 0;
			if (errno == EINTR)
				continue;
			ret = -errno;
			fprintf(stderr, "hpserver: poll: %s\n", strerror(-ret));
			break;
		}
		turn = hp_clock_us();
		if (pfd[0].revents & POLLIN && server_read_signals(s))
			break;
		for (i = 0; i < nsock; i++)
			if (pfd[1 + i].revents & POLLIN)
				server_read_datagrams(s, i);
	}
	if (s->cfg.verbosity >= SERVER_VERBOSE)
		counters_print(&s->ctx.counters, stderr);
	return ret;
}
