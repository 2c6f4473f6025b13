// SPDX-License-Identifier: MIT
/*
 * rtnetlink request builders (RFC 3549 s.3, rtnetlink(7)): pure functions
 * writing one message into a caller buffer, so tests can check the bytes
 * and the I/O side (nl.c) can send one or batch several.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>

#include <libmnl/libmnl.h>

#include "nl.h"

static struct nlmsghdr *nlmsg_start(void *buf, size_t cap, uint16_t type, uint16_t flags,
				    uint32_t seq, size_t extra)
{
	struct nlmsghdr *nlh;

	if (!buf || cap < MNL_NLMSG_HDRLEN + MNL_ALIGN(extra))
		return NULL;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	mnl_nlmsg_put_extra_header(nlh, extra);
	return nlh;
}

static int nlmsg_check_ifname(const char *name)
{
	size_t len;

	if (!name)
		return -EINVAL;
	len = strnlen(name, IFNAMSIZ);
	if (len == 0 || len >= IFNAMSIZ || strchr(name, '/'))
		return -EINVAL;
	return 0;
}

static int nlmsg_addr_len(int family)
{
	if (family == AF_INET)
		return 4;
	if (family == AF_INET6)
		return 16;
	return -EAFNOSUPPORT;
}

static int nlmsg_link_common(void *buf, size_t cap, uint32_t seq, uint16_t type,
			     uint16_t flags, int ifindex, const char *ifname,
			     unsigned int change, unsigned int setflags, struct nlmsghdr **out)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	if (ifindex < 0 || (ifindex == 0 && nlmsg_check_ifname(ifname) < 0))
		return -EINVAL;
	nlh = nlmsg_start(buf, cap, type, flags, seq, sizeof(*ifi));
	if (!nlh)
		return -EMSGSIZE;
	ifi = mnl_nlmsg_get_payload(nlh);
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_change = change;
	ifi->ifi_flags = setflags;
	if (ifindex == 0 && !mnl_attr_put_strz_check(nlh, cap, IFLA_IFNAME, ifname))
		return -EMSGSIZE;
	*out = nlh;
	return 0;
}

/*
 * One queue each way, asked for. A veth is given one queue per possible CPU
 * unless told otherwise, and the driver then trims the queues it uses to
 * one. Trimming waits for an RCU grace period (synchronize_net), and this
 * happens for each end. Seen on a 2-CPU machine: about 3 ms per pair,
 * nine tenths of the lab's setup time.
 */
static int nlmsg_one_queue(struct nlmsghdr *nlh, size_t cap)
{
	if (!mnl_attr_put_u32_check(nlh, cap, IFLA_NUM_TX_QUEUES, 1) ||
	    !mnl_attr_put_u32_check(nlh, cap, IFLA_NUM_RX_QUEUES, 1))
		return -EMSGSIZE;
	return 0;
}

/*
 * One RTM_NEWLINK creating both ends (drivers/net/veth.c): the peer is
 * described by its own ifinfomsg + attributes inside
 * IFLA_LINKINFO/IFLA_INFO_DATA/VETH_INFO_PEER. IFLA_NET_NS_FD on each
 * level puts that end straight into its namespace. up: the first end is
 * created administratively up (ifi_flags apply at creation), saving a
 * round trip. The peer cannot be: the kernel registers and configures it
 * before the pair is joined, and opening a lone veth fails (ENOTCONN).
 * A nonzero ifi_index is the new device's index (rtnl_newlink_create);
 * the peer's is honoured only when the first end's is given too
 * (veth_newlink).
 */
