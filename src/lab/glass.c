// SPDX-License-Identifier: MIT
/*
 * The glass box's readers (glass.h): one conntrack event socket and one
 * nfnetlink_log socket in each NAT's namespace, their records into the
 * run's trace.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "ct.h"
#include "glass.h"
#include "nflog.h"
#include "pktdec.h"
#include "plan.h"

struct glass_nat {
	uint8_t node;
	struct lab_ctev *ct;
	struct lab_nflog *log;
};

struct lab_glass {
	struct lab_trace *tr;
	uint64_t t0_us;
	size_t n;
	struct glass_nat nat[LAB_NODE_COUNT];
};

static uint64_t since_t0(const struct lab_glass *g)
{
	uint64_t now = hp_clock_us();

	return now > g->t0_us ? now - g->t0_us : 0;
}

/* FNV-1a over the first LAB_TRACE_FP_BYTES of the UDP payload at off
 * (its UDP header at off - 8): the same bytes at every hop, since NAT
 * rewrites headers only. 0 when the copy holds fewer than that. */
static uint32_t fingerprint(const uint8_t *b, size_t len, size_t off)
{
	uint32_t h = 2166136261u;
	size_t plen, n;

	if (off < 8 || off > len)
		return 0;
	plen = (size_t)(b[off - 4] << 8 | b[off - 3]);
	plen = plen >= 8 ? plen - 8 : 0;
	n = plen < LAB_TRACE_FP_BYTES ? plen : LAB_TRACE_FP_BYTES;
	if (off + n > len)
		return 0;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[off + i]) * 16777619u;
	return h ? h : 1;
}

/* Where the UDP payload starts: of the datagram itself, or of the one an
 * ICMP error quotes (RFC 792: its IP header and what follows). The
 * decoder has checked the headers that exist; this only finds offsets. */
static uint32_t pkt_fp(const uint8_t *b, size_t len, const struct lab_pkt *p)
{
	size_t ihl = (size_t)(b[0] & 0x0f) * 4, inner;

	if (p->ip.proto == IPPROTO_UDP)
		return fingerprint(b, len, ihl + 8);
	if (!p->has_inner || p->inner.proto != IPPROTO_UDP || ihl + 8 >= len)
		return 0;
	inner = ihl + 8;
	return fingerprint(b, len, inner + (size_t)(b[inner] & 0x0f) * 4 + 8);
}

struct rd {
	struct lab_glass *g;
	uint8_t node;
};

static void on_log(void *ctx, const struct lab_nflog_pkt *pkt)
{
	struct rd *rd = ctx;
	struct lab_tr_ev e = { .kind = LAB_TR_PKT, .node = rd->node, .side = LAB_TR_NOBODY };
	enum lab_tr_rule rule;
	enum lab_tr_at at = lab_trace_at_find(pkt->prefix, &rule);
	struct lab_pkt p;

	if (at == LAB_AT_COUNT || lab_pkt_decode(pkt->payload, pkt->len, &p) < 0)
		return;
	if (p.ip.proto != IPPROTO_UDP && !(p.ip.proto == IPPROTO_ICMP && p.has_inner))
		return;
	e.us = since_t0(rd->g);
	e.at = (uint8_t)at;
	e.rule = (uint8_t)rule;
	e.proto = p.ip.proto;
	e.ttl = p.ip.ttl;
	e.a = p.ip.t;
	e.hp_type = p.ip.hp_type;
	e.fp = pkt_fp(pkt->payload, pkt->len, &p);
	if (p.ip.proto == IPPROTO_ICMP) {
		e.a = p.inner.t;
		e.hp_type = p.inner.hp_type;
		e.from = p.ip.t.src;
		e.icmp_type = p.icmp_type;
		e.icmp_code = p.icmp_code;
	}
	lab_trace_add(rd->g->tr, &e);
}

static void on_ct(void *ctx, const struct lab_ct_event *ev)
{
	struct rd *rd = ctx;
	struct lab_tr_ev e = { .kind = LAB_TR_MAP, .node = rd->node, .side = LAB_TR_NOBODY };

	/* the lab's datagrams are UDP; ICMP errors have no entries of their own */
	if (ev->e.l4proto != IPPROTO_UDP)
		return;
	e.us = since_t0(rd->g);
	e.what = (uint8_t)ev->type;
	e.ct_id = ev->e.id;
	e.ct_status = ev->e.status;
	e.proto = IPPROTO_UDP;
	e.a = ev->e.orig;
	e.b = ev->e.reply;
	lab_trace_add(rd->g->tr, &e);
}

