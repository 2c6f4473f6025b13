// SPDX-License-Identifier: MIT
/*
 * hpnat: a NAT for one hpclient on loopback, for integration tests.
 *
 *   hpnat [--loss PCT] [--seed N] SERVER_PORT
 *
 * Prints "hpnat: server 127.0.0.1:S public 127.0.0.1:P" on stdout: the
 * client behind it uses 127.0.0.1:S as its server. Everything the client
 * sends leaves from one outer socket (public P: endpoint-independent
 * mapping); what comes back to P is let in only from endpoints P has sent
 * to (address and port dependent filtering, like a port-restricted cone,
 * RFC 4787). Each outside endpoint R is shown to the client as an inside
 * socket of ours, so the client can only ever talk through the NAT: that
 * needs an ALG, which rewrites the cleartext control messages — REGISTER
 * loses its private candidates, an INTRO's peer public endpoint becomes
 * the inside socket for it (and its private ones are dropped).
 *
 * SIGUSR1: rebind — the outer socket is replaced by one on a new port and
 * the filter forgets everything (a conntrack flush); prints
 * "hpnat: rebound public 127.0.0.1:P2". --loss drops PCT % of the
 * datagrams in each direction (seeded PRNG, reproducible). SIGINT/SIGTERM:
 * exit 0 with one counters line on stderr: datagrams forwarded each way,
 * then every datagram dropped, counted by reason (drop_name below), so a
 * failing test says why its traffic did not arrive.
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "endpoint.h"
#include "proto.h"

#define NAT_PROXIES 16 /* outside endpoints the client may talk to */
#define NAT_FILTER  32 /* outside endpoints the outer socket sent to */

static volatile sig_atomic_t got_stop, got_rebind;

/* Why a datagram was not forwarded; drop_name[] spells each in the
 * counters line. */
enum nat_drop {
	DROP_LOSS_OUT,   /* --loss, client to outside */
	DROP_LOSS_IN,    /* --loss, outside to client */
	DROP_FILTERED,   /* from an endpoint the NAT never sent to */
	DROP_STRANGER,   /* inside, but not from the client's endpoint */
	DROP_NO_CLIENT,  /* from outside before the client sent anything */
	DROP_NO_MAPPING, /* no inside socket left for a new outside endpoint */
	DROP_SEND,       /* sendto failed */
	DROP__N
};

static const char *const drop_name[DROP__N] = {
	[DROP_LOSS_OUT] = "loss_out",
	[DROP_LOSS_IN] = "loss_in",
	[DROP_FILTERED] = "filtered",
	[DROP_STRANGER] = "stranger",
	[DROP_NO_CLIENT] = "no_client",
	[DROP_NO_MAPPING] = "no_mapping",
	[DROP_SEND] = "send_failed",
};

struct nat_proxy {
	int fd;                    /* inside socket the client talks to */
	struct hp_endpoint inside; /* its address */
	struct hp_endpoint remote; /* the outside endpoint it stands for */
};

struct nat {
	int out_fd;
	struct hp_endpoint out_ep;
	struct nat_proxy px[NAT_PROXIES];
	size_t n_px;
	struct hp_endpoint sent_to[NAT_FILTER];
	size_t n_sent_to;
	struct hp_endpoint client; /* learnt from its first datagram */
	unsigned loss_pct;
	uint64_t rng;
	unsigned long fwd_out, fwd_in;
	unsigned long drop[DROP__N];
};

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		got_rebind = 1;
	else
		got_stop = 1;
}

static int nat_socket(struct hp_endpoint *ep)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) < 0 ||
	    hp_endpoint_from_sockaddr(ep, (struct sockaddr *)&sin, len) < 0) {
		close(fd);
		return -EIO;
	}
	return fd;
}

/* Returns true when the datagram left. */
static bool nat_send(int fd, const struct hp_endpoint *to, const uint8_t *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl;

	return hp_endpoint_to_sockaddr(to, &ss, &sl) > 0 &&
	       sendto(fd, buf, len, 0, (struct sockaddr *)&ss, sl) == (ssize_t)len;
}

static ssize_t nat_recv(int fd, uint8_t *buf, size_t cap, struct hp_endpoint *from)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	ssize_t n = recvfrom(fd, buf, cap, 0, (struct sockaddr *)&ss, &sl);

	if (n < 0)
		return -errno;
	if (hp_endpoint_from_sockaddr(from, (struct sockaddr *)&ss, sl) < 0)
		return -EAFNOSUPPORT;
	return n;
}

