// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include "netns.h"
#include "nfnl.h"
#include "nfq.h"

#define NFQ_MSG(t) ((NFNL_SUBSYS_QUEUE << 8) | (t))
/* One datagram from the kernel: a whole 64 KiB packet plus its attributes. */
#define NFQ_RX_SIZE (65536 + 4096)
#define NFQ_TX_SIZE 512
#define NFQ_MAXLEN 8192u        /* kernel-side queue length */
#define NFQ_HELD_MAX 65536u     /* engine-side cap, beyond: released at once */
#define NFQ_DUP_PATHS 8
#define NFQ_DUP_RING 64
#define NFQ_DUP_TTL_US 2000000u /* a copy not back within 2 s was lost */

struct nfq_held {
	uint64_t due_us;
	uint64_t seq; /* FIFO among equal due times */
	uint32_t id;
	uint32_t indev;
	uint8_t *copy; /* payload to duplicate, or NULL */
	size_t copy_len;
};

struct nfq_dup_path {
	uint32_t in_ifindex;
	uint8_t in_mac[ETH_ALEN];
	int pkt_fd; /* AF_PACKET in the peer namespace */
	int peer_ifindex;
};

struct nfq_dup_mark {
	uint64_t hash;
	uint64_t expires_us;
};

struct lab_nfq {
	struct mnl_socket *sock;
	int ns_fd; /* dup'ed, for ioctls in the queue's namespace */
	uint32_t portid;
	uint32_t seq;
	uint16_t queue_num;
	struct lab_impair imp;
	uint64_t rng;
	uint64_t next_seq;
	struct nfq_held *heap;
	size_t n_held, cap_held;
	struct nfq_dup_path paths[NFQ_DUP_PATHS];
	size_t n_paths;
	struct nfq_dup_mark marks[NFQ_DUP_RING];
	size_t mark_next;
	struct lab_nfq_stats st;
	uint8_t *rx;
	uint64_t cb_now_us;
};

uint64_t lab_nfq_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- message builders ---- */

static struct nlmsghdr *nfq_put_header(void *buf, size_t cap, uint16_t type, uint16_t flags,
				       uint32_t seq, uint16_t queue_num)
{
	/* the whole buffer is cleared: later attributes land on zeroes */
	if (!buf || cap < NFQ_TX_SIZE)
		return NULL;
	memset(buf, 0, NFQ_TX_SIZE);
	return lab_nfnl_put_header(buf, cap, type, flags, seq, AF_UNSPEC, queue_num);
}

int lab_nfqmsg_bind(void *buf, size_t cap, uint32_t seq, uint16_t queue_num)
{
	struct nfqnl_msg_config_cmd cmd = { .command = NFQNL_CFG_CMD_BIND,
					    .pf = htons(AF_INET) };
	struct nlmsghdr *nlh =
		nfq_put_header(buf, cap, NFQ_MSG(NFQNL_MSG_CONFIG), NLM_F_ACK, seq, queue_num);

	if (!nlh)
		return -ENOSPC;
	mnl_attr_put(nlh, NFQA_CFG_CMD, sizeof(cmd), &cmd);
	return (int)nlh->nlmsg_len;
}

int lab_nfqmsg_params(void *buf, size_t cap, uint32_t seq, uint16_t queue_num,
		      uint8_t copy_mode, uint32_t copy_range)
{
	struct nfqnl_msg_config_params p = { .copy_range = htonl(copy_range),
					     .copy_mode = copy_mode };
	struct nlmsghdr *nlh =
		nfq_put_header(buf, cap, NFQ_MSG(NFQNL_MSG_CONFIG), NLM_F_ACK, seq, queue_num);

	if (!nlh)
		return -ENOSPC;
	mnl_attr_put(nlh, NFQA_CFG_PARAMS, sizeof(p), &p);
	return (int)nlh->nlmsg_len;
}

int lab_nfqmsg_flags(void *buf, size_t cap, uint32_t seq, uint16_t queue_num, uint32_t flags,
		     uint32_t maxlen)
{
	struct nlmsghdr *nlh =
		nfq_put_header(buf, cap, NFQ_MSG(NFQNL_MSG_CONFIG), NLM_F_ACK, seq, queue_num);

	if (!nlh)
		return -ENOSPC;
	mnl_attr_put_u32(nlh, NFQA_CFG_QUEUE_MAXLEN, htonl(maxlen));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	return (int)nlh->nlmsg_len;
}

