/* SPDX-License-Identifier: MIT */
#ifndef LAB_NFQDUP_H
#define LAB_NFQDUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/ethernet.h>

/*
 * Duplicates for the queue engine (nfq.c): a copy of a packet that entered
 * on in_ifname is sent from the other end of that veth (AF_PACKET in the
 * peer namespace), so it arrives as a second frame on the same wire and
 * crosses firewall, conntrack and NAT like the original. Each copy sent is
 * remembered by a hash of its payload for a while, so that the engine can
 * pass it at once when it comes back through the queue.
 */
#define LAB_NFQDUP_PATHS 8
#define LAB_NFQDUP_RING 64

struct lab_nfqdup_path {
	uint32_t in_ifindex;
	uint8_t in_mac[ETH_ALEN];
	int pkt_fd; /* AF_PACKET in the peer namespace */
	int peer_ifindex;
};

struct lab_nfqdup_mark {
	uint64_t hash; /* 0: free slot */
	uint64_t expires_us;
};

/* All zeroes is an empty set. */
struct lab_nfqdup {
	struct lab_nfqdup_path paths[LAB_NFQDUP_PATHS];
	size_t n_paths;
	struct lab_nfqdup_mark marks[LAB_NFQDUP_RING];
	size_t mark_next;
};

/* Adds a path for packets entering on in_ifname in namespace ns_fd (-1:
 * own), re-sent from peer_ifname in peer_ns_fd. 0, -EINVAL, -ENOSPC, -errno. */
int lab_nfqdup_add_path(struct lab_nfqdup *d, int ns_fd, const char *in_ifname,
			int peer_ns_fd, const char *peer_ifname);
/* True (and forgotten) if payload is one of our copies coming back. */
bool lab_nfqdup_returned(struct lab_nfqdup *d, const uint8_t *payload, size_t len,
			 uint64_t now_us);
/* Sends a copy of what entered on indev; -ENOENT if no path is known. */
int lab_nfqdup_send(struct lab_nfqdup *d, uint32_t indev, const uint8_t *copy, size_t len,
		    uint64_t now_us);
/* Closes every path's socket. */
void lab_nfqdup_close(struct lab_nfqdup *d);

#endif
