// SPDX-License-Identifier: MIT
/*
 * hpload stun|register|ping HOST PORT [options]: a bounded load generator
 * on IPv4 loopback for tests/bench-server.sh. stun: Binding requests
 * (RFC 8489), --window in flight; register: REGISTER of a new room with
 * the cookie exchange (docs/protocol.md, "Return routability"), each room
 * from its own 127.x.y.z (IP_PKTINFO, ip(7)), --peers 2 fills the room;
 * ping: one Binding request every --interval-us, latencies. Bounded by
 * --count and --time-limit; unanswered for --timeout-ms is lost. --pid:
 * the server's CPU (utime + stime) and RSS from /proc/PID/stat, proc(5).
 * sendmmsg(2)/recvmmsg(2) batches on a non-blocking socket. One line of
 * key=value; exit 0 when the run ended (losses are figures), 1 on an
 * error, 2 on a usage error or a target that is not loopback.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "endpoint.h"
#include "parse.h"
#include "proto.h"
#include "stun.h"

#define LOAD_BATCH      64      /* datagrams per sendmmsg/recvmmsg */
#define LOAD_BUF        512     /* longer than anything sent or answered */
#define LOAD_MAX_WINDOW 65536
#define LOAD_MAX_COUNT  20000000ul
#define LOAD_SOCKBUF    (8 << 20) /* ours: a whole window of answers fits */
#define LOAD_SRC_SPAN   0xfe0000u /* sources 127.1.0.0 .. 127.254.255.255 */

struct slot {
	uint32_t job;    /* request (stun) or room (register) number */
	uint8_t step;    /* register: 2 * peer + (0 cookie wanted, 1 cookie sent) */
	bool busy;
	uint64_t sent_us;
	uint8_t cookie[HP_COOKIE_LEN];
};

struct load {
	const struct load_mode *mode;
	struct sockaddr_in to; /* IPv4 loopback: the 127/8 sources need it */
	int fd;
	uint32_t tag; /* of this run: pid-derived */
	unsigned long count, window, peers, timeout_ms, limit_s, interval_us, pid, spin;
	struct slot *slot;
	uint32_t *pending; /* slots whose next datagram is due, in order */
	size_t npending;
	uint64_t issued, done, lost, late, errors, sent, t0, t1;
	uint64_t *ping_sent, *ping_rtt; /* ping: per request; rtt + 1, 0 = none */
};

struct load_mode {
	const char *name;
	bool spread; /* each job from its own source address */
	int (*build)(struct load *l, uint32_t s, uint8_t *buf, size_t cap);
	void (*reply)(struct load *l, const uint8_t *buf, size_t len);
	int (*run)(struct load *l);
};

/* Fields of our own txids and tokens, read back only by us: host order. */
static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static int stun_build(struct load *l, uint32_t s, uint8_t *buf, size_t cap)
{
	uint8_t txid[STUN_TXID_LEN];

	memcpy(txid, "hpld", 4);
	memcpy(txid + 4, &s, 4);
	memcpy(txid + 8, &l->slot[s].job, 4);
	return stun_build_request(buf, cap, txid, 0);
}

/* The slot and job an answer is for, or -1 if it is not one of ours. */
static int stun_answer_of(const uint8_t *buf, size_t len, uint32_t *s, uint32_t *job)
{
	struct stun_response r;

	if (stun_parse_response(&r, buf, len) < 0 || r.type != STUN_BINDING_SUCCESS ||
	    memcmp(r.txid, "hpld", 4) != 0)
		return -1;
	*s = get32(r.txid + 4);
	*job = get32(r.txid + 8);
	return 0;
}

static void load_queue(struct load *l, uint32_t s)
{
	l->slot[s].sent_us = 0; /* not in flight until sent */
	l->pending[l->npending++] = s;
}

/* Slot s is free: its next job, if any is left. */
static void load_next(struct load *l, uint32_t s)
{
	struct slot *sl = &l->slot[s];

	sl->busy = l->issued < l->count;
	if (!sl->busy)
		return;
	sl->job = (uint32_t)l->issued++;
	sl->step = 0;
	load_queue(l, s);
}

