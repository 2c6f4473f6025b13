// SPDX-License-Identifier: MIT
/*
 * rtnetlink builders: the bytes of each request, checked without a
 * kernel. Attributes are walked with libmnl and every type, length and
 * value the kernel relies on is asserted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <arpa/inet.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <cmocka.h>

#include <libmnl/libmnl.h>

#include "nl.h"

#define ATTR_MAX 64

struct attrs {
	const struct nlattr *tb[ATTR_MAX];
	int count;
};

/* Collects attributes by type; a type seen twice fails the test. */
static int collect_cb(const struct nlattr *attr, void *data)
{
	struct attrs *a = data;
	uint16_t type = mnl_attr_get_type(attr);

	assert_true(type < ATTR_MAX);
	assert_null(a->tb[type]);
	a->tb[type] = attr;
	a->count++;
	return MNL_CB_OK;
}

static struct nlmsghdr *check_header(uint8_t *buf, int len, uint16_t type, uint16_t flags,
				     uint32_t seq)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;

	assert_true(len > 0);
	assert_int_equal(nlh->nlmsg_len, (uint32_t)len);
	assert_true(mnl_nlmsg_ok(nlh, len));
	assert_int_equal(nlh->nlmsg_type, type);
	assert_int_equal(nlh->nlmsg_flags, flags);
	assert_int_equal(nlh->nlmsg_seq, seq);
	assert_int_equal(nlh->nlmsg_pid, 0);
	return nlh;
}

static void parse_msg(const struct nlmsghdr *nlh, size_t hdrlen, struct attrs *a)
{
	memset(a, 0, sizeof(*a));
	assert_int_equal(mnl_attr_parse(nlh, (unsigned int)hdrlen, collect_cb, a), MNL_CB_OK);
}

static void parse_nested(const struct nlattr *nest, struct attrs *a)
{
	memset(a, 0, sizeof(*a));
	assert_int_equal(mnl_attr_parse_nested(nest, collect_cb, a), MNL_CB_OK);
}

static void assert_strz(const struct nlattr *attr, const char *want)
{
	assert_non_null(attr);
	assert_int_equal(mnl_attr_get_payload_len(attr), strlen(want) + 1);
	assert_string_equal(mnl_attr_get_str(attr), want);
}

static void assert_u32(const struct nlattr *attr, uint32_t want)
{
	assert_non_null(attr);
	assert_int_equal(mnl_attr_get_payload_len(attr), 4);
	assert_int_equal(mnl_attr_get_u32(attr), want);
}

static void assert_bytes(const struct nlattr *attr, const void *want, size_t len)
{
	assert_non_null(attr);
	assert_int_equal(mnl_attr_get_payload_len(attr), len);
	assert_memory_equal(mnl_attr_get_payload(attr), want, len);
}

#define NEW_FLAGS (NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL)

