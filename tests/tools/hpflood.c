// SPDX-License-Identifier: MIT
/*
 * hpflood HOST PORT COUNT [SEED]: sends COUNT hostile datagrams to an
 * hpserver on loopback and fails (exit 1) if any reply is longer than the
 * datagram that caused it (a STUN Binding success answering a well-formed
 * Binding request is the one documented exception).
 *
 * Attribution without guessing: after each hostile datagram the same
 * socket sends a STUN Binding request with a txid of our own (the
 * sentinel). The server handles datagrams in order and loopback delivery
 * is immediate, so once the sentinel's answer is in, every other reply on
 * any of our sockets was caused by the hostile datagram, including an
 * INTRO sent to another socket's registration.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "endpoint.h"
#include "proto.h"
#include "stun.h"

#define FLOOD_SOCKS       4
#define FLOOD_MAX_LEN     1500
#define FLOOD_WAIT_MS     1000  /* per sentinel */
#define FLOOD_TOTAL_MS    120000
#define FLOOD_MAX_TIMEOUTS 3    /* consecutive lost sentinels: server gone */
#define FLOOD_ROOMS       8

enum flood_kind {
	K_RANDOM,
	K_TRUNC_REGISTER,
	K_RANDOM_BODY,
	K_MUTATED,
	K_STUNISH,
	K_VALID,
	K__MAX
};

static const char *const kind_names[K__MAX] = {
	"random", "truncated_register", "random_body", "mutated", "stun_garbage", "valid",
};

struct flood {
	uint64_t rng;
	int fd[FLOOD_SOCKS];
	struct sockaddr_storage to;
	socklen_t tolen;
	uint32_t sentinel_seq;
	uint64_t sent[K__MAX];
	uint64_t replies, exempt, violations, timeouts, sentinels;
	uint64_t reply_type[256];
};

/* xorshift64*: reproducible from SEED, good enough to fuzz with. */
static uint64_t flood_rand(struct flood *f)
{
	f->rng ^= f->rng >> 12;
	f->rng ^= f->rng << 25;
	f->rng ^= f->rng >> 27;
	return f->rng * 0x2545F4914F6CDD1DULL;
}

static size_t flood_below(struct flood *f, size_t n)
{
	return n ? (size_t)(flood_rand(f) % n) : 0;
}

static void flood_fill(struct flood *f, uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)flood_rand(f);
}

static void flood_endpoint(struct flood *f, struct hp_endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->family = flood_below(f, 2) ? HP_FAMILY_V4 : HP_FAMILY_V6;
	ep->port = (uint16_t)flood_rand(f);
	flood_fill(f, ep->addr, ep->family == HP_FAMILY_V4 ? 4 : 16);
}

/* A well-formed control message, REGISTER most of the time. */
static size_t flood_valid(struct flood *f, uint8_t *buf, size_t cap)
{
	struct hp_msg m;
	int len, i;

	memset(&m, 0, sizeof(m));
	if (flood_below(f, 8) == 0) {
		m.hdr.type = HP_LEAVE;
		m.u.leave.token[0] = (uint8_t)flood_below(f, 6);
		snprintf(m.u.leave.room, sizeof(m.u.leave.room), "flood-%zu", flood_below(f, FLOOD_ROOMS));
	} else {
		m.hdr.type = HP_REGISTER;
		/* few tokens and keys: refreshes, room-full and key changes happen */
		m.u.reg.token[0] = (uint8_t)flood_below(f, 6);
		m.u.reg.pubkey[0] = (uint8_t)flood_below(f, 2);
		snprintf(m.u.reg.room, sizeof(m.u.reg.room), "flood-%zu", flood_below(f, FLOOD_ROOMS));
		snprintf(m.u.reg.nick, sizeof(m.u.reg.nick), "n%" PRIu64, flood_rand(f) % 1000);
		m.u.reg.n_priv = (uint8_t)flood_below(f, HP_MAX_PRIV + 1);
		for (i = 0; i < m.u.reg.n_priv; i++)
			flood_endpoint(f, &m.u.reg.priv[i]);
		/* mostly padded as clients must; sometimes not, or over-padded */
		m.u.reg.pad_to = (uint16_t)(flood_below(f, 4) ? HP_REGISTER_MIN : flood_below(f, 600));
	}
	len = hp_msg_encode(&m, buf, cap);
	return len < 0 ? 0 : (size_t)len;
}