/* The slot a reply names, if it is busy with that job and not queued. */
static struct slot *load_slot_for(struct load *l, uint32_t s, uint32_t job)
{
	if (s >= l->window || !l->slot[s].busy || l->slot[s].job != job || !l->slot[s].sent_us) {
		l->late++;
		return NULL;
	}
	return &l->slot[s];
}

static void stun_reply(struct load *l, const uint8_t *buf, size_t len)
{
	uint32_t s, job;

	if (stun_answer_of(buf, len, &s, &job) < 0 || !load_slot_for(l, s, job))
		return;
	l->done++;
	load_next(l, s);
}

static void ping_reply(struct load *l, const uint8_t *buf, size_t len)
{
	uint32_t s, job;

	if (stun_answer_of(buf, len, &s, &job) < 0 || job >= l->count || l->ping_rtt[job]) {
		l->late++;
		return;
	}
	l->ping_rtt[job] = hp_clock_us() - l->ping_sent[job] + 1;
	l->done++;
}

static int reg_build(struct load *l, uint32_t s, uint8_t *buf, size_t cap)
{
	const struct slot *sl = &l->slot[s];
	struct hp_msg m;
	uint32_t v;

	memset(&m, 0, sizeof(m));
	m.hdr.type = HP_REGISTER;
	/* the run's tag keeps two runs against one server out of each
	 * other's tokens and rooms; any key will do (it is only passed on) */
	v = sl->job ^ l->tag;
	memcpy(m.u.reg.token, &v, 4);
	v = s << 8 | sl->step / 2u; /* s < LOAD_MAX_WINDOW < 2^24 */
	memcpy(m.u.reg.token + 4, &v, 4);
	memcpy(m.u.reg.pubkey, m.u.reg.token, HP_TOKEN_LEN);
	snprintf(m.u.reg.room, sizeof(m.u.reg.room), "load-%" PRIx32 "-%" PRIu32, l->tag, sl->job);
	m.u.reg.pad_to = HP_REGISTER_MIN;
	if (sl->step % 2) {
		m.u.reg.cookie_len = HP_COOKIE_LEN;
		memcpy(m.u.reg.cookie, sl->cookie, HP_COOKIE_LEN);
	}
	return hp_msg_encode(&m, buf, cap);
}

static void reg_reply(struct load *l, const uint8_t *buf, size_t len)
{
	struct hp_msg m;
	struct slot *sl;
	uint32_t s, peer;

	if (hp_msg_decode(&m, buf, len) < 0) {
		l->late++;
		return;
	}
	/* every reply type we expect starts with the token */
	s = get32(m.u.cookie.token + 4) >> 8;
	peer = get32(m.u.cookie.token + 4) & 0xff;
	if (m.hdr.type == HP_INTRO && peer == 0)
		return; /* the first peer's INTRO when the second joined: expected */
	sl = load_slot_for(l, s, get32(m.u.cookie.token) ^ l->tag);
	if (!sl)
		return;
	if (peer != sl->step / 2u) {
		l->late++;
	} else if (m.hdr.type == HP_COOKIE && sl->step % 2 == 0) {
		memcpy(sl->cookie, m.u.cookie.cookie, HP_COOKIE_LEN);
		sl->step++;
		load_queue(l, s);
	} else if (m.hdr.type == HP_REGISTERED && sl->step == 1 && l->peers == 2) {
		sl->step = 2;
		load_queue(l, s);
	} else if ((m.hdr.type == HP_REGISTERED || m.hdr.type == HP_INTRO) &&
		   sl->step == 2 * l->peers - 1) {
		l->done++;
		load_next(l, s);
	} else if (m.hdr.type == HP_ERROR) {
		l->errors++;
		load_next(l, s);
	} else {
		l->late++;
	}
}

/* Job j's source: 127.1.0.0 + j, so every room has an address of its own
 * (a source's registrations are limited, --max-per-source). */
