/* SPDX-License-Identifier: MIT */
#ifndef LAB_NFNL_H
#define LAB_NFNL_H

#include <stddef.h>
#include <stdint.h>

struct nlmsghdr;

/*
 * The header every nfnetlink request starts with (netlink header plus
 * struct nfgenmsg, version 0): shared by ctnetlink (ct.c) and
 * nfnetlink_queue (nfq.c). res_id is in host order. NULL if cap is short.
 */
struct nlmsghdr *lab_nfnl_put_header(void *buf, size_t cap, uint16_t type, uint16_t flags,
				     uint32_t seq, uint8_t family, uint16_t res_id);

#endif
