// SPDX-License-Identifier: MIT
/*
 * rtnetlink I/O over libmnl: one NETLINK_ROUTE socket per namespace, each
 * request acknowledged (NLM_F_ACK) and the nlmsgerr turned into -errno
 * (netlink(7), RFC 3549 s.2.3.2.2). Requests can also be batched: many
 * messages in one sendto(), every ACK collected afterwards.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <time.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <libmnl/libmnl.h>

#include "netns.h"
#include "nl.h"

/* nl owns sock from here on. */
static void lab_nl_take(struct lab_nl *nl, struct mnl_socket *sock)
{
	int one = 1;

	/* ACKs without a copy of the request: less to read. Best effort. */
	mnl_socket_setsockopt(sock, NETLINK_CAP_ACK, &one, sizeof(one));
	nl->sock = sock;
	nl->portid = mnl_socket_get_portid(sock);
	nl->seq = 1;
}

/* A socket stays in the namespace it was created in, whatever the
 * creating thread does afterwards; so enter, create, and leave. */
int lab_nl_open(struct lab_nl *nl, int ns_fd)
{
	struct mnl_socket *sock = NULL;
	int ret;

	memset(nl, 0, sizeof(*nl));
	ret = lab_netns_mnl_open(ns_fd, NETLINK_ROUTE, &sock);
	if (ret < 0)
		return ret;
	lab_nl_take(nl, sock);
	return 0;
}

int lab_nl_adopt(struct lab_nl *nl, int fd)
{
	struct mnl_socket *sock;
	int ret;

	memset(nl, 0, sizeof(*nl));
	sock = mnl_socket_fdopen(fd);
	if (!sock) {
		ret = errno ? -errno : -ENOMEM;
		close(fd);
		return ret;
	}
	if (mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		mnl_socket_close(sock);
		return ret;
	}
	lab_nl_take(nl, sock);
	return 0;
}

void lab_nl_close(struct lab_nl *nl)
{
	if (nl && nl->sock) {
		mnl_socket_close(nl->sock);
		nl->sock = NULL;
	}
}

static uint32_t nl_next_seq(struct lab_nl *nl)
{
	if (++nl->seq == 0)
		nl->seq = 1;
	return nl->seq;
}

/*
 * Sends len bytes holding count requests whose sequence numbers lie in
 * first..first+span (modulo 2^32; gaps belong to requests already
 * answered) and reads until each one is answered. A reply that
 * is not an error is handed to cb (GETLINK answers). Returns the first
 * error in request order, so a batch fails like the same requests sent
 * one by one would, except that later requests were still attempted.
 */
static int nl_exchange(struct lab_nl *nl, const void *buf, size_t len, uint32_t first,
		       uint32_t span, uint32_t count, mnl_cb_t cb, void *data)
{
	uint8_t rbuf[MNL_SOCKET_BUFFER_SIZE];
	uint32_t answered = 0, err_idx = 0;
	int ret = 0;

	if (!nl || !nl->sock)
		return -EBADF;
	if (mnl_socket_sendto(nl->sock, buf, len) < 0)
		return -errno;
	while (answered < count) {
		const struct nlmsghdr *nlh;
		ssize_t n;
		int left;

		n = mnl_socket_recvfrom(nl->sock, rbuf, sizeof(rbuf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		left = (int)n;
		/* mnl_nlmsg_ok compares nlmsg_len as an int: checked unsigned too */
		for (nlh = (const struct nlmsghdr *)rbuf;
		     mnl_nlmsg_ok(nlh, left) && nlh->nlmsg_len <= (uint32_t)left;
		     nlh = mnl_nlmsg_next(nlh, &left)) {
			uint32_t idx = nlh->nlmsg_seq - first;
			int err = 0;

			if (nlh->nlmsg_pid != nl->portid || idx > span)
				continue; /* stale answer to an earlier, abandoned request */
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				err = lab_nlmsg_parse_error(nlh, (size_t)left);
				answered++;
			} else if (nlh->nlmsg_type == NLMSG_DONE) {
				answered++;
			} else if (nlh->nlmsg_type >= NLMSG_MIN_TYPE) {
				if (cb && cb(nlh, data) < 0)
					err = errno ? -errno : -EBADMSG;
				/* Replies without NLM_F_ACK end at the data message. */
				if (!(nlh->nlmsg_flags & NLM_F_MULTI) && cb)
					answered++;
			}
			if (err < 0 && (ret == 0 || idx < err_idx)) {
				ret = err;
				err_idx = idx;
			}
		}
	}
	return ret;
}

static int nl_request(struct lab_nl *nl, const void *buf, int len)
{
	if (len < 0)
		return len;
	return nl_exchange(nl, buf, (size_t)len, nl->seq, 0, 1, NULL, NULL);
}

int lab_nl_veth_create(struct lab_nl *nl, const char *name, int ns_fd, const char *peer,
		       int peer_ns_fd)
{
	return lab_nl_veth_create_ex(nl, name, ns_fd, peer, peer_ns_fd, 0);
}

int lab_nl_veth_create_ex(struct lab_nl *nl, const char *name, int ns_fd,
			  const char *peer, int peer_ns_fd, int up)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];

	return nl_request(nl, buf, lab_nlmsg_veth_ex(buf, sizeof(buf), nl_next_seq(nl), name,
						     ns_fd, peer, peer_ns_fd, up));
}

