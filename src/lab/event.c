// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>

#include "event.h"
#include "jsonx.h"

static const struct {
	const char *name;
	enum lab_event_type type;
} names[] = {
	{ "registered", LAB_EV_REGISTERED }, { "introduced", LAB_EV_INTRODUCED },
	{ "connected", LAB_EV_CONNECTED },   { "message", LAB_EV_MESSAGE },
	{ "acked", LAB_EV_ACKED },           { "peer_moved", LAB_EV_PEER_MOVED },
	{ "peer_lost", LAB_EV_PEER_LOST },   { "error", LAB_EV_ERROR },
	{ "bye", LAB_EV_BYE },               { "probe", LAB_EV_PROBE },
	{ "retransmit", LAB_EV_RETRANSMIT }, { "stats", LAB_EV_STATS },
	{ "reconnecting", LAB_EV_RECONNECTING }, { "punch", LAB_EV_PUNCH },
	{ "icmp", LAB_EV_ICMP },             { "path", LAB_EV_PATH },
};

static int need_str(const uint8_t *b, size_t n, const char *key, char *out, size_t cap)
{
	int ret = lab_jsonx_string(b, n, key, out, cap);

	return ret < 0 ? -EINVAL : 0;
}

static int need_int(const uint8_t *b, size_t n, const char *key, int64_t *out)
{
	return lab_jsonx_int(b, n, key, out) < 0 ? -EINVAL : 0;
}

/* Optional fields: absent is fine, present but malformed is not. */
static int opt_int(const uint8_t *b, size_t n, const char *key, int64_t *out)
{
	int ret = lab_jsonx_int(b, n, key, out);

	if (ret == -ENOENT) {
		*out = -1;
		return 0;
	}
	return ret < 0 ? -EINVAL : 0;
}

static int opt_str(const uint8_t *b, size_t n, const char *key, char *out, size_t cap)
{
	int ret = lab_jsonx_string(b, n, key, out, cap);

	if (ret == -ENOENT) {
		out[0] = '\0';
		return 0;
	}
	return ret < 0 ? -EINVAL : 0;
}

/* icmp's "from": an address, or null when the error named no offender. */
static int str_or_null(const uint8_t *b, size_t n, const char *key, char *out, size_t cap)
{
	int ret = lab_jsonx_null(b, n, key);

	if (ret == 1) {
		out[0] = '\0';
		return 0;
	}
	return need_str(b, n, key, out, cap);
}

/* The glass box's events (docs/hpclient.md): a small unsigned number (TTL, ICMP type and code: 0..255). */
static int need_u8(const uint8_t *b, size_t n, const char *key, int64_t *out)
{
	return need_int(b, n, key, out) ?: (*out < 0 || *out > 255 ? -EINVAL : 0);
}

static int parse_punch(struct lab_event *ev, const uint8_t *buf, size_t len)
{
	return need_str(buf, len, "to", ev->to, sizeof(ev->to)) ?:
	       need_u8(buf, len, "ttl", &ev->ttl) ?:
	       need_str(buf, len, "candidate", ev->what, sizeof(ev->what)) ?:
	       opt_int(buf, len, "n", &ev->n);
}

static int parse_icmp(struct lab_event *ev, const uint8_t *buf, size_t len)
{
	return str_or_null(buf, len, "from", ev->from, sizeof(ev->from)) ?:
	       need_str(buf, len, "about", ev->about, sizeof(ev->about)) ?:
	       need_u8(buf, len, "type", &ev->icmp_type) ?:
	       need_u8(buf, len, "code", &ev->icmp_code) ?:
	       need_str(buf, len, "what", ev->what, sizeof(ev->what));
}

static int parse_path(struct lab_event *ev, const uint8_t *buf, size_t len)
{
	return need_str(buf, len, "from", ev->from, sizeof(ev->from)) ?:
	       need_str(buf, len, "to", ev->to, sizeof(ev->to)) ?:
	       opt_str(buf, len, "why", ev->reason, sizeof(ev->reason));
}

