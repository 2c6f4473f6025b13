// SPDX-License-Identifier: MIT
/*
 * Conntrack of one namespace (ct.h): the ctnetlink socket exchange behind
 * flush, list and count, the event socket, and the UDP timeout sysctls.
 * The requests and the entry and event parsers are in ctmsg.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>

#include "ct.h"
#include "netns.h"
#include "nlrx.h"

/* Room for one dump datagram: the kernel fills up to 32 KiB per read. */
#define CT_BUF_SIZE 32768

/* Sends one request and runs cb over the answer until ACK or DONE. */
static int ct_talk(int ns_fd, void *buf, size_t cap, int len, mnl_cb_t cb, void *data)
{
	const struct nlmsghdr *nlh = buf;

	return lab_netns_mnl_talk(ns_fd, NETLINK_NETFILTER, buf, cap, (size_t)len, nlh->nlmsg_seq,
				  cb, data);
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

/* ---- events ---- */

/* An event is a few hundred bytes; one datagram holds one (or a batch). */
#define CTEV_RX_SIZE 16384
/* Events come in bursts (a flush destroys every entry at once). */
#define CTEV_RCVBUF (4 << 20)

struct lab_ctev {
	struct mnl_socket *sock;
	uint64_t lost;
	uint8_t *rx;
};

int lab_ctev_open(struct lab_ctev **out, int ns_fd)
{
	static const int groups[] = { NFNLGRP_CONNTRACK_NEW, NFNLGRP_CONNTRACK_UPDATE,
				      NFNLGRP_CONNTRACK_DESTROY };
	int rcvbuf = CTEV_RCVBUF, fd, ret;
	struct lab_ctev *c;

	if (!out)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->rx = malloc(CTEV_RX_SIZE);
	if (!c->rx) {
		ret = -ENOMEM;
		goto fail;
	}
	ret = lab_netns_mnl_open(ns_fd, NETLINK_NETFILTER, &c->sock);
	if (ret < 0)
		goto fail;
	fd = mnl_socket_get_fd(c->sock);
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		int g = groups[i];

		if (mnl_socket_setsockopt(c->sock, NETLINK_ADD_MEMBERSHIP, &g, sizeof(g)) < 0) {
			ret = -errno;
			goto fail;
		}
	}
	ret = lab_nlrx_setup(fd, rcvbuf);
	if (ret < 0)
		goto fail;
	*out = c;
	return 0;
fail:
	lab_ctev_close(c);
	return ret;
}

int lab_ctev_fd(const struct lab_ctev *c)
{
	return mnl_socket_get_fd(c->sock);
}

uint64_t lab_ctev_lost(const struct lab_ctev *c)
{
	return c->lost;
}

/* What lab_ctev_read hands each message to. */
struct ctev_read {
	void (*cb)(void *ctx, const struct lab_ct_event *ev);
	void *ctx;
};

/* One that is not an event, or does not parse, is skipped. */
static int ctev_msg(void *arg, const struct nlmsghdr *nlh)
{
	struct ctev_read *r = arg;
	struct lab_ct_event ev;

	if (lab_ct_parse_event((const uint8_t *)nlh, nlh->nlmsg_len, &ev) < 0)
		return 0;
	r->cb(r->ctx, &ev);
	return 1;
}

int lab_ctev_read(struct lab_ctev *c, void (*cb)(void *ctx, const struct lab_ct_event *ev),
		  void *ctx)
{
	struct ctev_read r = { cb, ctx };

	if (!c || !cb)
		return -EINVAL;
	return lab_nlrx_drain(mnl_socket_get_fd(c->sock), c->rx, CTEV_RX_SIZE, &c->lost, ctev_msg,
			      &r);
}

void lab_ctev_close(struct lab_ctev *c)
{
	if (!c)
		return;
	if (c->sock)
		mnl_socket_close(c->sock);
	free(c->rx);
	free(c);
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