int lab_nlmsg_veth_at(void *buf, size_t cap, uint32_t seq, const struct lab_nl_veth *v)
{
	unsigned int flags = v->up ? IFF_UP : 0;
	struct nlattr *info, *data, *pnest;
	struct ifinfomsg *pifi;
	struct nlmsghdr *nlh;
	int ret;

	if (nlmsg_check_ifname(v->name) < 0 || nlmsg_check_ifname(v->peer) < 0 ||
	    v->ifindex < 0 || v->peer_ifindex < 0 || (v->peer_ifindex && !v->ifindex))
		return -EINVAL;
	ret = nlmsg_link_common(buf, cap, seq, RTM_NEWLINK,
				NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
				0, v->name, flags, flags, &nlh);
	if (ret < 0)
		return ret;
	((struct ifinfomsg *)mnl_nlmsg_get_payload(nlh))->ifi_index = v->ifindex;
	if (v->ns_fd >= 0 &&
	    !mnl_attr_put_u32_check(nlh, cap, IFLA_NET_NS_FD, (uint32_t)v->ns_fd))
		return -EMSGSIZE;
	if (nlmsg_one_queue(nlh, cap) < 0)
		return -EMSGSIZE;
	info = mnl_attr_nest_start_check(nlh, cap, IFLA_LINKINFO);
	if (!info || !mnl_attr_put_strz_check(nlh, cap, IFLA_INFO_KIND, "veth"))
		return -EMSGSIZE;
	data = mnl_attr_nest_start_check(nlh, cap, IFLA_INFO_DATA);
	if (!data)
		return -EMSGSIZE;
	pnest = mnl_attr_nest_start_check(nlh, cap, VETH_INFO_PEER);
	if (!pnest || nlh->nlmsg_len + MNL_ALIGN(sizeof(*pifi)) > cap)
		return -EMSGSIZE;
	pifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*pifi));
	pifi->ifi_family = AF_UNSPEC;
	pifi->ifi_index = v->peer_ifindex;
	if (!mnl_attr_put_strz_check(nlh, cap, IFLA_IFNAME, v->peer))
		return -EMSGSIZE;
	if (v->peer_ns_fd >= 0 &&
	    !mnl_attr_put_u32_check(nlh, cap, IFLA_NET_NS_FD, (uint32_t)v->peer_ns_fd))
		return -EMSGSIZE;
	if (nlmsg_one_queue(nlh, cap) < 0)
		return -EMSGSIZE;
	mnl_attr_nest_end(nlh, pnest);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return (int)nlh->nlmsg_len;
}

int lab_nlmsg_veth_ex(void *buf, size_t cap, uint32_t seq, const char *name, int ns_fd,
		      const char *peer, int peer_ns_fd, int up)
{
	struct lab_nl_veth v = { name, ns_fd, 0, peer, peer_ns_fd, 0, up };

	return lab_nlmsg_veth_at(buf, cap, seq, &v);
}

int lab_nlmsg_veth(void *buf, size_t cap, uint32_t seq, const char *name, int ns_fd,
		   const char *peer, int peer_ns_fd)
{
	return lab_nlmsg_veth_ex(buf, cap, seq, name, ns_fd, peer, peer_ns_fd, 0);
}

int lab_nlmsg_bridge(void *buf, size_t cap, uint32_t seq, const char *name, int up)
{
	return lab_nlmsg_bridge_at(buf, cap, seq, name, 0, up);
}

int lab_nlmsg_bridge_at(void *buf, size_t cap, uint32_t seq, const char *name, int ifindex,
			int up)
{
	unsigned int flags = up ? IFF_UP : 0;
	struct nlmsghdr *nlh;
	struct nlattr *info;
	int ret;

	if (nlmsg_check_ifname(name) < 0 || ifindex < 0)
		return -EINVAL;
	ret = nlmsg_link_common(buf, cap, seq, RTM_NEWLINK,
				NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
				0, name, flags, flags, &nlh);
	if (ret < 0)
		return ret;
	((struct ifinfomsg *)mnl_nlmsg_get_payload(nlh))->ifi_index = ifindex;
	info = mnl_attr_nest_start_check(nlh, cap, IFLA_LINKINFO);
	if (!info || !mnl_attr_put_strz_check(nlh, cap, IFLA_INFO_KIND, "bridge"))
		return -EMSGSIZE;
	mnl_attr_nest_end(nlh, info);
	return (int)nlh->nlmsg_len;
}

int lab_nlmsg_link_up(void *buf, size_t cap, uint32_t seq, int ifindex)
{
	struct nlmsghdr *nlh;
	int ret;

	if (ifindex <= 0)
		return -EINVAL;
	ret = nlmsg_link_common(buf, cap, seq, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK,
				ifindex, NULL, IFF_UP, IFF_UP, &nlh);
	return ret < 0 ? ret : (int)nlh->nlmsg_len;
}

