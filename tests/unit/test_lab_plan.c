// SPDX-License-Identifier: MIT
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "netns.h"
#include "lab/plan.h"

static uint32_t v4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return ntohl(a.s_addr);
}

static uint32_t mask(uint8_t len)
{
	return len ? ~0u << (32 - len) : 0;
}

static void test_ifnames_fit(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < lab_plan_nlinks; i++) {
		assert_true(strlen(lab_plan_links[i].a.name) > 0);
		assert_true(strlen(lab_plan_links[i].a.name) < IFNAMSIZ);
		assert_true(strlen(lab_plan_links[i].b.name) < IFNAMSIZ);
		assert_true(strlen(lab_plan_links[i].b.name) > 0);
	}
}

static void test_link_ends_share_a_subnet(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < lab_plan_nlinks; i++) {
		const struct lab_link *l = &lab_plan_links[i];

		assert_int_equal(l->a.prefixlen, l->b.prefixlen);
		assert_true(l->a.prefixlen >= 8 && l->a.prefixlen <= 30);
		assert_int_equal(v4(l->a.addr) & mask(l->a.prefixlen),
				 v4(l->b.addr) & mask(l->b.prefixlen));
		assert_int_not_equal(v4(l->a.addr), v4(l->b.addr));
		assert_int_not_equal(l->a.node, l->b.node);
	}
}

static void test_subnets_do_not_overlap(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < lab_plan_nlinks; i++)
		for (j = i + 1; j < lab_plan_nlinks; j++) {
			const struct lab_iface *x = &lab_plan_links[i].a, *y = &lab_plan_links[j].a;
			uint8_t len = x->prefixlen < y->prefixlen ? x->prefixlen : y->prefixlen;

			assert_int_not_equal(v4(x->addr) & mask(len), v4(y->addr) & mask(len));
		}
}

static void test_ifname_unique_per_node(void **state)
{
	const struct lab_iface *all[32];
	size_t i, j, n = 0;

	(void)state;
	for (i = 0; i < lab_plan_nlinks; i++) {
		all[n++] = &lab_plan_links[i].a;
		all[n++] = &lab_plan_links[i].b;
	}
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (all[i]->node == all[j]->node)
				assert_string_not_equal(all[i]->name, all[j]->name);
}

static void test_routes_via_a_neighbour(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < lab_plan_nroutes; i++) {
		const struct lab_route *r = &lab_plan_routes[i];
		bool found = false;

		for (j = 0; j < lab_plan_nlinks; j++) {
			const struct lab_link *l = &lab_plan_links[j];

			if ((l->a.node == r->node && !strcmp(l->b.addr, r->gw)) ||
			    (l->b.node == r->node && !strcmp(l->a.addr, r->gw)))
				found = true;
		}
		assert_true(found);
	}
}

static void test_every_node_but_core_has_a_default_route(void **state)
{
	int n;
	size_t i, count;

	(void)state;
	for (n = 0; n < LAB_NODE_COUNT; n++) {
		count = 0;
		for (i = 0; i < lab_plan_nroutes; i++)
			if (lab_plan_routes[i].node == (enum lab_node)n)
				count++;
		assert_int_equal(count, n == LAB_NODE_CORE ||
					 !lab_plan_has_node(lab_plan_get(LAB_TOPOLOGY_HOME, false),
							    (enum lab_node)n) ? 0 : 1);
	}
}

static void test_public_and_private_sides(void **state)
{
	(void)state;
	assert_string_equal(lab_plan_server_addr(), "192.0.2.10");
	assert_string_equal(lab_plan_public_addr(LAB_NODE_RA), "198.51.100.10");
	assert_string_equal(lab_plan_public_addr(LAB_NODE_RB), "203.0.113.10");
	assert_null(lab_plan_public_addr(LAB_NODE_HA));
	assert_string_equal(lab_plan_host_addr(LAB_NODE_HA), "10.0.1.2");
	assert_string_equal(lab_plan_host_addr(LAB_NODE_HB), "10.0.2.2");
	assert_int_equal(lab_plan_router_of(LAB_NODE_HA), LAB_NODE_RA);
	assert_int_equal(lab_plan_router_of(LAB_NODE_HB), LAB_NODE_RB);
	/* hosts are private (RFC 1918 10/8), everything else is not */
	assert_int_equal(v4(lab_plan_host_addr(LAB_NODE_HA)) >> 24, 10);
	assert_int_not_equal(v4(lab_plan_public_addr(LAB_NODE_RA)) >> 24, 10);
	assert_true(lab_plan_nodes[LAB_NODE_RA].nat && lab_plan_nodes[LAB_NODE_RB].nat);
	assert_false(lab_plan_nodes[LAB_NODE_CORE].nat);
	assert_true(lab_plan_nodes[LAB_NODE_CORE].forwarding);
	assert_false(lab_plan_nodes[LAB_NODE_HA].forwarding);
}