static int nl_link_index_cb(const struct nlmsghdr *nlh, void *data)
{
	struct lab_nl_link l;

	if (lab_nlmsg_parse_link(nlh, nlh->nlmsg_len, &l) < 0 || l.ifindex <= 0) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	*(int *)data = l.ifindex;
	return MNL_CB_STOP;
}

int lab_nl_link_index(struct lab_nl *nl, const char *ifname)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	int len, ret, idx = 0;

	len = lab_nlmsg_link_get(buf, sizeof(buf), nl_next_seq(nl), ifname);
	if (len < 0)
		return len;
	errno = 0;
	ret = nl_exchange(nl, buf, (size_t)len, nl->seq, 0, 1, nl_link_index_cb, &idx);
	if (ret < 0)
		return ret;
	return idx > 0 ? idx : -ENODEV;
}

int lab_nl_link_up(struct lab_nl *nl, const char *ifname)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];

	return nl_request(nl, buf, lab_nlmsg_link_up_name(buf, sizeof(buf), nl_next_seq(nl),
							   ifname));
}

int lab_nl_link_set_name(struct lab_nl *nl, const char *ifname, const char *newname)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	int idx = lab_nl_link_index(nl, ifname);

	if (idx < 0)
		return idx;
	return nl_request(nl, buf, lab_nlmsg_link_name(buf, sizeof(buf), nl_next_seq(nl), idx,
						       newname));
}

int lab_nl_link_del(struct lab_nl *nl, const char *ifname)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];

	return nl_request(nl, buf, lab_nlmsg_link_del(buf, sizeof(buf), nl_next_seq(nl), ifname));
}

int lab_nl_addr_add(struct lab_nl *nl, const char *ifname, int family, const void *addr,
		    uint8_t prefixlen)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	int idx = lab_nl_link_index(nl, ifname);

	if (idx < 0)
		return idx;
	return nl_request(nl, buf, lab_nlmsg_addr(buf, sizeof(buf), nl_next_seq(nl), idx,
						  family, addr, prefixlen));
}

int lab_nl_route_add(struct lab_nl *nl, int family, const void *dst, uint8_t dst_len,
		     const void *gw, const char *ifname)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	int idx = 0;

	if (ifname) {
		idx = lab_nl_link_index(nl, ifname);
		if (idx < 0)
			return idx;
	}
	return nl_request(nl, buf, lab_nlmsg_route(buf, sizeof(buf), nl_next_seq(nl), family,
						   dst, dst_len, gw, idx));
}

/* ---- batches ---- */

