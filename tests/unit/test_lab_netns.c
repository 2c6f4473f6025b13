// SPDX-License-Identifier: MIT
/*
 * Named namespaces and rtnetlink against the real kernel. Needs root:
 * each test skips visibly otherwise. Namespaces carry a per-process
 * prefix and only 10.99.0.0/16 is used inside them; the teardown removes
 * whatever a failed test left.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "netns.h"
#include "nl.h"

#define MAX_NS 8

struct fixture {
	char prefix[24];
	int fds[MAX_NS];
	struct lab_nl nls[MAX_NS];
	int socks[2];
};

static void ns_name(char *out, size_t len, const struct fixture *f, const char *suffix)
{
	snprintf(out, len, "%s%s", f->prefix, suffix);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	int i;

	if (!f)
		return -1;
	snprintf(f->prefix, sizeof(f->prefix), "hpltest%d-", (int)getpid());
	for (i = 0; i < MAX_NS; i++)
		f->fds[i] = -1;
	f->socks[0] = f->socks[1] = -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	char names[MAX_NS * 2][LAB_NETNS_NAME_MAX];
	struct fixture *f = *state;
	int i, n;

	for (i = 0; i < MAX_NS; i++) {
		lab_nl_close(&f->nls[i]);
		if (f->fds[i] >= 0)
			close(f->fds[i]);
	}
	for (i = 0; i < 2; i++)
		if (f->socks[i] >= 0)
			close(f->socks[i]);
	n = lab_netns_list(f->prefix, names, MAX_NS * 2);
	for (i = 0; i < n && i < MAX_NS * 2; i++)
		lab_netns_delete(names[i]);
	free(f);
	return 0;
}

static void need_root(void)
{
	if (geteuid() != 0) {
		print_message("SKIP: needs root (network namespaces)\n");
		skip();
	}
}

/* Creates namespace PREFIX<suffix>, opens it and a route socket in it. */
static void make_ns(struct fixture *f, int i, const char *suffix)
{
	char name[LAB_NETNS_NAME_MAX];

	ns_name(name, sizeof(name), f, suffix);
	assert_int_equal(lab_netns_create(name), 0);
	f->fds[i] = lab_netns_open(name);
	assert_true(f->fds[i] >= 0);
	assert_int_equal(lab_nl_open(&f->nls[i], f->fds[i]), 0);
}

static void test_netns_create_list_delete(void **state)
{
	char names[4][LAB_NETNS_NAME_MAX], name[LAB_NETNS_NAME_MAX];
	struct fixture *f = *state;

	need_root();
	ns_name(name, sizeof(name), f, "solo");
	assert_int_equal(lab_netns_list(f->prefix, names, 4), 0);
	assert_int_equal(lab_netns_create(name), 0);
	assert_int_equal(lab_netns_create(name), -EEXIST);
	assert_int_equal(lab_netns_list(f->prefix, names, 4), 1);
	assert_string_equal(names[0], name);

	f->fds[0] = lab_netns_open(name);
	assert_true(f->fds[0] >= 0);
	assert_int_equal(lab_netns_delete(name), 0);
	assert_int_equal(lab_netns_delete(name), -ENOENT);
	assert_int_equal(lab_netns_open(name), -ENOENT);
	assert_int_equal(lab_netns_list(f->prefix, names, 4), 0);
	assert_int_equal(lab_netns_create("bad/name"), -EINVAL);
	assert_int_equal(lab_netns_create(""), -EINVAL);
}

static void test_netns_fresh_namespace_has_only_lo(void **state)
{
	struct fixture *f = *state;

	need_root();
	make_ns(f, 0, "fresh");
	assert_int_equal(lab_nl_link_index(&f->nls[0], "lo"), 1);
	assert_int_equal(lab_nl_link_index(&f->nls[0], "nosuch0"), -ENODEV);
	assert_int_equal(lab_nl_link_up(&f->nls[0], "lo"), 0);
	assert_int_equal(lab_nl_link_up(&f->nls[0], "nosuch0"), -ENODEV);
}

