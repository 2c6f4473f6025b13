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

int server_send(struct server *s, const struct server_request *req,
		const struct hp_endpoint *to, const uint8_t *buf, size_t len, bool exempt)
{
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	int ret = 0;

	if (!exempt && len > req->len) {
		counters_inc(&s->counters, CNT_DROP_AMPLIFY);
		ret = -EMSGSIZE;
		goto out;
	}
	if (len > HP_MAX_DATAGRAM || server_sockaddr(s, to, &ss, &sslen) < 0) {
		counters_inc(&s->counters, CNT_DROP_SEND);
		ret = -EINVAL;
		goto out;
	}
	if (sendto(s->fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&ss, sslen) < 0) {
		/* a full socket buffer loses this reply, never stalls the loop */
		ret = -errno;
		counters_inc(&s->counters, CNT_DROP_SEND);
	}
out:
	return ret;
}

static int server_bind(struct server *s)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	struct hp_endpoint ep;
	char buf[HP_ENDPOINT_STRLEN];
	const char *addr = s->cfg.bind_addr ? s->cfg.bind_addr : "0.0.0.0";
	int fd = -1, ret, off = 0;

	ret = hp_endpoint_parse(&ep, addr, s->cfg.port);
	if (ret < 0) {
		fprintf(stderr, "hpserver: bad bind address '%s'\n", addr);
		goto out;
	}
	ret = hp_endpoint_to_sockaddr(&ep, &ss, &sslen);
	if (ret < 0)
		goto out;
	s->family = ss.ss_family;
	fd = socket(s->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		fprintf(stderr, "hpserver: socket: %s\n", strerror(-ret));
		goto out;
	}
	/* "::" serves IPv4 clients as well, whatever the sysctl default */
	if (s->family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) < 0) {
		ret = -errno;
		fprintf(stderr, "hpserver: IPV6_V6ONLY: %s\n", strerror(-ret));
		goto out;
	}
	if (bind(fd, (struct sockaddr *)&ss, sslen) < 0) {
		ret = -errno;
		fprintf(stderr, "hpserver: bind %s: %s\n",
			hp_endpoint_format(&ep, buf, sizeof(buf)), strerror(-ret));
		goto out;
	}
	sslen = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) < 0) {
		ret = -errno;
		goto out;
	}
	ret = hp_endpoint_from_sockaddr(&s->local, (struct sockaddr *)&ss, sslen);
	if (ret < 0)
		goto out;
	s->fd = fd;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
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
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
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

static void server_read_datagrams(struct server *s)
{
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
		n = recvfrom(s->fd, buf, sizeof(buf), MSG_TRUNC, (struct sockaddr *)&ss, &sslen);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				counters_inc(&s->counters, CNT_RX_ERRORS);
			break;
		}
		memset(&req, 0, sizeof(req));
		req.buf = buf;
		req.len = (size_t)n;
		req.now_ms = hp_clock_ms();
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
	struct pollfd pfd[2];
	uint64_t now;
	int ret = 0, timeout;

	pfd[0].fd = s->fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = s->sig_fd;
	pfd[1].events = POLLIN;
	for (;;) {
		now = hp_clock_ms();
		server_sweep(s, now);
		timeout = (int)(s->next_sweep_ms - now);
		if (poll(pfd, 2, timeout) < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			fprintf(stderr, "hpserver: poll: %s\n", strerror(-ret));
			break;
		}
		if (pfd[1].revents & POLLIN && server_read_signals(s))
			break;
		if (pfd[0].revents & POLLIN)
			server_read_datagrams(s);
	}
	if (s->cfg.verbosity >= SERVER_VERBOSE)
		counters_print(&s->counters, stderr);
	return ret;
}
