/* SPDX-License-Identifier: MIT */
#ifndef HPCLIENT_NETIO_H
#define HPCLIENT_NETIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "endpoint.h"

/* UDP socket on 0.0.0.0:port, non-blocking. Returns fd or -errno. */
int netio_open(uint16_t port, uint16_t *bound_port);
/* Resolves an IPv4 host (literal or name) and port. */
int netio_resolve(struct hp_endpoint *ep, const char *host, uint16_t port);
/* Sends one datagram; ttl > 0 sends this one with that IP TTL. */
int netio_send(int fd, const struct hp_endpoint *to, const uint8_t *buf, size_t len, int ttl);
/* One datagram or -EAGAIN. */
ssize_t netio_recv(int fd, uint8_t *buf, size_t cap, struct hp_endpoint *from);

/*
 * An unconnected UDP socket hears of ICMP errors only with IP_RECVERR,
 * and then from its error queue (ip(7)): the error, the ICMP type and
 * code, the destination of the datagram that caused it (msg_name: address
 * and port, so a punch to a peer candidate on the server's host is not
 * taken for the server), and who sent the ICMP (SO_EE_OFFENDER: the
 * destination itself for port unreachable, a router for host unreachable).
 */
struct netio_err {
	int err;          /* ee_errno: ECONNREFUSED for port unreachable, ... */
	bool icmp;        /* SO_EE_ORIGIN_ICMP; else a local error */
	uint8_t type, code; /* the ICMP type and code (RFC 792) */
	struct hp_endpoint to; /* the failed datagram's destination */
	struct hp_endpoint by; /* the ICMP's sender; family 0 if not given */
};
/* Turns on IP_RECVERR. 0 or -errno. */
int netio_want_errors(int fd);
/* One error from the error queue: 0, -EAGAIN when empty, or -errno. */
int netio_recv_err(int fd, struct netio_err *e);
/* Pure: the error in a MSG_ERRQUEUE recvmsg() result; -ENOMSG if none. */
int netio_parse_err(const struct msghdr *mh, struct netio_err *e);
/*
 * Host candidates: up, non-loopback IPv4 interface addresses with our port;
 * with_loopback puts 127.0.0.1 first (for a server on loopback). Returns
 * the count (<= max).
 */
size_t netio_candidates(struct hp_endpoint *out, size_t max, uint16_t port, int with_loopback);

#endif