static void test_nl_veth_nests_peer_with_its_namespace(void **state)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	struct attrs top, info, data, peer;
	const struct ifinfomsg *ifi, *pifi;
	const struct nlattr *pnest;
	struct nlmsghdr *nlh;
	int len;

	(void)state;
	memset(buf, 0xa5, sizeof(buf));
	len = lab_nlmsg_veth(buf, sizeof(buf), 7, "wan0", 5, "up0", 9);
	nlh = check_header(buf, len, RTM_NEWLINK, NEW_FLAGS, 7);
	ifi = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(ifi->ifi_family, AF_UNSPEC);
	assert_int_equal(ifi->ifi_index, 0);
	assert_int_equal(ifi->ifi_flags, 0);
	assert_int_equal(ifi->ifi_change, 0);

	parse_msg(nlh, sizeof(*ifi), &top);
	assert_int_equal(top.count, 5);
	assert_strz(top.tb[IFLA_IFNAME], "wan0");
	assert_u32(top.tb[IFLA_NET_NS_FD], 5);
	/* one queue each way, asked for: nothing to trim (nlmsg.c) */
	assert_u32(top.tb[IFLA_NUM_TX_QUEUES], 1);
	assert_u32(top.tb[IFLA_NUM_RX_QUEUES], 1);
	assert_non_null(top.tb[IFLA_LINKINFO]);

	parse_nested(top.tb[IFLA_LINKINFO], &info);
	assert_int_equal(info.count, 2);
	assert_strz(info.tb[IFLA_INFO_KIND], "veth");
	assert_non_null(info.tb[IFLA_INFO_DATA]);

	parse_nested(info.tb[IFLA_INFO_DATA], &data);
	assert_int_equal(data.count, 1);
	pnest = data.tb[VETH_INFO_PEER];
	assert_non_null(pnest);

	/* The peer nest starts with its own ifinfomsg, then attributes. */
	assert_true(mnl_attr_get_payload_len(pnest) >= sizeof(*pifi));
	pifi = mnl_attr_get_payload(pnest);
	assert_int_equal(pifi->ifi_family, AF_UNSPEC);
	assert_int_equal(pifi->ifi_index, 0);
	assert_int_equal(pifi->ifi_flags, 0);
	memset(&peer, 0, sizeof(peer));
	assert_int_equal(mnl_attr_parse_payload((const uint8_t *)pifi + MNL_ALIGN(sizeof(*pifi)),
						mnl_attr_get_payload_len(pnest) -
							MNL_ALIGN(sizeof(*pifi)),
						collect_cb, &peer),
			 MNL_CB_OK);
	assert_int_equal(peer.count, 4);
	assert_strz(peer.tb[IFLA_IFNAME], "up0");
	assert_u32(peer.tb[IFLA_NET_NS_FD], 9);
	assert_u32(peer.tb[IFLA_NUM_TX_QUEUES], 1);
	assert_u32(peer.tb[IFLA_NUM_RX_QUEUES], 1);

	/* Nest lengths add up exactly to the message. */
	assert_int_equal((uint8_t *)top.tb[IFLA_LINKINFO] + MNL_ALIGN(top.tb[IFLA_LINKINFO]->nla_len),
			 buf + len);
}

static void test_nl_veth_without_namespace_omits_fd(void **state)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	struct attrs top;
	int len;

	(void)state;
	len = lab_nlmsg_veth(buf, sizeof(buf), 1, "a", -1, "b", -1);
	parse_msg(check_header(buf, len, RTM_NEWLINK, NEW_FLAGS, 1),
		  sizeof(struct ifinfomsg), &top);
	assert_null(top.tb[IFLA_NET_NS_FD]);
	assert_int_equal(top.count, 4);
}

static void test_nl_veth_up_sets_flags_on_first_end_only(void **state)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	const struct ifinfomsg *ifi, *pifi;
	struct attrs top, info, data;
	struct nlmsghdr *nlh;
	int len;

	(void)state;
	len = lab_nlmsg_veth_ex(buf, sizeof(buf), 2, "a", 3, "b", 4, 1);
	nlh = check_header(buf, len, RTM_NEWLINK, NEW_FLAGS, 2);
	ifi = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(ifi->ifi_flags, IFF_UP);
	assert_int_equal(ifi->ifi_change, IFF_UP);
	parse_msg(nlh, sizeof(*ifi), &top);
	parse_nested(top.tb[IFLA_LINKINFO], &info);
	parse_nested(info.tb[IFLA_INFO_DATA], &data);
	pifi = mnl_attr_get_payload(data.tb[VETH_INFO_PEER]);
	/* veth_open() refuses a peer whose pair is not joined yet. */
	assert_int_equal(pifi->ifi_flags, 0);
	assert_int_equal(pifi->ifi_change, 0);
}

static void test_nl_veth_rejects_bad_names(void **state)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];

	(void)state;
	assert_int_equal(lab_nlmsg_veth(buf, sizeof(buf), 1, "", 1, "b", 2), -EINVAL);
	assert_int_equal(lab_nlmsg_veth(buf, sizeof(buf), 1, "a", 1, NULL, 2), -EINVAL);
	/* IFNAMSIZ is 16 including the NUL. */
	assert_int_equal(lab_nlmsg_veth(buf, sizeof(buf), 1, "0123456789abcdef", 1, "b", 2),
			 -EINVAL);
	assert_true(lab_nlmsg_veth(buf, sizeof(buf), 1, "0123456789abcde", 1, "b", 2) > 0);
	assert_int_equal(lab_nlmsg_veth(buf, sizeof(buf), 1, "a/b", 1, "b", 2), -EINVAL);
}

