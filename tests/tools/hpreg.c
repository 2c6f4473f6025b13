// SPDX-License-Identifier: MIT
/*
 * hpreg: sends one REGISTER (or LEAVE) to an hpserver on loopback and
 * prints each reply as one line, for integration tests:
 *   REGISTERED <reflexive>
 *   INTRO <peer nick> <peer public> <own reflexive>
 *   ERROR <code> <reason>
 * A COOKIE (the server wants return routability) is answered by the same
 * REGISTER with the cookie, neither printed nor counted, unless
 * --no-cookie, which prints "cookie" and counts it (what a spoofed source
 * gets). --then-leave sends a LEAVE from the same socket once the replies
 * arrived (only the registered endpoint may leave).
 * Exits 0 once --count replies arrived (0 for LEAVE), 1 on timeout.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "endpoint.h"
#include "proto.h"

static void usage(FILE *f)
{
	fputs("usage: hpreg [--nick N] [--key K] [--pad BYTES] [--count N] [--timeout MS]\n"
	      "             [--leave | --then-leave] [--no-cookie] HOST PORT ROOM TOKEN\n"
	      "TOKEN and K are strings (first 8 / 32 bytes used, zero padded);\n"
	      "K defaults to TOKEN. HOST must be loopback.\n", f);
}

static bool is_loopback(const struct hp_endpoint *ep)
{
	static const uint8_t v6_lo[16] = { [15] = 1 };

	if (ep->family == HP_FAMILY_V4)
		return ep->addr[0] == 127;
	return ep->family == HP_FAMILY_V6 && memcmp(ep->addr, v6_lo, 16) == 0;
}

/* Fixed-size binary field from a string: cut or zero padded. */
static void copy_str(uint8_t *dst, size_t cap, const char *s)
{
	size_t n = strnlen(s, cap);

	memset(dst, 0, cap);
	memcpy(dst, s, n);
}

static void print_reply(const uint8_t *buf, size_t len)
{
	char a[HP_ENDPOINT_STRLEN], b[HP_ENDPOINT_STRLEN];
	struct hp_msg m;

	if (hp_msg_decode(&m, buf, len) < 0) {
		printf("UNDECODABLE %zu\n", len);
		goto out;
	}
	switch (m.hdr.type) {
	case HP_REGISTERED:
		printf("REGISTERED %s\n", hp_endpoint_format(&m.u.registered.reflexive, a, sizeof(a)));
		break;
	case HP_INTRO:
		printf("INTRO %s %s %s\n", m.u.intro.peer_nick[0] ? m.u.intro.peer_nick : "-",
		       hp_endpoint_format(&m.u.intro.peer_public, a, sizeof(a)),
		       hp_endpoint_format(&m.u.intro.reflexive, b, sizeof(b)));
		break;
	case HP_ERROR:
		printf("ERROR %u %s\n", m.u.error.code, m.u.error.reason);
		break;
	default:
		printf("%s\n", hp_type_name(m.hdr.type));
		break;
	}
out:
	fflush(stdout);
}

static int send_msg(int fd, const struct sockaddr_storage *ss, socklen_t sslen,
		    const struct hp_msg *m)
{
	uint8_t buf[HP_MAX_DATAGRAM];
	int len = hp_msg_encode(m, buf, sizeof(buf));

	if (len < 0 || sendto(fd, buf, (size_t)len, 0, (const struct sockaddr *)ss, sslen) < 0) {
		perror("hpreg: send");
		return -1;
	}
	return 0;
}

/* A COOKIE for our REGISTER: send it again with the cookie. */
static bool answer_cookie(int fd, const struct sockaddr_storage *ss, socklen_t sslen,
			  struct hp_msg *reg, const uint8_t *buf, size_t len)
{
	struct hp_msg c;

	if (hp_msg_decode(&c, buf, len) < 0 || c.hdr.type != HP_COOKIE ||
	    memcmp(c.u.cookie.token, reg->u.reg.token, HP_TOKEN_LEN))
		return false;
	reg->u.reg.cookie_len = HP_COOKIE_LEN;
	memcpy(reg->u.reg.cookie, c.u.cookie.cookie, HP_COOKIE_LEN);
	send_msg(fd, ss, sslen, reg);
	return true;
}

