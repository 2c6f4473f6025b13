// SPDX-License-Identifier: MIT
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "proto.h"
#include "server/server.h"

/* Datagrams read per wakeup before signals get a look in again. */
#define SERVER_RX_BUDGET 256
/* Expiry sweep period; registrations also expire lazily on lookup. */
#define SERVER_SWEEP_MS 1000u

void server_log(const struct server *s, const char *fmt, ...)
{
	va_list ap;

	if (s->cfg.verbosity < SERVER_VERBOSE)
		return;
	va_start(ap, fmt);
	fputs("hpserver: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/*
 * A dual-stack IPv6 socket reaches IPv4 peers through v4-mapped addresses
 * (RFC 4291 s.2.5.5.2); endpoints keep them as plain IPv4.
 */
static int server_sockaddr(const struct server *s, const struct hp_endpoint *ep,
			   struct sockaddr_storage *ss, socklen_t *sslen)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	if (s->family == AF_INET6 && ep->family == HP_FAMILY_V4) {
		memset(ss, 0, sizeof(*ss));
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(ep->port);
		sin6->sin6_addr.s6_addr[10] = 0xff;
		sin6->sin6_addr.s6_addr[11] = 0xff;
		memcpy(&sin6->sin6_addr.s6_addr[12], ep->addr, 4);
		*sslen = sizeof(*sin6);
		return 0;
	}
	return hp_endpoint_to_sockaddr(ep, ss, sslen) < 0 ? -EAFNOSUPPORT : 0;
}

static int server_sock_fd(const struct server *s, int sock)
{
	if (sock == 0)
		return s->fd;
	if (sock < 0 || sock >= SERVER_SOCKS || sock > s->n_alt)
		return -1;
	return s->alt_fd[sock - 1];
}

const struct hp_endpoint *server_sock_local(const struct server *s, int sock)
{
	if (sock == 0)
		return &s->local;
	if (sock < 0 || sock >= SERVER_SOCKS || sock > s->n_alt)
		return NULL;
	return &s->alt_local[sock - 1];
}

int server_send_from(struct server *s, int sock, const struct server_request *req,
		     const struct hp_endpoint *to, const uint8_t *buf, size_t len, bool exempt)
{
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	int ret = 0, fd = server_sock_fd(s, sock);

	if (!exempt && len > req->len) {
		counters_inc(&s->counters, CNT_DROP_AMPLIFY);
		ret = -EMSGSIZE;
		goto out;
	}
	if (fd < 0 || len > HP_MAX_DATAGRAM || server_sockaddr(s, to, &ss, &sslen) < 0) {
		counters_inc(&s->counters, CNT_DROP_SEND);
		ret = -EINVAL;
		goto out;
	}
	if (sendto(fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&ss, sslen) < 0) {
		/* a full socket buffer loses this reply, never stalls the loop */
		ret = -errno;
		counters_inc(&s->counters, CNT_DROP_SEND);
	}
out:
	return ret;
}

int server_send(struct server *s, const struct server_request *req,
		const struct hp_endpoint *to, const uint8_t *buf, size_t len, bool exempt)
{
	return server_send_from(s, 0, req, to, buf, len, exempt);
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
	struct hp_endpoint bind_ep = s->local, alt_ep;
	int ret, i;

	ret = hp_endpoint_parse(&alt_ep, s->cfg.alt_addr, 0);
	if (ret < 0 || alt_ep.family != s->local.family) {
		fprintf(stderr, "hpserver: bad --alt-addr '%s' (an IP of --bind's family)\n",
			s->cfg.alt_addr);
		return -EINVAL;
	}
	if (s->cfg.alt_port >= 0)
		bind_ep.port = (uint16_t)s->cfg.alt_port;
	else if (s->cfg.port != 0 && s->local.port < 65535)
		bind_ep.port = (uint16_t)(s->local.port + 1);
	else
		bind_ep.port = 0;
	for (i = 0; i < SERVER_SOCKS - 1; i++)
		s->alt_fd[i] = -1;
	for (i = 1; i < SERVER_SOCKS; i++) {
		struct hp_endpoint ep = (i & 2) ? alt_ep : s->local;

		ep.port = (i & 1) ? bind_ep.port : s->local.port;
		ret = server_bind_one(&ep, &s->alt_fd[i - 1], &s->alt_local[i - 1]);
		s->n_alt = i;
		if (ret < 0)
			return ret;
		if (i == 1)
			bind_ep.port = s->alt_local[0].port;
	}
	if (s->alt_local[0].port == s->local.port) {
		fprintf(stderr, "hpserver: --alt-port must differ from the port\n");
		return -EINVAL;
	}
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
	ret = server_bind_one(&ep, &s->fd, &s->local);
	if (ret < 0)
		return ret;
	s->family = s->local.family == HP_FAMILY_V6 ? AF_INET6 : AF_INET;
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

int server_open(struct server *s, const struct server_config *cfg)
{
	char buf[HP_ENDPOINT_STRLEN];
	int ret;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->sig_fd = -1;
	s->cfg = *cfg;
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
	ret = rooms_create(&s->rooms, cfg->max_rooms, s->timeout_ms);
	if (ret < 0) {
		fprintf(stderr, "hpserver: rooms: %s\n", strerror(-ret));
		goto out;
	}
	ret = server_signals_open(s);
	if (ret < 0)
		goto out;
	ret = server_bind(s);
	if (ret < 0)
		goto out;
	s->next_sweep_ms = hp_clock_ms() + SERVER_SWEEP_MS;
	if (s->n_alt == SERVER_SOCKS - 1) {
		char a[HP_ENDPOINT_STRLEN], b[HP_ENDPOINT_STRLEN], c[HP_ENDPOINT_STRLEN];

		/* before the ready line, so it is there when scripts look */
		fprintf(stderr, "hpserver: STUN alternates %s %s %s\n",
			hp_endpoint_format(&s->alt_local[0], a, sizeof(a)),
			hp_endpoint_format(&s->alt_local[1], b, sizeof(b)),
			hp_endpoint_format(&s->alt_local[2], c, sizeof(c)));
	}
	/* the ready line is the synchronisation point for scripts: always */
	fprintf(stderr, "hpserver: listening on %s\n", hp_endpoint_format(&s->local, buf, sizeof(buf)));
	fflush(stderr);
out:
	if (ret < 0)
		server_close(s);
	return ret;
}

void server_close(struct server *s)
{
	int i;

	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	for (i = 0; i < s->n_alt; i++)
		if (s->alt_fd[i] >= 0)
			close(s->alt_fd[i]);
	s->n_alt = 0;
	if (s->sig_fd >= 0)
		close(s->sig_fd);
	s->sig_fd = -1;
	if (s->sigmask_saved)
		sigprocmask(SIG_SETMASK, &s->old_mask, NULL);
	s->sigmask_saved = false;
	rooms_destroy(s->rooms);
	s->rooms = NULL;
}

/* Returns true when the server must stop. */
static bool server_read_signals(struct server *s)
{
	struct signalfd_siginfo si;
	bool stop = false;

	while (read(s->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGUSR1)
			counters_print(&s->counters, stderr);
		else
			stop = true;
	}
	return stop;
}

static void server_read_datagrams(struct server *s, int sock)
{
	int fd = server_sock_fd(s, sock);
	uint8_t buf[HP_MAX_DATAGRAM];
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
				counters_inc(&s->counters, CNT_RX_ERRORS);
			break;
		}
		memset(&req, 0, sizeof(req));
		req.buf = buf;
		req.len = (size_t)n;
		req.now_ms = hp_clock_ms();
		req.sock = sock;
		if (hp_endpoint_from_sockaddr(&req.from, (struct sockaddr *)&ss, sslen) < 0) {
			counters_inc(&s->counters, CNT_RX);
			counters_inc(&s->counters, CNT_RX_ERRORS);
			continue;
		}
		server_dispatch(s, &req);
	}
}

static void server_sweep(struct server *s, uint64_t now)
{
	size_t n;

	if (now < s->next_sweep_ms)
		return;
	n = rooms_expire(s->rooms, now);
	s->counters.v[CNT_EXPIRED] += n;
	if (n)
		server_log(s, "expired %zu registration(s), %zu room(s) left", n, rooms_count(s->rooms));
	s->next_sweep_ms = now + SERVER_SWEEP_MS;
}

int server_run(struct server *s)
{
	struct pollfd pfd[1 + SERVER_SOCKS];
	uint64_t now;
	int ret = 0, timeout, i, nsock = 1 + s->n_alt;

	pfd[0].fd = s->sig_fd;
	pfd[0].events = POLLIN;
	for (i = 0; i < nsock; i++) {
		pfd[1 + i].fd = server_sock_fd(s, i);
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
		counters_print(&s->counters, stderr);
	return ret;
}