int lab_event_parse(struct lab_event *ev, const uint8_t *buf, size_t len)
{
	char name[32];
	size_t i;
	int ret = 0;

	memset(ev, 0, offsetof(struct lab_event, text));
	ev->text[0] = '\0';
	ev->seq = ev->ms = ev->rtt_ms = ev->rtt_us = ev->t_us = -1;
	ev->ttl = ev->n = ev->icmp_type = ev->icmp_code = -1;
	ev->st_sent = ev->st_delivered = ev->st_retransmitted = ev->st_duplicates =
		ev->st_auth_failed = -1;
	if (lab_jsonx_string(buf, len, "event", name, sizeof(name)) < 0)
		return -EINVAL;
	ev->type = LAB_EV_OTHER;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i].name))
			ev->type = names[i].type;
	/* on every event since the glass box (issue 11); older clients lack it */
	if (opt_int(buf, len, "t_us", &ev->t_us) < 0)
		return -EINVAL;
	switch (ev->type) {
	case LAB_EV_REGISTERED:
		ret = need_str(buf, len, "public", ev->public_ep, sizeof(ev->public_ep)) ?:
		      opt_int(buf, len, "ms", &ev->ms);
		break;
	case LAB_EV_INTRODUCED:
		ret = need_str(buf, len, "peer", ev->peer, sizeof(ev->peer)) ?:
		      need_str(buf, len, "public", ev->public_ep, sizeof(ev->public_ep)) ?:
		      opt_int(buf, len, "ms", &ev->ms);
		break;
	case LAB_EV_CONNECTED:
		ret = need_str(buf, len, "path", ev->path, sizeof(ev->path)) ?:
		      need_str(buf, len, "peer", ev->peer, sizeof(ev->peer)) ?:
		      opt_int(buf, len, "ms", &ev->ms);
		break;
	case LAB_EV_MESSAGE:
		ret = need_str(buf, len, "from", ev->from, sizeof(ev->from)) ?:
		      need_int(buf, len, "seq", &ev->seq) ?:
		      need_str(buf, len, "text", ev->text, sizeof(ev->text));
		break;
	case LAB_EV_ACKED:
		ret = need_int(buf, len, "seq", &ev->seq) ?: opt_int(buf, len, "rtt_ms", &ev->rtt_ms) ?:
		      opt_int(buf, len, "rtt_us", &ev->rtt_us);
		break;
	case LAB_EV_PEER_MOVED:
		ret = need_str(buf, len, "peer", ev->peer, sizeof(ev->peer));
		break;
	case LAB_EV_PEER_LOST:
	case LAB_EV_ERROR:
		ret = opt_str(buf, len, "reason", ev->reason, sizeof(ev->reason));
		break;
	case LAB_EV_BYE:
		ret = opt_str(buf, len, "from", ev->from, sizeof(ev->from));
		break;
	case LAB_EV_PROBE:
		ret = need_str(buf, len, "mapping", ev->mapping, sizeof(ev->mapping)) ?:
		      need_str(buf, len, "filtering", ev->filtering, sizeof(ev->filtering)) ?:
		      need_str(buf, len, "nat", ev->nat, sizeof(ev->nat)) ?:
		      opt_str(buf, len, "public", ev->public_ep, sizeof(ev->public_ep)) ?:
		      opt_int(buf, len, "ms", &ev->ms);
		break;
	case LAB_EV_RETRANSMIT:
		ret = need_int(buf, len, "seq", &ev->seq);
		break;
	case LAB_EV_STATS:
		ret = opt_int(buf, len, "sent", &ev->st_sent) ?:
		      opt_int(buf, len, "delivered", &ev->st_delivered) ?:
		      opt_int(buf, len, "retransmitted", &ev->st_retransmitted) ?:
		      opt_int(buf, len, "duplicates", &ev->st_duplicates) ?:
		      opt_int(buf, len, "auth_failed", &ev->st_auth_failed);
		break;
	case LAB_EV_RECONNECTING:
		ret = opt_str(buf, len, "reason", ev->reason, sizeof(ev->reason));
		break;
	case LAB_EV_PUNCH:
		ret = parse_punch(ev, buf, len);
		break;
	case LAB_EV_ICMP:
		ret = parse_icmp(ev, buf, len);
		break;
	case LAB_EV_PATH:
		ret = parse_path(ev, buf, len);
		break;
	case LAB_EV_OTHER:
		ret = 0;
	}
	return ret;
}