void lab_nl_batch_init(struct lab_nl_batch *b, struct lab_nl *nl)
{
	b->nl = nl;
	b->len = 0;
	b->first_seq = 0;
	b->last_seq = 0;
	b->count = 0;
	b->error = 0;
}

/* Builders are called with the tail of the buffer; a failed build is
 * remembered and reported by lab_nl_batch_commit(). Plain requests on
 * the same socket may come between batched ones (an index lookup, say):
 * they are answered before the batch is sent, so gaps are harmless. */
static uint32_t nl_batch_seq(struct lab_nl_batch *b)
{
	uint32_t seq = nl_next_seq(b->nl);

	if (b->count == 0)
		b->first_seq = seq;
	b->last_seq = seq;
	return seq;
}

static int nl_batch_add(struct lab_nl_batch *b, int len)
{
	if (len < 0) {
		if (b->error == 0)
			b->error = len;
		return len;
	}
	b->len += (size_t)MNL_ALIGN((size_t)len);
	b->count++;
	return 0;
}

#define BATCH_TAIL(b) ((b)->buf + (b)->len), (sizeof((b)->buf) - (b)->len)

int lab_nl_batch_veth_at(struct lab_nl_batch *b, const struct lab_nl_veth *v)
{
	uint32_t seq = nl_batch_seq(b);

	return nl_batch_add(b, lab_nlmsg_veth_at(BATCH_TAIL(b), seq, v));
}

int lab_nl_batch_bridge(struct lab_nl_batch *b, const char *name, int ifindex)
{
	uint32_t seq = nl_batch_seq(b);

	return nl_batch_add(b, lab_nlmsg_bridge_at(BATCH_TAIL(b), seq, name, ifindex, 1));
}

int lab_nl_batch_master(struct lab_nl_batch *b, const char *ifname, int master_ifindex)
{
	uint32_t seq = nl_batch_seq(b);

	return nl_batch_add(b, lab_nlmsg_link_master(BATCH_TAIL(b), seq, ifname, master_ifindex));
}

int lab_nl_batch_link_up(struct lab_nl_batch *b, const char *ifname)
{
	uint32_t seq = nl_batch_seq(b);

	return nl_batch_add(b, lab_nlmsg_link_up_name(BATCH_TAIL(b), seq, ifname));
}

int lab_nl_batch_addr(struct lab_nl_batch *b, int ifindex, int family, const void *addr,
		      uint8_t prefixlen)
{
	uint32_t seq = nl_batch_seq(b);

	return nl_batch_add(b, lab_nlmsg_addr(BATCH_TAIL(b), seq, ifindex, family, addr,
					      prefixlen));
}

int lab_nl_batch_route(struct lab_nl_batch *b, int family, const void *dst, uint8_t dst_len,
		       const void *gw, int oif)
{
	uint32_t seq = nl_batch_seq(b);

	return nl_batch_add(b, lab_nlmsg_route(BATCH_TAIL(b), seq, family, dst, dst_len, gw,
					       oif));
}

int lab_nl_batch_commit(struct lab_nl_batch *b)
{
	int ret = b->error;

	if (ret == 0 && b->count > 0)
		ret = nl_exchange(b->nl, b->buf, b->len, b->first_seq,
				  b->last_seq - b->first_seq, b->count, NULL, NULL);
	lab_nl_batch_init(b, b->nl);
	return ret;
}

/* ---- waiting for links to be able to transmit ---- */

struct nl_ready {
	const char *const *names;
	size_t n;
	unsigned long ready; /* bit i: names[i] can transmit */
};

/*
 * Can this link transmit? Up with carrier is not enough. A veth end
 * brought up while its peer is down gets its default qdisc named at once
 * (so IFLA_QDISC no longer says "noop"), but its transmit queue keeps the
 * dropping noop qdisc until linkwatch handles the carrier-on event, which
 * may be a second late when the kernel is busy. linkwatch sets the
 * operational state (RFC 2863) immediately before it activates the device, so
 * IF_OPER_UP is the sign that the device is activated. Loopback has no
 * carrier events: it is activated when it is opened, and its state stays
 * "unknown".
 */