static void test_nl_builders_refuse_small_buffers(void **state)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	uint8_t a4[4] = { 10, 99, 0, 1 };
	int full, cap;

	(void)state;
	full = lab_nlmsg_veth(buf, sizeof(buf), 1, "a", 1, "b", 2);
	assert_true(full > 0);
	/* Every capacity short of the full size must fail cleanly. */
	for (cap = 0; cap < full; cap++)
		assert_int_equal(lab_nlmsg_veth(buf, (size_t)cap, 1, "a", 1, "b", 2), -EMSGSIZE);
	assert_int_equal(lab_nlmsg_veth(buf, (size_t)full, 1, "a", 1, "b", 2), full);

	full = lab_nlmsg_addr(buf, sizeof(buf), 1, 2, AF_INET, a4, 24);
	for (cap = 0; cap < full; cap++)
		assert_int_equal(lab_nlmsg_addr(buf, (size_t)cap, 1, 2, AF_INET, a4, 24), -EMSGSIZE);
	full = lab_nlmsg_route(buf, sizeof(buf), 1, AF_INET, a4, 24, a4, 2);
	for (cap = 0; cap < full; cap++)
		assert_int_equal(lab_nlmsg_route(buf, (size_t)cap, 1, AF_INET, a4, 24, a4, 2),
				 -EMSGSIZE);
}

static void test_nl_link_up_by_index(void **state)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	const struct ifinfomsg *ifi;
	struct nlmsghdr *nlh;
	struct attrs top;
	int len;

	(void)state;
	len = lab_nlmsg_link_up(buf, sizeof(buf), 42, 17);
	nlh = check_header(buf, len, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, 42);
	assert_int_equal(len, NLMSG_LENGTH(sizeof(*ifi)));
	ifi = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(ifi->ifi_index, 17);
	assert_int_equal(ifi->ifi_flags, IFF_UP);
	assert_int_equal(ifi->ifi_change, IFF_UP);
	parse_msg(nlh, sizeof(*ifi), &top);
	assert_int_equal(top.count, 0);
	assert_int_equal(lab_nlmsg_link_up(buf, sizeof(buf), 1, 0), -EINVAL);
}

static void test_nl_link_up_by_name(void **state)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	const struct ifinfomsg *ifi;
	struct nlmsghdr *nlh;
	struct attrs top;
	int len;

	(void)state;
	len = lab_nlmsg_link_up_name(buf, sizeof(buf), 3, "lo");
	/* Not CREATE: bringing up a missing link must fail, not make one. */
	nlh = check_header(buf, len, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, 3);
	ifi = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(ifi->ifi_index, 0);
	assert_int_equal(ifi->ifi_flags, IFF_UP);
	assert_int_equal(ifi->ifi_change, IFF_UP);
	parse_msg(nlh, sizeof(*ifi), &top);
	assert_int_equal(top.count, 1);
	assert_strz(top.tb[IFLA_IFNAME], "lo");
}

static void test_nl_link_get_and_del(void **state)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct attrs top;
	int len;

	(void)state;
	len = lab_nlmsg_link_get(buf, sizeof(buf), 4, "eth0");
	/* No ACK flag: a GETLINK answer is the link or an error. */
	nlh = check_header(buf, len, RTM_GETLINK, NLM_F_REQUEST, 4);
	parse_msg(nlh, sizeof(struct ifinfomsg), &top);
	assert_strz(top.tb[IFLA_IFNAME], "eth0");
	assert_u32(top.tb[IFLA_EXT_MASK], RTEXT_FILTER_SKIP_STATS);

	len = lab_nlmsg_link_del(buf, sizeof(buf), 5, "eth0");
	nlh = check_header(buf, len, RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK, 5);
	parse_msg(nlh, sizeof(struct ifinfomsg), &top);
	assert_int_equal(top.count, 1);
	assert_strz(top.tb[IFLA_IFNAME], "eth0");
}