static size_t flood_stunish(struct flood *f, uint8_t *buf, size_t cap)
{
	size_t len = STUN_HDR_LEN + 4 * flood_below(f, 16), off;
	uint16_t type = flood_below(f, 2) ? STUN_BINDING_REQUEST : (uint16_t)(flood_rand(f) & 0x3fff);
	uint16_t body;

	if (len > cap)
		len = cap;
	flood_fill(f, buf, len);
	buf[0] = (uint8_t)(type >> 8);
	buf[1] = (uint8_t)type;
	body = (uint16_t)(flood_below(f, 4) ? len - STUN_HDR_LEN : flood_rand(f));
	buf[2] = (uint8_t)(body >> 8);
	buf[3] = (uint8_t)body;
	buf[4] = 0x21, buf[5] = 0x12, buf[6] = 0xa4, buf[7] = 0x42;
	/* attributes with plausible lengths, some comprehension-required */
	for (off = STUN_HDR_LEN; off + 4 <= len; ) {
		size_t alen = 4 * flood_below(f, 3);
		uint16_t atype = flood_below(f, 2) ? (uint16_t)flood_below(f, 0x30) : (uint16_t)flood_rand(f);

		if (off + 4 + alen > len)
			alen = len - off - 4;
		buf[off] = (uint8_t)(atype >> 8);
		buf[off + 1] = (uint8_t)atype;
		buf[off + 2] = 0;
		buf[off + 3] = (uint8_t)alen;
		off += 4 + alen;
	}
	return len;
}

static size_t flood_make(struct flood *f, enum flood_kind kind, uint8_t *buf, size_t cap)
{
	size_t len = 0, n, i;

	switch (kind) {
	case K_RANDOM:
		len = flood_below(f, FLOOD_MAX_LEN + 1);
		flood_fill(f, buf, len);
		break;
	case K_TRUNC_REGISTER:
		do
			len = flood_valid(f, buf, cap);
		while (len && buf[3] != HP_REGISTER);
		len = flood_below(f, len);
		break;
	case K_RANDOM_BODY:
		n = flood_below(f, 600);
		flood_fill(f, buf + HP_HDR_LEN, n);
		hp_header_encode(buf, cap, (uint8_t)flood_below(f, 0x20), (uint16_t)n);
		len = HP_HDR_LEN + n;
		break;
	case K_MUTATED:
		len = flood_valid(f, buf, cap);
		n = 1 + flood_below(f, 8);
		for (i = 0; i < n && len; i++)
			buf[flood_below(f, len)] ^= (uint8_t)(1u << flood_below(f, 8));
		break;
	case K_STUNISH:
		len = flood_stunish(f, buf, cap);
		break;
	case K_VALID:
	default:
		len = flood_valid(f, buf, cap);
		break;
	}
	return len;
}

static void flood_sentinel_txid(uint32_t seq, uint8_t txid[STUN_TXID_LEN])
{
	memcpy(txid, "hpfloodS", 8);
	txid[8] = (uint8_t)(seq >> 24);
	txid[9] = (uint8_t)(seq >> 16);
	txid[10] = (uint8_t)(seq >> 8);
	txid[11] = (uint8_t)seq;
}

static void flood_count_reply(struct flood *f, const uint8_t *r, size_t rlen)
{
	struct hp_header h;

	f->replies++;
	if (hp_header_decode(&h, r, rlen) == 0)
		f->reply_type[h.type]++;
}

/*
 * Judges one reply caused by req. Returns false on an amplification.
 */
static bool flood_judge(struct flood *f, const uint8_t *req, size_t req_len,
			const uint8_t *r, size_t rlen, int sock)
{
	struct stun_response resp;
	struct stun_request sreq;

	flood_count_reply(f, r, rlen);
	if (rlen <= req_len)
		return true;
	if (stun_parse_response(&resp, r, rlen) == 0 && resp.type == STUN_BINDING_SUCCESS &&
	    stun_parse_request(&sreq, req, req_len) == 0 &&
	    memcmp(sreq.txid, resp.txid, STUN_TXID_LEN) == 0) {
		f->exempt++;
		return true;
	}
	f->violations++;
	fprintf(stderr, "hpflood: AMPLIFICATION: %zu-byte reply (first byte 0x%02x, type 0x%02x) on socket %d to a %zu-byte request\n",
		rlen, r[0], rlen > 3 ? r[3] : 0, sock, req_len);
	return false;
}

/* Sends req then the sentinel on socket s; judges everything until the
 * sentinel's answer. Returns 0, or -ETIMEDOUT if the sentinel was lost. */
