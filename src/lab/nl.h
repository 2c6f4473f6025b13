/* SPDX-License-Identifier: MIT */
#ifndef LAB_NL_H
#define LAB_NL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * rtnetlink (RFC 3549, rtnetlink(7)) over libmnl: just what the lab needs
 * to wire namespaces together. Each struct lab_nl is a NETLINK_ROUTE
 * socket living in one namespace; requests are acked (NLM_F_ACK) and the
 * kernel's error is returned as -errno.
 */
struct mnl_socket;

struct lab_nl {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
};

/* Opens a route socket inside namespace ns_fd (-1: the caller's own). */
int lab_nl_open(struct lab_nl *nl, int ns_fd);
void lab_nl_close(struct lab_nl *nl);

/* Creates veth pair name <-> peer with each end created directly in its
 * namespace (IFLA_NET_NS_FD), so nothing ever appears in the root namespace. */
int lab_nl_veth_create(struct lab_nl *nl, const char *name, int ns_fd,
		       const char *peer, int peer_ns_fd);
/* Interface index of ifname in nl's namespace, or -ENODEV. */
int lab_nl_link_index(struct lab_nl *nl, const char *ifname);
int lab_nl_link_up(struct lab_nl *nl, const char *ifname);
int lab_nl_link_del(struct lab_nl *nl, const char *ifname);
/* family AF_INET/AF_INET6; addr in network byte order. */
int lab_nl_addr_add(struct lab_nl *nl, const char *ifname, int family,
		    const void *addr, uint8_t prefixlen);
/* dst NULL/dst_len 0: default route. gw NULL: on-link via ifname. */
int lab_nl_route_add(struct lab_nl *nl, int family, const void *dst, uint8_t dst_len,
		     const void *gw, const char *ifname);

/* Message builders, separated from I/O so unit tests can check the bytes.
 * Each writes one request into buf (at least MNL_SOCKET_BUFFER_SIZE) and
 * returns its length or -errno. */
int lab_nlmsg_veth(void *buf, size_t cap, uint32_t seq, const char *name, int ns_fd,
		   const char *peer, int peer_ns_fd);
int lab_nlmsg_link_up(void *buf, size_t cap, uint32_t seq, int ifindex);
int lab_nlmsg_addr(void *buf, size_t cap, uint32_t seq, int ifindex, int family,
		   const void *addr, uint8_t prefixlen);
int lab_nlmsg_route(void *buf, size_t cap, uint32_t seq, int family, const void *dst,
		    uint8_t dst_len, const void *gw, int oif);

#endif
