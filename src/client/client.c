// SPDX-License-Identifier: MIT
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client/client.h"
#include "client/netio.h"

#define RECV_BURST 64 /* datagrams per wakeup, so stdin is never starved */
#define DRAIN_MIN_MS 8000 /* at EOF: this long without ACK progress = failure */
#define LINGER_MS    5000 /* after our BYE: wait this long for the peer's BYE,
			   * counted from its last CHAT (> 2 x the RTO cap) */

/* CLOCK_MONOTONIC like hp_clock_ms(), in microseconds: message RTTs are
 * reported below the millisecond. */
static uint64_t client_clock_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int client_init(struct client *c, const struct client_opts *o)
{
	char b[HP_ENDPOINT_STRLEN];
	int ret;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->o = *o;
	c->out.json = o->json;
	c->out.quiet = o->quiet;
	c->out.verbose = o->verbose;
	hp_rrecv_init(&c->rx);
	linebuf_init(&c->lb);
	ret = hp_rsend_init(&c->tx, HP_RELIAB_WINDOW);
	if (ret < 0)
		return ret;
	if (hp_crypto_init() < 0 || hp_crypto_keypair(&c->kp) < 0) {
		out_error(&c->out, "libsodium initialisation failed");
		return -EIO;
	}
	hp_crypto_random(c->token, sizeof(c->token));
	ret = netio_resolve(&c->server, o->server_host, o->server_port);
	if (ret < 0) {
		out_error(&c->out, "cannot resolve server '%s' (IPv4 address or name)",
			  o->server_host);
		return ret;
	}
	c->fd = netio_open(o->port, &c->port);
	if (c->fd < 0) {
		ret = c->fd;
		out_error(&c->out, "cannot bind UDP port %u: %s", o->port, strerror(-ret));
		return ret;
	}
	/* a server on loopback means a peer on this host: 127.0.0.1 reaches it */
	c->n_priv = netio_candidates(c->priv, HP_MAX_PRIV, c->port, c->server.addr[0] == 127);
	c->now_us = client_clock_us();
	c->t_start = c->now_us / 1000;
	c->reg_interval = 200;
	c->reg_next = c->t_start;
	out_debug(&c->out, "bound 0.0.0.0:%u, server %s, %zu host candidates", c->port,
		  hp_endpoint_format(&c->server, b, sizeof(b)), c->n_priv);
	return 0;
}

void client_free(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	hp_rsend_free(&c->tx);
	hp_session_clear(&c->sess);
	memset(&c->kp, 0, sizeof(c->kp));
}

void client_finish(struct client *c, int code)
{
	if (c->done)
		return;
	c->done = true;
	c->exit_code = code;
}

static int client_on_line(void *ctx, const char *text, size_t len, unsigned part)
{
	struct client *c = ctx;
	int ret;

	if (c->peer_bye)
		out_warning(&c->out, "%s has said bye: this message may not arrive", c->peer_nick);
	if (part == 1)
		out_warning(&c->out, "line longer than %d bytes: sent as several messages",
			    HP_CHAT_MAX);
	ret = hp_rsend_push(&c->tx, text, len, NULL);
	if (ret < 0)
		out_warning(&c->out, "message dropped: %s", strerror(-ret));
	return 0;
}

static void client_stdin_eof(struct client *c, uint64_t now)
{
	c->stdin_done = true;
	linebuf_finish(&c->lb, client_on_line, c);
	if (c->lb.nuls)
		out_warning(&c->out, "%lu NUL bytes dropped from input", c->lb.nuls);
	client_drain_extend(c, now);
}

void client_drain_extend(struct client *c, uint64_t now)
{
	uint64_t d = (uint64_t)c->o.timeout_s * 1000 + c->o.relay_after_ms;

	c->close_deadline = now + (d > DRAIN_MIN_MS ? d : DRAIN_MIN_MS);
}

static void client_read_stdin(struct client *c, uint64_t now)
{
	char buf[4096];
	ssize_t n;

	n = read(STDIN_FILENO, buf, sizeof(buf));
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return;
		out_warning(&c->out, "reading stdin: %s", strerror(errno));
		n = 0;
	}
	if (n == 0) {
		client_stdin_eof(c, now);
		return;
	}
	linebuf_feed(&c->lb, buf, (size_t)n, client_on_line, c);
}

static void client_read_socket(struct client *c, uint64_t now)
{
	uint8_t buf[HP_MAX_DATAGRAM + 1];
	struct hp_endpoint from;
	struct hp_header h;
	ssize_t n;
	int i;

	for (i = 0; i < RECV_BURST && !c->done; i++) {
		n = netio_recv(c->fd, buf, sizeof(buf), &from);
		if (n == -EAGAIN || n == -EWOULDBLOCK)
			return;
		if (n < 0) {
			/* ICMP errors (e.g. port unreachable) surface here: not fatal */
			if (n != -EAFNOSUPPORT)
				out_debug(&c->out, "recv: %s", strerror((int)-n));
			continue;
		}
		if ((size_t)n > HP_MAX_DATAGRAM || hp_header_decode(&h, buf, (size_t)n) < 0) {
			c->n_stray++;
			continue;
		}
		if (hp_type_is_peer(h.type))
			client_peer_handle(c, buf, (size_t)n, &from, now);
		else if (hp_endpoint_equal(&from, &c->server) && h.type == HP_RELAYED)
			client_peer_handle_relayed(c, buf, (size_t)n, now);
		else if (hp_endpoint_equal(&from, &c->server))
			client_ctl_handle(c, buf, (size_t)n, now);
		else
			c->n_stray++;
	}
}

