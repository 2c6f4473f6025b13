// SPDX-License-Identifier: MIT
/*
 * Replies (src/server/reply.c) through a loopback socket as the server's
 * socket 0: the no-amplification rule and its one exemption, refused
 * sockets and sizes, ERROR cut to fit, the v4-mapped form on a dual-stack
 * socket. Absence of a datagram is proven with a sentinel reply that must
 * be the first thing the client receives.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "proto.h"
#include "server/reply.h"

struct fixture {
	struct server_ctx ctx;
	int client;
	struct hp_endpoint client_ep;
	struct server_request req; /* from the client, 64 bytes long */
	uint8_t req_buf[64];
};

static int udp_loopback(struct hp_endpoint *ep)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) < 0 ||
	    hp_endpoint_from_sockaddr(ep, (struct sockaddr *)&sin, len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int setup(void **state)
{
	static struct fixture f;
	int i;

	memset(&f, 0, sizeof(f));
	for (i = 0; i < SERVER_SOCKS; i++)
		f.ctx.socks.fd[i] = -1;
	f.ctx.socks.fd[0] = udp_loopback(&f.ctx.socks.local[0]);
	f.ctx.socks.n = 1;
	f.ctx.socks.family = AF_INET;
	f.client = udp_loopback(&f.client_ep);
	if (f.ctx.socks.fd[0] < 0 || f.client < 0)
		return -1;
	f.req.buf = f.req_buf;
	f.req.len = sizeof(f.req_buf);
	f.req.from = f.client_ep;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	close(f->ctx.socks.fd[0]);
	close(f->client);
	return 0;
}

/* Waits (bounded) for the next datagram to the client. */
static ssize_t recv_reply(struct fixture *f, uint8_t *buf, size_t cap)
{
	struct pollfd pfd = { .fd = f->client, .events = POLLIN };

	if (poll(&pfd, 1, 2000) != 1)
		return -1;
	return recv(f->client, buf, cap, MSG_DONTWAIT);
}

/* Asserts the client got nothing before a sentinel reply. */
static void assert_no_reply(struct fixture *f)
{
	static const uint8_t sentinel[4] = "sent";
	uint8_t buf[2048];

	assert_int_equal(reply_send(&f->ctx, &f->req, 0, &f->client_ep, sentinel,
				    sizeof(sentinel), false), 0);
	assert_int_equal(recv_reply(f, buf, sizeof(buf)), sizeof(sentinel));
	assert_memory_equal(buf, sentinel, sizeof(sentinel));
}

static void test_send_up_to_request_size(void **state)
{
	struct fixture *f = *state;
	uint8_t out[64], buf[2048];

	memset(out, 0x42, sizeof(out));
	assert_int_equal(reply_send(&f->ctx, &f->req, 0, &f->client_ep, out, sizeof(out), false), 0);
	assert_int_equal(recv_reply(f, buf, sizeof(buf)), sizeof(out));
	assert_memory_equal(buf, out, sizeof(out));
	assert_int_equal(f->ctx.counters.v[CNT_DROP_AMPLIFY], 0);
	assert_int_equal(f->ctx.counters.v[CNT_DROP_SEND], 0);
}

static void test_longer_than_request_refused_unless_exempt(void **state)
{
	struct fixture *f = *state;
	uint8_t out[65], buf[2048];

	memset(out, 0x43, sizeof(out));
	assert_int_equal(reply_send(&f->ctx, &f->req, 0, &f->client_ep, out, sizeof(out), false),
			 -EMSGSIZE);
	assert_int_equal(f->ctx.counters.v[CNT_DROP_AMPLIFY], 1);
	assert_no_reply(f);
	assert_int_equal(reply_send(&f->ctx, &f->req, 0, &f->client_ep, out, sizeof(out), true), 0);
	assert_int_equal(recv_reply(f, buf, sizeof(buf)), sizeof(out));
	assert_int_equal(f->ctx.counters.v[CNT_DROP_AMPLIFY], 1);
}

static void test_closed_socket_and_oversize_refused(void **state)
{
	struct fixture *f = *state;
	static uint8_t out[HP_MAX_DATAGRAM + 1];

	assert_int_equal(reply_send(&f->ctx, &f->req, 1, &f->client_ep, out, 8, false), -EINVAL);
	assert_int_equal(reply_send(&f->ctx, &f->req, -1, &f->client_ep, out, 8, false), -EINVAL);
	assert_int_equal(reply_send(&f->ctx, &f->req, SERVER_SOCKS, &f->client_ep, out, 8, false),
			 -EINVAL);
	assert_int_equal(reply_send(&f->ctx, &f->req, 0, &f->client_ep, out, sizeof(out), true),
			 -EINVAL);
	assert_int_equal(f->ctx.counters.v[CNT_DROP_SEND], 4);
	assert_int_equal(f->ctx.counters.v[CNT_DROP_AMPLIFY], 0);
	assert_no_reply(f);
}

static void test_sock_local(void **state)
{
	struct fixture *f = *state;

	assert_ptr_equal(reply_sock_local(&f->ctx, 0), &f->ctx.socks.local[0]);
	assert_null(reply_sock_local(&f->ctx, 1));
	assert_null(reply_sock_local(&f->ctx, -1));
	f->ctx.socks.n = SERVER_SOCKS;
	assert_ptr_equal(reply_sock_local(&f->ctx, 3), &f->ctx.socks.local[3]);
	assert_null(reply_sock_local(&f->ctx, SERVER_SOCKS));
	f->ctx.socks.n = 1;
}

static void test_error_cut_to_request_and_logged(void **state)
{
	struct fixture *f = *state;
	const uint8_t token[HP_TOKEN_LEN] = "tok-1234";
	char reason[HP_REASON_MAX + 1], *text = NULL;
	uint8_t buf[2048];
	struct hp_msg m;
	size_t tlen = 0;
	FILE *log = open_memstream(&text, &tlen);
	ssize_t n;

	assert_non_null(log);
	f->ctx.log.verbosity = SERVER_VERBOSE;
	f->ctx.log.f = log;
	memset(reason, 'r', HP_REASON_MAX);
	reason[HP_REASON_MAX] = '\0';
	reply_error(&f->ctx, &f->req, token, HP_ERR_QUOTA, reason);
	fclose(log);
	f->ctx.log.f = NULL;
	n = recv_reply(f, buf, sizeof(buf));
	assert_int_equal(n, (ssize_t)f->req.len); /* the reason fills it exactly */
	assert_int_equal(hp_msg_decode(&m, buf, (size_t)n), 0);
	assert_int_equal(m.hdr.type, HP_ERROR);
	assert_int_equal(m.u.error.code, HP_ERR_QUOTA);
	assert_memory_equal(m.u.error.token, token, HP_TOKEN_LEN);
	assert_int_equal(strlen(m.u.error.reason), f->req.len - (HP_HDR_LEN + HP_TOKEN_LEN + 3));
	assert_int_equal(f->ctx.counters.v[CNT_ERRORS], 1);
	assert_non_null(strstr(text, "hpserver: error 5 (rrr"));
	assert_non_null(strstr(text, ") to 127.0.0.1:"));
	free(text);
}

static void test_error_short_reason_and_no_token(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[2048];
	struct hp_msg m;
	ssize_t n;

	reply_error(&f->ctx, &f->req, NULL, HP_ERR_BAD_REQUEST, "bad request");
	n = recv_reply(f, buf, sizeof(buf));
	assert_true(n > 0 && n < (ssize_t)f->req.len);
	assert_int_equal(hp_msg_decode(&m, buf, (size_t)n), 0);
	assert_string_equal(m.u.error.reason, "bad request");
	assert_memory_equal(m.u.error.token, (uint8_t[HP_TOKEN_LEN]){ 0 }, HP_TOKEN_LEN);
}

static void test_error_not_sent_when_even_empty_would_amplify(void **state)
{
	struct fixture *f = *state;

	f->req.len = HP_HDR_LEN + HP_TOKEN_LEN + 2; /* one byte short */
	reply_error(&f->ctx, &f->req, NULL, HP_ERR_BAD_REQUEST, "x");
	assert_int_equal(f->ctx.counters.v[CNT_DROP_AMPLIFY], 1);
	assert_int_equal(f->ctx.counters.v[CNT_ERRORS], 0);
	f->req.len = sizeof(f->req_buf);
	assert_no_reply(f);
}

/* RFC 4291 s.2.5.5.2: a dual-stack socket reaches an IPv4 client. */
static void test_dual_stack_sends_v4_mapped(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT };
	uint8_t out[16] = "to-a-v4-client", buf[64];
	int off = 0, fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) < 0 ||
	    bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) < 0) {
		if (fd >= 0)
			close(fd);
		skip();
	}
	close(f->ctx.socks.fd[0]);
	f->ctx.socks.fd[0] = fd;
	f->ctx.socks.family = AF_INET6;
	assert_int_equal(reply_send(&f->ctx, &f->req, 0, &f->client_ep, out, sizeof(out), false), 0);
	assert_int_equal(recv_reply(f, buf, sizeof(buf)), sizeof(out));
	assert_memory_equal(buf, out, sizeof(out));
}