int lab_nfqmsg_verdict(void *buf, size_t cap, uint32_t seq, uint16_t queue_num, uint32_t id,
		       uint32_t verdict)
{
	struct nfqnl_msg_verdict_hdr vh = { .verdict = htonl(verdict), .id = htonl(id) };
	struct nlmsghdr *nlh =
		nfq_put_header(buf, cap, NFQ_MSG(NFQNL_MSG_VERDICT), 0, seq, queue_num);

	if (!nlh)
		return -ENOSPC;
	mnl_attr_put(nlh, NFQA_VERDICT_HDR, sizeof(vh), &vh);
	return (int)nlh->nlmsg_len;
}

/* ---- packet parser ---- */

struct nfq_tb {
	const struct nlattr *tb[NFQA_MAX + 1];
};

static int nfq_attr_cb(const struct nlattr *attr, void *data)
{
	struct nfq_tb *t = data;
	int type = mnl_attr_get_type(attr);

	if (type <= NFQA_MAX)
		t->tb[type] = attr;
	return MNL_CB_OK;
}

int lab_nfq_parse_packet(const uint8_t *buf, size_t len, struct lab_nfq_pkt *p)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	const struct nfqnl_msg_packet_hdr *ph;
	struct nfq_tb t;

	if (!buf || !p || len < MNL_NLMSG_HDRLEN + sizeof(struct nfgenmsg))
		return -EINVAL;
	if (((uintptr_t)buf & 3) != 0)
		return -EINVAL;
	if (nlh->nlmsg_len > len || nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(struct nfgenmsg))
		return -EINVAL;
	if (nlh->nlmsg_type != NFQ_MSG(NFQNL_MSG_PACKET))
		return -EINVAL;
	memset(&t, 0, sizeof(t));
	memset(p, 0, sizeof(*p));
	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), nfq_attr_cb, &t) < 0)
		return -EINVAL;
	if (!t.tb[NFQA_PACKET_HDR] ||
	    mnl_attr_validate2(t.tb[NFQA_PACKET_HDR], MNL_TYPE_UNSPEC, sizeof(*ph)) < 0)
		return -EINVAL;
	ph = mnl_attr_get_payload(t.tb[NFQA_PACKET_HDR]);
	p->id = ntohl(ph->packet_id);
	p->hook = ph->hook;
	if (t.tb[NFQA_IFINDEX_INDEV]) {
		if (mnl_attr_validate(t.tb[NFQA_IFINDEX_INDEV], MNL_TYPE_U32) < 0)
			return -EINVAL;
		p->indev = ntohl(mnl_attr_get_u32(t.tb[NFQA_IFINDEX_INDEV]));
	}
	if (t.tb[NFQA_PAYLOAD]) {
		p->payload = mnl_attr_get_payload(t.tb[NFQA_PAYLOAD]);
		p->payload_len = mnl_attr_get_payload_len(t.tb[NFQA_PAYLOAD]);
	}
	return 0;
}

/* ---- namespaces ---- */

/* ---- random draws ---- */

/* xorshift64* (Vigna): quality is irrelevant, reproducibility matters. */
static uint64_t nfq_rand(struct lab_nfq *q)
{
	q->rng ^= q->rng >> 12;
	q->rng ^= q->rng << 25;
	q->rng ^= q->rng >> 27;
	return q->rng * 0x2545F4914F6CDD1DULL;
}

static bool nfq_draw(struct lab_nfq *q, uint32_t ppm)
{
	if (ppm == 0)
		return false;
	return (nfq_rand(q) >> 32) % LAB_IMPAIR_PPM < ppm;
}

/* ---- the heap of held packets, ordered by (due, seq) ---- */

static bool nfq_before(const struct nfq_held *a, const struct nfq_held *b)
{
	return a->due_us < b->due_us || (a->due_us == b->due_us && a->seq < b->seq);
}

static void nfq_swap(struct nfq_held *a, struct nfq_held *b)
{
	struct nfq_held t = *a;

	*a = *b;
	*b = t;
}