/*
 * At stdin EOF: wait until every line is acknowledged (bounded: the drain
 * deadline moves with each ACK that makes progress), then say BYE and
 * linger until the peer's BYE, so lines it is still sending reach us.
 */
static void client_close_tick(struct client *c, uint64_t now, uint64_t *wake)
{
	uint64_t rto = hp_rsend_rto(&c->tx) / 1000;

	if (!c->stdin_done)
		return;
	if (!hp_rsend_all_acked(&c->tx)) {
		if (!c->introduced) {
			/* lines to send and nobody to send them to: bounded too */
			if (now >= c->close_deadline) {
				out_error(&c->out, "no peer joined room \"%s\"; %zu message(s) not sent",
					  c->o.room, hp_rsend_pending(&c->tx));
				client_finish(c, 1);
				return;
			}
			client_wake_at(wake, c->close_deadline);
			return;
		}
		if (!c->ever_connected)
			return; /* punching's own timeout bounds this */
		if (now >= c->close_deadline) {
			out_error(&c->out, "%zu message(s) not acknowledged by %s",
				  hp_rsend_pending(&c->tx), c->peer_nick);
			client_finish(c, 1);
			return;
		}
		client_wake_at(wake, c->close_deadline);
		return;
	}
	if (!c->ever_connected || c->peer_bye) {
		client_finish(c, 0);
		return;
	}
	if (!c->bye_sent) {
		c->bye_sent = true;
		c->bye_next = now;
		c->linger_until = now + LINGER_MS;
	}
	if (c->last_chat_rx + LINGER_MS > c->linger_until)
		c->linger_until = c->last_chat_rx + LINGER_MS;
	if (now >= c->linger_until) {
		client_finish(c, 0);
		return;
	}
	if (now >= c->bye_next) {
		client_peer_bye(c, now);
		c->bye_next = now + (rto > 250 ? rto : 250);
	}
	client_wake_at(wake, c->bye_next);
	client_wake_at(wake, c->linger_until);
}

static uint64_t client_tick(struct client *c, uint64_t now)
{
	uint64_t wake = UINT64_MAX;

	client_ctl_tick(c, now, &wake);
	if (!c->done)
		client_peer_tick(c, now, &wake);
	if (!c->done)
		client_close_tick(c, now, &wake);
	return wake;
}

int client_run(struct client *c, volatile sig_atomic_t *stop)
{
	struct pollfd pfd[2];
	struct timespec ts;
	sigset_t none;
	uint64_t now, wake;
	int nfds, ret;

	sigemptyset(&none);
	while (!c->done) {
		c->now_us = client_clock_us();
		now = c->now_us / 1000;
		if (*stop) {
			out_debug(&c->out, "signal %d", (int)*stop);
			break;
		}
		wake = client_tick(c, now);
		if (c->done)
			break;
		pfd[0] = (struct pollfd){ .fd = c->fd, .events = POLLIN };
		nfds = 1;
		if (!c->stdin_done && hp_rsend_pending(&c->tx) < CLIENT_QUEUE_MAX) {
			pfd[1] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
			nfds = 2;
		}
		if (wake < now)
			wake = now;
		if (wake - now > 60000)
			wake = now + 60000;
		ts.tv_sec = (time_t)((wake - now) / 1000);
		ts.tv_nsec = (long)((wake - now) % 1000) * 1000000L;
		/* signals are blocked except inside ppoll: no lost wakeup */
		ret = ppoll(pfd, (nfds_t)nfds, &ts, &none);
		if (ret < 0) {
			if (errno == EINTR)
				continue;
			out_error(&c->out, "poll: %s", strerror(errno));
			client_finish(c, 1);
			break;
		}
		c->now_us = client_clock_us();
		now = c->now_us / 1000;
		if (pfd[0].revents & (POLLIN | POLLERR))
			client_read_socket(c, now);
		if (nfds == 2 && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) && !c->done)
			client_read_stdin(c, now);
	}
	if (!c->done)
		c->exit_code = 0; /* stopped by a signal: a clean goodbye */
	c->now_us = client_clock_us();
	now = c->now_us / 1000;
	if (c->exit_code == 0 || *stop)
		client_peer_bye(c, now);
	if (c->introduced) {
		struct out_stats st = {
			.sent = c->st_sent + c->tx.n_sent,
			.delivered = c->st_delivered,
			.retransmitted = c->st_retx + c->tx.n_retx,
			.duplicates = c->st_dup,
			.auth_failed = c->n_bad,
		};

		out_stats(&c->out, &st);
	}
	if (c->exit_code == 0 || *stop)
		out_bye(&c->out, false, NULL);
	client_ctl_send_leave(c);
	out_debug(&c->out, "dropped: %lu unauthenticated, %lu replayed, %lu stray", c->n_bad,
		  c->n_replay, c->n_stray);
	return c->exit_code;
}
