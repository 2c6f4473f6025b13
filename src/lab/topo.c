// SPDX-License-Identifier: MIT
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "nat.h"
#include "nl.h"
#include "topo.h"

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int lab_topo_init(struct lab_topo *t, const char *prefix)
{
	int n, ret;

	memset(t, 0, sizeof(*t));
	if ((size_t)snprintf(t->prefix, sizeof(t->prefix), "%s", prefix) >= sizeof(t->prefix))
		return -ENAMETOOLONG;
	for (n = 0; n < LAB_NODE_COUNT; n++) {
		t->fds[n] = -1;
		ret = lab_plan_ns_name(t->names[n], sizeof(t->names[n]), prefix, (enum lab_node)n);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int topo_create_namespaces(struct lab_topo *t, char *err, size_t errlen)
{
	int n, ret;

	for (n = 0; n < LAB_NODE_COUNT; n++) {
		ret = lab_netns_create(t->names[n]);
		if (ret < 0) {
			snprintf(err, errlen, "cannot create namespace %s: %s", t->names[n],
				 strerror(-ret));
			return ret;
		}
		t->created[n] = true;
		ret = lab_netns_open(t->names[n]);
		if (ret < 0) {
			snprintf(err, errlen, "cannot open namespace %s: %s", t->names[n],
				 strerror(-ret));
			return ret;
		}
		t->fds[n] = ret;
	}
	return 0;
}

/* All five veth pairs in one netlink batch, each end born in its own
 * namespace and already up. */
static int topo_create_links(struct lab_topo *t, char *err, size_t errlen)
{
	struct lab_nl_batch batch;
	struct lab_nl nl;
	size_t i;
	int ret;

	ret = lab_nl_open(&nl, t->fds[LAB_NODE_CORE]);
	if (ret < 0) {
		snprintf(err, errlen, "cannot open rtnetlink in %s: %s", t->names[LAB_NODE_CORE],
			 strerror(-ret));
		return ret;
	}
	lab_nl_batch_init(&batch, &nl);
	for (i = 0; i < lab_plan_nlinks; i++) {
		const struct lab_link *l = &lab_plan_links[i];

		lab_nl_batch_veth(&batch, l->a.name, t->fds[l->a.node], l->b.name,
				  t->fds[l->b.node], 1);
	}
	ret = lab_nl_batch_commit(&batch);
	if (ret < 0)
		snprintf(err, errlen, "cannot create veth pairs: %s", strerror(-ret));
	lab_nl_close(&nl);
	return ret;
}

static int parse_v4(const char *s, struct in_addr *a)
{
	return inet_pton(AF_INET, s, a) == 1 ? 0 : -EINVAL;
}

/* The neighbour's interface that owns gw, and our interface facing it. */
static const struct lab_iface *iface_towards(enum lab_node node, const char *gw)
{
	size_t i;

	for (i = 0; i < lab_plan_nlinks; i++) {
		const struct lab_link *l = &lab_plan_links[i];

		if (l->a.node == node && !strcmp(l->b.addr, gw))
			return &l->a;
		if (l->b.node == node && !strcmp(l->a.addr, gw))
			return &l->b;
	}
	return NULL;
}

/* lo up, addresses, default route: one batch per namespace. */
static int topo_configure_node(struct lab_topo *t, enum lab_node node, char *err,
			       size_t errlen)
{
	struct lab_nl_batch batch;
	struct lab_nl nl;
	struct in_addr a, gw;
	size_t i;
	int ret, idx;

	ret = lab_nl_open(&nl, t->fds[node]);
	if (ret < 0) {
		snprintf(err, errlen, "cannot open rtnetlink in %s: %s", t->names[node],
			 strerror(-ret));
		return ret;
	}
	lab_nl_batch_init(&batch, &nl);
	lab_nl_batch_link_up(&batch, "lo");
	for (i = 0; i < lab_plan_nlinks * 2; i++) {
		const struct lab_iface *f =
			i % 2 ? &lab_plan_links[i / 2].b : &lab_plan_links[i / 2].a;

		if (f->node != node)
			continue;
		idx = lab_nl_link_index(&nl, f->name);
		if (idx < 0 || parse_v4(f->addr, &a) < 0) {
			ret = idx < 0 ? idx : -EINVAL;
			snprintf(err, errlen, "%s: no interface %s: %s", t->names[node], f->name,
				 strerror(-ret));
			goto out;
		}
		/* the peer end of a veth cannot be born up (nlmsg.c): IPv4 adds
		 * the prefix route only on an up link, so up goes first */
		lab_nl_batch_link_up(&batch, f->name);
		lab_nl_batch_addr(&batch, idx, AF_INET, &a, f->prefixlen);
	}
	for (i = 0; i < lab_plan_nroutes; i++) {
		const struct lab_route *r = &lab_plan_routes[i];
		const struct lab_iface *f;

		if (r->node != node)
			continue;
		f = iface_towards(node, r->gw);
		if (!f || parse_v4(r->gw, &gw) < 0) {
			ret = -EINVAL;
			snprintf(err, errlen, "plan: no interface of %s faces %s",
				 lab_plan_nodes[node].suffix, r->gw);
			goto out;
		}
		idx = lab_nl_link_index(&nl, f->name);
		if (idx < 0) {
			ret = idx;
			snprintf(err, errlen, "%s: no interface %s", t->names[node], f->name);
			goto out;
		}
		lab_nl_batch_route(&batch, AF_INET, NULL, 0, &gw, idx);
	}
	ret = lab_nl_batch_commit(&batch);
	if (ret < 0)
		snprintf(err, errlen, "cannot configure %s: %s", t->names[node], strerror(-ret));
out:
	lab_nl_close(&nl);
	return ret;
}

static int topo_nat_start(struct lab_topo *t, struct lab_nat_job *job, char *err,
			  size_t errlen)
{
	static const enum lab_node routers[] = { LAB_NODE_RA, LAB_NODE_RB };
	char text[2][2048];
	const char *rulesets[2];
	int fds[2], ret;
	size_t i;

	for (i = 0; i < 2; i++) {
		enum lab_node r = routers[i];
		enum lab_node host = r == LAB_NODE_RA ? LAB_NODE_HA : LAB_NODE_HB;
		struct lab_nat_params prm = { "wan", "lan", lab_plan_host_addr(host),
					      LAB_CLIENT_PORT };

		ret = lab_nat_ruleset(t->nat[r], &prm, text[i], sizeof(text[i]));
		if (ret < 0) {
			snprintf(err, errlen, "cannot write the NAT rules of %s: %s", t->names[r],
				 strerror(-ret));
			return ret;
		}
		rulesets[i] = text[i];
		fds[i] = t->fds[r];
	}
	ret = lab_nat_apply_start(job, fds, rulesets, 2);
	if (ret < 0)
		snprintf(err, errlen, "%s", job->err);
	return ret;
}

int lab_topo_build(struct lab_topo *t, const struct lab_nat_personality *nat_a,
		   const struct lab_nat_personality *nat_b, char *err, size_t errlen)
{
	struct lab_nat_job job = { 0 };
	uint64_t t0 = now_us(), t1;
	int n, ret, r;

	t->nat[LAB_NODE_RA] = nat_a;
	t->nat[LAB_NODE_RB] = nat_b;
	ret = topo_create_namespaces(t, err, errlen);
	t->us_netns = now_us() - t0;
	if (ret < 0)
		goto out;
	/* iptables-restore runs while netlink does the rest */
	ret = topo_nat_start(t, &job, err, errlen);
	if (ret < 0)
		goto out;
	t1 = now_us();
	ret = topo_create_links(t, err, errlen);
	t->us_links = now_us() - t1;
	if (ret < 0)
		goto out;
	t1 = now_us();
	for (n = 0; n < LAB_NODE_COUNT; n++) {
		ret = topo_configure_node(t, (enum lab_node)n, err, errlen);
		if (ret < 0)
			goto out;
		if (lab_plan_nodes[n].forwarding) {
			ret = lab_netns_sysctl(t->fds[n], "net/ipv4/ip_forward", "1");
			if (ret < 0) {
				snprintf(err, errlen, "%s: cannot enable forwarding: %s",
					 t->names[n], strerror(-ret));
				goto out;
			}
		}
	}
	t->us_config = now_us() - t1;
out:
	t1 = now_us();
	r = lab_nat_apply_finish(&job);
	t->us_nat_wait = now_us() - t1;
	if (r < 0 && ret == 0) {
		ret = r;
		snprintf(err, errlen, "NAT rules: %s", job.err);
	}
	return ret;
}

int lab_topo_destroy(struct lab_topo *t)
{
	int n, ret = 0, r;

	for (n = 0; n < LAB_NODE_COUNT; n++) {
		if (t->fds[n] >= 0)
			close(t->fds[n]);
		t->fds[n] = -1;
		r = lab_netns_delete(t->names[n]);
		if (r < 0 && r != -ENOENT && ret == 0)
			ret = r;
		t->created[n] = false;
	}
	return ret;
}