/* Every address of the plan, so the sentences can say whose it is. */
static void tell_addresses(struct lab_trace *tr, const struct lab_plan *p)
{
	for (size_t i = 0; i < p->nlinks; i++) {
		const struct lab_iface *f[2] = { &p->links[i].a, &p->links[i].b };

		for (int k = 0; k < 2; k++)
			if (f[k]->addr)
				lab_trace_node_addr(tr, f[k]->node, f[k]->addr);
	}
	for (size_t i = 0; i < p->nbridges; i++)
		lab_trace_node_addr(tr, p->bridges[i].node, p->bridges[i].addr);
	lab_trace_node_addr(tr, LAB_NODE_SRV, lab_plan_server_alt_addr());
}

static int open_nat(struct glass_nat *n, const struct lab_topo *topo, enum lab_node node,
		    char *err, size_t errlen)
{
	int ret;

	n->node = (uint8_t)node;
	ret = lab_ctev_open(&n->ct, topo->fds[node]);
	if (ret < 0) {
		snprintf(err, errlen, "%s: cannot listen to conntrack events: %s", topo->names[node],
			 strerror(-ret));
		return ret;
	}
	ret = lab_nflog_open(&n->log, topo->fds[node], LAB_NFLOG_GROUP, LAB_NFLOG_RANGE);
	if (ret < 0)
		snprintf(err, errlen, "%s: cannot read NFLOG group %u: %s", topo->names[node],
			 LAB_NFLOG_GROUP, strerror(-ret));
	return ret;
}

int lab_glass_open(struct lab_glass **out, const struct lab_topo *topo, struct lab_trace *tr,
		   uint64_t t0_us, char *err, size_t errlen)
{
	struct lab_glass *g = calloc(1, sizeof(*g));
	int ret = 0;

	*out = NULL;
	if (!g) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	g->tr = tr;
	g->t0_us = t0_us;
	tell_addresses(tr, topo->plan);
	for (int node = 0; node < LAB_NODE_COUNT; node++) {
		if (!lab_plan_nodes[node].nat || !lab_plan_has_node(topo->plan, (enum lab_node)node))
			continue;
		ret = open_nat(&g->nat[g->n++], topo, (enum lab_node)node, err, errlen);
		if (ret < 0)
			goto out_close;
	}
	*out = g;
	return 0;
out_close:
	lab_glass_close(g);
	return ret;
}

size_t lab_glass_pollfds(const struct lab_glass *g, struct pollfd *pfd, size_t max)
{
	size_t k = 0;

	for (size_t i = 0; i < g->n && k + 2 <= max; i++) {
		if (g->nat[i].ct)
			pfd[k++] = (struct pollfd){ .fd = lab_ctev_fd(g->nat[i].ct), .events = POLLIN };
		if (g->nat[i].log)
			pfd[k++] = (struct pollfd){ .fd = lab_nflog_fd(g->nat[i].log), .events = POLLIN };
	}
	return k;
}

void lab_glass_read(struct lab_glass *g)
{
	for (size_t i = 0; i < g->n; i++) {
		struct rd rd = { g, g->nat[i].node };

		/* each reads all that is queued; an overrun (-ENOBUFS) is
		 * counted by the reader, and the socket stays usable */
		if (g->nat[i].log)
			lab_nflog_read(g->nat[i].log, on_log, &rd);
		if (g->nat[i].ct)
			lab_ctev_read(g->nat[i].ct, on_ct, &rd);
	}
}

void lab_glass_close(struct lab_glass *g)
{
	if (!g)
		return;
	lab_glass_read(g);
	for (size_t i = 0; i < g->n; i++) {
		if (g->nat[i].log)
			g->tr->lost += (uint32_t)lab_nflog_lost(g->nat[i].log);
		if (g->nat[i].ct)
			g->tr->lost += (uint32_t)lab_ctev_lost(g->nat[i].ct);
		lab_nflog_close(g->nat[i].log);
		lab_ctev_close(g->nat[i].ct);
	}
	free(g);
}
