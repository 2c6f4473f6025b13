/* SPDX-License-Identifier: MIT */
#ifndef HPCLIENT_NETIO_H
#define HPCLIENT_NETIO_H

#include <stddef.h>
#include <stdint.h>

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
 * Host candidates: up, non-loopback IPv4 interface addresses with our port;
 * with_loopback puts 127.0.0.1 first (for a server on loopback). Returns
 * the count (<= max).
 */
size_t netio_candidates(struct hp_endpoint *out, size_t max, uint16_t port, int with_loopback);

#endif