static int nfq_heap_push(struct lab_nfq *q, const struct nfq_held *h)
{
	size_t i;

	if (q->n_held == q->cap_held) {
		size_t ncap = q->cap_held ? q->cap_held * 2 : 256;
		struct nfq_held *n;

		if (ncap > NFQ_HELD_MAX)
			return -ENOBUFS;
		n = realloc(q->heap, ncap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		q->heap = n;
		q->cap_held = ncap;
	}
	i = q->n_held++;
	q->heap[i] = *h;
	while (i > 0 && nfq_before(&q->heap[i], &q->heap[(i - 1) / 2])) {
		nfq_swap(&q->heap[i], &q->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	return 0;
}

static void nfq_heap_pop(struct lab_nfq *q, struct nfq_held *out)
{
	size_t i = 0;

	*out = q->heap[0];
	q->heap[0] = q->heap[--q->n_held];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < q->n_held && nfq_before(&q->heap[l], &q->heap[m]))
			m = l;
		if (r < q->n_held && nfq_before(&q->heap[r], &q->heap[m]))
			m = r;
		if (m == i)
			break;
		nfq_swap(&q->heap[i], &q->heap[m]);
		i = m;
	}
}

/* ---- duplicates ---- */

static uint64_t nfq_hash(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h | 1; /* 0 marks a free slot */
}

static bool nfq_mark_take(struct lab_nfq *q, uint64_t hash, uint64_t now_us)
{
	for (size_t i = 0; i < NFQ_DUP_RING; i++) {
		struct nfq_dup_mark *m = &q->marks[i];

		if (m->hash == hash && m->expires_us >= now_us) {
			m->hash = 0;
			return true;
		}
	}
	return false;
}

static const struct nfq_dup_path *nfq_path_for(const struct lab_nfq *q, uint32_t indev)
{
	for (size_t i = 0; i < q->n_paths; i++)
		if (q->paths[i].in_ifindex == indev)
			return &q->paths[i];
	return NULL;
}

static int nfq_send_copy(struct lab_nfq *q, const struct nfq_held *h, uint64_t now_us)
{
	const struct nfq_dup_path *p = nfq_path_for(q, h->indev);
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct nfq_dup_mark *m;

	if (!p)
		return -ENOENT;
	sll.sll_protocol = htons(ETH_P_IP);
	sll.sll_ifindex = p->peer_ifindex;
	sll.sll_halen = ETH_ALEN;
	memcpy(sll.sll_addr, p->in_mac, ETH_ALEN);
	/* Marked before sending: the copy may be back before sendto returns. */
	m = &q->marks[q->mark_next];
	q->mark_next = (q->mark_next + 1) % NFQ_DUP_RING;
	m->hash = nfq_hash(h->copy, h->copy_len);
	m->expires_us = now_us + NFQ_DUP_TTL_US;
	if (sendto(p->pkt_fd, h->copy, h->copy_len, 0, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		m->hash = 0;
		return -errno;
	}
	return 0;
}

int lab_nfq_add_dup_path(struct lab_nfq *q, const char *in_ifname, int peer_ns_fd,
			 const char *peer_ifname)
{
	struct nfq_dup_path p = { .pkt_fd = -1 };
	struct ifreq ifr;
	int fd = -1, ret = 0;

	if (!q || !in_ifname || !peer_ifname || strlen(in_ifname) >= IFNAMSIZ ||
	    strlen(peer_ifname) >= IFNAMSIZ)
		return -EINVAL;
	if (q->n_paths == NFQ_DUP_PATHS)
		return -ENOSPC;
	fd = lab_netns_socket(q->ns_fd, AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return fd;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, in_ifname);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
		ret = -errno;
		goto out;
	}
	p.in_ifindex = (uint32_t)ifr.ifr_ifindex;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		ret = -errno;
		goto out;
	}
	memcpy(p.in_mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	/* Protocol 0: the socket only sends, it never receives a frame. */
	p.pkt_fd = lab_netns_socket(peer_ns_fd, AF_PACKET, SOCK_DGRAM, 0);
	if (p.pkt_fd < 0) {
		ret = p.pkt_fd;
		goto out;
	}
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, peer_ifname);
	if (ioctl(p.pkt_fd, SIOCGIFINDEX, &ifr) < 0) {
		ret = -errno;
		goto out;
	}
	p.peer_ifindex = ifr.ifr_ifindex;
	q->paths[q->n_paths++] = p;
	p.pkt_fd = -1;
out:
	if (p.pkt_fd >= 0)
		close(p.pkt_fd);
	close(fd);
	return ret;
}

