// SPDX-License-Identifier: MIT
/*
 * hpecho [SECONDS]: the least a UDP server on sockets can do per request,
 * for tests/bench-server.sh. It answers every STUN Binding request on
 * 127.0.0.1 (a port of the kernel's choosing, printed as hpserver prints
 * its own) with the request itself, its type made a success response
 * (RFC 8489 s.5: 0x0101), in recvmmsg(2)/sendmmsg(2) batches of 64 like
 * hpserver's, with DF set as hpserver sets it (IP_PMTUDISC_PROBE, ip(7):
 * no IP ID to pick). No parsing, no state: what it costs is the kernel's
 * UDP path and the batching, the floor under any server's figure on this
 * machine.
 * It stops after SECONDS (default 600) or on SIGTERM/SIGINT; exit 0, or 1
 * on an error, 2 on a usage error.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"

#define ECHO_BATCH   64
#define ECHO_BUF     512
#define ECHO_SOCKBUF (4 << 20) /* as the bench gives hpserver */

static volatile sig_atomic_t echo_stop;

static void on_signal(int sig)
{
	(void)sig;
	echo_stop = 1;
}

struct echo {
	uint8_t buf[ECHO_BATCH][ECHO_BUF];
	struct sockaddr_in from[ECHO_BATCH];
	struct iovec iov[ECHO_BATCH];
	struct mmsghdr msg[ECHO_BATCH];
};

/* One batch in, the Binding requests of it back out; -1 on an error. */
static int echo_batch(int fd, struct echo *e)
{
	int n, i, k = 0;

	for (i = 0; i < ECHO_BATCH; i++) {
		e->iov[i] = (struct iovec){ e->buf[i], ECHO_BUF };
		e->msg[i].msg_hdr = (struct msghdr){ .msg_name = &e->from[i],
						     .msg_namelen = sizeof(e->from[i]),
						     .msg_iov = &e->iov[i],
						     .msg_iovlen = 1 };
	}
	n = recvmmsg(fd, e->msg, ECHO_BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return 0;
	for (i = 0; i < n; i++) {
		uint8_t *b = e->buf[i];

		/* a Binding request's 20-byte header, nothing longer than read */
		if (e->msg[i].msg_len < 20 || e->msg[i].msg_len > ECHO_BUF || b[0] != 0x00 ||
		    b[1] != 0x01)
			continue;
		b[0] = 0x01;
		e->iov[i].iov_len = e->msg[i].msg_len;
		e->msg[k++] = e->msg[i];
	}
	if (k && sendmmsg(fd, e->msg, (unsigned)k, MSG_DONTWAIT) < 0)
		perror("hpecho: sendmmsg"); /* a full buffer: lost, counted by hpload */
	return n;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	long secs = argc > 1 ? strtol(argv[1], NULL, 10) : 600;
	int fd = -1, ret = 1, buf = ECHO_SOCKBUF, df = IP_PMTUDISC_PROBE;
	struct echo *e = NULL;
	uint64_t deadline;

	if (argc > 2 || secs < 1 || secs > 3600) {
		fprintf(stderr, "usage: hpecho [SECONDS]   (1..3600, default 600)\n");
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	e = calloc(1, sizeof(*e));
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (!e || fd < 0) {
		perror("hpecho");
		goto out;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &df, sizeof(df));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) < 0) {
		perror("hpecho: bind");
		goto out;
	}
	printf("hpecho: listening on 127.0.0.1:%u\n", ntohs(a.sin_port));
	fflush(stdout);
	deadline = hp_clock_ms() + (uint64_t)secs * 1000;
	while (!echo_stop && hp_clock_ms() < deadline) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (echo_batch(fd, e) > 0)
			continue;
		poll(&p, 1, 100);
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	free(e);
	return ret;
}
