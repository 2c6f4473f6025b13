// SPDX-License-Identifier: MIT
/*
 * The NFQUEUE delay engine (nfq.h): one bound queue, its socket, the heap
 * of held packets, the random draws and the verdicts. The messages it
 * sends and parses are built in nfqmsg.c, duplicate copies are sent by
 * nfqdup.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include "netns.h"
#include "nfq.h"
#include "nfqdup.h"
#include "nfqmsg.h"

/* One datagram from the kernel: a whole 64 KiB packet plus its attributes. */
#define NFQ_RX_SIZE (65536 + 4096)
#define NFQ_RX_PAD 4 /* zeroes after the bytes received: see nfq_packet_cb */
#define NFQ_MAXLEN 8192u        /* kernel-side queue length */
#define NFQ_HELD_MAX 65536u     /* engine-side cap, beyond: released at once */

struct nfq_held {
	uint64_t due_us;
	uint64_t seq; /* FIFO among equal due times */
	uint32_t id;
	uint32_t indev;
	uint8_t *copy; /* payload to duplicate, or NULL */
	size_t copy_len;
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
	struct lab_nfqdup dup;
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

int lab_nfq_add_dup_path(struct lab_nfq *q, const char *in_ifname, int peer_ns_fd,
			 const char *peer_ifname)
{
	if (!q)
		return -EINVAL;
	return lab_nfqdup_add_path(&q->dup, q->ns_fd, in_ifname, peer_ns_fd, peer_ifname);
}

/* ---- verdicts ---- */

static int nfq_verdict(struct lab_nfq *q, uint32_t id, uint32_t verdict)
{
	uint8_t buf[LAB_NFQMSG_SIZE] __attribute__((aligned(4)));
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
		if (lab_nfqdup_send(&q->dup, h->indev, h->copy, h->copy_len, now_us) == 0)
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
	    lab_nfqdup_returned(&q->dup, p->payload, p->payload_len, now_us)) {
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

/* One datagram of messages into rx, followed by NFQ_RX_PAD zero bytes. */
static ssize_t nfq_recv(struct lab_nfq *q, int flags)
{
	ssize_t n = recv(mnl_socket_get_fd(q->sock), q->rx, NFQ_RX_SIZE, flags);

	if (n >= 0)
		memset((uint8_t *)q->rx + n, 0, NFQ_RX_PAD);
	return n;
}

static int nfq_packet_cb(const struct nlmsghdr *nlh, void *data)
{
	struct lab_nfq *q = data;
	struct lab_nfq_pkt p;

	/* the kernel does not pad the payload attribute, so nlmsg_len may not
	 * be a multiple of 4; rx is zero-padded past what recv gave (nfq_recv),
	 * so the aligned length is readable */
	if (lab_nfq_parse_packet((const uint8_t *)nlh, MNL_ALIGN(nlh->nlmsg_len), &p) < 0) {
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

	/* mnl_nlmsg_ok compares nlmsg_len as a signed int: 2 GiB or more
	 * would pass it, so the length is checked unsigned as well */
	while (mnl_nlmsg_ok(nlh, len) && nlh->nlmsg_len <= (unsigned)len) {
		if (nlh->nlmsg_type == LAB_NFQMSG_TYPE(NFQNL_MSG_PACKET))
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
		n = nfq_recv(q, MSG_DONTWAIT);
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
		n = nfq_recv(q, 0);
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
	uint8_t buf[LAB_NFQMSG_SIZE] __attribute__((aligned(4)));
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
	q->rx = malloc(NFQ_RX_SIZE + NFQ_RX_PAD);
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
	lab_nfqdup_close(&q->dup);
	if (q->sock)
		mnl_socket_close(q->sock);
	if (q->ns_fd >= 0)
		close(q->ns_fd);
	free(q->rx);
	free(q);
}