static void load_pktinfo(struct msghdr *h, void *ctl, size_t cap, uint32_t job)
{
	struct in_pktinfo pi;
	struct cmsghdr *c;

	memset(ctl, 0, cap);
	h->msg_control = ctl;
	h->msg_controllen = cap;
	c = CMSG_FIRSTHDR(h);
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_PKTINFO; /* ipi_spec_dst: the source, ip(7) */
	c->cmsg_len = CMSG_LEN(sizeof(pi));
	memset(&pi, 0, sizeof(pi));
	pi.ipi_spec_dst.s_addr = htonl(0x7f000000u | (0x010000u + job % LOAD_SRC_SPAN));
	memcpy(CMSG_DATA(c), &pi, sizeof(pi));
}

static void load_mmsg(struct mmsghdr *m, struct iovec *iov, void *buf, size_t len,
		      struct sockaddr_in *name, socklen_t namelen)
{
	iov->iov_base = buf;
	iov->iov_len = len;
	m->msg_hdr.msg_name = name;
	m->msg_hdr.msg_namelen = namelen;
	m->msg_hdr.msg_iov = iov;
	m->msg_hdr.msg_iovlen = 1;
}

/* Sends what is pending, LOAD_BATCH at a time, until the socket is full. */
static int load_flush(struct load *l)
{
	struct mmsghdr mm[LOAD_BATCH];
	struct iovec iov[LOAD_BATCH];
	uint8_t buf[LOAD_BATCH][LOAD_BUF];
	union { char c[CMSG_SPACE(sizeof(struct in_pktinfo))]; struct cmsghdr align; } ctl[LOAD_BATCH];
	int k, n, len, want;
	uint64_t now;

	while (l->npending) {
		want = l->npending < LOAD_BATCH ? (int)l->npending : LOAD_BATCH;
		memset(mm, 0, sizeof(mm[0]) * (size_t)want);
		for (k = 0; k < want; k++) {
			uint32_t s = l->pending[k];

			len = l->mode->build(l, s, buf[k], LOAD_BUF);
			if (len < 0)
				return len;
			load_mmsg(&mm[k], &iov[k], buf[k], (size_t)len, &l->to, sizeof(l->to));
			if (l->mode->spread)
				load_pktinfo(&mm[k].msg_hdr, ctl[k].c, sizeof(ctl[k].c), l->slot[s].job);
		}
		n = sendmmsg(l->fd, mm, (unsigned)want, 0);
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS ? 0 : -errno;
		now = hp_clock_us();
		for (k = 0; k < n; k++)
			l->slot[l->pending[k]].sent_us = now;
		l->sent += (uint64_t)n;
		l->npending -= (size_t)n;
		memmove(l->pending, l->pending + n, l->npending * sizeof(*l->pending));
	}
	return 0;
}

/* One recvmmsg(2) batch, each datagram to the mode. Returns how many. */
static int load_recv(struct load *l)
{
	struct mmsghdr mm[LOAD_BATCH];
	struct iovec iov[LOAD_BATCH];
	uint8_t buf[LOAD_BATCH][LOAD_BUF];
	struct sockaddr_in from[LOAD_BATCH];
	int k, n;

	memset(mm, 0, sizeof(mm));
	for (k = 0; k < LOAD_BATCH; k++)
		load_mmsg(&mm[k], &iov[k], buf[k], LOAD_BUF, &from[k], sizeof(from[k]));
	n = recvmmsg(l->fd, mm, LOAD_BATCH, MSG_DONTWAIT, NULL);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -errno;
	for (k = 0; k < n; k++) {
		if ((mm[k].msg_hdr.msg_flags & MSG_TRUNC) || from[k].sin_port != l->to.sin_port ||
		    from[k].sin_addr.s_addr != l->to.sin_addr.s_addr) {
			l->late++;
			continue;
		}
		l->mode->reply(l, buf[k], mm[k].msg_len);
	}
	return n;
}