static void test_netns_veth_between_two_namespaces(void **state)
{
	char names[4][LAB_NETNS_NAME_MAX];
	struct fixture *f = *state;
	struct lab_nl root = { 0 };
	struct in_addr a1, a2;
	int i;

	need_root();
	make_ns(f, 0, "a");
	make_ns(f, 1, "b");
	assert_int_equal(inet_pton(AF_INET, "10.99.0.1", &a1), 1);
	assert_int_equal(inet_pton(AF_INET, "10.99.0.2", &a2), 1);

	/* Sent on a's socket, but each end lands in its own namespace. */
	assert_int_equal(lab_nl_veth_create(&f->nls[0], "hpv-a", f->fds[0], "hpv-b", f->fds[1]), 0);
	assert_int_equal(lab_nl_veth_create(&f->nls[0], "hpv-a", f->fds[0], "hpv-c", f->fds[1]),
			 -EEXIST);
	assert_true(lab_nl_link_index(&f->nls[0], "hpv-a") > 1);
	assert_true(lab_nl_link_index(&f->nls[1], "hpv-b") > 1);
	assert_int_equal(lab_nl_link_index(&f->nls[0], "hpv-b"), -ENODEV);
	assert_int_equal(lab_nl_link_index(&f->nls[1], "hpv-a"), -ENODEV);

	assert_int_equal(lab_nl_open(&root, -1), 0);
	assert_int_equal(lab_nl_link_index(&root, "hpv-a"), -ENODEV);
	assert_int_equal(lab_nl_link_index(&root, "hpv-b"), -ENODEV);
	lab_nl_close(&root);

	for (i = 0; i < 2; i++) {
		assert_int_equal(lab_nl_link_up(&f->nls[i], "lo"), 0);
		assert_int_equal(lab_nl_link_up(&f->nls[i], i ? "hpv-b" : "hpv-a"), 0);
	}
	assert_int_equal(lab_nl_addr_add(&f->nls[0], "hpv-a", AF_INET, &a1, 24), 0);
	assert_int_equal(lab_nl_addr_add(&f->nls[1], "hpv-b", AF_INET, &a2, 24), 0);
	assert_int_equal(lab_nl_addr_add(&f->nls[1], "hpv-b", AF_INET, &a2, 24), -EEXIST);
	assert_int_equal(lab_nl_addr_add(&f->nls[1], "nosuch0", AF_INET, &a2, 24), -ENODEV);

	/* The gateway must be reachable: it is, over the /24 just added. */
	assert_int_equal(inet_pton(AF_INET, "10.99.7.0", &a2), 1);
	assert_int_equal(lab_nl_route_add(&f->nls[0], AF_INET, &a2, 24, &a1, NULL), 0);
	assert_int_equal(lab_nl_route_add(&f->nls[0], AF_INET, &a2, 24, &a1, NULL), -EEXIST);
	assert_int_equal(inet_pton(AF_INET, "10.99.8.1", &a1), 1);
	assert_int_equal(lab_nl_route_add(&f->nls[0], AF_INET, NULL, 0, &a1, NULL), -ENETUNREACH);
	assert_int_equal(lab_nl_route_add(&f->nls[1], AF_INET, NULL, 0, NULL, "hpv-b"), 0);

	/* Renamed while down, which every kernel accepts. */
	assert_int_equal(lab_nl_veth_create(&f->nls[0], "hpv-d", f->fds[0], "hpv-e", f->fds[1]), 0);
	assert_int_equal(lab_nl_link_set_name(&f->nls[1], "hpv-e", "hpv-f"), 0);
	assert_true(lab_nl_link_index(&f->nls[1], "hpv-f") > 1);
	assert_int_equal(lab_nl_link_index(&f->nls[1], "hpv-e"), -ENODEV);

	assert_int_equal(lab_nl_link_del(&f->nls[0], "hpv-a"), 0);
	/* Deleting one end of a veth takes the other with it. */
	assert_int_equal(lab_nl_link_index(&f->nls[1], "hpv-b"), -ENODEV);

	for (i = 0; i < 2; i++) {
		lab_nl_close(&f->nls[i]);
		close(f->fds[i]);
		f->fds[i] = -1;
	}
	assert_int_equal(lab_netns_list(f->prefix, names, 4), 2);
	for (i = 0; i < 2; i++)
		assert_int_equal(lab_netns_delete(names[i]), 0);
	assert_int_equal(lab_netns_list(f->prefix, names, 4), 0);
}

