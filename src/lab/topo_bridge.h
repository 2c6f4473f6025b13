/* SPDX-License-Identifier: MIT */
#ifndef LAB_TOPO_BRIDGE_H
#define LAB_TOPO_BRIDGE_H

#include "plan.h"

struct lab_nl_batch;

/* Queues on b (whose socket is in br's namespace) the creation of br as
 * interface ifindex (> 0: its ports are enslaved by that index), up, no
 * STP (ports forward at once), and the enslaving of its ports, which must
 * exist by then. Failures surface in lab_nl_batch_commit(). */
void lab_topo_bridge_queue(struct lab_nl_batch *b, const struct lab_bridge *br, int ifindex);

#endif
