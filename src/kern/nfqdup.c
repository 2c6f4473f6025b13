// SPDX-License-Identifier: MIT
/*
 * The queue engine's duplicate copies (nfqdup.h): the AF_PACKET paths
 * they are sent on and the ring of recent copies recognised on return.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "netns.h"
#include "nfqdup.h"

#define NFQDUP_TTL_US 2000000u /* a copy not back within 2 s was lost */

static uint64_t nfqdup_hash(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h | 1; /* 0 marks a free slot */
}

bool lab_nfqdup_returned(struct lab_nfqdup *d, const uint8_t *payload, size_t len,
			 uint64_t now_us)
{
	uint64_t hash = nfqdup_hash(payload, len);

	for (size_t i = 0; i < LAB_NFQDUP_RING; i++) {
		struct lab_nfqdup_mark *m = &d->marks[i];

		if (m->hash == hash && m->expires_us >= now_us) {
			m->hash = 0;
			return true;
		}
	}
	return false;
}

static const struct lab_nfqdup_path *nfqdup_path_for(const struct lab_nfqdup *d,
						     uint32_t indev)
{
	for (size_t i = 0; i < d->n_paths; i++)
		if (d->paths[i].in_ifindex == indev)
			return &d->paths[i];
	return NULL;
}

int lab_nfqdup_send(struct lab_nfqdup *d, uint32_t indev, const uint8_t *copy, size_t len,
		    uint64_t now_us)
{
	const struct lab_nfqdup_path *p = nfqdup_path_for(d, indev);
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct lab_nfqdup_mark *m;

	if (!p)
		return -ENOENT;
	sll.sll_protocol = htons(ETH_P_IP);
	sll.sll_ifindex = p->peer_ifindex;
	sll.sll_halen = ETH_ALEN;
	memcpy(sll.sll_addr, p->in_mac, ETH_ALEN);
	/* Marked before sending: the copy may be back before sendto returns. */
	m = &d->marks[d->mark_next];
	d->mark_next = (d->mark_next + 1) % LAB_NFQDUP_RING;
	m->hash = nfqdup_hash(copy, len);
	m->expires_us = now_us + NFQDUP_TTL_US;
	if (sendto(p->pkt_fd, copy, len, 0, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		m->hash = 0;
		return -errno;
	}
	return 0;
}

int lab_nfqdup_add_path(struct lab_nfqdup *d, int ns_fd, const char *in_ifname,
			int peer_ns_fd, const char *peer_ifname)
{
	struct lab_nfqdup_path p = { .pkt_fd = -1 };
	struct ifreq ifr;
	int fd = -1, ret = 0;

	if (!in_ifname || !peer_ifname || strlen(in_ifname) >= IFNAMSIZ ||
	    strlen(peer_ifname) >= IFNAMSIZ)
		return -EINVAL;
	if (d->n_paths == LAB_NFQDUP_PATHS)
		return -ENOSPC;
	fd = lab_netns_socket(ns_fd, AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return fd;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, in_ifname);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
		ret = -errno;
		goto out;
	}
	p.in_ifindex = (uint32_t)ifr.ifr_ifindex;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		ret = -errno;
		goto out;
	}
	memcpy(p.in_mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	/* Protocol 0: the socket only sends, it never receives a frame. */
	p.pkt_fd = lab_netns_socket(peer_ns_fd, AF_PACKET, SOCK_DGRAM, 0);
	if (p.pkt_fd < 0) {
		ret = p.pkt_fd;
		goto out;
	}
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, peer_ifname);
	if (ioctl(p.pkt_fd, SIOCGIFINDEX, &ifr) < 0) {
		ret = -errno;
		goto out;
	}
	p.peer_ifindex = ifr.ifr_ifindex;
	d->paths[d->n_paths++] = p;
	p.pkt_fd = -1;
out:
	if (p.pkt_fd >= 0)
		close(p.pkt_fd);
	close(fd);
	return ret;
}

void lab_nfqdup_close(struct lab_nfqdup *d)
{
	for (size_t i = 0; i < d->n_paths; i++)
		close(d->paths[i].pkt_fd);
	d->n_paths = 0;
}