/* RTM_NEWLINK without NLM_F_CREATE finds an existing link by IFLA_IFNAME
 * when ifi_index is 0, so bringing a link up needs no index lookup. */
int lab_nlmsg_link_up_name(void *buf, size_t cap, uint32_t seq, const char *ifname)
{
	struct nlmsghdr *nlh;
	int ret;

	ret = nlmsg_link_common(buf, cap, seq, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK,
				0, ifname, IFF_UP, IFF_UP, &nlh);
	return ret < 0 ? ret : (int)nlh->nlmsg_len;
}

int lab_nlmsg_link_master(void *buf, size_t cap, uint32_t seq, const char *ifname,
			  int master_ifindex)
{
	struct nlmsghdr *nlh;
	int ret;

	if (master_ifindex < 0)
		return -EINVAL;
	ret = nlmsg_link_common(buf, cap, seq, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK,
				0, ifname, 0, 0, &nlh);
	if (ret < 0)
		return ret;
	if (!mnl_attr_put_u32_check(nlh, cap, IFLA_MASTER, (uint32_t)master_ifindex))
		return -EMSGSIZE;
	return (int)nlh->nlmsg_len;
}

/* Renaming needs the index: IFLA_IFNAME then carries the new name. */
int lab_nlmsg_link_name(void *buf, size_t cap, uint32_t seq, int ifindex, const char *newname)
{
	struct nlmsghdr *nlh;
	int ret;

	if (ifindex <= 0 || nlmsg_check_ifname(newname) < 0)
		return -EINVAL;
	ret = nlmsg_link_common(buf, cap, seq, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK,
				ifindex, NULL, 0, 0, &nlh);
	if (ret < 0)
		return ret;
	if (!mnl_attr_put_strz_check(nlh, cap, IFLA_IFNAME, newname))
		return -EMSGSIZE;
	return (int)nlh->nlmsg_len;
}

int lab_nlmsg_link_get(void *buf, size_t cap, uint32_t seq, const char *ifname)
{
	struct nlmsghdr *nlh;
	int ret;

	/* No NLM_F_ACK: the answer is either the link or an error, never both. */
	ret = nlmsg_link_common(buf, cap, seq, RTM_GETLINK, NLM_F_REQUEST, 0, ifname,
				0, 0, &nlh);
	if (ret < 0)
		return ret;
	/* Skip per-VF stats and the like: we only want the index. */
	if (!mnl_attr_put_u32_check(nlh, cap, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS))
		return -EMSGSIZE;
	return (int)nlh->nlmsg_len;
}

int lab_nlmsg_link_del(void *buf, size_t cap, uint32_t seq, const char *ifname)
{
	struct nlmsghdr *nlh;
	int ret;

	ret = nlmsg_link_common(buf, cap, seq, RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK, 0,
				ifname, 0, 0, &nlh);
	return ret < 0 ? ret : (int)nlh->nlmsg_len;
}

/*
 * IPv4 wants IFA_LOCAL (the interface's own address) and IFA_ADDRESS (the
 * peer on point-to-point links, the same otherwise). IPv6 uses
 * IFA_ADDRESS only, and IFA_F_NODAD: a lab address must be usable at
 * once, not after duplicate address detection (RFC 4862 s.5.4).
 */
int lab_nlmsg_addr(void *buf, size_t cap, uint32_t seq, int ifindex, int family,
		   const void *addr, uint8_t prefixlen)
{
	int alen = nlmsg_addr_len(family);
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;

	if (alen < 0)
		return alen;
	if (ifindex <= 0 || !addr || prefixlen > alen * 8)
		return -EINVAL;
	nlh = nlmsg_start(buf, cap, RTM_NEWADDR,
			  NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, seq, sizeof(*ifa));
	if (!nlh)
		return -EMSGSIZE;
	ifa = mnl_nlmsg_get_payload(nlh);
	ifa->ifa_family = (uint8_t)family;
	ifa->ifa_prefixlen = prefixlen;
	ifa->ifa_flags = family == AF_INET6 ? IFA_F_NODAD : 0;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)ifindex;
	if (family == AF_INET && !mnl_attr_put_check(nlh, cap, IFA_LOCAL, (size_t)alen, addr))
		return -EMSGSIZE;
	if (!mnl_attr_put_check(nlh, cap, IFA_ADDRESS, (size_t)alen, addr))
		return -EMSGSIZE;
	return (int)nlh->nlmsg_len;
}