static void test_netns_wait_ready_follows_link_state(void **state)
{
	static const char *const a[] = { "hpw-a" }, *const b[] = { "hpw-b" };
	static const char *const missing[] = { "nosuch0" };
	struct fixture *f = *state;

	need_root();
	make_ns(f, 0, "wa");
	make_ns(f, 1, "wb");
	assert_int_equal(lab_nl_veth_create(&f->nls[0], "hpw-a", f->fds[0], "hpw-b", f->fds[1]), 0);
	/* only one end up: no carrier, so it cannot transmit */
	assert_int_equal(lab_nl_link_up(&f->nls[0], "hpw-a"), 0);
	assert_int_equal(lab_nl_wait_ready(f->fds[0], a, 1, 50), -ETIMEDOUT);
	assert_int_equal(lab_nl_wait_ready(f->fds[0], missing, 1, 20), -ETIMEDOUT);
	/* both up: each end gets carrier and a real qdisc */
	assert_int_equal(lab_nl_link_up(&f->nls[1], "hpw-b"), 0);
	assert_int_equal(lab_nl_wait_ready(f->fds[0], a, 1, 3000), 0);
	assert_int_equal(lab_nl_wait_ready(f->fds[1], b, 1, 3000), 0);
	assert_int_equal(lab_nl_wait_ready(f->fds[1], b, 0, 0), 0);
}

static void test_netns_sysctl_is_per_namespace(void **state)
{
	struct fixture *f = *state;
	char before[16], val[16];

	need_root();
	make_ns(f, 0, "sys");
	assert_true(lab_netns_sysctl_get(-1, "net/ipv4/ip_forward", before, sizeof(before)) > 0);
	assert_int_equal(lab_netns_sysctl_get(f->fds[0], "net/ipv4/ip_forward", val, sizeof(val)), 1);
	assert_string_equal(val, "0");
	assert_int_equal(lab_netns_sysctl(f->fds[0], "net/ipv4/ip_forward", "1"), 0);
	assert_int_equal(lab_netns_sysctl_get(f->fds[0], "net/ipv4/ip_forward", val, sizeof(val)), 1);
	assert_string_equal(val, "1");
	assert_true(lab_netns_sysctl_get(-1, "net/ipv4/ip_forward", val, sizeof(val)) > 0);
	assert_string_equal(val, before);

	assert_int_equal(lab_netns_sysctl(f->fds[0], "net/ipv4/no_such_knob", "1"), -ENOENT);
	assert_int_equal(lab_netns_sysctl(f->fds[0], "../proc/self", "1"), -EINVAL);
	assert_int_equal(lab_netns_sysctl(f->fds[0], "/etc/passwd", "1"), -EINVAL);
	/* A failed write inside must still bring us home. */
	assert_int_equal(lab_netns_sysctl_get(-1, "net/ipv4/ip_forward", val, sizeof(val)),
			 (int)strlen(before));
	assert_string_equal(val, before);
}

/* Made inside: the sysctls land in the new namespace only, the socket
 * lives there; a missing optional knob is skipped, a missing required
 * one fails and leaves nothing. */
static void test_netns_create_in_works_inside(void **state)
{
	const struct lab_netns_sysctl sc[] = { { "net/ipv4/no_such_knob", "1", true },
					       { "net/ipv4/ip_forward", "1", false } };
	const struct lab_netns_sysctl bad = { "net/ipv4/no_such_knob", "1", false };
	struct lab_netns_inside in = { sc, 2, NETLINK_ROUTE, -1, -1 };
	char name[LAB_NETNS_NAME_MAX], before[16], val[16];
	const char *lo[] = { "lo" };
	struct fixture *f = *state;

	need_root();
	assert_true(lab_netns_sysctl_get(-1, "net/ipv4/ip_forward", before, sizeof(before)) > 0);
	ns_name(name, sizeof(name), f, "in");
	assert_int_equal(lab_netns_create_in(name, &in), 0);
	f->fds[0] = in.ns_fd;
	assert_true(f->fds[0] >= 0);
	assert_int_equal(lab_netns_sysctl_get(f->fds[0], "net/ipv4/ip_forward", val, sizeof(val)), 1);
	assert_string_equal(val, "1");
	assert_true(lab_netns_sysctl_get(-1, "net/ipv4/ip_forward", val, sizeof(val)) > 0);
	assert_string_equal(val, before);
	/* the socket's lo is the new namespace's: down until it says so */
	assert_int_equal(lab_nl_adopt(&f->nls[0], in.sock), 0);
	assert_int_equal(lab_nl_open(&f->nls[1], f->fds[0]), 0);
	assert_int_equal(lab_nl_links_ready(&f->nls[1], lo, 1), 0);
	assert_int_equal(lab_nl_link_up(&f->nls[0], "lo"), 0);
	assert_int_equal(lab_nl_links_ready(&f->nls[1], lo, 1), 1);

	in = (struct lab_netns_inside){ &bad, 1, -1, -1, -1 };
	ns_name(name, sizeof(name), f, "in2");
	assert_int_equal(lab_netns_create_in(name, &in), -ENOENT);
	assert_int_equal(in.ns_fd, -1);
	assert_int_equal(in.sock, -1);
	assert_int_equal(lab_netns_open(name), -ENOENT);
}

