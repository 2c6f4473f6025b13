// SPDX-License-Identifier: MIT
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lab/impair.h"

/*
 * Fixed-point decimal: digits[.digits] with at most frac_max fractional
 * digits, scaled by 10^frac_max. Rejects signs, exponents, empty parts and
 * anything above max so hostile input cannot overflow.
 */
static int impair_parse_fixed(const uint8_t *buf, size_t len, unsigned frac_max, uint64_t max,
			      uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0, int_digits = 0;
	unsigned frac = 0;

	while (i < len && buf[i] >= '0' && buf[i] <= '9') {
		v = v * 10 + (uint64_t)(buf[i] - '0');
		if (v > max)
			return -ERANGE;
		int_digits++;
		i++;
	}
	if (int_digits == 0)
		return -EINVAL;
	if (i < len && buf[i] == '.') {
		i++;
		while (i < len && buf[i] >= '0' && buf[i] <= '9') {
			if (frac == frac_max)
				return -EINVAL;
			v = v * 10 + (uint64_t)(buf[i] - '0');
			frac++;
			i++;
		}
		if (frac == 0)
			return -EINVAL;
	}
	if (i != len)
		return -EINVAL;
	for (; frac < frac_max; frac++)
		v *= 10;
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int lab_impair_parse_delay(const uint8_t *buf, size_t len, uint32_t *delay_us,
			   uint32_t *jitter_us)
{
	const uint8_t *colon;
	uint64_t d = 0, j = 0;
	size_t dlen = len;
	int ret;

	if (!buf)
		return -EINVAL;
	colon = memchr(buf, ':', len);
	if (colon)
		dlen = (size_t)(colon - buf);
	ret = impair_parse_fixed(buf, dlen, 3, LAB_IMPAIR_DELAY_MAX_US, &d);
	if (ret < 0)
		return ret;
	if (colon) {
		ret = impair_parse_fixed(colon + 1, len - dlen - 1, 3, LAB_IMPAIR_DELAY_MAX_US, &j);
		if (ret < 0)
			return ret;
	}
	/* a draw below zero would clamp to 0 and move the mean off MS */
	if (j > d)
		return -EDOM;
	*delay_us = (uint32_t)d;
	*jitter_us = (uint32_t)j;
	return 0;
}

int lab_impair_parse_pct(const uint8_t *buf, size_t len, uint32_t *ppm)
{
	uint64_t v;
	int ret;

	if (!buf)
		return -EINVAL;
	if (len > 0 && buf[len - 1] == '%')
		len--;
	/* 4 fractional digits of a percentage are exactly parts per million. */
	ret = impair_parse_fixed(buf, len, 4, LAB_IMPAIR_PPM, &v);
	if (ret < 0)
		return ret;
	*ppm = (uint32_t)v;
	return 0;
}

bool lab_impair_needs_queue(const struct lab_impair *imp)
{
	return imp && (imp->delay_us || imp->jitter_us || imp->dup_ppm);
}

bool lab_impair_active(const struct lab_impair *imp)
{
	return imp && (lab_impair_needs_queue(imp) || imp->loss_ppm);
}

void lab_impair_router_hooks(struct lab_impair_hook hooks[2], const char *wan, const char *lan)
{
	hooks[0].ifname = wan;
	hooks[0].skip_local = false;
	hooks[1].ifname = lan;
	hooks[1].skip_local = true;
}

static bool impair_name_ok(const char *s, size_t max)
{
	size_t n;

	if (!s)
		return false;
	n = strlen(s);
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

struct impair_out {
	char *buf;
	size_t cap;
	size_t len;
	int err;
};

__attribute__((format(printf, 2, 3))) static void impair_put(struct impair_out *o,
							    const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len) {
		o->err = -ENOSPC;
		return;
	}
	o->len += (size_t)n;
}

/*
 * Why a filter chain at hook prerouting, priority raw (-300):
 *  - prerouting sees each packet once, when it enters the namespace, so
 *    hooking the wan's ingress (inbound) and the lan's ingress minus what is
 *    addressed to the router itself (outbound) impairs every packet crossing
 *    the wan exactly once, whichever direction. The forward hook would miss
 *    inbound packets addressed to the router's public address that no
 *    mapping claims - the early punches described in docs/nat-types.md,
 *    "bare MASQUERADE (the pitfall)" - and so would shift the very races the
 *    lab studies.
 *  - raw runs before connection tracking (priority -300 < -200). A held
 *    packet therefore carries no unconfirmed conntrack entry: the NAT sees it
 *    only when it is released, exactly as if a slow wire had just delivered
 *    it. Queueing at mangle or filter priority would park packets holding
 *    unconfirmed entries and let later packets of the same flow race them
 *    to the table.
 *  - The cost: an outbound packet gets its NAT mapping when released, i.e.
 *    the delay sits between host and NAT for that direction. One-way latency
 *    is the same; delaying after the NAT would need a queue after conntrack
 *    confirmation (priority above 300 in postrouting), and the same care
 *    the other way round.
 * "fib daddr type != local" is the old addrtype match: the address's route
 * type in this namespace (nft(8), "FIB EXPRESSIONS"). Loss comes first and
 * ends traversal with drop; "numgen random mod 1000000" draws uniformly
 * below a million, so "< PPM" holds with exactly the probability asked.
 * The queue rule that follows it is not in this text (impair.h says why);
 * an accepted verdict from the queue resumes after this chain, so nothing
 * is queued twice; "bypass": with no engine bound the packet flows on
 * unimpaired.
 */
int lab_impair_rules(char *buf, size_t cap, const struct lab_impair_rules_cfg *cfg)
{
	struct impair_out o = { .buf = buf, .cap = cap };
	const struct lab_impair *imp;

	if (!buf || cap == 0 || !cfg || !cfg->imp || (cfg->n_hooks && !cfg->hooks))
		return -EINVAL;
	if (cfg->proto && !impair_name_ok(cfg->proto, 16))
		return -EINVAL;
	imp = cfg->imp;
	if (imp->loss_ppm > LAB_IMPAIR_PPM || imp->reorder_ppm > LAB_IMPAIR_PPM ||
	    imp->dup_ppm > LAB_IMPAIR_PPM)
		return -EINVAL;
	buf[0] = '\0';
	/* add, delete, define: a second load replaces the table (nat.c) */
	impair_put(&o, "add table ip %s\ndelete table ip %s\ntable ip %s {\n"
		   "\tchain prerouting {\n"
		   "\t\ttype filter hook prerouting priority raw; policy accept;\n",
		   LAB_IMPAIR_TABLE, LAB_IMPAIR_TABLE, LAB_IMPAIR_TABLE);
	for (size_t i = 0; i < cfg->n_hooks; i++) {
		const struct lab_impair_hook *h = &cfg->hooks[i];

		if (!impair_name_ok(h->ifname, IFNAMSIZ - 1))
			return -EINVAL;
		impair_put(&o, "\t\tiifname \"%s\"", h->ifname);
		if (cfg->proto)
			impair_put(&o, " meta l4proto %s", cfg->proto);
		if (h->skip_local)
			impair_put(&o, " fib daddr type != local");
		impair_put(&o, " jump %s\n", LAB_IMPAIR_CHAIN);
	}
	impair_put(&o, "\t}\n\tchain %s {\n", LAB_IMPAIR_CHAIN);
	/* nft refuses "< 1000000" (above every value of the draw): all is all */
	if (imp->loss_ppm == LAB_IMPAIR_PPM)
		impair_put(&o, "\t\tcounter drop\n");
	else if (imp->loss_ppm)
		impair_put(&o, "\t\tnumgen random mod %u < %u counter drop\n", LAB_IMPAIR_PPM,
			   imp->loss_ppm);
	impair_put(&o, "\t}\n}\n");
	return o.err ? o.err : (int)o.len;
}