static bool nl_link_can_transmit(const struct lab_nl_link *l)
{
	const unsigned want = IFF_UP | IFF_LOWER_UP;

	if ((l->flags & want) != want || !l->qdisc[0] || !strcmp(l->qdisc, "noop"))
		return false;
	return l->operstate == IF_OPER_UP || (l->flags & IFF_LOOPBACK);
}

static int nl_ready_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_ready *w = data;
	struct lab_nl_link l;
	bool ready;
	size_t i;

	if (lab_nlmsg_parse_link(nlh, nlh->nlmsg_len, &l) < 0 || !l.name[0])
		return MNL_CB_OK;
	ready = nl_link_can_transmit(&l);
	for (i = 0; i < w->n; i++) {
		if (strcmp(l.name, w->names[i]))
			continue;
		if (ready)
			w->ready |= 1ul << i;
		else
			w->ready &= ~(1ul << i);
	}
	return MNL_CB_OK;
}

int lab_nl_links_ready(struct lab_nl *nl, const char *const *names, size_t n)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	struct nl_ready w = { .names = names, .n = n };
	struct nlmsghdr *nlh;
	struct rtgenmsg *g;
	int ret;

	if (n == 0)
		return 1;
	if (n >= sizeof(w.ready) * 8)
		return -E2BIG;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = nl_next_seq(nl);
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->rtgen_family = AF_UNSPEC;
	/* a dump ends in NLMSG_DONE: one answer */
	ret = nl_exchange(nl, buf, nlh->nlmsg_len, nl->seq, 0, 1, nl_ready_cb, &w);
	if (ret < 0)
		return ret;
	return (w.ready & ((1ul << n) - 1)) == (1ul << n) - 1;
}

static uint64_t nl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/*
 * A veth's carrier is on as soon as both ends are up, but the kernel
 * activates the end that came up first later, from linkwatch work; until
 * then that device drops whatever it is given. Under load (many labs
 * starting at once) that gap was seen to exceed 700 ms. So: subscribe to
 * link events, dump the links once, and wait until every named link can
 * transmit (nl_link_can_transmit), or the timeout.
 */
int lab_nl_wait_ready(int ns_fd, const char *const *names, size_t n, int timeout_ms)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	struct nl_ready w = { .names = names, .n = n };
	struct mnl_socket *sock = NULL;
	struct nlmsghdr *nlh;
	struct rtgenmsg *g;
	uint64_t deadline = nl_now_ms() + (uint64_t)timeout_ms;
	unsigned long all;
	int fd, ret;

	if (n == 0)
		return 0;
	if (n >= sizeof(w.ready) * 8)
		return -E2BIG;
	all = (1ul << n) - 1;
	fd = lab_netns_socket(ns_fd, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	if (fd < 0)
		return fd;
	sock = mnl_socket_fdopen(fd);
	if (!sock) {
		ret = -errno;
		close(fd);
		return ret;
	}
	if (mnl_socket_bind(sock, RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto out;
	}
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = 1;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->rtgen_family = AF_UNSPEC;
	if (mnl_socket_sendto(sock, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	/* the dump and later notifications arrive on the same socket, in order */
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now = nl_now_ms();
		ssize_t len;

		if (now >= deadline) {
			ret = -ETIMEDOUT;
			goto out;
		}
		ret = poll(&pfd, 1, (int)(deadline - now));
		if (ret < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			goto out;
		}
		if (ret == 0)
			continue;
		len = mnl_socket_recvfrom(sock, buf, sizeof(buf));
		if (len < 0) {
			ret = -errno;
			goto out;
		}
		/* the dump's end stops mnl_cb_run, not us: keep listening */
		if (mnl_cb_run(buf, (size_t)len, 0, 0, nl_ready_cb, &w) < 0) {
			ret = -errno;
			goto out;
		}
		if ((w.ready & all) == all) {
			ret = 0;
			goto out;
		}
	}
out:
	mnl_socket_close(sock);
	return ret;
}