/* Sends a 2-byte datagram numbered i from the server's socket, past any
 * queue: what arrives before it was sent before it. */
static void send_direct(struct fixture *f, uint16_t i)
{
	struct sockaddr_storage ss;
	socklen_t len;
	uint8_t b[2] = { (uint8_t)(i >> 8), (uint8_t)i };

	assert_true(hp_endpoint_to_sockaddr(&f->client_ep, &ss, &len) >= 0);
	assert_int_equal(sendto(f->ctx.socks.fd[0], b, sizeof(b), 0, (struct sockaddr *)&ss, len),
			 sizeof(b));
}

static void expect_numbered(struct fixture *f, uint16_t i)
{
	uint8_t buf[2048];

	assert_int_equal(recv_reply(f, buf, sizeof(buf)), 2);
	assert_int_equal(buf[0] << 8 | buf[1], i);
}

/* With a queue, replies wait for the flush, or for the queue to fill:
 * REPLY_BATCH + 2 replies leave as a full batch, then two at the flush. */
static void test_queue_holds_until_flush(void **state)
{
	struct fixture *f = *state;
	uint16_t i, n = REPLY_BATCH + 2;

	f->ctx.txq = calloc(1, sizeof(*f->ctx.txq));
	assert_non_null(f->ctx.txq);
	for (i = 0; i < n; i++) {
		uint8_t b[2] = { (uint8_t)(i >> 8), (uint8_t)i };

		assert_int_equal(reply_send(&f->ctx, &f->req, 0, &f->client_ep, b, sizeof(b), false), 0);
	}
	assert_int_equal(f->ctx.txq->n, 2);
	send_direct(f, 1000);
	reply_flush(&f->ctx);
	assert_int_equal(f->ctx.txq->n, 0);
	for (i = 0; i < REPLY_BATCH; i++)
		expect_numbered(f, i);
	expect_numbered(f, 1000);
	expect_numbered(f, REPLY_BATCH);
	expect_numbered(f, REPLY_BATCH + 1);
	assert_int_equal(f->ctx.counters.v[CNT_DROP_SEND], 0);
	reply_flush(&f->ctx); /* nothing queued: nothing sent */
	send_direct(f, 1001);
	expect_numbered(f, 1001);
	free(f->ctx.txq);
	f->ctx.txq = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_send_up_to_request_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_longer_than_request_refused_unless_exempt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_closed_socket_and_oversize_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sock_local, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_cut_to_request_and_logged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_short_reason_and_no_token, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_not_sent_when_even_empty_would_amplify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dual_stack_sends_v4_mapped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_holds_until_flush, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