static void test_nl_link_rename_by_index(void **state)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	const struct ifinfomsg *ifi;
	struct nlmsghdr *nlh;
	struct attrs top;
	int len;

	(void)state;
	len = lab_nlmsg_link_name(buf, sizeof(buf), 13, 8, "wan0");
	nlh = check_header(buf, len, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, 13);
	ifi = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(ifi->ifi_index, 8);
	assert_int_equal(ifi->ifi_change, 0);
	parse_msg(nlh, sizeof(*ifi), &top);
	assert_int_equal(top.count, 1);
	assert_strz(top.tb[IFLA_IFNAME], "wan0");
	assert_int_equal(lab_nlmsg_link_name(buf, sizeof(buf), 1, 0, "x"), -EINVAL);
	assert_int_equal(lab_nlmsg_link_name(buf, sizeof(buf), 1, 8, ""), -EINVAL);
}

/* The chosen indexes sit in each end's own ifinfomsg; a peer's index
 * without the first end's would be ignored by the kernel: refused. */
static void test_nl_veth_at_chooses_both_indexes(void **state)
{
	struct lab_nl_veth v = { "a", 3, 100, "b", 4, 101, 1 };
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	const struct ifinfomsg *ifi, *pifi;
	struct attrs top, info, data;
	struct nlmsghdr *nlh;
	int len;

	(void)state;
	len = lab_nlmsg_veth_at(buf, sizeof(buf), 5, &v);
	nlh = check_header(buf, len, RTM_NEWLINK, NEW_FLAGS, 5);
	ifi = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(ifi->ifi_index, 100);
	assert_int_equal(ifi->ifi_flags, IFF_UP);
	parse_msg(nlh, sizeof(*ifi), &top);
	assert_strz(top.tb[IFLA_IFNAME], "a");
	assert_u32(top.tb[IFLA_NET_NS_FD], 3);
	parse_nested(top.tb[IFLA_LINKINFO], &info);
	parse_nested(info.tb[IFLA_INFO_DATA], &data);
	pifi = mnl_attr_get_payload(data.tb[VETH_INFO_PEER]);
	assert_int_equal(pifi->ifi_index, 101);
	assert_int_equal(pifi->ifi_flags, 0);
	v.ifindex = 0;
	assert_int_equal(lab_nlmsg_veth_at(buf, sizeof(buf), 1, &v), -EINVAL);
	v.peer_ifindex = 0;
	assert_true(lab_nlmsg_veth_at(buf, sizeof(buf), 1, &v) > 0);
	v.ifindex = -1;
	assert_int_equal(lab_nlmsg_veth_at(buf, sizeof(buf), 1, &v), -EINVAL);
}

static void test_nl_bridge_at_chooses_its_index(void **state)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	const struct ifinfomsg *ifi;
	struct attrs top;
	struct nlmsghdr *nlh;
	int len;

	(void)state;
	len = lab_nlmsg_bridge_at(buf, sizeof(buf), 3, "lan", 110, 1);
	nlh = check_header(buf, len, RTM_NEWLINK, NEW_FLAGS, 3);
	ifi = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(ifi->ifi_index, 110);
	assert_int_equal(ifi->ifi_flags, IFF_UP);
	parse_msg(nlh, sizeof(*ifi), &top);
	assert_strz(top.tb[IFLA_IFNAME], "lan");
	assert_int_equal(lab_nlmsg_bridge_at(buf, sizeof(buf), 3, "lan", -2, 1), -EINVAL);
}

static void test_nl_bridge_and_master(void **state)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	struct attrs top, info;
	struct nlmsghdr *nlh;
	int len;

	(void)state;
	len = lab_nlmsg_bridge(buf, sizeof(buf), 6, "br0", 1);
	nlh = check_header(buf, len, RTM_NEWLINK, NEW_FLAGS, 6);
	parse_msg(nlh, sizeof(struct ifinfomsg), &top);
	assert_strz(top.tb[IFLA_IFNAME], "br0");
	parse_nested(top.tb[IFLA_LINKINFO], &info);
	assert_int_equal(info.count, 1);
	assert_strz(info.tb[IFLA_INFO_KIND], "bridge");

	len = lab_nlmsg_link_master(buf, sizeof(buf), 7, "p0", 12);
	nlh = check_header(buf, len, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, 7);
	parse_msg(nlh, sizeof(struct ifinfomsg), &top);
	assert_strz(top.tb[IFLA_IFNAME], "p0");
	assert_u32(top.tb[IFLA_MASTER], 12);
}

