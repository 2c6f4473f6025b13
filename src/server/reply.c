// SPDX-License-Identifier: MIT
/*
 * Replies (reply.h): the server's only way out. Owns the no-amplification
 * check, the v4-mapped address form of a dual-stack socket, and the ERROR
 * builder every handler shares. Called by the handlers; calls counters,
 * log and sendto(2)/sendmmsg(2), never up into the loop.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "server/reply.h"

/* header + token + code + reason length byte */
#define REPLY_ERROR_FIXED (HP_HDR_LEN + HP_TOKEN_LEN + 2 + 1)

/*
 * A dual-stack IPv6 socket reaches IPv4 peers through v4-mapped addresses
 * (RFC 4291 s.2.5.5.2); endpoints keep them as plain IPv4.
 */
static int reply_sockaddr(const struct server_socks *k, const struct hp_endpoint *ep,
			  struct sockaddr_storage *ss, socklen_t *sslen)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	if (k->family == AF_INET6 && ep->family == HP_FAMILY_V4) {
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

static int reply_sock_fd(const struct server_socks *k, int sock)
{
	if (sock < 0 || sock >= SERVER_SOCKS || sock >= k->n)
		return -1;
	return k->fd[sock];
}

const struct hp_endpoint *reply_sock_local(const struct server_ctx *c, int sock)
{
	if (sock < 0 || sock >= SERVER_SOCKS || sock >= c->socks.n)
		return NULL;
	return &c->socks.local[sock];
}

/*
 * sendmmsg(2) stops at the first datagram it cannot send and reports how
 * many went: that one is lost (counted) and the rest are tried again,
 * except on a full buffer (EAGAIN), which would refuse them all too.
 */
void reply_flush(struct server_ctx *c)
{
	struct reply_queue *q = c->txq;
	int off = 0, n;

	if (!q)
		return;
	while (off < q->n) {
		n = sendmmsg(q->fd, q->msg + off, (unsigned int)(q->n - off), MSG_DONTWAIT);
		if (n > 0) {
			off += n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			c->counters.v[CNT_DROP_SEND] += (uint64_t)(q->n - off);
			break;
		}
		counters_inc(&c->counters, CNT_DROP_SEND);
		off++;
	}
	q->n = 0;
}

static void reply_enqueue(struct server_ctx *c, int fd, const struct sockaddr_storage *ss,
			  socklen_t sslen, const uint8_t *buf, size_t len)
{
	struct reply_queue *q = c->txq;
	int i;

	if (q->n == REPLY_BATCH || (q->n && q->fd != fd))
		reply_flush(c);
	i = q->n++;
	q->fd = fd;
	memcpy(q->buf[i], buf, len);
	memcpy(&q->to[i], ss, sslen);
	q->iov[i] = (struct iovec){ .iov_base = q->buf[i], .iov_len = len };
	q->msg[i] = (struct mmsghdr){ .msg_hdr = {
		.msg_name = &q->to[i], .msg_namelen = sslen, .msg_iov = &q->iov[i], .msg_iovlen = 1,
	} };
}

int reply_send(struct server_ctx *c, const struct server_request *req, int sock,
	       const struct hp_endpoint *to, const uint8_t *buf, size_t len, bool exempt)
{
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	int ret = 0, fd = reply_sock_fd(&c->socks, sock);

	if (!exempt && len > req->len) {
		counters_inc(&c->counters, CNT_DROP_AMPLIFY);
		ret = -EMSGSIZE;
		goto out;
	}
	if (fd < 0 || len > HP_MAX_DATAGRAM || reply_sockaddr(&c->socks, to, &ss, &sslen) < 0) {
		counters_inc(&c->counters, CNT_DROP_SEND);
		ret = -EINVAL;
		goto out;
	}
	if (c->txq) {
		reply_enqueue(c, fd, &ss, sslen, buf, len);
		goto out;
	}
	if (sendto(fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&ss, sslen) < 0) {
		/* a full socket buffer loses this reply, never stalls the loop */
		ret = -errno;
		counters_inc(&c->counters, CNT_DROP_SEND);
	}
out:
	return ret;
}

void reply_error(struct server_ctx *c, const struct server_request *req,
		 const uint8_t token[HP_TOKEN_LEN], uint16_t code, const char *reason)
{
	uint8_t out[HP_MAX_DATAGRAM];
	struct hp_msg m;
	size_t room, n;
	char from[HP_ENDPOINT_STRLEN];
	int len;

	if (c->log.verbosity >= SERVER_VERBOSE) /* formatting is not free */
		server_log(&c->log, "error %u (%s) to %s", code, reason,
			   hp_endpoint_format(&req->from, from, sizeof(from)));
	if (req->len < REPLY_ERROR_FIXED) {
		counters_inc(&c->counters, CNT_DROP_AMPLIFY);
		return;
	}
	memset(&m, 0, sizeof(m));
	m.hdr.type = HP_ERROR;
	if (token)
		memcpy(m.u.error.token, token, HP_TOKEN_LEN);
	m.u.error.code = code;
	room = req->len - REPLY_ERROR_FIXED;
	n = strnlen(reason, HP_REASON_MAX);
	if (n > room)
		n = room;
	memcpy(m.u.error.reason, reason, n);
	len = hp_msg_encode(&m, out, sizeof(out));
	if (len < 0) {
		counters_inc(&c->counters, CNT_DROP_SEND);
		return;
	}
	if (reply_send(c, req, 0, &req->from, out, (size_t)len, false) == 0)
		counters_inc(&c->counters, CNT_ERRORS);
}