/* In flight for --timeout-ms: lost; the slot takes the next job. */
static void load_expire(struct load *l, uint64_t now)
{
	uint32_t s;

	for (s = 0; s < l->window; s++)
		if (l->slot[s].busy && l->slot[s].sent_us &&
		    l->slot[s].sent_us + l->timeout_ms * 1000 <= now) {
			l->lost++;
			load_next(l, s);
		}
}

/* stun, register: keep --window requests in flight until --count ended. */
static int load_window(struct load *l)
{
	uint64_t now, deadline, scanned;
	uint32_t s;
	int ret = 0;

	l->t0 = scanned = hp_clock_us();
	deadline = l->t0 + l->limit_s * 1000000;
	for (s = 0; s < l->window; s++)
		load_next(l, s);
	while (l->done + l->lost + l->errors < l->count) {
		struct pollfd p = { .fd = l->fd, .events = POLLIN };

		now = hp_clock_us();
		if (now >= deadline) {
			fprintf(stderr, "hpload: time limit (%lu s) reached\n", l->limit_s);
			break;
		}
		ret = load_flush(l);
		if (ret >= 0)
			ret = load_recv(l);
		if (ret < 0)
			goto out;
		if (now - scanned >= l->timeout_ms * 250) {
			load_expire(l, now);
			scanned = now;
		}
		if (ret == 0 && !l->spin) {
			if (l->npending)
				p.events |= POLLOUT;
			(void)poll(&p, 1, 1);
		}
	}
	ret = 0;
out:
	l->t1 = hp_clock_us();
	return ret;
}

/* ping: request i leaves at t0 + i * --interval-us (later if we fell
 * behind, never in a burst to catch up). */
static int load_ping(struct load *l)
{
	uint64_t now, next, deadline, i = 0;
	int ret;

	l->t0 = next = hp_clock_us();
	deadline = l->t0 + l->limit_s * 1000000;
	for (;;) {
		struct pollfd p = { .fd = l->fd, .events = POLLIN };

		now = hp_clock_us();
		if (i < l->count && now >= next) {
			l->slot[0].job = (uint32_t)i;
			load_queue(l, 0);
			l->ping_sent[i++] = now;
			ret = load_flush(l);
			if (ret < 0)
				return ret;
			l->npending = 0; /* a send the socket refused is a loss */
			next = next + l->interval_us > now ? next + l->interval_us : now;
			continue;
		}
		if (now >= deadline || (i == l->count && (l->done == l->count ||
		    now - l->ping_sent[i - 1] >= l->timeout_ms * 1000)))
			break;
		ret = load_recv(l);
		if (ret < 0)
			return ret;
		if (ret == 0 && !l->spin) { /* until the next send or the end, or a datagram */
			uint64_t us = (i < l->count ? next : l->ping_sent[i - 1] + l->timeout_ms * 1000) - now;
			struct timespec ts = { (time_t)(us / 1000000), (long)(us % 1000000) * 1000 };

			(void)ppoll(&p, 1, &ts, NULL);
		}
	}
	l->issued = i;
	l->lost = i - l->done;
	l->t1 = now;
	return 0;
}

struct proc_snap { bool ok; uint64_t cpu_us, rss_kb; };

static void proc_snap(unsigned long pid, struct proc_snap *p)
{
	char path[64], buf[1024], *q;
	unsigned long ut, st;
	long rss;
	FILE *f;
	size_t n;

	memset(p, 0, sizeof(*p));
	snprintf(path, sizeof(path), "/proc/%lu/stat", pid);
	if (!pid || !(f = fopen(path, "re")))
		return;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	/* fields 14, 15 and 24 (pages), after the name, which may hold ')' */
	q = strrchr(buf, ')');
	p->ok = q && sscanf(q + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu"
			    " %*d %*d %*d %*d %*d %*d %*u %*u %ld", &ut, &st, &rss) == 3;
	if (!p->ok)
		return;
	p->cpu_us = (uint64_t)(ut + st) * 1000000 / (uint64_t)sysconf(_SC_CLK_TCK);
	p->rss_kb = (uint64_t)rss * (uint64_t)sysconf(_SC_PAGESIZE) / 1024;
}