static void test_nl_addr_v4_has_local_and_address(void **state)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	uint8_t a4[4] = { 10, 99, 0, 1 };
	const struct ifaddrmsg *ifa;
	struct nlmsghdr *nlh;
	struct attrs top;
	int len;

	(void)state;
	len = lab_nlmsg_addr(buf, sizeof(buf), 8, 3, AF_INET, a4, 24);
	nlh = check_header(buf, len, RTM_NEWADDR, NEW_FLAGS, 8);
	ifa = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(ifa->ifa_family, AF_INET);
	assert_int_equal(ifa->ifa_prefixlen, 24);
	assert_int_equal(ifa->ifa_index, 3);
	assert_int_equal(ifa->ifa_scope, RT_SCOPE_UNIVERSE);
	assert_int_equal(ifa->ifa_flags, 0);
	parse_msg(nlh, sizeof(*ifa), &top);
	assert_int_equal(top.count, 2);
	assert_bytes(top.tb[IFA_LOCAL], a4, 4);
	assert_bytes(top.tb[IFA_ADDRESS], a4, 4);
}

static void test_nl_addr_v6_is_nodad_address_only(void **state)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	struct in6_addr a6;
	const struct ifaddrmsg *ifa;
	struct nlmsghdr *nlh;
	struct attrs top;
	int len;

	(void)state;
	assert_int_equal(inet_pton(AF_INET6, "fd99::1", &a6), 1);
	len = lab_nlmsg_addr(buf, sizeof(buf), 9, 4, AF_INET6, &a6, 64);
	nlh = check_header(buf, len, RTM_NEWADDR, NEW_FLAGS, 9);
	ifa = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(ifa->ifa_family, AF_INET6);
	assert_int_equal(ifa->ifa_prefixlen, 64);
	assert_int_equal(ifa->ifa_index, 4);
	assert_int_equal(ifa->ifa_flags, IFA_F_NODAD);
	parse_msg(nlh, sizeof(*ifa), &top);
	assert_int_equal(top.count, 1);
	assert_bytes(top.tb[IFA_ADDRESS], &a6, 16);
}

static void test_nl_addr_rejects_bad_input(void **state)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	uint8_t a[16] = { 0 };

	(void)state;
	assert_int_equal(lab_nlmsg_addr(buf, sizeof(buf), 1, 1, AF_INET, a, 33), -EINVAL);
	assert_int_equal(lab_nlmsg_addr(buf, sizeof(buf), 1, 1, AF_INET6, a, 129), -EINVAL);
	assert_true(lab_nlmsg_addr(buf, sizeof(buf), 1, 1, AF_INET6, a, 128) > 0);
	assert_int_equal(lab_nlmsg_addr(buf, sizeof(buf), 1, 0, AF_INET, a, 24), -EINVAL);
	assert_int_equal(lab_nlmsg_addr(buf, sizeof(buf), 1, 1, AF_INET, NULL, 24), -EINVAL);
	assert_int_equal(lab_nlmsg_addr(buf, sizeof(buf), 1, 1, AF_PACKET, a, 24),
			 -EAFNOSUPPORT);
}

static void test_nl_route_via_gateway(void **state)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	uint8_t dst[4] = { 10, 99, 2, 0 }, gw[4] = { 10, 99, 0, 1 };
	const struct rtmsg *rtm;
	struct nlmsghdr *nlh;
	struct attrs top;
	int len;

	(void)state;
	len = lab_nlmsg_route(buf, sizeof(buf), 10, AF_INET, dst, 24, gw, 5);
	nlh = check_header(buf, len, RTM_NEWROUTE, NEW_FLAGS, 10);
	rtm = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(rtm->rtm_family, AF_INET);
	assert_int_equal(rtm->rtm_dst_len, 24);
	assert_int_equal(rtm->rtm_src_len, 0);
	assert_int_equal(rtm->rtm_table, RT_TABLE_MAIN);
	assert_int_equal(rtm->rtm_protocol, RTPROT_STATIC);
	assert_int_equal(rtm->rtm_scope, RT_SCOPE_UNIVERSE);
	assert_int_equal(rtm->rtm_type, RTN_UNICAST);
	parse_msg(nlh, sizeof(*rtm), &top);
	assert_int_equal(top.count, 3);
	assert_bytes(top.tb[RTA_DST], dst, 4);
	assert_bytes(top.tb[RTA_GATEWAY], gw, 4);
	assert_u32(top.tb[RTA_OIF], 5);
}