static int send_leave(int fd, const struct sockaddr_storage *ss, socklen_t sslen,
		      const struct hp_msg *reg)
{
	struct hp_msg m;

	memset(&m, 0, sizeof(m));
	m.hdr.type = HP_LEAVE;
	memcpy(m.u.leave.token, reg->u.reg.token, HP_TOKEN_LEN);
	memcpy(m.u.leave.room, reg->u.reg.room, sizeof(m.u.leave.room));
	return send_msg(fd, ss, sslen, &m);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "nick", required_argument, NULL, 'n' },
		{ "key", required_argument, NULL, 'k' },
		{ "pad", required_argument, NULL, 'p' },
		{ "count", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "leave", no_argument, NULL, 'l' },
		{ "then-leave", no_argument, NULL, 'L' },
		{ "no-cookie", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *nick = "", *key = NULL;
	int pad = HP_REGISTER_MIN, count = 1, timeout_ms = 3000, leave = 0, then_leave = 0;
	int no_cookie = 0;
	struct hp_endpoint server;
	struct sockaddr_storage ss;
	socklen_t sslen;
	uint8_t buf[2048];
	struct hp_msg m;
	uint64_t deadline;
	int c, fd = -1, len, got = 0, ret = 1;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': nick = optarg; break;
		case 'k': key = optarg; break;
		case 'p': pad = atoi(optarg); break;
		case 'c': count = atoi(optarg); break;
		case 't': timeout_ms = atoi(optarg); break;
		case 'l': leave = 1; break;
		case 'L': then_leave = 1; break;
		case 'C': no_cookie = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (argc - optind != 4 || pad < 0 || pad > HP_MAX_DATAGRAM || timeout_ms <= 0) {
		usage(stderr);
		return 2;
	}
	if (hp_endpoint_parse(&server, argv[optind], atoi(argv[optind + 1])) < 0 ||
	    !is_loopback(&server)) {
		fprintf(stderr, "hpreg: HOST must be a loopback address\n");
		return 2;
	}
	if (!key)
		key = argv[optind + 3];

	memset(&m, 0, sizeof(m));
	if (leave) {
		m.hdr.type = HP_LEAVE;
		copy_str(m.u.leave.token, HP_TOKEN_LEN, argv[optind + 3]);
		snprintf(m.u.leave.room, sizeof(m.u.leave.room), "%s", argv[optind + 2]);
		count = 0;
	} else {
		m.hdr.type = HP_REGISTER;
		copy_str(m.u.reg.token, HP_TOKEN_LEN, argv[optind + 3]);
		copy_str(m.u.reg.pubkey, HP_KEY_LEN, key);
		snprintf(m.u.reg.room, sizeof(m.u.reg.room), "%s", argv[optind + 2]);
		snprintf(m.u.reg.nick, sizeof(m.u.reg.nick), "%s", nick);
		m.u.reg.pad_to = (uint16_t)pad;
	}
	len = hp_msg_encode(&m, buf, sizeof(buf));
	if (len < 0) {
		fprintf(stderr, "hpreg: encode: %s\n", strerror(-len));
		goto out;
	}
	if (hp_endpoint_to_sockaddr(&server, &ss, &sslen) < 0)
		goto out;
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || sendto(fd, buf, (size_t)len, 0, (struct sockaddr *)&ss, sslen) < 0) {
		perror("hpreg: send");
		goto out;
	}
	deadline = hp_clock_ms() + (uint64_t)timeout_ms;
	while (got < count) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now = hp_clock_ms();
		ssize_t n;

		if (now >= deadline) {
			fprintf(stderr, "hpreg: timeout after %d of %d replies\n", got, count);
			goto out;
		}
		if (poll(&pfd, 1, (int)(deadline - now)) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			continue;
		if (!no_cookie && !leave && answer_cookie(fd, &ss, sslen, &m, buf, (size_t)n))
			continue;
		print_reply(buf, (size_t)n);
		got++;
	}
	if (then_leave && send_leave(fd, &ss, sslen, &m) < 0)
		goto out;
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	return ret;
}
