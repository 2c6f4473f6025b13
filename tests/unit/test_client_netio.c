// SPDX-License-Identifier: MIT
/*
 * The client's UDP socket (src/client/netio.c): the error queue's records
 * parsed from a built recvmsg() result (no network), and on loopback that
 * an ICMP port unreachable is heard, and does not eat the next datagram
 * (ip(7) IP_RECVERR: a pending error fails the next sendto()), and becomes
 * an icmp event with its offender, destination, type and code.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h> /* before linux/errqueue.h, which uses struct timespec */
#include <linux/errqueue.h>
#include <unistd.h>

#include <cmocka.h>

#include "client/netio.h"
#include "client/output.h"

static struct hp_endpoint ep(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
{
	struct hp_endpoint e = { .family = HP_FAMILY_V4, .port = port, .addr = { a, b, c, d } };

	return e;
}

/* Runs out_icmp() for e as the client does; returns the JSON event. */
static const char *icmp_event(const struct netio_err *e)
{
	static char buf[512];
	struct output o = { .json = true };
	FILE *cap = tmpfile();
	int saved;
	size_t n;

	assert_non_null(cap);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	assert_true(saved >= 0 && dup2(fileno(cap), STDOUT_FILENO) >= 0);
	out_icmp(&o, e->by.family ? &e->by : NULL, &e->to, e->type, e->code);
	fflush(stdout);
	assert_true(dup2(saved, STDOUT_FILENO) >= 0);
	close(saved);
	rewind(cap);
	n = fread(buf, 1, sizeof(buf) - 1, cap);
	buf[n] = '\0';
	fclose(cap);
	return buf;
}

/* The event without its t_us (checked to be there, right after the name). */
static const char *icmp_event_no_t(const struct netio_err *e)
{
	static char out[512];
	const char *ev = icmp_event(e), *t, *rest;
	const char *head = "{\"event\":\"icmp\",\"t_us\":";

	assert_memory_equal(ev, head, strlen(head));
	t = ev + strlen(head);
	rest = t + strspn(t, "0123456789");
	assert_true(rest > t && *rest == ',');
	snprintf(out, sizeof(out), "{\"event\":\"icmp\"%s", rest);
	return out;
}

/* What recvmsg(MSG_ERRQUEUE) hands back for an ICMP error (ip(7)). */
struct errq {
	struct sockaddr_in to;
	union {
		char buf[CMSG_SPACE(sizeof(struct sock_extended_err) + sizeof(struct sockaddr_in))];
		struct cmsghdr align;
	} ctl;
	struct msghdr mh;
};

static void errq_build(struct errq *q, int err, uint8_t type, uint8_t code,
		       const struct hp_endpoint *to, const struct hp_endpoint *by)
{
	struct sock_extended_err ee = { .ee_errno = (uint32_t)err,
					.ee_origin = SO_EE_ORIGIN_ICMP,
					.ee_type = type, .ee_code = code };
	struct sockaddr_storage ss;
	socklen_t sl;
	struct cmsghdr *cm;

	memset(q, 0, sizeof(*q));
	assert_true(hp_endpoint_to_sockaddr(to, &ss, &sl) >= 0);
	memcpy(&q->to, &ss, sizeof(q->to));
	q->mh.msg_name = &q->to;
	q->mh.msg_namelen = sizeof(q->to);
	q->mh.msg_control = q->ctl.buf;
	q->mh.msg_controllen = sizeof(q->ctl.buf);
	cm = CMSG_FIRSTHDR(&q->mh);
	cm->cmsg_level = IPPROTO_IP;
	cm->cmsg_type = IP_RECVERR;
	cm->cmsg_len = CMSG_LEN(sizeof(ee) + sizeof(struct sockaddr_in));
	memcpy(CMSG_DATA(cm), &ee, sizeof(ee));
	assert_true(hp_endpoint_to_sockaddr(by, &ss, &sl) >= 0);
	memcpy(CMSG_DATA(cm) + sizeof(ee), &ss, sizeof(struct sockaddr_in));
}

static void test_parse_err(void **state)
{
	struct hp_endpoint router = ep(10, 9, 8, 7, 0), server = ep(192, 0, 2, 1, 7000);
	struct netio_err e;
	struct errq q;

	(void)state;
	errq_build(&q, EHOSTUNREACH, 3, 1, &server, &router);
	assert_int_equal(netio_parse_err(&q.mh, &e), 0);
	assert_int_equal(e.err, EHOSTUNREACH);
	assert_true(e.icmp);
	assert_int_equal(e.type, 3);
	assert_int_equal(e.code, 1);
	/* the destination (with its port) from msg_name, the router as offender */
	assert_true(hp_endpoint_equal(&e.to, &server));
	assert_true(hp_endpoint_equal(&e.by, &router));
	assert_string_equal(icmp_event_no_t(&e),
			    "{\"event\":\"icmp\",\"from\":\"10.9.8.7\",\"about\":\"192.0.2.1:7000\","
			    "\"type\":3,\"code\":1,\"what\":\"host unreachable\"}\n");
	/* a short TTL's time exceeded, from a router on the way */
	errq_build(&q, EHOSTUNREACH, 11, 0, &server, &router);
	assert_int_equal(netio_parse_err(&q.mh, &e), 0);
	assert_string_equal(icmp_event_no_t(&e),
			    "{\"event\":\"icmp\",\"from\":\"10.9.8.7\",\"about\":\"192.0.2.1:7000\","
			    "\"type\":11,\"code\":0,\"what\":\"time exceeded\"}\n");
	/* a record cut before the offender: no sender, "from" is null */
	CMSG_FIRSTHDR(&q.mh)->cmsg_len = CMSG_LEN(sizeof(struct sock_extended_err));
	assert_int_equal(netio_parse_err(&q.mh, &e), 0);
	assert_int_equal(e.by.family, 0);
	assert_string_equal(icmp_event_no_t(&e),
			    "{\"event\":\"icmp\",\"from\":null,\"about\":\"192.0.2.1:7000\","
			    "\"type\":11,\"code\":0,\"what\":\"time exceeded\"}\n");
	/* no IP_RECVERR message at all */
	q.mh.msg_controllen = 0;
	assert_int_equal(netio_parse_err(&q.mh, &e), -ENOMSG);
}

/* A loopback port nobody listens on: one just closed. */
static uint16_t closed_port(void)
{
	uint16_t port;
	int fd = netio_open(0, &port);

	assert_true(fd >= 0);
	close(fd);
	return port;
}

static void test_loopback_unreachable(void **state)
{
	struct pollfd pfd = { .events = 0 };
	uint16_t live_port, dead_port = closed_port();
	struct hp_endpoint dead = ep(127, 0, 0, 1, dead_port), live, from;
	uint8_t buf[16];
	char want[256];
	struct netio_err e;
	int fd, lfd, i;

	(void)state;
	fd = netio_open(0, NULL);
	lfd = netio_open(0, &live_port);
	assert_true(fd >= 0 && lfd >= 0);
	live = ep(127, 0, 0, 1, live_port);
	assert_int_equal(netio_want_errors(fd), 0);
	assert_int_equal(netio_send(fd, &dead, (const uint8_t *)"x", 1, 0), 0);
	/* the ICMP is queued: POLLERR (bounded wait, no sleep) */
	pfd.fd = fd;
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	assert_true(pfd.revents & POLLERR);
	/* a pending error must not fail (and lose) the next datagram */
	assert_int_equal(netio_send(fd, &live, (const uint8_t *)"live", 4, 0), 0);
	pfd = (struct pollfd){ .fd = lfd, .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	assert_int_equal(netio_recv(lfd, buf, sizeof(buf), &from), 4);
	assert_memory_equal(buf, "live", 4);
	assert_int_equal(netio_recv_err(fd, &e), 0);
	assert_int_equal(e.err, ECONNREFUSED);
	assert_true(e.icmp);
	assert_int_equal(e.type, 3);
	assert_int_equal(e.code, 3);
	assert_true(hp_endpoint_equal(&e.to, &dead));
	/* the offender is the destination host: it sends the port
	 * unreachable itself (RFC 1122 s.4.1.3.1) */
	assert_int_equal(e.by.family, HP_FAMILY_V4);
	assert_memory_equal(e.by.addr, dead.addr, 4);
	snprintf(want, sizeof(want), "{\"event\":\"icmp\",\"from\":\"127.0.0.1\","
		 "\"about\":\"127.0.0.1:%u\",\"type\":3,\"code\":3,\"what\":\"port unreachable\"}\n",
		 dead_port);
	assert_string_equal(icmp_event_no_t(&e), want);
	/* drained: nothing more, and a datagram still reads normally */
	for (i = 0; i < 4 && netio_recv_err(fd, &e) == 0; i++)
		;
	assert_int_equal(netio_recv_err(fd, &e), -EAGAIN);
	close(fd);
	close(lfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_err),
		cmocka_unit_test(test_loopback_unreachable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
