// SPDX-License-Identifier: MIT
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "endpoint.h"

static size_t endpoint_addr_len(uint8_t family)
{
	return family == HP_FAMILY_V4 ? 4 : family == HP_FAMILY_V6 ? 16 : 0;
}

/*
 * A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d (RFC 4291
 * s.2.5.5.2). They are IPv4 hosts, and must compare equal to the same peer
 * seen over an AF_INET socket, so they become V4 endpoints.
 */
static void endpoint_set_v6(struct hp_endpoint *ep, const uint8_t a[16], uint16_t port)
{
	memset(ep, 0, sizeof(*ep));
	ep->port = port;
	if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)(const void *)a)) {
		ep->family = HP_FAMILY_V4;
		memcpy(ep->addr, a + 12, 4);
	} else {
		ep->family = HP_FAMILY_V6;
		memcpy(ep->addr, a, 16);
	}
}

int hp_endpoint_from_sockaddr(struct hp_endpoint *ep, const struct sockaddr *sa, socklen_t salen)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	if (!ep || !sa || salen < (socklen_t)sizeof(sa_family_t))
		return -EINVAL;
	switch (sa->sa_family) {
	case AF_INET:
		if (salen < (socklen_t)sizeof(sin))
			return -EINVAL;
		memcpy(&sin, sa, sizeof(sin));
		memset(ep, 0, sizeof(*ep));
		ep->family = HP_FAMILY_V4;
		ep->port = ntohs(sin.sin_port);
		memcpy(ep->addr, &sin.sin_addr, 4);
		return 0;
	case AF_INET6:
		if (salen < (socklen_t)sizeof(sin6))
			return -EINVAL;
		memcpy(&sin6, sa, sizeof(sin6));
		endpoint_set_v6(ep, sin6.sin6_addr.s6_addr, ntohs(sin6.sin6_port));
		return 0;
	default:
		return -EAFNOSUPPORT;
	}
}

int hp_endpoint_to_sockaddr(const struct hp_endpoint *ep, struct sockaddr_storage *ss, socklen_t *salen)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	if (!ep || !ss)
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	switch (ep->family) {
	case HP_FAMILY_V4:
		sin->sin_family = AF_INET;
		sin->sin_port = htons(ep->port);
		memcpy(&sin->sin_addr, ep->addr, 4);
		if (salen)
			*salen = sizeof(*sin);
		return (int)sizeof(*sin);
	case HP_FAMILY_V6:
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(ep->port);
		memcpy(&sin6->sin6_addr, ep->addr, 16);
		if (salen)
			*salen = sizeof(*sin6);
		return (int)sizeof(*sin6);
	default:
		return -EAFNOSUPPORT;
	}
}

const char *hp_endpoint_format(const struct hp_endpoint *ep, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (!buf || len == 0)
		return buf;
	if (!ep || !endpoint_addr_len(ep->family)) {
		snprintf(buf, len, "(none)");
		return buf;
	}
	if (ep->family == HP_FAMILY_V4) {
		inet_ntop(AF_INET, ep->addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, (unsigned)ep->port);
	} else {
		inet_ntop(AF_INET6, ep->addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, (unsigned)ep->port);
	}
	return buf;
}

/* Decimal 0..65535, digits only: no sign, no spaces, no trailing junk. */
static int endpoint_parse_port(const char *s, uint16_t *port)
{
	unsigned long v = 0;
	size_t i;

	if (!*s || strlen(s) > 5)
		return -EINVAL;
	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

/* A bare address: a.b.c.d or an IPv6 literal without brackets. */
static int endpoint_parse_ip(struct hp_endpoint *ep, const char *ip, uint16_t port)
{
	uint8_t a[16];

	if (inet_pton(AF_INET, ip, a) == 1) {
		memset(ep, 0, sizeof(*ep));
		ep->family = HP_FAMILY_V4;
		ep->port = port;
		memcpy(ep->addr, a, 4);
		return 0;
	}
	if (inet_pton(AF_INET6, ip, a) == 1) {
		endpoint_set_v6(ep, a, port);
		return 0;
	}
	return -EINVAL;
}

int hp_endpoint_parse(struct hp_endpoint *ep, const char *s, int default_port)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port_str = NULL, *colon, *close;
	size_t host_len;
	uint16_t port;
	int ret;

	if (!ep || !s)
		return -EINVAL;
	if (s[0] == '[') {
		close = strchr(s, ']');
		if (!close)
			return -EINVAL;
		host_len = (size_t)(close - (s + 1));
		if (close[1] == ':')
			port_str = close + 2;
		else if (close[1] != '\0')
			return -EINVAL;
		if (host_len == 0 || host_len >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, host_len);
		host[host_len] = '\0';
		/* brackets are for IPv6 only */
		if (!strchr(host, ':'))
			return -EINVAL;
	} else {
		colon = strchr(s, ':');
		if (colon && strchr(colon + 1, ':')) {
			/* several colons: a bare IPv6 literal, no port */
			host_len = strlen(s);
		} else {
			host_len = colon ? (size_t)(colon - s) : strlen(s);
			if (colon)
				port_str = colon + 1;
		}
		if (host_len == 0 || host_len >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, host_len);
		host[host_len] = '\0';
	}

	if (port_str) {
		ret = endpoint_parse_port(port_str, &port);
		if (ret < 0)
			return ret;
	} else {
		if (default_port < 0 || default_port > 65535)
			return -EINVAL;
		port = (uint16_t)default_port;
	}
	return endpoint_parse_ip(ep, host, port);
}

bool hp_endpoint_same_addr(const struct hp_endpoint *a, const struct hp_endpoint *b)
{
	size_t n;

	if (!a || !b || a->family != b->family)
		return false;
	n = endpoint_addr_len(a->family);
	return n && memcmp(a->addr, b->addr, n) == 0;
}

bool hp_endpoint_equal(const struct hp_endpoint *a, const struct hp_endpoint *b)
{
	return hp_endpoint_same_addr(a, b) && a->port == b->port;
}