static void test_nl_route_default_on_link(void **state)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	const struct rtmsg *rtm;
	struct nlmsghdr *nlh;
	struct attrs top;
	int len;

	(void)state;
	len = lab_nlmsg_route(buf, sizeof(buf), 11, AF_INET, NULL, 0, NULL, 6);
	nlh = check_header(buf, len, RTM_NEWROUTE, NEW_FLAGS, 11);
	rtm = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(rtm->rtm_dst_len, 0);
	assert_int_equal(rtm->rtm_scope, RT_SCOPE_LINK);
	parse_msg(nlh, sizeof(*rtm), &top);
	assert_int_equal(top.count, 1);
	assert_null(top.tb[RTA_DST]);
	assert_null(top.tb[RTA_GATEWAY]);
	assert_u32(top.tb[RTA_OIF], 6);
}

static void test_nl_route_v6_gateway_without_oif(void **state)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	struct in6_addr dst, gw;
	const struct rtmsg *rtm;
	struct nlmsghdr *nlh;
	struct attrs top;
	int len;

	(void)state;
	assert_int_equal(inet_pton(AF_INET6, "fd99:2::", &dst), 1);
	assert_int_equal(inet_pton(AF_INET6, "fd99::1", &gw), 1);
	len = lab_nlmsg_route(buf, sizeof(buf), 12, AF_INET6, &dst, 48, &gw, 0);
	nlh = check_header(buf, len, RTM_NEWROUTE, NEW_FLAGS, 12);
	rtm = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(rtm->rtm_family, AF_INET6);
	assert_int_equal(rtm->rtm_dst_len, 48);
	assert_int_equal(rtm->rtm_scope, RT_SCOPE_UNIVERSE);
	parse_msg(nlh, sizeof(*rtm), &top);
	assert_int_equal(top.count, 2);
	assert_bytes(top.tb[RTA_DST], &dst, 16);
	assert_bytes(top.tb[RTA_GATEWAY], &gw, 16);
	assert_null(top.tb[RTA_OIF]);
}

static void test_nl_route_rejects_bad_input(void **state)
{
	uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	uint8_t a[4] = { 10, 99, 0, 0 };

	(void)state;
	assert_int_equal(lab_nlmsg_route(buf, sizeof(buf), 1, AF_INET, a, 33, a, 1), -EINVAL);
	assert_int_equal(lab_nlmsg_route(buf, sizeof(buf), 1, AF_INET, NULL, 24, a, 1), -EINVAL);
	/* Neither a gateway nor a device: the kernel could not place it. */
	assert_int_equal(lab_nlmsg_route(buf, sizeof(buf), 1, AF_INET, a, 24, NULL, 0), -EINVAL);
	assert_int_equal(lab_nlmsg_route(buf, sizeof(buf), 1, 99, a, 24, a, 1), -EAFNOSUPPORT);
}

/* An RTM_NEWLINK as the kernel answers a get or announces a change. */
static size_t make_link(uint8_t *buf, int ifindex, unsigned flags, const char *name,
			const char *qdisc)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = RTM_NEWLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = flags;
	if (name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (qdisc)
		mnl_attr_put_strz(nlh, IFLA_QDISC, qdisc);
	return nlh->nlmsg_len;
}