/* Every topology of the table: names fit, addresses are unique, each
 * address (a link end's or a bridge's) shares its subnet with the
 * neighbour it routes through, bridge ports are link ends without an
 * address, and only rA's wan and the server's side are public. */
static void test_every_topology_is_sound(void **state)
{
	int t, k;

	(void)state;
	for (t = 0; t < LAB_TOPOLOGY_COUNT; t++)
		for (k = 0; k < 2; k++) {
			const struct lab_plan *p = lab_plan_get((enum lab_topology)t, k);
			const struct lab_iface *all[32];
			size_t i, j, n = 0;

			assert_int_equal(p->topology, t);
			assert_int_equal(lab_topology_find(lab_topologies[t].name), t);
			for (i = 0; i < p->nlinks; i++) {
				all[n++] = &p->links[i].a;
				all[n++] = &p->links[i].b;
			}
			for (i = 0; i < n; i++) {
				const char *ai = lab_plan_iface_addr(p, all[i]);

				assert_true(strlen(all[i]->name) > 0 && strlen(all[i]->name) < IFNAMSIZ);
				assert_non_null(ai);
				for (j = i + 1; j < n; j++) {
					if (all[i]->node == all[j]->node)
						assert_string_not_equal(all[i]->name, all[j]->name);
					if (all[i]->addr && all[j]->addr)
						assert_string_not_equal(all[i]->addr, all[j]->addr);
				}
			}
			for (i = 0; i < p->nlinks; i++) {
				const struct lab_link *l = &p->links[i];
				const char *ea = lab_plan_iface_addr(p, &l->a);
				const char *eb = lab_plan_iface_addr(p, &l->b);

				assert_int_equal(v4(ea) & mask(24), v4(eb) & mask(24));
				assert_string_not_equal(ea, eb);
			}
			for (i = 0; i < p->nbridges; i++) {
				const struct lab_bridge *br = &p->bridges[i];

				assert_true(strlen(br->name) < IFNAMSIZ);
				assert_int_equal(v4(br->addr) >> 24, 10); /* a LAN: RFC 1918 */
				for (j = 0; j < LAB_BRIDGE_PORTS; j++) {
					size_t m, found = 0;

					for (m = 0; m < n; m++)
						if (all[m]->node == br->node && !all[m]->addr &&
						    !strcmp(all[m]->name, br->ports[j]))
							found++;
					assert_int_equal(found, 1);
				}
			}
			for (i = 0; i < p->nroutes; i++) {
				bool found = false;

				for (j = 0; j < n; j++)
					if (all[j]->node != p->routes[i].node &&
					    !strcmp(lab_plan_iface_addr(p, all[j]), p->routes[i].gw))
						found = true;
				assert_true(found);
			}
			assert_true(!p->one_router || p->lan2);
			assert_true(p->one_router || !p->isolated);
			assert_int_equal(lab_plan_has_node(p, LAB_NODE_RB), !p->one_router);
		}
}

/* Same LAN: both hosts in one subnet, on rA's bridge; different hosts. */
static void test_same_lan_hosts_share_the_switch(void **state)
{
	const struct lab_plan *p = lab_plan_get(LAB_TOPOLOGY_SAME_LAN, false);
	const char *a = lab_plan_host_addr_in(p, LAB_NODE_HA), *b = lab_plan_host_addr_in(p, LAB_NODE_HB);

	(void)state;
	assert_true(p->one_router && !p->isolated);
	assert_string_equal(p->lan2, "lan");
	assert_int_equal(p->nbridges, 1);
	assert_string_equal(p->bridges[0].name, "lan");
	assert_int_equal(v4(a) & mask(24), v4(b) & mask(24));
	assert_int_equal(v4(a) & mask(24), v4(p->bridges[0].addr) & mask(24));
	assert_string_not_equal(a, b);
	assert_int_equal(lab_plan_router_in(p, LAB_NODE_HB), LAB_NODE_RA);
	assert_int_equal(lab_topology_find("nope"), LAB_TOPOLOGY_COUNT);
	assert_string_equal(lab_topology_names(), "home, same-lan, cgnat, cgnat-same");
}

/* CGNAT: rA/rB's wan in RFC 6598 shared space (100.64.0.0/10), each CGN's
 * public side the home plan's public address, the core untouched. */