/* xorshift64*: reproducible loss from --seed */
static bool nat_lose(struct nat *n)
{
	n->rng ^= n->rng >> 12;
	n->rng ^= n->rng << 25;
	n->rng ^= n->rng >> 27;
	return (n->rng * 2685821657736338717ull) % 100 < n->loss_pct;
}

static void nat_drop(struct nat *n, enum nat_drop why)
{
	n->drop[why]++;
}

static struct nat_proxy *nat_proxy_for(struct nat *n, const struct hp_endpoint *remote)
{
	struct nat_proxy *p;
	size_t i;

	for (i = 0; i < n->n_px; i++)
		if (hp_endpoint_equal(&n->px[i].remote, remote))
			return &n->px[i];
	if (n->n_px == NAT_PROXIES)
		return NULL;
	p = &n->px[n->n_px];
	p->fd = nat_socket(&p->inside);
	if (p->fd < 0)
		return NULL;
	p->remote = *remote;
	n->n_px++;
	return p;
}

static bool nat_sent_to(const struct nat *n, const struct hp_endpoint *ep)
{
	size_t i;

	for (i = 0; i < n->n_sent_to; i++)
		if (hp_endpoint_equal(&n->sent_to[i], ep))
			return true;
	return false;
}

/* ALG, outbound: a REGISTER keeps no private candidates (they would let
 * the peer bypass the NAT). Returns the new length. */
static size_t nat_alg_out(uint8_t *buf, size_t len, size_t cap)
{
	struct hp_msg m;
	int n;

	if (hp_msg_decode(&m, buf, len) < 0 || m.hdr.type != HP_REGISTER)
		return len;
	m.u.reg.n_priv = 0;
	m.u.reg.pad_to = len > HP_REGISTER_MIN ? (uint16_t)len : HP_REGISTER_MIN;
	n = hp_msg_encode(&m, buf, cap);
	return n > 0 ? (size_t)n : len;
}

/* ALG, inbound: the peer of an INTRO is shown as our inside socket for it. */
static size_t nat_alg_in(struct nat *n, uint8_t *buf, size_t len, size_t cap)
{
	struct nat_proxy *p;
	struct hp_msg m;
	int k;

	if (hp_msg_decode(&m, buf, len) < 0 || m.hdr.type != HP_INTRO)
		return len;
	p = nat_proxy_for(n, &m.u.intro.peer_public);
	if (!p)
		return len;
	m.u.intro.peer_public = p->inside;
	m.u.intro.n_priv = 0;
	k = hp_msg_encode(&m, buf, cap);
	return k > 0 ? (size_t)k : len;
}

static void nat_from_inside(struct nat *n, struct nat_proxy *p)
{
	uint8_t buf[2048];
	struct hp_endpoint from;
	ssize_t r;
	size_t len;

	while ((r = nat_recv(p->fd, buf, HP_MAX_DATAGRAM, &from)) >= 0) {
		if (!n->client.family)
			n->client = from;
		if (!hp_endpoint_equal(&from, &n->client)) {
			nat_drop(n, DROP_STRANGER);
			continue;
		}
		if (nat_lose(n)) {
			nat_drop(n, DROP_LOSS_OUT);
			continue;
		}
		len = nat_alg_out(buf, (size_t)r, sizeof(buf));
		if (!nat_sent_to(n, &p->remote)) {
			if (n->n_sent_to == NAT_FILTER)
				n->n_sent_to--; /* forget the oldest-but-one; tests stay far below */
			n->sent_to[n->n_sent_to++] = p->remote;
		}
		if (nat_send(n->out_fd, &p->remote, buf, len))
			n->fwd_out++;
		else
			nat_drop(n, DROP_SEND);
	}
}

static void nat_from_outside(struct nat *n)
{
	uint8_t buf[2048];
	struct hp_endpoint from;
	struct nat_proxy *p;
	ssize_t r;
	size_t len;

	while ((r = nat_recv(n->out_fd, buf, HP_MAX_DATAGRAM, &from)) >= 0) {
		if (!nat_sent_to(n, &from)) {
			nat_drop(n, DROP_FILTERED);
			continue;
		}
		if (!n->client.family) {
			nat_drop(n, DROP_NO_CLIENT);
			continue;
		}
		if (nat_lose(n)) {
			nat_drop(n, DROP_LOSS_IN);
			continue;
		}
		p = nat_proxy_for(n, &from);
		if (!p) {
			nat_drop(n, DROP_NO_MAPPING);
			continue;
		}
		len = nat_alg_in(n, buf, (size_t)r, sizeof(buf));
		if (nat_send(p->fd, &n->client, buf, len))
			n->fwd_in++;
		else
			nat_drop(n, DROP_SEND);
	}
}