/*
 * A static unicast route in the main table. Without a gateway the
 * destination is directly attached: IPv4 calls that link scope. IPv6 has
 * no route scopes (the kernel ignores rtm_scope there), so universe.
 */
int lab_nlmsg_route(void *buf, size_t cap, uint32_t seq, int family, const void *dst,
		    uint8_t dst_len, const void *gw, int oif)
{
	int alen = nlmsg_addr_len(family);
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;

	if (alen < 0)
		return alen;
	if (dst_len > alen * 8 || (dst_len > 0 && !dst) || oif < 0 || (!gw && oif == 0))
		return -EINVAL;
	nlh = nlmsg_start(buf, cap, RTM_NEWROUTE,
			  NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, seq, sizeof(*rtm));
	if (!nlh)
		return -EMSGSIZE;
	rtm = mnl_nlmsg_get_payload(nlh);
	rtm->rtm_family = (uint8_t)family;
	rtm->rtm_dst_len = dst_len;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = (gw || family == AF_INET6) ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	if (dst_len > 0 && !mnl_attr_put_check(nlh, cap, RTA_DST, (size_t)alen, dst))
		return -EMSGSIZE;
	if (gw && !mnl_attr_put_check(nlh, cap, RTA_GATEWAY, (size_t)alen, gw))
		return -EMSGSIZE;
	if (oif > 0 && !mnl_attr_put_u32_check(nlh, cap, RTA_OIF, (uint32_t)oif))
		return -EMSGSIZE;
	return (int)nlh->nlmsg_len;
}

/* Attribute callback of lab_nlmsg_parse_link: the strings must be
 * NUL-terminated within their attribute, the operational state one byte. */
static int nlmsg_link_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, IFLA_MAX) < 0)
		return MNL_CB_OK;
	if ((type == IFLA_IFNAME || type == IFLA_QDISC) &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
		return MNL_CB_OK;
	if (type == IFLA_OPERSTATE && mnl_attr_validate(attr, MNL_TYPE_U8) < 0)
		return MNL_CB_OK;
	tb[type] = attr;
	return MNL_CB_OK;
}

int lab_nlmsg_parse_link(const struct nlmsghdr *nlh, size_t len, struct lab_nl_link *out)
{
	const struct nlattr *tb[IFLA_MAX + 1] = { 0 };
	const struct ifinfomsg *ifi;

	memset(out, 0, sizeof(*out));
	out->operstate = -1;
	/* the whole message, its aligned end too (libmnl reads up to it) */
	if (len < sizeof(*nlh) || nlh->nlmsg_len > len || MNL_ALIGN(nlh->nlmsg_len) > len)
		return -EINVAL;
	if (nlh->nlmsg_type != RTM_NEWLINK)
		return -ENOMSG;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifi)) ||
	    mnl_attr_parse(nlh, sizeof(*ifi), nlmsg_link_attr_cb, tb) < 0)
		return -EINVAL;
	ifi = mnl_nlmsg_get_payload(nlh);
	out->ifindex = ifi->ifi_index;
	out->flags = ifi->ifi_flags;
	if (tb[IFLA_IFNAME])
		snprintf(out->name, sizeof(out->name), "%s", mnl_attr_get_str(tb[IFLA_IFNAME]));
	if (tb[IFLA_QDISC])
		snprintf(out->qdisc, sizeof(out->qdisc), "%s", mnl_attr_get_str(tb[IFLA_QDISC]));
	if (tb[IFLA_OPERSTATE])
		out->operstate = mnl_attr_get_u8(tb[IFLA_OPERSTATE]);
	return 0;
}

int lab_nlmsg_parse_error(const struct nlmsghdr *nlh, size_t len)
{
	const struct nlmsgerr *e;

	if (len < sizeof(*nlh) || nlh->nlmsg_len > len)
		return -EBADMSG;
	if (nlh->nlmsg_type != NLMSG_ERROR)
		return -ENOMSG;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
		return -EBADMSG;
	e = mnl_nlmsg_get_payload(nlh);
	return e->error > 0 ? -EPROTO : e->error;
}
