/* SPDX-License-Identifier: MIT */
#ifndef LAB_NFTQUEUE_H
#define LAB_NFTQUEUE_H

#include <stddef.h>
#include <stdint.h>

/*
 * A rule "send to NFQUEUE num, bypass when nobody listens" appended to an
 * nftables chain, without nft's own queue expression: that one is
 * nft_queue (CONFIG_NFT_QUEUE), which some kernels lack while they still
 * have the xtables NFQUEUE target and nft_compat, the bridge iptables-nft
 * uses to run an xtables target from an nftables rule. So the rule holds
 * one "target" expression (linux/netfilter/nf_tables_compat.h): the
 * target's name, its revision and its own info struct, here struct
 * xt_NFQ_info_v3 (linux/netfilter/xt_NFQUEUE.h). `nft list ruleset`
 * shows it as "queue num N bypass" (nft translates xtables targets).
 */

/* Writes the batch (begin, NEWRULE with an ACK asked, end) into buf;
 * returns its length, -ENOSPC, or -EINVAL for a missing or too long
 * name. The
 * NEWRULE message carries seq. */
int lab_nftq_rule_msg(void *buf, size_t cap, uint32_t seq, const char *table,
		      const char *chain, uint16_t queue_num);
/* Appends that rule to table ip `table`, chain `chain`, inside ns_fd;
 * 0 or the kernel's -errno. */
int lab_nftq_append(int ns_fd, const char *table, const char *chain, uint16_t queue_num);

#endif