static int cmp_u64(const void *a, const void *b)
{
	return (*(const uint64_t *)a > *(const uint64_t *)b) - (*(const uint64_t *)a < *(const uint64_t *)b);
}

/* ping: the answered requests' latencies, sorted in place (compacted). */
static void load_print_latency(struct load *l)
{
	uint64_t i, n = 0;

	for (i = 0; i < l->issued; i++)
		if (l->ping_rtt[i])
			l->ping_rtt[n++] = l->ping_rtt[i] - 1;
	if (!n)
		return;
	qsort(l->ping_rtt, n, sizeof(*l->ping_rtt), cmp_u64);
	printf(" p50_us=%" PRIu64 " p99_us=%" PRIu64 " max_us=%" PRIu64, l->ping_rtt[n / 2],
	       l->ping_rtt[(n * 99 + 99) / 100 - 1], l->ping_rtt[n - 1]);
}

static void load_print(struct load *l, const struct proc_snap *a, const struct proc_snap *b)
{
	double secs = (double)(l->t1 - l->t0) / 1e6;

	printf("hpload mode=%s count=%lu window=%lu peers=%lu spin=%lu answered=%" PRIu64 " lost=%" PRIu64
	       " errors=%" PRIu64 " late=%" PRIu64 " unfinished=%" PRIu64 " sent=%" PRIu64
	       " secs=%.3f rate=%.0f", l->mode->name, l->count, l->window, l->peers, l->spin, l->done,
	       l->lost, l->errors, l->late, l->issued - l->done - l->lost - l->errors, l->sent,
	       secs, secs > 0 ? (double)l->done / secs : 0.0);
	if (a->ok && b->ok)
		printf(" server_cpu_us=%" PRIu64 " cpu_us_per_req=%.3f rss_before_kb=%" PRIu64
		       " rss_after_kb=%" PRIu64, b->cpu_us - a->cpu_us,
		       l->done ? (double)(b->cpu_us - a->cpu_us) / (double)l->done : 0.0,
		       a->rss_kb, b->rss_kb);
	load_print_latency(l); /* ping only: nothing otherwise */
	printf("\n");
}

static const struct load_mode load_modes[] = {
	{ "stun", false, stun_build, stun_reply, load_window },
	{ "register", true, reg_build, reg_reply, load_window },
	{ "ping", false, stun_build, ping_reply, load_ping },
};

struct load_opt {
	const char *name;
	unsigned long min, max;
	size_t off; /* of an unsigned long in struct load */
};

static const struct load_opt load_opts[] = {
	{ "count", 1, LOAD_MAX_COUNT, offsetof(struct load, count) },
	{ "window", 1, LOAD_MAX_WINDOW, offsetof(struct load, window) },
	{ "peers", 1, 2, offsetof(struct load, peers) },
	{ "timeout-ms", 1, 60000, offsetof(struct load, timeout_ms) },
	{ "time-limit", 1, 600, offsetof(struct load, limit_s) },
	{ "interval-us", 10, 1000000, offsetof(struct load, interval_us) },
	{ "pid", 1, 1ul << 22, offsetof(struct load, pid) },
	/* 1: never sleep (until --time-limit): waking us costs the sender's
	 * CPU (docs/hpserver.md, "Why the generator spins") */
	{ "spin", 0, 1, offsetof(struct load, spin) },
};
#define LOAD_NOPTS (sizeof(load_opts) / sizeof(load_opts[0]))

static void usage(FILE *f)
{
	size_t i;

	fputs("usage: hpload stun|register|ping HOST PORT [options]   (HOST: loopback only)\n", f);
	for (i = 0; i < LOAD_NOPTS; i++)
		fprintf(f, "  --%s N (%lu..%lu)\n", load_opts[i].name, load_opts[i].min, load_opts[i].max);
}