static void test_cgnat_shared_space_between_router_and_cgn(void **state)
{
	const struct lab_plan *p = lab_plan_get(LAB_TOPOLOGY_CGNAT, false);
	const struct lab_plan *home = lab_plan_get(LAB_TOPOLOGY_HOME, false);
	size_t i;

	(void)state;
	assert_false(p->one_router);
	assert_int_equal(p->punch_ttl, 3); /* host, home router, CGN: dies in the core */
	assert_true(lab_plan_has_node(p, LAB_NODE_CA) && lab_plan_has_node(p, LAB_NODE_CB));
	assert_false(lab_plan_has_node(home, LAB_NODE_CA));
	assert_int_equal(lab_plan_cgn_of(p, LAB_NODE_RA), LAB_NODE_CA);
	assert_int_equal(lab_plan_cgn_of(p, LAB_NODE_RB), LAB_NODE_CB);
	assert_int_equal(lab_plan_cgn_of(home, LAB_NODE_RA), LAB_NODE_COUNT);
	assert_string_equal(lab_plan_inside_addr(p, LAB_NODE_CA, "lan"), "100.64.1.2");
	assert_string_equal(lab_plan_inside_addr(p, LAB_NODE_CB, "lan"), "100.64.2.2");
	for (i = 0; i < p->nlinks; i++) {
		const struct lab_link *l = &p->links[i];
		bool shared = (v4(l->a.addr) & mask(10)) == v4("100.64.0.0");

		/* 100.64/10 only between a home router and its CGN */
		assert_int_equal(shared, (l->a.node == LAB_NODE_RA && l->b.node == LAB_NODE_CA) ||
						 (l->a.node == LAB_NODE_RB && l->b.node == LAB_NODE_CB));
		if (l->b.node == LAB_NODE_CORE && l->a.node != LAB_NODE_SRV)
			assert_string_equal(l->a.addr, lab_plan_public_addr(l->a.node == LAB_NODE_CA ?
									   LAB_NODE_RA : LAB_NODE_RB));
	}
}

/* One CGN for both homes: rB's wan on cA's isolated second lan port. */
static void test_cgnat_same_one_cgn(void **state)
{
	const struct lab_plan *p = lab_plan_get(LAB_TOPOLOGY_CGNAT_SAME, false);

	(void)state;
	assert_true(p->shared_cgn && lab_plan_hairpins(p) && !p->one_router);
	assert_false(lab_plan_hairpins(lab_plan_get(LAB_TOPOLOGY_CGNAT, false)));
	assert_false(lab_plan_has_node(p, LAB_NODE_CB));
	assert_int_equal(lab_plan_cgn_of(p, LAB_NODE_RB), LAB_NODE_CA);
	assert_string_equal(lab_plan_inside_addr(p, LAB_NODE_CA, "lan"), "100.64.1.2");
	assert_string_equal(lab_plan_inside_addr(p, LAB_NODE_CA, p->lan2), "100.64.2.2");
	assert_int_equal(p->punch_ttl, 3);
}

static void test_ns_names(void **state)
{
	char buf[LAB_NETNS_NAME_MAX];
	int n;

	(void)state;
	assert_int_equal(lab_plan_ns_name(buf, sizeof(buf), "hplab", LAB_NODE_RA), 0);
	assert_string_equal(buf, "hplab-rA");
	/* the longest prefix allowed still fits every node's name */
	for (n = 0; n < LAB_NODE_COUNT; n++)
		assert_int_equal(lab_plan_ns_name(buf, sizeof(buf), "abcdefghijklmnopqrstuvwx",
						  (enum lab_node)n), 0);
	assert_int_equal(lab_plan_ns_name(buf, 8, "hplab", LAB_NODE_CORE), -ENAMETOOLONG);
	assert_int_equal(lab_plan_ns_name(buf, sizeof(buf), "x", LAB_NODE_COUNT), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ifnames_fit),
		cmocka_unit_test(test_link_ends_share_a_subnet),
		cmocka_unit_test(test_subnets_do_not_overlap),
		cmocka_unit_test(test_ifname_unique_per_node),
		cmocka_unit_test(test_routes_via_a_neighbour),
		cmocka_unit_test(test_every_node_but_core_has_a_default_route),
		cmocka_unit_test(test_public_and_private_sides),
		cmocka_unit_test(test_ns_names),
		cmocka_unit_test(test_every_topology_is_sound),
		cmocka_unit_test(test_same_lan_hosts_share_the_switch),
		cmocka_unit_test(test_cgnat_shared_space_between_router_and_cgn),
		cmocka_unit_test(test_cgnat_same_one_cgn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
