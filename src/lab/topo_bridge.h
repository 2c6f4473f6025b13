/* SPDX-License-Identifier: MIT */
#ifndef LAB_TOPO_BRIDGE_H
#define LAB_TOPO_BRIDGE_H

#include "plan.h"

struct lab_nl;

/* Creates br in nl's namespace (up, no STP: ports forward at once) and
 * enslaves its ports, which must exist. 0 or -errno. */
int lab_topo_bridge_build(struct lab_nl *nl, const struct lab_bridge *br);

#endif
