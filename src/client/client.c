// SPDX-License-Identifier: MIT
/*
 * client.c owns the event loop (ppoll on the socket and stdin, timers), the
 * run's exit code and the wiring of the parts (client.h). It calls ctl.c,
 * chat.c, path.c and wire.c, and acts on what they return; none of them
 * calls back into it.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client/client.h"
#include "client/netio.h"
#include "clock.h"

#define RECV_BURST 64 /* datagrams per wakeup, so stdin is never starved */

int client_init(struct client *c, const struct client_opts *o)
{
	struct hp_endpoint server, priv[HP_MAX_PRIV];
	char b[HP_ENDPOINT_STRLEN];
	uint8_t token[HP_TOKEN_LEN];
	uint64_t t_start;
	size_t n_priv;
	int ret;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->exit_code = -1;
	c->o = *o;
	c->out.json = o->json;
	c->out.quiet = o->quiet;
	c->out.verbose = o->verbose;
	ret = chat_init(&c->chat, &c->o, &c->out, &c->path);
	if (ret < 0)
		return ret;
	if (hp_crypto_init() < 0 || hp_crypto_keypair(&c->kp) < 0) {
		out_error(&c->out, "libsodium initialisation failed");
		return -EIO;
	}
	hp_crypto_random(token, sizeof(token));
	ret = netio_resolve(&server, o->server_host, o->server_port);
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
	/* without it an unconnected socket never hears that the server's
	 * port is closed (ip(7) IP_RECVERR); with it the run still works */
	ret = netio_want_errors(c->fd);
	if (ret < 0)
		out_debug(&c->out, "IP_RECVERR: %s", strerror(-ret));
	/* a server on loopback means a peer on this host: 127.0.0.1 reaches it */
	n_priv = netio_candidates(priv, HP_MAX_PRIV, c->port, server.addr[0] == 127);
	c->now_us = hp_clock_us();
	t_start = c->now_us / 1000;
	wire_init(&c->wire, c->fd, &server, token, &c->out);
	ctl_init(&c->ctl, &c->o, &c->out, c->kp.pk, priv, n_priv, t_start);
	path_init(&c->path, &c->o, &c->out, &c->wire, t_start);
	sprayrun_init(&c->spray, &c->o, &c->out, &c->wire);
	c->rx_spray = -1;
	out_debug(&c->out, "bound 0.0.0.0:%u, server %s, %zu host candidates", c->port,
		  hp_endpoint_format(&server, b, sizeof(b)), n_priv);
	out_registering(&c->out, &server, o->room);
	return 0;
}

void client_free(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	sprayrun_free(&c->spray);
	chat_free(&c->chat);
	wire_free(&c->wire);
	memset(&c->kp, 0, sizeof(c->kp));
}

static bool client_done(const struct client *c)
{
	return c->exit_code >= 0;
}

static void client_finish(struct client *c, int code)
{
	if (!client_done(c))
		c->exit_code = code;
}

static void client_read_stdin(struct client *c)
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
		chat_eof(&c->chat, c->now_us);
		return;
	}
	chat_feed(&c->chat, buf, (size_t)n);
}

/* A sealed peer datagram, straight from `from` or relayed (from == NULL). */
static void client_peer_input(struct client *c, const uint8_t *buf, size_t len,
			      const struct hp_endpoint *from)
{
	struct hp_peer_msg m;
	enum path_news news;
	uint64_t rtt_us;
	int fresh;

	fresh = wire_open(&c->wire, buf, len, from, &m);
	if (fresh < 0)
		return;
	/* authenticated on a sprayed socket: it wins, and answers go from it */
	if (from && c->rx_spray >= 0)
		sprayrun_won(&c->spray, (size_t)c->rx_spray, &m, from, c->now_us);
	news = path_input(&c->path, &m, fresh, from, c->now_us, &rtt_us);
	chat_connected(&c->chat, news, c->now_us);
	chat_rtt_sample(&c->chat, rtt_us);
	if (chat_input(&c->chat, &m, c->now_us) == CHAT_DONE)
		client_finish(c, 0);
}