static int nat_rebind(struct nat *n)
{
	char b[HP_ENDPOINT_STRLEN];
	struct hp_endpoint ep;
	int fd = nat_socket(&ep);

	if (fd < 0)
		return fd;
	close(n->out_fd);
	n->out_fd = fd;
	n->out_ep = ep;
	n->n_sent_to = 0;
	printf("hpnat: rebound public %s\n", hp_endpoint_format(&ep, b, sizeof(b)));
	fflush(stdout);
	return 0;
}

static int nat_parse(struct nat *n, int argc, char **argv, uint16_t *server_port)
{
	static const struct option lopts[] = {
		{ "loss", required_argument, NULL, 'l' },
		{ "seed", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	char *end;
	int c;

	n->rng = 0x9e3779b97f4a7c15ull;
	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		v = strtoul(optarg ? optarg : "", &end, 10);
		if (c == 'l' && !*end && v <= 100)
			n->loss_pct = (unsigned)v;
		else if (c == 's' && !*end)
			n->rng ^= (uint64_t)v * 0xbf58476d1ce4e5b9ull;
		else
			return -EINVAL;
	}
	if (argc - optind != 1)
		return -EINVAL;
	v = strtoul(argv[optind], &end, 10);
	if (*end || v == 0 || v > 65535)
		return -EINVAL;
	*server_port = (uint16_t)v;
	if (!n->rng)
		n->rng = 1;
	return 0;
}

/* "hpnat: out N in N dropped R=N ..." with every reason, zeros too, so a
 * test can read any of them by name. */
static void nat_print_counters(const struct nat *n)
{
	unsigned long total = 0;
	size_t i;

	for (i = 0; i < DROP__N; i++)
		total += n->drop[i];
	fprintf(stderr, "hpnat: out %lu in %lu dropped %lu:", n->fwd_out, n->fwd_in, total);
	for (i = 0; i < DROP__N; i++)
		fprintf(stderr, " %s=%lu", drop_name[i], n->drop[i]);
	fputc('\n', stderr);
}

int main(int argc, char **argv)
{
	static struct nat n;
	struct pollfd pfd[1 + NAT_PROXIES];
	char a[HP_ENDPOINT_STRLEN], b[HP_ENDPOINT_STRLEN];
	struct hp_endpoint server = { .family = HP_FAMILY_V4, .addr = { 127, 0, 0, 1 } };
	struct sigaction sa;
	sigset_t block, none;
	size_t i, np;
	int ret = 1;

	if (nat_parse(&n, argc, argv, &server.port) < 0) {
		fputs("usage: hpnat [--loss PCT] [--seed N] SERVER_PORT   (loopback only)\n", stderr);
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, NULL);
	sigemptyset(&none);

	n.out_fd = nat_socket(&n.out_ep);
	if (n.out_fd < 0 || !nat_proxy_for(&n, &server)) {
		perror("hpnat: socket");
		goto out;
	}
	printf("hpnat: server %s public %s\n", hp_endpoint_format(&n.px[0].inside, a, sizeof(a)),
	       hp_endpoint_format(&n.out_ep, b, sizeof(b)));
	fflush(stdout);
	while (!got_stop) {
		if (got_rebind) {
			got_rebind = 0;
			if (nat_rebind(&n) < 0)
				goto out;
		}
		np = n.n_px;
		pfd[0] = (struct pollfd){ .fd = n.out_fd, .events = POLLIN };
		for (i = 0; i < np; i++)
			pfd[1 + i] = (struct pollfd){ .fd = n.px[i].fd, .events = POLLIN };
		if (ppoll(pfd, 1 + np, NULL, &none) < 0) {
			if (errno == EINTR)
				continue;
			perror("hpnat: poll");
			goto out;
		}
		if (pfd[0].revents)
			nat_from_outside(&n);
		for (i = 0; i < np; i++)
			if (pfd[1 + i].revents)
				nat_from_inside(&n, &n.px[i]);
	}
	ret = 0;
out:
	nat_print_counters(&n);
	for (i = 0; i < n.n_px; i++)
		close(n.px[i].fd);
	if (n.out_fd >= 0)
		close(n.out_fd);
	return ret;
}
