/* SPDX-License-Identifier: MIT */
#ifndef TEST_NETPAIR_H
#define TEST_NETPAIR_H

#include <stdbool.h>
#include <netinet/in.h>

#include "netns.h"

/*
 * Root test fixture shared by test_lab_nfq.c and test_lab_ct.c: two fresh
 * namespaces a and b joined by a veth (NETPAIR_IFA in a, 10.98.0.1/24;
 * NETPAIR_IFB in b, 10.98.0.2/24), each with a bound non-blocking UDP
 * socket. Only 10.98.0.0/24 is used, and only inside the two namespaces;
 * deleting them takes the veth, rules and queues with them.
 */
#define NETPAIR_IFA "hplva"
#define NETPAIR_IFB "hplvb"

struct netpair {
	char na[LAB_NETNS_NAME_MAX], nb[LAB_NETNS_NAME_MAX];
	bool made_a, made_b;
	int fa, fb;   /* namespace fds */
	int sa, sb;   /* UDP sockets: a = 10.98.0.1, b = 10.98.0.2 */
	struct sockaddr_in addr_a, addr_b;
};

/* Builds the pair, namespaces named "<tag><pid>-a" and "-b". 0 or -1 (a
 * message is printed); every field is safe for netpair_teardown either way. */
int netpair_setup(struct netpair *np, const char *tag);
void netpair_teardown(struct netpair *np);
/* iptables-restore inside ns_fd, fed rules on stdin, bounded by timeout(1). */
int netpair_restore(int ns_fd, const char *rules);

#endif
