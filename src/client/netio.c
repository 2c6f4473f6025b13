// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/errqueue.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/netio.h"

int netio_open(uint16_t port, uint16_t *bound_port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	socklen_t sl = sizeof(sin);
	int fd, ret;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	sin.sin_addr.s_addr = htonl(INADDR_ANY);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &sl) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	if (bound_port)
		*bound_port = ntohs(sin.sin_port);
	/* room for a receive window of chat lines (reliab.h: 1024 lines of
	 * ~1.1 kB each as the kernel counts them, socket(7) SO_RCVBUF, which
	 * the kernel doubles and caps at rmem_max); failing is harmless */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &(int){ 1 << 20 }, sizeof(int));
	return fd;
}

int netio_resolve(struct hp_endpoint *ep, const char *host, uint16_t port)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_DGRAM };
	struct addrinfo *res = NULL;
	int ret;

	if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res)
		return -EHOSTUNREACH;
	ret = hp_endpoint_from_sockaddr(ep, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	if (ret < 0)
		return ret;
	ep->port = port;
	return 0;
}

/*
 * With IP_RECVERR an ICMP error also sets the socket's pending error, and
 * the next operation on the socket returns it, sendto() included (the
 * kernel's sock_alloc_send_pskb() checks sock_error() first): the
 * datagram is then not sent. The error itself stays in the error queue;
 * reading it cleared it, so the send is simply tried again (bounded:
 * each try consumes one pending error).
 */
static bool netio_async_error(int err)
{
	switch (err) {
	case ECONNREFUSED: /* the errnos icmp_err_convert() gives (RFC 1122 */
	case EHOSTUNREACH: /* s.3.2.2.1), time exceeded and frag needed too */
	case ENETUNREACH:
	case ENOPROTOOPT:
	case EHOSTDOWN:
	case ENONET:
	case EOPNOTSUPP:
	case EMSGSIZE:
		return true;
	default:
		return false;
	}
}

static int netio_sendto(int fd, const uint8_t *buf, size_t len, const struct sockaddr *sa,
			socklen_t sl)
{
	int tries;

	for (tries = 0; tries < 4; tries++) {
		if (sendto(fd, buf, len, 0, sa, sl) >= 0)
			return 0;
		if (!netio_async_error(errno))
			break;
	}
	return -errno;
}

int netio_send(int fd, const struct hp_endpoint *to, const uint8_t *buf, size_t len, int ttl)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int def = 64, ret;
	socklen_t dl = sizeof(def);

	ret = hp_endpoint_to_sockaddr(to, &ss, &sl);
	if (ret < 0)
		return ret;
	if (ss.ss_family != AF_INET)
		return -EAFNOSUPPORT;
	if (ttl > 0) {
		if (getsockopt(fd, IPPROTO_IP, IP_TTL, &def, &dl) < 0)
			return -errno;
		if (setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) < 0)
			return -errno;
	}
	ret = netio_sendto(fd, buf, len, (struct sockaddr *)&ss, sl);
	/* the short TTL is for this datagram only */
	if (ttl > 0 && setsockopt(fd, IPPROTO_IP, IP_TTL, &def, sizeof(def)) < 0 && ret == 0)
		ret = -errno;
	return ret;
}

ssize_t netio_recv(int fd, uint8_t *buf, size_t cap, struct hp_endpoint *from)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	ssize_t n;

	n = recvfrom(fd, buf, cap, MSG_TRUNC, (struct sockaddr *)&ss, &sl);
	if (n < 0)
		return -errno;
	if (hp_endpoint_from_sockaddr(from, (struct sockaddr *)&ss, sl) < 0)
		return -EAFNOSUPPORT;
	return n;
}

int netio_want_errors(int fd)
{
	int on = 1;

	return setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, sizeof(on)) < 0 ? -errno : 0;
}

int netio_parse_err(const struct msghdr *mh, struct netio_err *e)
{
	const struct sock_extended_err *ee;
	const struct sockaddr *by;
	struct cmsghdr *cm;

	memset(e, 0, sizeof(*e));
	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR((struct msghdr *)mh, cm)) {
		if (cm->cmsg_level != IPPROTO_IP || cm->cmsg_type != IP_RECVERR ||
		    cm->cmsg_len < CMSG_LEN(sizeof(*ee)))
			continue;
		ee = (const struct sock_extended_err *)CMSG_DATA(cm);
		e->err = (int)ee->ee_errno;
		e->icmp = ee->ee_origin == SO_EE_ORIGIN_ICMP;
		e->type = ee->ee_type;
		e->code = ee->ee_code;
		/* the offender follows the struct, inside the same cmsg */
		by = SO_EE_OFFENDER(ee);
		if (cm->cmsg_len >= CMSG_LEN(sizeof(*ee) + sizeof(struct sockaddr_in)))
			hp_endpoint_from_sockaddr(&e->by, by, sizeof(struct sockaddr_in));
		if (mh->msg_name &&
		    hp_endpoint_from_sockaddr(&e->to, mh->msg_name, mh->msg_namelen) < 0)
			memset(&e->to, 0, sizeof(e->to));
		return 0;
	}
	return -ENOMSG;
}

int netio_recv_err(int fd, struct netio_err *e)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct sock_extended_err) + sizeof(struct sockaddr_in))];
		struct cmsghdr align;
	} ctl;
	struct sockaddr_storage ss;
	uint8_t data[64]; /* the failed datagram: not needed, truncated */
	struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
	struct msghdr mh = { .msg_name = &ss, .msg_namelen = sizeof(ss), .msg_iov = &iov,
			     .msg_iovlen = 1, .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf) };

	if (recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
		return -errno;
	return netio_parse_err(&mh, e);
}

size_t netio_candidates(struct hp_endpoint *out, size_t max, uint16_t port, int with_loopback)
{
	struct ifaddrs *ifa = NULL, *i;
	size_t n = 0, k;
	struct hp_endpoint ep;
	bool dup;

	if (with_loopback && n < max) {
		memset(&out[n], 0, sizeof(out[n]));
		out[n].family = HP_FAMILY_V4;
		out[n].addr[0] = 127;
		out[n].addr[3] = 1;
		out[n].port = port;
		n++;
	}
	if (getifaddrs(&ifa) < 0)
		return n;
	for (i = ifa; i && n < max; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
			continue;
		if (!(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK))
			continue;
		if (hp_endpoint_from_sockaddr(&ep, i->ifa_addr, sizeof(struct sockaddr_in)) < 0)
			continue;
		ep.port = port;
		dup = false;
		for (k = 0; k < n; k++)
			dup |= hp_endpoint_equal(&out[k], &ep);
		if (!dup)
			out[n++] = ep;
	}
	freeifaddrs(ifa);
	return n;
}