static void client_datagram(struct client *c, const uint8_t *buf, size_t len,
			    const struct hp_endpoint *from);

/* A new peer: a fresh session on every layer, then what came too early. */
static void client_new_peer(struct client *c, const struct hp_intro *in)
{
	bool had_peer = path_is_introduced(c->path.state);
	struct wire_stash st[WIRE_STASH];
	size_t i, n;
	int ret;

	ret = wire_rekey(&c->wire, &c->kp, in->peer_pubkey, c->o.secret);
	if (ret == 0)
		ret = chat_new_session(&c->chat, had_peer, c->ctl.server_rtt);
	if (ret < 0) {
		/* anyone can register in our room: a peer with an unusable key
		 * must not end our run, we keep waiting for a real one */
		out_warning(&c->out, "ignoring peer \"%s\": %s", in->peer_nick,
			    ret == -EINVAL ? "same public key as ours" : "bad public key");
		return;
	}
	ctl_introduced(&c->ctl, c->now_us / 1000);
	path_intro(&c->path, in, c->ctl.server_rtt, c->now_us);
	sprayrun_intro(&c->spray, in, c->now_us);
	n = wire_unstash(&c->wire, st);
	for (i = 0; i < n; i++)
		client_datagram(c, st[i].buf, st[i].len, &st[i].from);
}

static void client_intro(struct client *c, const struct hp_intro *in, bool self_moved)
{
	if (path_is_introduced(c->path.state) && !memcmp(c->path.pk, in->peer_pubkey, HP_KEY_LEN)) {
		if (path_reintro(&c->path, in, self_moved, c->chat.peer_bye, c->now_us) ==
		    PATH_REREGISTER)
			ctl_reregister(&c->ctl, c->now_us / 1000);
		sprayrun_reintro(&c->spray, in, &c->path, c->now_us);
		return;
	}
	if (path_is_connected(c->path.state) && !c->chat.peer_bye) {
		/* our peer is alive and talking: a different key now is a stale
		 * registration or a server lying to us */
		out_debug(&c->out, "ignoring intro with another key while connected");
		return;
	}
	client_new_peer(c, in);
}

static void client_ctl_input(struct client *c, const uint8_t *buf, size_t len)
{
	struct ctl_news news;

	switch (ctl_handle(&c->ctl, &c->wire, buf, len, c->path.state, c->now_us / 1000, &news)) {
	case CTL_NOTHING:
		break;
	case CTL_INTRO:
		client_intro(c, &news.msg.u.intro, news.self_moved);
		break;
	case CTL_RELAY_REFUSED:
		path_relay_refused(&c->path, news.msg.u.error.reason);
		break;
	case CTL_FATAL:
		client_finish(c, 1);
		break;
	}
}

static void client_datagram(struct client *c, const uint8_t *buf, size_t len,
			    const struct hp_endpoint *from)
{
	enum wire_kind kind;
	const uint8_t *inner;
	size_t inner_len;

	kind = wire_demux(&c->wire, buf, len, from, &inner, &inner_len);
	/* a sprayed socket takes sealed peer datagrams only */
	if (c->rx_spray >= 0 && kind != WIRE_PEER) {
		wire_drop(&c->wire, CLIENT_DROP_STRAY);
		return;
	}
	switch (kind) {
	case WIRE_PEER:
	case WIRE_RELAYED:
		if (path_is_introduced(c->path.state)) {
			client_peer_input(c, inner, inner_len, kind == WIRE_PEER ? from : NULL);
			break;
		}
		/* a fast peer's PUNCH before our intro: kept until the keys exist */
		wire_stash(&c->wire, buf, len, from);
		if (ctl_nudge(&c->ctl, &c->wire, c->now_us / 1000) < 0)
			client_finish(c, 1);
		break;
	case WIRE_CTL:
		client_ctl_input(c, buf, len);
		break;
	case WIRE_STUN:
		ctl_stun(&c->ctl, &c->wire, buf, len, c->now_us / 1000);
		break;
	case WIRE_STRAY:
		break;
	}
}