/* Indexes chosen at creation are the devices' indexes; one taken in its
 * namespace fails the request. */
static void test_netns_veth_at_chosen_indexes(void **state)
{
	struct lab_nl_veth v = { "hpi-a", -1, 120, "hpi-b", -1, 121, 1 };
	struct lab_nl_batch *b = calloc(1, sizeof(*b));
	struct fixture *f = *state;

	need_root();
	assert_non_null(b);
	make_ns(f, 0, "ia");
	make_ns(f, 1, "ib");
	v.ns_fd = f->fds[0];
	v.peer_ns_fd = f->fds[1];
	lab_nl_batch_init(b, &f->nls[0]);
	lab_nl_batch_veth_at(b, &v);
	assert_int_equal(lab_nl_batch_commit(b), 0);
	assert_int_equal(lab_nl_link_index(&f->nls[0], "hpi-a"), 120);
	assert_int_equal(lab_nl_link_index(&f->nls[1], "hpi-b"), 121);
	v = (struct lab_nl_veth){ "hpi-c", f->fds[1], 121, "hpi-d", f->fds[0], 122, 0 };
	lab_nl_batch_veth_at(b, &v);
	assert_true(lab_nl_batch_commit(b) < 0); /* -EEXIST on 6.x, -EBUSY before */
	assert_int_equal(lab_nl_link_index(&f->nls[0], "hpi-d"), -ENODEV);
	free(b);
}

static void test_netns_batch_reports_first_failure(void **state)
{
	struct fixture *f = *state;
	struct lab_nl_batch *b = malloc(sizeof(*b));
	struct in_addr a;
	int idx;

	need_root();
	assert_non_null(b);
	make_ns(f, 0, "batch");
	assert_int_equal(inet_pton(AF_INET, "10.99.3.1", &a), 1);
	lab_nl_batch_init(b, &f->nls[0]);
	assert_int_equal(lab_nl_batch_link_up(b, "lo"), 0);
	assert_int_equal(lab_nl_batch_addr(b, 1, AF_INET, &a, 24), 0);
	assert_int_equal(lab_nl_batch_addr(b, 1, AF_INET, &a, 24), 0); /* duplicate */
	assert_int_equal(lab_nl_batch_link_up(b, "nosuch0"), 0);
	assert_int_equal(lab_nl_batch_commit(b), -EEXIST);
	/* The later request was still processed (and failed); the socket
	 * holds no stale answers: a fresh request sees its own reply. */
	idx = lab_nl_link_index(&f->nls[0], "lo");
	assert_int_equal(idx, 1);
	assert_int_equal(lab_nl_addr_add(&f->nls[0], "lo", AF_INET, &a, 24), -EEXIST);

	assert_int_equal(lab_nl_batch_link_up(b, "0123456789abcdefg"), -EINVAL);
	assert_int_equal(lab_nl_batch_link_up(b, "lo"), 0);
	assert_int_equal(lab_nl_batch_commit(b), -EINVAL);
	assert_int_equal(lab_nl_batch_commit(b), 0); /* empty */
	free(b);
}

/* --- the lab's shape: timing is printed, never asserted --- */

