/* SPDX-License-Identifier: MIT */
#ifndef LAB_IMPAIR_H
#define LAB_IMPAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "impair_params.h" /* struct lab_impair, LAB_IMPAIR_PPM (src/kern) */

/*
 * Link impairments without sch_netem: loss is an nftables `numgen random`
 * match, delay/jitter/reorder/duplicate are done by the NFQUEUE engine
 * (src/kern/nfq.h). This module is the lab's policy for them: it parses
 * the command-line specs into struct lab_impair and writes the nft(8)
 * text that sends the chosen packets to the engine.
 */
#define LAB_IMPAIR_DELAY_MAX_US (60u * 1000u * 1000u) /* 60 s: any more is a typo */

/* "MS" or "MS:JITTER", each a decimal number of milliseconds with up to 3
 * fractional digits ("50", "50:10", "0.25"). -EDOM when the jitter exceeds
 * the delay: the engine draws uniformly in [MS - J, MS + J], and a draw
 * below zero would be clamped, moving the mean off MS. */
int lab_impair_parse_delay(const uint8_t *buf, size_t len, uint32_t *delay_us,
			   uint32_t *jitter_us);
/* "PCT" in [0,100], up to 4 fractional digits, optional trailing '%'. */
int lab_impair_parse_pct(const uint8_t *buf, size_t len, uint32_t *ppm);

/* True when some packet must go through the user-space engine. */
bool lab_impair_needs_queue(const struct lab_impair *imp);
/* True when anything at all is impaired. */
bool lab_impair_active(const struct lab_impair *imp);

/*
 * Where packets enter the impaired path: one entry per ingress interface.
 * skip_local leaves out packets addressed to the namespace itself (so that
 * for a router's lan only what heads for the wan is impaired).
 */
struct lab_impair_hook {
	const char *ifname;
	bool skip_local;
};

#define LAB_IMPAIR_TABLE "hplab_impair"
#define LAB_IMPAIR_CHAIN "impair"

struct lab_impair_rules_cfg {
	const struct lab_impair *imp;
	const struct lab_impair_hook *hooks;
	size_t n_hooks;
	uint16_t queue_num;
	const char *proto; /* "udp", "icmp", ...; NULL: every IPv4 packet */
};

/* Hooks that impair a router's wan side once in each direction. */
void lab_impair_router_hooks(struct lab_impair_hook hooks[2], const char *wan, const char *lan);

/*
 * Writes nft(8) input (table LAB_IMPAIR_TABLE: a chain at hook prerouting,
 * priority raw, and LAB_IMPAIR_CHAIN) for cfg; returns its length, -ENOSPC
 * if cap is too small, -EINVAL on a bad name. It replaces the table a
 * namespace had (so loading twice does not stack rules) and touches no
 * other: load it alone or with the router's own (nat.c) in one
 * transaction.
 * When lab_impair_needs_queue(), the queue rule (to cfg->queue_num, with
 * bypass) is appended to LAB_IMPAIR_CHAIN after the load, by netlink
 * (nftqueue.h): nft's own "queue" statement needs nft_queue, which not
 * every kernel has; the xtables NFQUEUE target does the same.
 */
int lab_impair_rules(char *buf, size_t cap, const struct lab_impair_rules_cfg *cfg);

#endif
