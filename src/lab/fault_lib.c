// SPDX-License-Identifier: MIT
/*
 * What several faults observe of the run: rA's mapping of alice's peer
 * flow (from its conntrack table) and the first pair's connects since the
 * inject. Reads only: no fault's logic lives here.
 */
#include <arpa/inet.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>

#include "ct.h"
#include "fault_lib.h"
#include "plan.h"
#include "report.h"
#include "scenario_int.h"
#include "topo.h"

#define CT_MAX 512 /* a spray's sockets each leave an entry */

/* From rA's conntrack table: the reply tuple's destination is the mapping.
 * Alice's flow to bob's router is from her chat port, or, when the spray
 * won (its socket has another port), the one such flow with a reply. */
int lab_fault_map_port(const struct lab_fault_ctx *c)
{
	struct lab_ct_entry *e = calloc(CT_MAX, sizeof(*e));
	struct in_addr host, peer;
	int n, i, port = -1;

	if (!e || inet_pton(AF_INET, lab_plan_host_addr(LAB_NODE_HA), &host) != 1 ||
	    inet_pton(AF_INET, lab_plan_public_addr(LAB_NODE_RB), &peer) != 1)
		goto out;
	n = lab_ct_list(c->topo->fds[LAB_NODE_RA], IPPROTO_UDP, e, CT_MAX);
	for (i = 0; i < n && i < CT_MAX; i++) {
		if (e[i].orig.src.s_addr != host.s_addr || e[i].orig.dst.s_addr != peer.s_addr)
			continue;
		if (e[i].orig.sport == c->side[0].port) {
			port = e[i].reply.dport;
			break;
		}
		if (e[i].status & IPS_SEEN_REPLY)
			port = e[i].reply.dport;
	}
out:
	free(e);
	return port;
}

void lab_fault_port_text(char *buf, size_t len, int port)
{
	if (port < 0)
		snprintf(buf, len, "(no mapping)");
	else
		snprintf(buf, len, "%s:%d", lab_plan_public_addr(LAB_NODE_RA), port);
}

unsigned lab_fault_connects_since(const struct lab_fault_ctx *c, int i)
{
	return c->side[i].rep->connects - c->connects_at[i];
}

unsigned lab_fault_reconnects_since(const struct lab_fault_ctx *c, int i)
{
	return c->side[i].rep->reconnects - c->reconnects_at[i];
}

unsigned lab_fault_moves_since(const struct lab_fault_ctx *c, int i)
{
	return c->side[i].rep->moves - c->moves_at[i];
}