/* ---- verdicts ---- */

static int nfq_verdict(struct lab_nfq *q, uint32_t id, uint32_t verdict)
{
	uint8_t buf[NFQ_TX_SIZE] __attribute__((aligned(4)));
	int len = lab_nfqmsg_verdict(buf, sizeof(buf), ++q->seq, q->queue_num, id, verdict);

	if (len < 0)
		return len;
	if (mnl_socket_sendto(q->sock, buf, (size_t)len) < 0)
		return -errno;
	return 0;
}

static void nfq_note_lateness(struct lab_nfq *q, uint64_t late)
{
	size_t b = late / LAB_NFQ_HIST_US;

	if (b >= LAB_NFQ_HIST_BUCKETS)
		b = LAB_NFQ_HIST_BUCKETS - 1;
	q->st.late_hist[b]++;
	q->st.late_sum_us += late;
	q->st.late_n++;
	if (late > q->st.late_max_us)
		q->st.late_max_us = late;
}

static int nfq_release(struct lab_nfq *q, struct nfq_held *h, uint64_t now_us, bool timed)
{
	int ret;

	ret = nfq_verdict(q, h->id, NF_ACCEPT);
	if (ret < 0) {
		q->st.errors++;
		goto out;
	}
	q->st.released++;
	if (timed)
		nfq_note_lateness(q, now_us > h->due_us ? now_us - h->due_us : 0);
	if (h->copy) {
		if (nfq_send_copy(q, h, now_us) == 0)
			q->st.duplicated++;
		else
			q->st.dup_failed++;
	}
out:
	free(h->copy);
	h->copy = NULL;
	return ret;
}

/* ---- scheduling ---- */

static uint64_t nfq_delay_us(struct lab_nfq *q)
{
	int64_t d = q->imp.delay_us;

	if (q->imp.jitter_us) {
		uint64_t span = 2 * (uint64_t)q->imp.jitter_us + 1;

		d += (int64_t)((nfq_rand(q) >> 11) % span) - (int64_t)q->imp.jitter_us;
	}
	return d > 0 ? (uint64_t)d : 0;
}

static int nfq_schedule(struct lab_nfq *q, const struct lab_nfq_pkt *p, uint64_t now_us)
{
	struct nfq_held h = { .id = p->id, .indev = p->indev, .seq = q->next_seq++ };
	int ret;

	q->st.queued++;
	if (p->payload && q->imp.dup_ppm &&
	    nfq_mark_take(q, nfq_hash(p->payload, p->payload_len), now_us)) {
		/* Our own copy coming back: it was delayed with its original. */
		q->st.dup_returned++;
		return nfq_release(q, &h, now_us, false);
	}
	if (nfq_draw(q, q->imp.dup_ppm)) {
		if (!p->payload) {
			q->st.dup_failed++;
		} else {
			h.copy = malloc(p->payload_len ? p->payload_len : 1);
			if (h.copy) {
				memcpy(h.copy, p->payload, p->payload_len);
				h.copy_len = p->payload_len;
			} else {
				q->st.dup_failed++;
			}
		}
	}
	h.due_us = now_us + nfq_delay_us(q);
	if (h.due_us > now_us && nfq_draw(q, q->imp.reorder_ppm)) {
		q->st.reordered++;
		h.due_us = now_us;
	}
	if (h.due_us <= now_us)
		return nfq_release(q, &h, now_us, true);
	ret = nfq_heap_push(q, &h);
	if (ret < 0) {
		/* Better unimpaired than stuck: the kernel would hold it forever. */
		q->st.errors++;
		return nfq_release(q, &h, now_us, false);
	}
	q->st.delayed++;
	return 0;
}

