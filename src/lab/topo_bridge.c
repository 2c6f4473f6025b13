// SPDX-License-Identifier: MIT
/*
 * A LAN switch for the plan's bridges (plan.h): one Linux bridge, up, its
 * ports enslaved. src/kern has the request builders (lab_nlmsg_bridge,
 * lab_nlmsg_link_master) but no socket call for them yet, so this file
 * sends them on the caller's lab_nl socket and checks each ack; it moves
 * into nl.c as lab_nl_bridge_create / lab_nl_link_master once src/kern
 * grows them.
 */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <stdint.h>

#include "nl.h"
#include "topo_bridge.h"

/* One request, its ack: -errno as the kernel said (rtnetlink(7)). */
static int bridge_request(struct lab_nl *nl, const void *buf, int len, uint32_t seq)
{
	uint8_t rbuf[MNL_SOCKET_BUFFER_SIZE];
	ssize_t n;
	int ret;

	if (len < 0)
		return len;
	if (mnl_socket_sendto(nl->sock, buf, (size_t)len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl->sock, rbuf, sizeof(rbuf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		ret = mnl_cb_run(rbuf, (size_t)n, seq, nl->portid, NULL, NULL);
	} while (ret == MNL_CB_OK);
	return ret < 0 ? -errno : 0;
}

static uint32_t bridge_seq(struct lab_nl *nl)
{
	if (++nl->seq == 0)
		nl->seq = 1;
	return nl->seq;
}

int lab_topo_bridge_build(struct lab_nl *nl, const struct lab_bridge *br)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	uint32_t seq = bridge_seq(nl);
	size_t i;
	int ret, idx;

	ret = bridge_request(nl, buf, lab_nlmsg_bridge(buf, sizeof(buf), seq, br->name, 1), seq);
	if (ret < 0)
		return ret;
	idx = lab_nl_link_index(nl, br->name);
	if (idx < 0)
		return idx;
	for (i = 0; i < LAB_BRIDGE_PORTS && br->ports[i]; i++) {
		seq = bridge_seq(nl);
		ret = bridge_request(nl, buf,
				     lab_nlmsg_link_master(buf, sizeof(buf), seq, br->ports[i], idx),
				     seq);
		if (ret < 0)
			return ret;
	}
	return 0;
}
