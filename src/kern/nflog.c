// SPDX-License-Identifier: MIT
/*
 * Netfilter's log of one namespace (nflog.h): the nfnetlink_log socket,
 * bound to one group, read without blocking. The requests and the packet
 * parser are in nflogmsg.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#include <libmnl/libmnl.h>

#include "netns.h"
#include "nflog.h"
#include "nlrx.h"

/* One datagram from the kernel: a whole 64 KiB copy plus its attributes. */
#define NFLOG_RX_SIZE (65536 + 4096)
#define NFLOG_REQ_SIZE 256
/* Bursts (a matrix cell's punches) must not overflow the socket. */
#define NFLOG_RCVBUF (4 << 20)

struct lab_nflog {
	struct mnl_socket *sock;
	uint32_t portid, seq;
	uint16_t group;
	bool bound;
	uint64_t lost;
	uint8_t *rx;
};

/* Sends one request and waits for its ack: 0 or the kernel's -errno. */
static int nflog_request(struct lab_nflog *l, void *buf, int len)
{
	ssize_t n;
	int ret;

	if (len < 0)
		return len;
	if (mnl_socket_sendto(l->sock, buf, (size_t)len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(l->sock, l->rx, NFLOG_RX_SIZE);
		if (n < 0)
			return -errno;
		/* A packet logged between the bind and this ack has no
		 * reader yet and is dropped: open before traffic flows. */
		ret = mnl_cb_run(l->rx, (size_t)n, l->seq, l->portid, NULL, NULL);
	} while (ret == MNL_CB_OK);
	return ret < 0 ? -errno : 0;
}

/* CAP_NET_ADMIN in the effective set (capget(2)): nfnetlink refuses every
 * request without it with EPERM, the same errno a taken group gives. */
static bool nflog_net_admin(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) < 0)
		return false;
	return d[CAP_NET_ADMIN / 32].effective & (1u << (CAP_NET_ADMIN % 32));
}

static int nflog_bind(struct lab_nflog *l)
{
	uint8_t buf[NFLOG_REQ_SIZE] __attribute__((aligned(4)));
	int ret;

	ret = nflog_request(l, buf, lab_nflogmsg_bind(buf, sizeof(buf), ++l->seq, l->group));
	/* nfulnl_recv_config answers EPERM when another socket owns the
	 * group's instance (EBUSY only when this socket binds it twice). */
	if (ret == -EPERM && nflog_net_admin())
		ret = -EBUSY;
	if (ret < 0)
		return ret;
	l->bound = true;
	return 0;
}

int lab_nflog_open(struct lab_nflog **out, int ns_fd, uint16_t group, uint16_t copy_range)
{
	uint8_t buf[NFLOG_REQ_SIZE] __attribute__((aligned(4)));
	struct lab_nflog *l;
	int rcvbuf = NFLOG_RCVBUF, fd, ret;

	if (!out)
		return -EINVAL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->group = group;
	l->rx = malloc(NFLOG_RX_SIZE);
	if (!l->rx) {
		ret = -ENOMEM;
		goto fail;
	}
	ret = lab_netns_mnl_open(ns_fd, NETLINK_NETFILTER, &l->sock);
	if (ret < 0)
		goto fail;
	l->portid = mnl_socket_get_portid(l->sock);
	fd = mnl_socket_get_fd(l->sock);
	ret = nflog_bind(l);
	if (ret < 0)
		goto fail;
	ret = nflog_request(l, buf,
			    lab_nflogmsg_mode(buf, sizeof(buf), ++l->seq, group, copy_range));
	if (ret < 0)
		goto fail;
	/* after the requests: their acks are awaited blocking */
	ret = lab_nlrx_setup(fd, rcvbuf);
	if (ret < 0)
		goto fail;
	*out = l;
	return 0;
fail:
	lab_nflog_close(l);
	return ret;
}

int lab_nflog_fd(const struct lab_nflog *l)
{
	return mnl_socket_get_fd(l->sock);
}

uint64_t lab_nflog_lost(const struct lab_nflog *l)
{
	return l->lost;
}

/* What lab_nflog_read hands each message to. */
struct nflog_read {
	void (*cb)(void *ctx, const struct lab_nflog_pkt *pkt);
	void *ctx;
};

/* Acks of config requests and batch ends are not packets and are skipped,
 * as is a packet that does not parse. */
static int nflog_msg(void *arg, const struct nlmsghdr *nlh)
{
	struct nflog_read *r = arg;
	struct lab_nflog_pkt pkt;

	if (lab_nflog_parse((const uint8_t *)nlh, nlh->nlmsg_len, &pkt) < 0)
		return 0;
	r->cb(r->ctx, &pkt);
	return 1;
}

int lab_nflog_read(struct lab_nflog *l, void (*cb)(void *ctx, const struct lab_nflog_pkt *pkt),
		   void *ctx)
{
	struct nflog_read r = { cb, ctx };

	if (!l || !cb)
		return -EINVAL;
	return lab_nlrx_drain(mnl_socket_get_fd(l->sock), l->rx, NFLOG_RX_SIZE, &l->lost,
			      nflog_msg, &r);
}

void lab_nflog_close(struct lab_nflog *l)
{
	uint8_t buf[NFLOG_REQ_SIZE] __attribute__((aligned(4)));
	int len;

	if (!l)
		return;
	/* Closing the socket frees the instance too (NETLINK_URELEASE); the
	 * unbind says so at once, without waiting for an answer. */
	if (l->sock && l->bound) {
		len = lab_nflogmsg_unbind(buf, sizeof(buf), ++l->seq, l->group);
		if (len > 0)
			mnl_socket_sendto(l->sock, buf, (size_t)len);
	}
	if (l->sock)
		mnl_socket_close(l->sock);
	free(l->rx);
	free(l);
}