/* Mode, options, target. 0, or 2 after one message (the exit status). */
static int load_args(struct load *l, int argc, char **argv)
{
	struct option lo[LOAD_NOPTS + 1] = { { 0 } };
	struct hp_endpoint server;
	unsigned long port;
	size_t i;
	int c;

	for (i = 0; argc > 1 && i < sizeof(load_modes) / sizeof(load_modes[0]); i++)
		if (strcmp(argv[1], load_modes[i].name) == 0)
			l->mode = &load_modes[i];
	for (i = 0; i < LOAD_NOPTS; i++)
		lo[i] = (struct option){ load_opts[i].name, required_argument, NULL, (int)i };
	while (l->mode && (c = getopt_long(argc - 1, argv + 1, "", lo, NULL)) != -1)
		if (c < 0 || c >= (int)LOAD_NOPTS || hp_parse_ulong(optarg, load_opts[c].min,
		    load_opts[c].max, (unsigned long *)((char *)l + load_opts[c].off)) < 0) {
			usage(stderr);
			return 2;
		}
	if (!l->mode || argc - 1 - optind != 2 || hp_parse_ulong(argv[optind + 2], 1, 65535, &port) < 0) {
		usage(stderr);
		return 2;
	}
	if (hp_endpoint_parse(&server, argv[optind + 1], (int)port) < 0 ||
	    server.family != HP_FAMILY_V4 || server.addr[0] != 127) {
		fprintf(stderr, "hpload: '%s' is not an IPv4 loopback address (127.0.0.0/8): refused\n",
			argv[optind + 1]);
		return 2;
	}
	l->to.sin_family = AF_INET;
	l->to.sin_port = htons((uint16_t)port);
	memcpy(&l->to.sin_addr, server.addr, 4);
	l->window = l->mode->run == load_ping ? 1 : l->window < l->count ? l->window : l->count;
	return 0;
}

/* Bound to 127.0.0.1, or for a spreading mode to the wildcard held to
 * the loopback device (SO_BINDTODEVICE, socket(7)): every 127/8 source
 * can be used and nothing from elsewhere reaches us. */
static int load_socket(struct load *l)
{
	struct sockaddr_in local = { .sin_family = AF_INET };
	int v = LOAD_SOCKBUF;

	l->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0)
		return -errno;
	/* root may pass net.core.rmem_max: SO_RCVBUFFORCE, socket(7) */
	if (setsockopt(l->fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) < 0)
		(void)setsockopt(l->fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	if (!l->mode->spread)
		local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else if (setsockopt(l->fd, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3) < 0)
		return -errno;
	return bind(l->fd, (struct sockaddr *)&local, sizeof(local)) < 0 ? -errno : 0;
}

int main(int argc, char **argv)
{
	struct load l = { .fd = -1, .count = 10000, .window = 64, .peers = 1, .timeout_ms = 500,
			  .limit_s = 60, .interval_us = 1000 };
	struct proc_snap a, b;
	int ret;

	l.tag = (uint32_t)getpid() * 2654435761u; /* Knuth's multiplicative hash */
	ret = load_args(&l, argc, argv);
	if (ret)
		return ret;
	ret = 1;
	l.slot = calloc(l.window, sizeof(*l.slot));
	l.pending = calloc(l.window, sizeof(*l.pending));
	l.ping_sent = calloc(l.count, sizeof(*l.ping_sent));
	l.ping_rtt = calloc(l.count, sizeof(*l.ping_rtt));
	if (!l.slot || !l.pending || !l.ping_sent || !l.ping_rtt) {
		fprintf(stderr, "hpload: out of memory\n");
		goto out;
	}
	ret = load_socket(&l);
	proc_snap(l.pid, &a);
	if (ret == 0)
		ret = l.mode->run(&l);
	proc_snap(l.pid, &b);
	if (ret < 0)
		fprintf(stderr, "hpload: %s: %s\n", l.mode->name, strerror(-ret));
	load_print(&l, &a, &b);
	ret = ret < 0;
out:
	free(l.slot);
	free(l.pending);
	free(l.ping_sent);
	free(l.ping_rtt);
	if (l.fd >= 0)
		close(l.fd);
	return ret;
}