static void test_parse_link(void **state)
{
	uint8_t buf[512] __attribute__((aligned(4)));
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct lab_nl_link l;
	size_t len = make_link(buf, 7, IFF_UP | IFF_RUNNING, "wan", "noqueue");

	(void)state;
	assert_int_equal(lab_nlmsg_parse_link(nlh, len, &l), 0);
	assert_int_equal(l.ifindex, 7);
	assert_int_equal(l.flags, IFF_UP | IFF_RUNNING);
	assert_string_equal(l.name, "wan");
	assert_string_equal(l.qdisc, "noqueue");
	assert_int_equal(l.operstate, -1); /* absent */
	for (size_t cut = 0; cut < len; cut++)
		assert_int_not_equal(lab_nlmsg_parse_link(nlh, cut, &l), 0);
	/* a name without its NUL is not believed */
	len = make_link(buf, 7, 0, NULL, NULL);
	mnl_attr_put(nlh, IFLA_IFNAME, 4, "wanx");
	assert_int_equal(lab_nlmsg_parse_link(nlh, nlh->nlmsg_len, &l), 0);
	assert_string_equal(l.name, "");
	/* a length not a multiple of 4, the buffer ending there */
	len = make_link(buf, 7, 0, "wan", NULL);
	nlh->nlmsg_len = (uint32_t)len - 1;
	assert_int_equal(lab_nlmsg_parse_link(nlh, len - 1, &l), -EINVAL);
	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_len = (uint32_t)len;
	assert_int_equal(lab_nlmsg_parse_link(nlh, len, &l), -ENOMSG);
	/* the operational state: one byte, or it is not believed. IF_OPER_UP
	 * is linux/if.h's, which cannot be included beside net/if.h */
	enum { OPER_UP = 6 };
	make_link(buf, 7, IFF_UP, "wan", NULL);
	mnl_attr_put_u8(nlh, IFLA_OPERSTATE, OPER_UP);
	assert_int_equal(lab_nlmsg_parse_link(nlh, nlh->nlmsg_len, &l), 0);
	assert_int_equal(l.operstate, OPER_UP);
	make_link(buf, 7, IFF_UP, "wan", NULL);
	mnl_attr_put_u32(nlh, IFLA_OPERSTATE, OPER_UP);
	assert_int_equal(lab_nlmsg_parse_link(nlh, nlh->nlmsg_len, &l), 0);
	assert_int_equal(l.operstate, -1);
}

static void test_parse_error(void **state)
{
	uint8_t buf[128] __attribute__((aligned(4)));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nlmsgerr *e;

	(void)state;
	nlh->nlmsg_type = NLMSG_ERROR;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = -EEXIST;
	assert_int_equal(lab_nlmsg_parse_error(nlh, nlh->nlmsg_len), -EEXIST);
	e->error = 0;
	assert_int_equal(lab_nlmsg_parse_error(nlh, nlh->nlmsg_len), 0);
	e->error = 5; /* positive: not the kernel's */
	assert_int_equal(lab_nlmsg_parse_error(nlh, nlh->nlmsg_len), -EPROTO);
	assert_int_equal(lab_nlmsg_parse_error(nlh, nlh->nlmsg_len - 1), -EBADMSG);
	nlh->nlmsg_len = sizeof(*nlh) + 2;
	assert_int_equal(lab_nlmsg_parse_error(nlh, sizeof(buf)), -EBADMSG);
	nlh->nlmsg_type = NLMSG_DONE;
	assert_int_equal(lab_nlmsg_parse_error(nlh, sizeof(buf)), -ENOMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_link),
		cmocka_unit_test(test_parse_error),
		cmocka_unit_test(test_nl_veth_nests_peer_with_its_namespace),
		cmocka_unit_test(test_nl_veth_without_namespace_omits_fd),
		cmocka_unit_test(test_nl_veth_up_sets_flags_on_first_end_only),
		cmocka_unit_test(test_nl_veth_rejects_bad_names),
		cmocka_unit_test(test_nl_builders_refuse_small_buffers),
		cmocka_unit_test(test_nl_link_up_by_index),
		cmocka_unit_test(test_nl_link_up_by_name),
		cmocka_unit_test(test_nl_link_get_and_del),
		cmocka_unit_test(test_nl_link_rename_by_index),
		cmocka_unit_test(test_nl_bridge_and_master),
		cmocka_unit_test(test_nl_veth_at_chooses_both_indexes),
		cmocka_unit_test(test_nl_bridge_at_chooses_its_index),
		cmocka_unit_test(test_nl_addr_v4_has_local_and_address),
		cmocka_unit_test(test_nl_addr_v6_is_nodad_address_only),
		cmocka_unit_test(test_nl_addr_rejects_bad_input),
		cmocka_unit_test(test_nl_route_via_gateway),
		cmocka_unit_test(test_nl_route_default_on_link),
		cmocka_unit_test(test_nl_route_v6_gateway_without_oif),
		cmocka_unit_test(test_nl_route_rejects_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
