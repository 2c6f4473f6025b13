// SPDX-License-Identifier: MIT
/*
 * A LAN switch for the plan's bridges (plan.h): one Linux bridge, up, its
 * ports enslaved, over src/kern's rtnetlink calls.
 */
#include "nl.h"
#include "topo_bridge.h"

int lab_topo_bridge_build(struct lab_nl *nl, const struct lab_bridge *br)
{
	size_t i;
	int ret, idx;

	ret = lab_nl_bridge_create(nl, br->name);
	if (ret < 0)
		return ret;
	idx = lab_nl_link_index(nl, br->name);
	if (idx < 0)
		return idx;
	for (i = 0; i < LAB_BRIDGE_PORTS && br->ports[i]; i++) {
		ret = lab_nl_link_set_master(nl, br->ports[i], idx);
		if (ret < 0)
			return ret;
	}
	return 0;
}
