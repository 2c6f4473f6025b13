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
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "proto.h"
#include "stun.h"
#include "server/dispatch.h"
#include "server/server.h"

/* Datagrams read per wakeup before signals get a look in again. */
#define SERVER_RX_BUDGET 256
/* Expiry sweep period; registrations also expire lazily on lookup. */
#define SERVER_SWEEP_MS 1000u

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
	rooms_set_source_limit(s->ctx.rooms, cfg->max_per_source);
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

static void server_read_datagrams(struct server *s, int sock)
{
	int fd = s->ctx.socks.fd[sock];
	/* a padded STUN request (stun.h) is the longest thing accepted */
	uint8_t buf[STUN_MAX_REQUEST];
	_Static_assert(STUN_MAX_REQUEST >= HP_MAX_DATAGRAM, "hplab datagrams fit the buffer");
	struct sockaddr_storage ss;
	struct server_request req;
	socklen_t sslen;
	ssize_t n;
	int i;

	for (i = 0; i < SERVER_RX_BUDGET; i++) {
		sslen = sizeof(ss);
		/* MSG_TRUNC: learn the real size, so oversized datagrams are
		 * counted as such rather than parsed cut short */
		n = recvfrom(fd, buf, sizeof(buf), MSG_TRUNC, (struct sockaddr *)&ss, &sslen);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				counters_inc(&s->ctx.counters, CNT_RX_ERRORS);
			break;
		}
		memset(&req, 0, sizeof(req));
		req.buf = buf;
		req.len = (size_t)n;
		req.now_us = hp_clock_us();
		req.now_ms = req.now_us / 1000;
		req.sock = sock;
		if (hp_endpoint_from_sockaddr(&req.from, (struct sockaddr *)&ss, sslen) < 0) {
			counters_inc(&s->ctx.counters, CNT_RX);
			counters_inc(&s->ctx.counters, CNT_RX_ERRORS);
			continue;
		}
		server_dispatch(&s->ctx, &req);
	}
}

static void server_sweep(struct server *s, uint64_t now)
{
	size_t n;

	if (now < s->next_sweep_ms)
		return;
	n = rooms_expire(s->ctx.rooms, now);
	s->ctx.counters.v[CNT_EXPIRED] += n;
	if (n)
		server_log(&s->ctx.log, "expired %zu registration(s), %zu room(s) left", n,
			   rooms_count(s->ctx.rooms));
	s->next_sweep_ms = now + SERVER_SWEEP_MS;
}

int server_run(struct server *s)
{
	struct pollfd pfd[1 + SERVER_SOCKS];
	uint64_t now;
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
		if (poll(pfd, (nfds_t)(1 + nsock), timeout) < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			fprintf(stderr, "hpserver: poll: %s\n", strerror(-ret));
			break;
		}
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