static double ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static int socket_in(int ns_fd)
{
	int saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int s;

	assert_true(saved >= 0);
	assert_int_equal(lab_netns_enter(ns_fd), 0);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_int_equal(lab_netns_enter(saved), 0);
	close(saved);
	assert_true(s >= 0);
	return s;
}

static void addr4(struct in_addr *a, const char *s)
{
	assert_int_equal(inet_pton(AF_INET, s, a), 1);
}

enum { HA, RA, HB, RB, CORE, SRV, NNS };

/* hA - rA - core - rB - hB, plus srv on core: five veths, one /24 each. */
struct wire {
	int a, b;
	const char *an, *bn, *aaddr, *baddr;
};

static const struct wire wires[] = {
	{ HA, RA, "eth0", "lan0", "10.99.1.2", "10.99.1.1" },
	{ HB, RB, "eth0", "lan0", "10.99.2.2", "10.99.2.1" },
	{ RA, CORE, "wan0", "ra0", "10.99.11.2", "10.99.11.1" },
	{ RB, CORE, "wan0", "rb0", "10.99.12.2", "10.99.12.1" },
	{ SRV, CORE, "eth0", "srv0", "10.99.13.2", "10.99.13.1" },
};

struct route {
	int ns;
	const char *dst;
	uint8_t len;
	const char *gw;
};

static const struct route routes[] = {
	{ HA, NULL, 0, "10.99.1.1" },	 { HB, NULL, 0, "10.99.2.1" },
	{ RA, NULL, 0, "10.99.11.1" },	 { RB, NULL, 0, "10.99.12.1" },
	{ SRV, NULL, 0, "10.99.13.1" },	 { CORE, "10.99.1.0", 24, "10.99.11.2" },
	{ CORE, "10.99.2.0", 24, "10.99.12.2" },
};

static const char *const ns_suffix[NNS] = { "hA", "rA", "hB", "rB", "core", "srv" };

static void build_topology_simple(struct fixture *f)
{
	struct in_addr a, g;
	size_t i;

	for (i = 0; i < NNS; i++)
		assert_int_equal(lab_nl_link_up(&f->nls[i], "lo"), 0);
	for (i = 0; i < sizeof(wires) / sizeof(wires[0]); i++) {
		const struct wire *w = &wires[i];

		assert_int_equal(lab_nl_veth_create(&f->nls[w->a], w->an, f->fds[w->a], w->bn,
						    f->fds[w->b]), 0);
		assert_int_equal(lab_nl_link_up(&f->nls[w->a], w->an), 0);
		assert_int_equal(lab_nl_link_up(&f->nls[w->b], w->bn), 0);
		addr4(&a, w->aaddr);
		assert_int_equal(lab_nl_addr_add(&f->nls[w->a], w->an, AF_INET, &a, 24), 0);
		addr4(&a, w->baddr);
		assert_int_equal(lab_nl_addr_add(&f->nls[w->b], w->bn, AF_INET, &a, 24), 0);
	}
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct route *r = &routes[i];

		if (r->dst)
			addr4(&a, r->dst);
		addr4(&g, r->gw);
		assert_int_equal(lab_nl_route_add(&f->nls[r->ns], AF_INET, r->dst ? &a : NULL,
						  r->len, &g, NULL), 0);
	}
}

/* The same with the additions: veths with their first end born up, then
 * one batch per namespace: lo and peer ends up, addresses, routes. */
