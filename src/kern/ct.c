// SPDX-License-Identifier: MIT
/*
 * Conntrack of one namespace (ct.h): the ctnetlink socket exchange behind
 * flush, list and count, and the UDP timeout sysctls. The requests and the
 * entry parser are in ctmsg.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>

#include "ct.h"
#include "netns.h"

/* Room for one dump datagram: the kernel fills up to 32 KiB per read. */
#define CT_BUF_SIZE 32768

/* Sends one request and runs cb over the answer until ACK or DONE. */
static int ct_talk(int ns_fd, void *buf, size_t cap, int len, mnl_cb_t cb, void *data)
{
	struct mnl_socket *sock = NULL;
	struct nlmsghdr *nlh = buf;
	uint32_t seq = nlh->nlmsg_seq, portid;
	ssize_t n;
	int ret;

	ret = lab_netns_mnl_open(ns_fd, NETLINK_NETFILTER, &sock);
	if (ret < 0)
		return ret;
	portid = mnl_socket_get_portid(sock);
	if (mnl_socket_sendto(sock, buf, (size_t)len) < 0) {
		ret = -errno;
		goto out;
	}
	for (;;) {
		n = mnl_socket_recvfrom(sock, buf, cap);
		if (n < 0) {
			ret = -errno;
			goto out;
		}
		ret = mnl_cb_run(buf, (size_t)n, seq, portid, cb, data);
		if (ret < 0) {
			ret = -errno;
			goto out;
		}
		if (ret == MNL_CB_STOP) {
			ret = 0;
			goto out;
		}
	}
out:
	mnl_socket_close(sock);
	return ret;
}

int lab_ct_flush(int ns_fd)
{
	uint8_t buf[CT_BUF_SIZE] __attribute__((aligned(4)));
	int len = lab_ctmsg_flush(buf, sizeof(buf), 1);

	if (len < 0)
		return len;
	return ct_talk(ns_fd, buf, sizeof(buf), len, NULL, NULL);
}

struct ct_list_ctx {
	uint8_t l4proto;
	struct lab_ct_entry *out;
	size_t max;
	size_t n;
	int err;
};

static int ct_list_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ct_list_ctx *c = data;
	struct lab_ct_entry e;

	if (lab_ct_parse_entry((const uint8_t *)nlh, nlh->nlmsg_len, &e) < 0) {
		c->err = -EBADMSG;
		return MNL_CB_OK;
	}
	if (c->l4proto && e.l4proto != c->l4proto)
		return MNL_CB_OK;
	if (c->out && c->n < c->max)
		c->out[c->n] = e;
	c->n++;
	return MNL_CB_OK;
}

int lab_ct_list(int ns_fd, uint8_t l4proto, struct lab_ct_entry *out, size_t max)
{
	uint8_t buf[CT_BUF_SIZE] __attribute__((aligned(4)));
	struct ct_list_ctx c = { .l4proto = l4proto, .out = out, .max = max };
	int len, ret;

	len = lab_ctmsg_dump(buf, sizeof(buf), 1);
	if (len < 0)
		return len;
	ret = ct_talk(ns_fd, buf, sizeof(buf), len, ct_list_cb, &c);
	if (ret < 0)
		return ret;
	if (c.err)
		return c.err;
	return c.n > (size_t)__INT_MAX__ ? -EOVERFLOW : (int)c.n;
}

int lab_ct_count(int ns_fd, uint8_t l4proto)
{
	return lab_ct_list(ns_fd, l4proto, NULL, 0);
}

int lab_ct_set_udp_timeouts(int ns_fd, unsigned unreplied_s, unsigned stream_s)
{
	char v[16];
	int ret = 0;

	if (ns_fd < 0)
		return -EBADF;
	if (unreplied_s) {
		snprintf(v, sizeof(v), "%u", unreplied_s);
		ret = lab_netns_sysctl(ns_fd, "net/netfilter/nf_conntrack_udp_timeout", v);
		if (ret < 0)
			return ret;
	}
	if (stream_s) {
		snprintf(v, sizeof(v), "%u", stream_s);
		ret = lab_netns_sysctl(ns_fd, "net/netfilter/nf_conntrack_udp_timeout_stream", v);
	}
	return ret;
}
