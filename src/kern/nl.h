/* SPDX-License-Identifier: MIT */
#ifndef LAB_NL_H
#define LAB_NL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/netlink.h>

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
/* Makes a NETLINK_ROUTE socket fd (lab_netns_create_in's, say) a lab_nl;
 * fd is nl's from then on, closed on failure too. */
int lab_nl_adopt(struct lab_nl *nl, int fd);

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

/* As lab_nl_veth_create; up != 0 creates the first end (name) already
 * IFF_UP, saving its link_up round trip. The peer end is always created
 * down (the kernel cannot open a veth before its pair is complete): bring
 * it up with lab_nl_link_up or lab_nl_batch_link_up in its namespace. */
int lab_nl_veth_create_ex(struct lab_nl *nl, const char *name, int ns_fd,
			  const char *peer, int peer_ns_fd, int up);
/* Renames a link. Rename it while down: older kernels refuse to rename
 * a running device (-EBUSY). */
int lab_nl_link_set_name(struct lab_nl *nl, const char *ifname, const char *newname);

/* The same with each end's interface index chosen (0: the kernel's
 * choice; the peer's needs the first end's): a device's index known in
 * advance needs no lookup before addresses and routes name it. An index
 * already taken where the device goes, or naming a device in the
 * sender's namespace, fails the request (-EEXIST; -EBUSY on older
 * kernels). */
struct lab_nl_veth {
	const char *name;
	int ns_fd, ifindex;           /* ns_fd -1: the sender's namespace */
	const char *peer;
	int peer_ns_fd, peer_ifindex;
	int up;                       /* the first end up, as lab_nlmsg_veth_ex */
};
/*
 * Batch: queue requests in one buffer, send them with one sendto() and
 * collect every ACK. The kernel processes each message even when an
 * earlier one failed; commit returns the first failure in queue order
 * (or a queueing error such as -EMSGSIZE, in which case nothing is sent).
 * Requests needing an ifindex take it as a number: look it up first.
 */
#define LAB_NL_BATCH_SIZE 32768
struct lab_nl_batch {
	struct lab_nl *nl;
	size_t len;
	uint32_t first_seq;
	uint32_t last_seq;
	uint32_t count;
	int error;
	uint8_t buf[LAB_NL_BATCH_SIZE] __attribute__((aligned(4)));
};
void lab_nl_batch_init(struct lab_nl_batch *b, struct lab_nl *nl);
int lab_nl_batch_veth_at(struct lab_nl_batch *b, const struct lab_nl_veth *v);
/* A bridge, up, of index ifindex (0: the kernel's choice); ifname
 * enslaved to the bridge of master_ifindex. */
int lab_nl_batch_bridge(struct lab_nl_batch *b, const char *name, int ifindex);
int lab_nl_batch_master(struct lab_nl_batch *b, const char *ifname, int master_ifindex);
int lab_nl_batch_link_up(struct lab_nl_batch *b, const char *ifname);
int lab_nl_batch_addr(struct lab_nl_batch *b, int ifindex, int family,
		      const void *addr, uint8_t prefixlen);
int lab_nl_batch_route(struct lab_nl_batch *b, int family, const void *dst,
		       uint8_t dst_len, const void *gw, int oif);
int lab_nl_batch_commit(struct lab_nl_batch *b);

/* More builders. bridge (kind "bridge", up as above) and link_master
 * (enslave to a bridge, index 0: release): lab_nl_batch_bridge and
 * lab_nl_batch_master queue them.
 * link_up_name/link_master/link_get/link_del address the
 * link by IFLA_IFNAME (ifi_index 0), which the kernel resolves itself;
 * link_name addresses it by index and puts the new name in IFLA_IFNAME. */
int lab_nlmsg_veth_ex(void *buf, size_t cap, uint32_t seq, const char *name, int ns_fd,
		      const char *peer, int peer_ns_fd, int up);
int lab_nlmsg_veth_at(void *buf, size_t cap, uint32_t seq, const struct lab_nl_veth *v);
int lab_nlmsg_bridge_at(void *buf, size_t cap, uint32_t seq, const char *name, int ifindex,
			int up);
int lab_nlmsg_bridge(void *buf, size_t cap, uint32_t seq, const char *name, int up);
int lab_nlmsg_link_up_name(void *buf, size_t cap, uint32_t seq, const char *ifname);
int lab_nlmsg_link_master(void *buf, size_t cap, uint32_t seq, const char *ifname,
			  int master_ifindex);
int lab_nlmsg_link_name(void *buf, size_t cap, uint32_t seq, int ifindex, const char *newname);
int lab_nlmsg_link_get(void *buf, size_t cap, uint32_t seq, const char *ifname);
int lab_nlmsg_link_del(void *buf, size_t cap, uint32_t seq, const char *ifname);

/* Waits until every link in names[] (n < 64) inside namespace ns_fd is up,
 * has carrier and a qdisc attached (not "noop"): only then does a veth
 * transmit. 0, or -ETIMEDOUT after timeout_ms, or -errno. */
int lab_nl_wait_ready(int ns_fd, const char *const *names, size_t n, int timeout_ms);
/* One look (a dump on nl) at the same condition: 1 if every named link
 * can transmit now, 0 if not, or -errno. */
int lab_nl_links_ready(struct lab_nl *nl, const char *const *names, size_t n);

/* The replies nl.c reads, parsed without I/O (nlmsg.c), for the tests and
 * the fuzz harness. */
struct lab_nl_link {
	int ifindex;
	unsigned flags;     /* IFF_* */
	char name[16];      /* IFLA_IFNAME, "" absent */
	char qdisc[16];     /* IFLA_QDISC, "" absent */
	int operstate;      /* IFLA_OPERSTATE (IF_OPER_*), -1 absent */
};
/* One RTM_NEWLINK message (header included) of len bytes: 0, -ENOMSG for
 * another type, -EINVAL when malformed. */
int lab_nlmsg_parse_link(const struct nlmsghdr *nlh, size_t len, struct lab_nl_link *out);
/* One NLMSG_ERROR message: its error (0 an ack, -errno), -EBADMSG when
 * malformed, -ENOMSG for another type. */
int lab_nlmsg_parse_error(const struct nlmsghdr *nlh, size_t len);

#endif
