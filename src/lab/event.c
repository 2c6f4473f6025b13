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
	{ "nat", LAB_EV_NAT },               { "spray", LAB_EV_SPRAY },
	{ "spray_hit", LAB_EV_SPRAY_HIT },   { "spray_end", LAB_EV_SPRAY_END },
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

/* A count that must be there and be sane: 0..65535 (ports, sockets,
 * probes), or for a time in ms up to a day. */
static int need_count(const uint8_t *b, size_t n, const char *key, int64_t max, int64_t *out)
{
	return need_int(b, n, key, out) ?: (*out < 0 || *out > max ? -EINVAL : 0);
}

/* One of the words the field may hold, else invalid. */
static int need_word(const uint8_t *b, size_t n, const char *key, const char *const *words,
		     char *out, size_t cap)
{
	if (need_str(b, n, key, out, cap) < 0)
		return -EINVAL;
	for (; *words; words++)
		if (!strcmp(out, *words))
			return 0;
	return -EINVAL;
}

static const char *const verdicts[] = { "easy", "hard", "unknown", NULL };
static const char *const roles[] = { "easy", "hard", NULL };

static int parse_spray(struct lab_event *ev, const uint8_t *buf, size_t len)
{
	if (ev->type == LAB_EV_NAT)
		return need_word(buf, len, "self", verdicts, ev->self_nat, sizeof(ev->self_nat)) ?:
		       need_word(buf, len, "peer", verdicts, ev->peer_nat, sizeof(ev->peer_nat));
	if (need_word(buf, len, "role", roles, ev->role, sizeof(ev->role)) < 0)
		return -EINVAL;
	if (ev->type == LAB_EV_SPRAY && !strcmp(ev->role, "hard"))
		return need_count(buf, len, "sockets", 65535, &ev->sockets);
	if (ev->type == LAB_EV_SPRAY)
		return need_count(buf, len, "probes", 65535, &ev->probes) ?:
		       need_count(buf, len, "rate", 1000000, &ev->rate);
	if (ev->type == LAB_EV_SPRAY_HIT)
		return need_count(buf, len, "port", 65535, &ev->port) ?:
		       need_count(buf, len, "probes", 65535, &ev->probes) ?:
		       need_count(buf, len, "ms", 86400000, &ev->ms);
	return need_count(buf, len, "probes", 65535, &ev->probes) ?:
	       need_str(buf, len, "why", ev->reason, sizeof(ev->reason)); /* a word the story
									 * knows, or told as is */
}

static int parse_glass(struct lab_event *ev, const uint8_t *buf, size_t len)
{
	if (ev->type == LAB_EV_PUNCH)
		return parse_punch(ev, buf, len);
	if (ev->type != LAB_EV_ICMP && ev->type != LAB_EV_PATH)
		return parse_spray(ev, buf, len);
	return ev->type == LAB_EV_ICMP ? parse_icmp(ev, buf, len) : parse_path(ev, buf, len);
}

static void event_reset(struct lab_event *ev)
{
	memset(ev, 0, offsetof(struct lab_event, text));
	ev->text[0] = '\0';
	ev->seq = ev->ms = ev->rtt_ms = ev->rtt_us = ev->t_us = -1;
	ev->ttl = ev->n = ev->icmp_type = ev->icmp_code = -1;
	ev->sockets = ev->probes = ev->rate = ev->port = -1;
	ev->st_sent = ev->st_delivered = ev->st_retransmitted = ev->st_duplicates =
		ev->st_auth_failed = -1;
}

int lab_event_parse(struct lab_event *ev, const uint8_t *buf, size_t len)
{
	char name[32];
	size_t i;
	int ret = 0;

	event_reset(ev);
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
	case LAB_EV_RECONNECTING:
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
	case LAB_EV_PUNCH:
	case LAB_EV_ICMP:
	case LAB_EV_PATH:
	case LAB_EV_NAT:
	case LAB_EV_SPRAY:
	case LAB_EV_SPRAY_HIT:
	case LAB_EV_SPRAY_END:
		ret = parse_glass(ev, buf, len);
		break;
	case LAB_EV_OTHER:
		ret = 0;
	}
	return ret;
}