static int nfq_packet_cb(const struct nlmsghdr *nlh, void *data)
{
	struct lab_nfq *q = data;
	struct lab_nfq_pkt p;

	if (lab_nfq_parse_packet((const uint8_t *)nlh, nlh->nlmsg_len, &p) < 0) {
		q->st.errors++;
		return MNL_CB_OK;
	}
	nfq_schedule(q, &p, q->cb_now_us);
	return MNL_CB_OK;
}

/*
 * Walks every message itself rather than with mnl_cb_run, which stops at the
 * first error report: a packet behind it would never get its verdict.
 * Errors come back for failed verdicts even without NLM_F_ACK.
 */
static void nfq_dispatch(struct lab_nfq *q, size_t n)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)q->rx;
	int len = n > NFQ_RX_SIZE ? NFQ_RX_SIZE : (int)n;

	while (mnl_nlmsg_ok(nlh, len)) {
		if (nlh->nlmsg_type == NFQ_MSG(NFQNL_MSG_PACKET))
			nfq_packet_cb(nlh, q);
		else if (nlh->nlmsg_type == NLMSG_ERROR)
			q->st.errors++;
		nlh = mnl_nlmsg_next(nlh, &len);
	}
}

int lab_nfq_on_readable_us(struct lab_nfq *q, uint64_t now_us)
{
	uint64_t before = q->st.queued;
	ssize_t n;

	q->cb_now_us = now_us;
	for (;;) {
		n = recv(mnl_socket_get_fd(q->sock), q->rx, NFQ_RX_SIZE, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) { /* the kernel gave up on some: fail-open */
				q->st.errors++;
				continue;
			}
			return -errno;
		}
		nfq_dispatch(q, (size_t)n);
	}
	return (int)(q->st.queued - before);
}

int64_t lab_nfq_next_due_us(const struct lab_nfq *q, uint64_t now_us)
{
	if (!q || q->n_held == 0)
		return -1;
	if (q->heap[0].due_us <= now_us)
		return 0;
	return (int64_t)(q->heap[0].due_us - now_us);
}

int lab_nfq_release_due_us(struct lab_nfq *q, uint64_t now_us)
{
	struct nfq_held h;
	int n = 0, ret = 0;

	while (q->n_held && q->heap[0].due_us <= now_us) {
		nfq_heap_pop(q, &h);
		ret = nfq_release(q, &h, now_us, true);
		n++;
	}
	return ret < 0 ? ret : n;
}

int lab_nfq_on_readable(struct lab_nfq *q, uint64_t now_ms)
{
	return lab_nfq_on_readable_us(q, now_ms * 1000u);
}

int lab_nfq_next_due_ms(const struct lab_nfq *q, uint64_t now_ms)
{
	int64_t us = lab_nfq_next_due_us(q, now_ms * 1000u);

	if (us < 0)
		return -1;
	us = (us + 999) / 1000;
	return us > __INT_MAX__ ? __INT_MAX__ : (int)us;
}

int lab_nfq_release_due(struct lab_nfq *q, uint64_t now_ms)
{
	return lab_nfq_release_due_us(q, now_ms * 1000u);
}

void lab_nfq_stats(const struct lab_nfq *q, struct lab_nfq_stats *st)
{
	*st = q->st;
	st->held = q->n_held;
}

uint64_t lab_nfq_lateness_pct_us(const struct lab_nfq_stats *st, unsigned pct)
{
	uint64_t want, seen = 0;

	if (!st || st->late_n == 0)
		return 0;
	if (pct > 100)
		pct = 100;
	want = (st->late_n * pct + 99) / 100;
	if (want == 0)
		want = 1;
	for (size_t i = 0; i < LAB_NFQ_HIST_BUCKETS; i++) {
		seen += st->late_hist[i];
		if (seen >= want)
			return i == LAB_NFQ_HIST_BUCKETS - 1 ? st->late_max_us
							     : (i + 1) * LAB_NFQ_HIST_US;
	}
	return st->late_max_us;
}

/* ---- open / close ---- */

static int nfq_request(struct lab_nfq *q, void *buf, int len)
{
	ssize_t n;
	int ret;

	if (len < 0)
		return len;
	if (mnl_socket_sendto(q->sock, buf, (size_t)len) < 0)
		return -errno;
	/* Packets may already flow once bound: schedule them while waiting. */
	do {
		n = mnl_socket_recvfrom(q->sock, q->rx, NFQ_RX_SIZE);
		if (n < 0)
			return -errno;
		q->cb_now_us = lab_nfq_now_us();
		ret = mnl_cb_run(q->rx, (size_t)n, q->seq, q->portid, nfq_packet_cb, q);
	} while (ret == MNL_CB_OK);
	return ret < 0 ? -errno : 0;
}

