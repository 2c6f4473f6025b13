// SPDX-License-Identifier: MIT
/*
 * The headers of one logged IPv4 datagram (pktdec.h). Every read is
 * bounded twice: by the bytes captured (a log copy is usually cut short)
 * and by the lengths the headers claim, so a lying length field can only
 * make less visible, never read past the buffer.
 */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>

#include "pktdec.h"
#include "proto.h"

#define IP_HDR_MIN   20 /* RFC 791 s.3.1: IHL is at least 5 words */
#define UDP_HDR_LEN  8  /* RFC 768 */
#define ICMP_HDR_LEN 8  /* RFC 792: type, code, checksum, 4 bytes, then the quote */
#define STUN_HDR_LEN 20 /* RFC 8489 s.5 (and RFC 3489 s.11.1) */
#define STUN_COOKIE  0x2112A442u

/* Where the layer-4 bytes of one IP datagram are. */
struct pkt_view {
	const uint8_t *l4;
	size_t avail; /* captured */
	size_t wire;  /* on the wire, as the IP header says */
	bool first;   /* fragment offset 0: the layer-4 header is in this one */
};

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * What a UDP payload is: hplab's header (magic, version, type: the fields
 * hp_header_decode checks first), a STUN message with RFC 8489's cookie
 * (s.6: the top two bits zero, the cookie at offset 4), or a classic RFC
 * 3489 Binding request or response, which has no cookie: then only its
 * type and a length that matches the datagram say it is STUN.
 */
static uint8_t pkt_app_type(const uint8_t *p, size_t avail, size_t wire)
{
	uint16_t type;

	if (avail >= 4 && wire >= HP_HDR_LEN && be16(p) == HP_MAGIC && p[2] == HP_VERSION)
		return p[3] == LAB_PKT_STUN ? LAB_PKT_NOT_HP : p[3];
	if (avail < 4 || wire < STUN_HDR_LEN || (p[0] & 0xc0) != 0)
		return LAB_PKT_NOT_HP;
	if (avail >= 8 && be32(p + 4) == STUN_COOKIE)
		return LAB_PKT_STUN;
	type = be16(p);
	if ((type == 0x0001 || type == 0x0101) && (size_t)be16(p + 2) + STUN_HDR_LEN == wire)
		return LAB_PKT_STUN;
	return LAB_PKT_NOT_HP;
}

/* One IPv4 header: -EINVAL unless its version, IHL and total length are
 * coherent and the header itself was captured whole. */
static int pkt_ip(const uint8_t *b, size_t len, struct lab_pkt_l4 *ip, struct pkt_view *v)
{
	size_t ihl, tot;

	if (len < IP_HDR_MIN || (b[0] >> 4) != 4)
		return -EINVAL;
	ihl = (size_t)(b[0] & 0x0f) * 4;
	tot = be16(b + 2);
	if (ihl < IP_HDR_MIN || len < ihl || tot < ihl)
		return -EINVAL;
	ip->ttl = b[8];
	ip->proto = b[9];
	ip->ipid = be16(b + 4);
	memcpy(&ip->t.src, b + 12, 4);
	memcpy(&ip->t.dst, b + 16, 4);
	v->l4 = b + ihl;
	v->wire = tot - ihl;
	v->avail = len - ihl < v->wire ? len - ihl : v->wire;
	/* RFC 791: only the fragment at offset 0 carries the UDP header */
	v->first = (be16(b + 6) & 0x1fff) == 0;
	return 0;
}

static void pkt_udp(const struct pkt_view *v, struct lab_pkt_l4 *ip)
{
	size_t ulen, avail;

	if (!v->first || v->avail < UDP_HDR_LEN)
		return;
	ip->t.sport = be16(v->l4);
	ip->t.dport = be16(v->l4 + 2);
	ulen = be16(v->l4 + 4);
	if (ulen < UDP_HDR_LEN)
		return; /* a length shorter than its own header: no payload */
	ulen -= UDP_HDR_LEN;
	avail = v->avail - UDP_HDR_LEN < ulen ? v->avail - UDP_HDR_LEN : ulen;
	ip->hp_type = pkt_app_type(v->l4 + UDP_HDR_LEN, avail, ulen);
}

/* Destination unreachable (3), time exceeded (11) and parameter problem
 * (12) quote the datagram's IP header and at least its first 8 bytes
 * (RFC 792; Linux quotes up to 576 bytes in all, RFC 1812 s.4.3.2.3). */
static void pkt_icmp(const struct pkt_view *v, struct lab_pkt *p)
{
	struct pkt_view in;
	uint8_t type;

	if (!v->first || v->avail < ICMP_HDR_LEN)
		return;
	type = v->l4[0];
	if (type != 3 && type != 11 && type != 12)
		return;
	p->icmp_type = type;
	p->icmp_code = v->l4[1];
	if (pkt_ip(v->l4 + ICMP_HDR_LEN, v->avail - ICMP_HDR_LEN, &p->inner, &in) < 0) {
		memset(&p->inner, 0, sizeof(p->inner));
		return;
	}
	p->has_inner = true;
	/* the quote's own lengths are the original's: bound by what is quoted */
	if (p->inner.proto == IPPROTO_UDP)
		pkt_udp(&in, &p->inner);
}

int lab_pkt_decode(const uint8_t *buf, size_t len, struct lab_pkt *p)
{
	struct pkt_view v;

	if (!p)
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	if (!buf || pkt_ip(buf, len, &p->ip, &v) < 0) {
		memset(p, 0, sizeof(*p));
		return -EINVAL;
	}
	if (p->ip.proto == IPPROTO_UDP)
		pkt_udp(&v, &p->ip);
	else if (p->ip.proto == IPPROTO_ICMP)
		pkt_icmp(&v, p);
	return 0;
}