static void build_topology_batched(struct fixture *f)
{
	struct lab_nl_batch *b = malloc(sizeof(*b));
	struct in_addr a, g;
	size_t i, n;

	assert_non_null(b);
	for (i = 0; i < sizeof(wires) / sizeof(wires[0]); i++) {
		const struct wire *w = &wires[i];

		assert_int_equal(lab_nl_veth_create_ex(&f->nls[w->a], w->an, f->fds[w->a], w->bn,
						       f->fds[w->b], 1), 0);
	}
	for (n = 0; n < NNS; n++) {
		lab_nl_batch_init(b, &f->nls[n]);
		assert_int_equal(lab_nl_batch_link_up(b, "lo"), 0);
		for (i = 0; i < sizeof(wires) / sizeof(wires[0]); i++) {
			const struct wire *w = &wires[i];
			const char *ifn = NULL, *ad = NULL;
			int idx;

			if ((size_t)w->a == n) {
				ifn = w->an;
				ad = w->aaddr;
			} else if ((size_t)w->b == n) {
				ifn = w->bn;
				ad = w->baddr;
				assert_int_equal(lab_nl_batch_link_up(b, ifn), 0);
			} else {
				continue;
			}
			idx = lab_nl_link_index(&f->nls[n], ifn);
			assert_true(idx > 1);
			addr4(&a, ad);
			assert_int_equal(lab_nl_batch_addr(b, idx, AF_INET, &a, 24), 0);
		}
		/* Routes need their gateway's subnet: queue them after the
		 * addresses; the kernel handles a batch in order. */
		for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
			const struct route *r = &routes[i];

			if ((size_t)r->ns != n)
				continue;
			if (r->dst)
				addr4(&a, r->dst);
			addr4(&g, r->gw);
			assert_int_equal(lab_nl_batch_route(b, AF_INET, r->dst ? &a : NULL, r->len,
							    &g, 0), 0);
		}
		assert_int_equal(lab_nl_batch_commit(b), 0);
	}
	free(b);
}

/* A datagram from hA reaches srv through rA and core: routes and
 * forwarding are real, not just accepted by the kernel. */
static void check_udp_crosses(struct fixture *f)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(4999) };
	struct pollfd pfd;
	char buf[16];

	f->socks[0] = socket_in(f->fds[SRV]);
	f->socks[1] = socket_in(f->fds[HA]);
	addr4(&sa.sin_addr, "10.99.13.2");
	assert_int_equal(bind(f->socks[0], (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(sendto(f->socks[1], "hello", 5, 0, (struct sockaddr *)&sa, sizeof(sa)), 5);
	pfd.fd = f->socks[0];
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 2000), 1);
	assert_int_equal(recv(f->socks[0], buf, sizeof(buf), 0), 5);
	assert_memory_equal(buf, "hello", 5);
}

static void run_topology(struct fixture *f, int batched)
{
	char names[MAX_NS * 2][LAB_NETNS_NAME_MAX], name[LAB_NETNS_NAME_MAX];
	double t_ns, t_links, t_total, t_del;
	struct timespec t0, t1;
	int i;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < NNS; i++)
		make_ns(f, i, ns_suffix[i]);
	t_ns = ms_since(&t0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (batched)
		build_topology_batched(f);
	else
		build_topology_simple(f);
	for (i = 0; i < NNS; i++)
		if (i == RA || i == RB || i == CORE)
			assert_int_equal(lab_netns_sysctl(f->fds[i], "net/ipv4/ip_forward", "1"), 0);
	t_links = ms_since(&t1);
	t_total = ms_since(&t0);

	check_udp_crosses(f);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 2; i++) {
		close(f->socks[i]);
		f->socks[i] = -1;
	}
	for (i = 0; i < NNS; i++) {
		lab_nl_close(&f->nls[i]);
		close(f->fds[i]);
		f->fds[i] = -1;
		ns_name(name, sizeof(name), f, ns_suffix[i]);
		assert_int_equal(lab_netns_delete(name), 0);
	}
	t_del = ms_since(&t0);
	assert_int_equal(lab_netns_list(f->prefix, names, MAX_NS * 2), 0);
	print_message("topology (%s): 6 netns %.2f ms, 5 veths+addrs+routes+sysctl %.2f ms, "
		      "setup total %.2f ms, delete %.2f ms (kernel frees netns asynchronously)\n",
		      batched ? "batched" : "one request each", t_ns, t_links, t_total, t_del);
}

static void test_netns_lab_topology_simple(void **state)
{
	need_root();
	run_topology(*state, 0);
}

static void test_netns_lab_topology_batched(void **state)
{
	need_root();
	run_topology(*state, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_netns_create_list_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_netns_fresh_namespace_has_only_lo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_netns_veth_between_two_namespaces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_netns_wait_ready_follows_link_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_netns_sysctl_is_per_namespace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_netns_create_in_works_inside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_netns_veth_at_chosen_indexes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_netns_batch_reports_first_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_netns_lab_topology_simple, setup, teardown),
		cmocka_unit_test_setup_teardown(test_netns_lab_topology_batched, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
