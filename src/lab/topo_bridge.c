// SPDX-License-Identifier: MIT
/*
 * A LAN switch for the plan's bridges (plan.h): one Linux bridge, up, its
 * ports enslaved, queued on a batch of src/kern's rtnetlink requests.
 */
#include "nl.h"
#include "topo_bridge.h"

void lab_topo_bridge_queue(struct lab_nl_batch *b, const struct lab_bridge *br, int ifindex)
{
	size_t i;

	lab_nl_batch_bridge(b, br->name, ifindex);
	for (i = 0; i < LAB_BRIDGE_PORTS && br->ports[i]; i++)
		lab_nl_batch_master(b, br->ports[i], ifindex);
}