int lab_nfq_open(struct lab_nfq **out, int ns_fd, uint16_t queue_num,
		 const struct lab_impair *imp, uint32_t seed)
{
	uint8_t buf[NFQ_TX_SIZE] __attribute__((aligned(4)));
	struct lab_nfq *q;
	int one = 1, rcvbuf = 8 << 20, fl, ret;

	if (!out || !imp)
		return -EINVAL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->ns_fd = -1;
	q->queue_num = queue_num;
	q->imp = *imp;
	q->rng = 0x9E3779B97F4A7C15ULL ^ seed;
	q->rx = malloc(NFQ_RX_SIZE);
	if (!q->rx) {
		ret = -ENOMEM;
		goto fail;
	}
	if (ns_fd >= 0) {
		q->ns_fd = fcntl(ns_fd, F_DUPFD_CLOEXEC, 0);
		if (q->ns_fd < 0) {
			ret = -errno;
			goto fail;
		}
	}
	ret = lab_netns_mnl_open(ns_fd, NETLINK_NETFILTER, &q->sock);
	if (ret < 0)
		goto fail;
	q->portid = mnl_socket_get_portid(q->sock);
	/* Bursts must not overflow the socket: root may exceed rmem_max. */
	if (setsockopt(mnl_socket_get_fd(q->sock), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)) < 0)
		setsockopt(mnl_socket_get_fd(q->sock), SOL_SOCKET, SO_RCVBUF, &rcvbuf,
			   sizeof(rcvbuf));
	mnl_socket_setsockopt(q->sock, NETLINK_NO_ENOBUFS, &one, sizeof(one));

	ret = nfq_request(q, buf, lab_nfqmsg_bind(buf, sizeof(buf), ++q->seq, queue_num));
	if (ret < 0)
		goto fail;
	/* The payload is only needed to send a copy; metadata is enough else. */
	if (imp->dup_ppm)
		ret = nfq_request(q, buf, lab_nfqmsg_params(buf, sizeof(buf), ++q->seq, queue_num,
							  NFQNL_COPY_PACKET, 0xffff));
	else
		ret = nfq_request(q, buf, lab_nfqmsg_params(buf, sizeof(buf), ++q->seq, queue_num,
							  NFQNL_COPY_META, 0));
	if (ret < 0)
		goto fail;
	/* Fail open: a full queue lets packets through instead of dropping them,
	 * so an overwhelmed engine shows up as missing delay, never as loss.
	 * Older kernels without the flag still work, so this is best effort. */
	nfq_request(q, buf, lab_nfqmsg_flags(buf, sizeof(buf), ++q->seq, queue_num,
					     NFQA_CFG_F_FAIL_OPEN, NFQ_MAXLEN));
	fl = fcntl(mnl_socket_get_fd(q->sock), F_GETFL);
	if (fl < 0 || fcntl(mnl_socket_get_fd(q->sock), F_SETFL, fl | O_NONBLOCK) < 0) {
		ret = -errno;
		goto fail;
	}
	*out = q;
	return 0;
fail:
	lab_nfq_close(q);
	return ret;
}

int lab_nfq_fd(const struct lab_nfq *q)
{
	return mnl_socket_get_fd(q->sock);
}

void lab_nfq_close(struct lab_nfq *q)
{
	struct nfq_held h;

	if (!q)
		return;
	/* Unbinding makes the kernel drop what we hold: release it all first. */
	while (q->n_held) {
		nfq_heap_pop(q, &h);
		if (q->sock)
			nfq_release(q, &h, lab_nfq_now_us(), false);
		free(h.copy);
	}
	free(q->heap);
	for (size_t i = 0; i < q->n_paths; i++)
		close(q->paths[i].pkt_fd);
	if (q->sock)
		mnl_socket_close(q->sock);
	if (q->ns_fd >= 0)
		close(q->ns_fd);
	free(q->rx);
	free(q);
}