/* The socket's error queue: ICMP errors for what we sent. */
static void client_read_errors(struct client *c)
{
	char to[HP_ENDPOINT_STRLEN];
	struct netio_err e;
	const char *words;
	int i, ret;

	for (i = 0; i < RECV_BURST; i++) {
		ret = netio_recv_err(c->fd, &e);
		if (ret == -EAGAIN || ret == -EWOULDBLOCK)
			return;
		if (ret < 0)
			continue;
		/* a probe to a port that is not mapped, or the verdict's
		 * second request: expected, and there may be a thousand */
		if (ctl_is_map_dest(&c->ctl, &c->wire, &e.to) || sprayrun_probed(&c->spray, &e.to))
			continue;
		if (e.icmp)
			out_icmp(&c->out, e.by.family ? &e.by : NULL, &e.to, e.type, e.code);
		else
			out_debug(&c->out, "%s for %s", strerror(e.err),
				  hp_endpoint_format(&e.to, to, sizeof(to)));
		/* punches to candidates that are not there are normal; the
		 * server's port closed is news for the control side */
		words = wire_server_unreachable(&c->wire, &e);
		if (words)
			ctl_unreachable(&c->ctl, &c->wire, words);
	}
}

static void client_read_socket(struct client *c, int fd)
{
	uint8_t buf[HP_MAX_DATAGRAM + 1];
	struct hp_endpoint from;
	ssize_t n;
	int i;

	for (i = 0; i < RECV_BURST && !client_done(c); i++) {
		n = netio_recv(fd, buf, sizeof(buf), &from);
		if (n == -EAGAIN || n == -EWOULDBLOCK)
			return;
		if (n < 0) {
			/* ICMP errors (e.g. port unreachable) surface here: not fatal */
			if (n != -EAFNOSUPPORT)
				out_debug(&c->out, "recv: %s", strerror((int)-n));
			continue;
		}
		client_datagram(c, buf, (size_t)n, &from);
	}
}

/* Punching, then (once there is a path) the chat and its liveness. */
static void client_peer_tick(struct client *c, uint64_t *wake)
{
	enum path_verdict v = PATH_GOING;

	if (!path_is_introduced(c->path.state))
		return;
	if (!c->chat.peer_bye)
		v = path_punch_tick(&c->path, c->now_us, wake);
	if (v == PATH_GAVE_UP) {
		client_finish(c, 1);
		return;
	}
	if (v == PATH_OPENED)
		ctl_opened(&c->ctl, &c->wire, c->now_us / 1000);
	sprayrun_tick(&c->spray, &c->path, c->now_us, wake);
	if (!path_is_connected(c->path.state) && !path_is_reconnecting(c->path.state))
		return;
	/* after the peer's BYE our unacknowledged lines still go: it lingers */
	chat_tick(&c->chat, c->now_us, wake);
	if (c->chat.peer_bye)
		return;
	v = path_live_tick(&c->path, c->now_us, chat_rto_ms(&c->chat), wake);
	if (v == PATH_REREGISTER)
		ctl_reregister(&c->ctl, c->now_us / 1000);
}

static uint64_t client_tick(struct client *c)
{
	uint64_t wake = UINT64_MAX;

	if (ctl_tick(&c->ctl, &c->wire, c->path.state, c->now_us / 1000, &wake) == CTL_FATAL) {
		client_finish(c, 1);
		return wake;
	}
	client_peer_tick(c, &wake);
	if (client_done(c))
		return wake;
	switch (chat_close_tick(&c->chat, c->now_us, &wake)) {
	case CHAT_GOING:
		break;
	case CHAT_DONE:
		client_finish(c, 0);
		break;
	case CHAT_FAILED:
		client_finish(c, 1);
		break;
	}
	return wake;
}

/* The spray's sockets, after the main one and stdin in pfd[]. */
static nfds_t client_poll_spray(const struct client *c, struct pollfd *pfd, nfds_t nfds)
{
	size_t i;

	for (i = 0; i < c->spray.set.n; i++)
		pfd[nfds++] = (struct pollfd){ .fd = c->spray.set.fd[i], .events = POLLIN };
	return nfds;
}