static int flood_one(struct flood *f, int s, const uint8_t *req, size_t req_len)
{
	uint8_t sent[64], txid[STUN_TXID_LEN], r[2048];
	struct stun_response resp;
	struct pollfd pfd[FLOOD_SOCKS];
	uint64_t deadline;
	int slen, i, ret = -ETIMEDOUT;
	bool done = false;

	flood_sentinel_txid(++f->sentinel_seq, txid);
	slen = stun_build_request(sent, sizeof(sent), txid, 0);
	if (slen < 0)
		return slen;
	/* a failed send (e.g. 0-byte) still gets its sentinel */
	(void)sendto(f->fd[s], req, req_len, 0, (struct sockaddr *)&f->to, f->tolen);
	if (sendto(f->fd[s], sent, (size_t)slen, 0, (struct sockaddr *)&f->to, f->tolen) < 0)
		return -errno;
	deadline = hp_clock_ms() + FLOOD_WAIT_MS;
	while (!done) {
		uint64_t now = hp_clock_ms();

		if (now >= deadline)
			goto out;
		for (i = 0; i < FLOOD_SOCKS; i++) {
			pfd[i].fd = f->fd[i];
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		if (poll(pfd, FLOOD_SOCKS, (int)(deadline - now)) <= 0)
			continue;
		for (i = 0; i < FLOOD_SOCKS; i++) {
			ssize_t n;

			while ((n = recv(f->fd[i], r, sizeof(r), MSG_DONTWAIT)) >= 0) {
				if (i == s && stun_parse_response(&resp, r, (size_t)n) == 0 &&
				    memcmp(resp.txid, txid, STUN_TXID_LEN) == 0) {
					f->sentinels++;
					done = true;
					continue;
				}
				flood_judge(f, req, req_len, r, (size_t)n, i);
			}
		}
	}
	/* replies to other sockets were queued before the sentinel's answer */
	for (i = 0; i < FLOOD_SOCKS; i++) {
		ssize_t n;

		while ((n = recv(f->fd[i], r, sizeof(r), MSG_DONTWAIT)) >= 0)
			flood_judge(f, req, req_len, r, (size_t)n, i);
	}
	ret = 0;
out:
	return ret;
}

static bool flood_loopback(const struct hp_endpoint *ep)
{
	static const uint8_t v6_lo[16] = { [15] = 1 };

	if (ep->family == HP_FAMILY_V4)
		return ep->addr[0] == 127;
	return ep->family == HP_FAMILY_V6 && memcmp(ep->addr, v6_lo, 16) == 0;
}

static int flood_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end = NULL;
	unsigned long long v;

	if (!s || s[0] < '0' || s[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	struct flood f;
	struct hp_endpoint server;
	uint8_t buf[FLOOD_MAX_LEN + 64];
	uint64_t count, seed = 1, port, i = 0, deadline, consecutive = 0;
	int k, ret = 1;

	memset(&f, 0, sizeof(f));
	for (k = 0; k < FLOOD_SOCKS; k++)
		f.fd[k] = -1;
	if (argc < 4 || argc > 5 || flood_parse_u64(argv[2], 65535, &port) < 0 ||
	    flood_parse_u64(argv[3], 10000000, &count) < 0 ||
	    (argc == 5 && flood_parse_u64(argv[4], UINT64_MAX, &seed) < 0)) {
		fprintf(stderr, "usage: hpflood HOST PORT COUNT [SEED]   (HOST: loopback only)\n");
		return 2;
	}
	if (hp_endpoint_parse(&server, argv[1], (int)port) < 0 || !flood_loopback(&server)) {
		fprintf(stderr, "hpflood: HOST must be a loopback address\n");
		return 2;
	}
	f.rng = seed ? seed : 0x9e3779b97f4a7c15ULL;
	if (hp_endpoint_to_sockaddr(&server, &f.to, &f.tolen) < 0)
		goto out;
	for (k = 0; k < FLOOD_SOCKS; k++) {
		f.fd[k] = socket(f.to.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (f.fd[k] < 0) {
			perror("hpflood: socket");
			goto out;
		}
	}
	deadline = hp_clock_ms() + FLOOD_TOTAL_MS;
	for (i = 0; i < count; i++) {
		enum flood_kind kind = (enum flood_kind)flood_below(&f, K__MAX);
		size_t len = flood_make(&f, kind, buf, sizeof(buf));
		int err;

		if (hp_clock_ms() >= deadline) {
			fprintf(stderr, "hpflood: time limit reached after %" PRIu64 " datagrams\n", i);
			goto out;
		}
		f.sent[kind]++;
		err = flood_one(&f, (int)(i % FLOOD_SOCKS), buf, len);
		if (err == -ETIMEDOUT) {
			f.timeouts++;
			if (++consecutive >= FLOOD_MAX_TIMEOUTS) {
				fprintf(stderr, "hpflood: server stopped answering\n");
				goto out;
			}
		} else if (err < 0) {
			fprintf(stderr, "hpflood: send: %s\n", strerror(-err));
			goto out;
		} else {
			consecutive = 0;
		}
	}
	ret = f.violations ? 1 : 0;
out:
	printf("hpflood: sent=%" PRIu64, i);
	for (k = 0; k < K__MAX; k++)
		printf(" %s=%" PRIu64, kind_names[k], f.sent[k]);
	printf(" replies=%" PRIu64 " registered=%" PRIu64 " intro=%" PRIu64 " error=%" PRIu64
	       " stun_exempt=%" PRIu64 " sentinels=%" PRIu64 " timeouts=%" PRIu64
	       " amplifications=%" PRIu64 "\n",
	       f.replies, f.reply_type[HP_REGISTERED], f.reply_type[HP_INTRO],
	       f.reply_type[HP_ERROR], f.exempt, f.sentinels, f.timeouts, f.violations);
	for (k = 0; k < FLOOD_SOCKS; k++)
		if (f.fd[k] >= 0)
			close(f.fd[k]);
	return ret;
}
