/* SPDX-License-Identifier: MIT */
#ifndef LAB_FAULT_LIB_H
#define LAB_FAULT_LIB_H

/* What several faults observe of the run (fault_lib.c). */
#include <stddef.h>

#include "fault.h"

/* rA's public port for alice's flow to bob's router; -1 if none. */
int lab_fault_map_port(const struct lab_fault_ctx *c);
/* "IP:PORT" of that mapping, or "(no mapping)". */
void lab_fault_port_text(char *buf, size_t len, int port);
/* Side i's (0 or 1) connected / reconnecting events since the inject. */
unsigned lab_fault_connects_since(const struct lab_fault_ctx *c, int i);
unsigned lab_fault_reconnects_since(const struct lab_fault_ctx *c, int i);
/* peer_moved events of side i since the inject */
unsigned lab_fault_moves_since(const struct lab_fault_ctx *c, int i);

#endif