static void client_read_spray(struct client *c, const struct pollfd *pfd, size_t n)
{
	size_t i;

	/* reading one may close the others (it won): stop there */
	for (i = 0; i < n && !client_done(c); i++) {
		if (!(pfd[i].revents & POLLIN) || i >= c->spray.set.n ||
		    c->spray.set.fd[i] != pfd[i].fd)
			continue;
		c->rx_spray = (int)i;
		client_read_socket(c, pfd[i].fd);
		c->rx_spray = -1;
		if (c->spray.won)
			break;
	}
}

/* One ppoll() until the next timer; 0, or -1 when the loop must end. */
static int client_wait(struct client *c, uint64_t wake)
{
	uint64_t now = c->now_us / 1000, wait_us;
	struct pollfd pfd[2 + SPRAYSET_MAX];
	nfds_t n_main;
	struct timespec ts;
	sigset_t none;
	int nfds, ret;

	sigemptyset(&none);
	pfd[0] = (struct pollfd){ .fd = c->fd, .events = POLLIN };
	nfds = 1;
	if (chat_wants_input(&c->chat)) {
		pfd[1] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
		nfds = 2;
	}
	n_main = (nfds_t)nfds;
	nfds = (int)client_poll_spray(c, pfd, n_main);
	if (wake - now > 60000 && wake > now)
		wake = now + 60000;
	/* to the microsecond: from now_ms, a whole-millisecond sleep would
	 * overshoot its timer by up to 1 ms (the punch timing is finer) */
	wait_us = wake * 1000 > c->now_us ? wake * 1000 - c->now_us : 0;
	ts.tv_sec = (time_t)(wait_us / 1000000);
	ts.tv_nsec = (long)(wait_us % 1000000) * 1000L;
	out_flush(); /* whatever this round said is out before we block */
	/* signals are blocked except inside ppoll: no lost wakeup */
	ret = ppoll(pfd, (nfds_t)nfds, &ts, &none);
	if (ret < 0) {
		if (errno == EINTR)
			return 0;
		out_error(&c->out, "poll: %s", strerror(errno));
		client_finish(c, 1);
		return -1;
	}
	c->now_us = hp_clock_us();
	if (pfd[0].revents & POLLERR)
		client_read_errors(c);
	if (pfd[0].revents & (POLLIN | POLLERR))
		client_read_socket(c, c->fd);
	client_read_spray(c, pfd + n_main, (size_t)nfds - n_main);
	if (n_main == 2 && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) && !client_done(c))
		client_read_stdin(c);
	return 0;
}

/* The goodbye: BYE to the peer, stats, LEAVE to the server. */
static void client_close(struct client *c, bool stopped)
{
	struct out_stats st;

	c->now_us = hp_clock_us();
	if (c->exit_code == 0 || stopped)
		chat_bye(&c->chat, c->now_us);
	if (path_is_introduced(c->path.state)) {
		chat_stats(&c->chat, &st);
		memcpy(st.drop, c->wire.drops, sizeof(st.drop));
		out_stats(&c->out, &st);
	}
	if (c->exit_code == 0 || stopped)
		out_bye(&c->out, false, NULL);
	ctl_leave(&c->ctl, &c->wire);
	out_drops(&c->out, c->wire.drops);
}

int client_run(struct client *c, volatile sig_atomic_t *stop)
{
	uint64_t wake;

	out_batch(true); /* flushed before every wait, client_wait() */
	while (!client_done(c)) {
		c->now_us = hp_clock_us();
		if (*stop) {
			out_debug(&c->out, "signal %d", (int)*stop);
			break;
		}
		wake = client_tick(c);
		if (client_done(c))
			break;
		if (client_wait(c, wake) < 0)
			break;
	}
	if (!client_done(c))
		c->exit_code = 0; /* stopped by a signal: a clean goodbye */
	client_close(c, *stop);
	return c->exit_code;
}
