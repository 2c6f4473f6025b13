// SPDX-License-Identifier: MIT
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "client/icmp.h"
#include "client/output.h"
#include "clock.h"
#include "json.h"
#include "utf8.h"

/*
 * What a terminal must not be handed from a peer or a server: C0 controls
 * but tab, DEL, the C1 controls U+0080..U+009F (ECMA-48 s.5: CSI, OSC ...
 * in one code point), and the bidirectional formatting characters that
 * reorder what is shown (Unicode UAX #9: U+061C, U+200E/F, U+202A..U+202E,
 * U+2066..U+2069; "Trojan Source", CVE-2021-42574).
 */
static bool out_unsafe_cp(uint32_t cp)
{
	return (cp < 0x20 && cp != '\t') || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c ||
	       cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

/* A peer's bytes must not drive the terminal: each unsafe character, and
 * each byte that is not valid UTF-8 (a raw 0x9b is a CSI to some
 * terminals), becomes '?'. */
static void out_write_safe(FILE *f, const char *s, size_t len)
{
	size_t i = 0, n;
	uint32_t cp;

	while (i < len) {
		n = hp_utf8_decode((const unsigned char *)s + i, len - i, &cp);
		if (n == 0 || out_unsafe_cp(cp)) {
			fputc('?', f);
			i += n ? n : 1;
			continue;
		}
		fwrite(s + i, 1, n, f);
		i += n;
	}
}

/* Every event starts the same: its name, then when it was emitted. */
static void out_json_begin(const struct output *o, const char *event)
{
	uint64_t t = o->clock_us ? o->clock_us() : hp_clock_us();

	printf("{\"event\":\"%s\",\"t_us\":%llu", event, (unsigned long long)t);
}

static void out_json_str(const char *key, const char *s, size_t len)
{
	printf(",\"%s\":", key);
	hp_json_write_string(stdout, s, len);
}

static void out_json_ep(const char *key, const struct hp_endpoint *ep)
{
	char b[HP_ENDPOINT_STRLEN];

	hp_endpoint_format(ep, b, sizeof(b));
	out_json_str(key, b, strlen(b));
}

/* An address without its port (an ICMP's sender has none). */
static const char *out_addr(const struct hp_endpoint *ep, char *buf, size_t len)
{
	if (!inet_ntop(ep->family == HP_FAMILY_V6 ? AF_INET6 : AF_INET, ep->addr, buf,
		       (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

/* Batched (the chat loop, out_batch()), no flush per event: the loop
 * flushes before it waits (out_flush()), so a reader still sees every
 * event before the client blocks, and a burst of lines costs one
 * write(2) rather than two per line. Otherwise each event goes at once. */
static bool out_batched;

static void out_json_end(void)
{
	fputs("}\n", stdout);
	if (!out_batched)
		fflush(stdout);
}

void out_batch(bool on)
{
	out_batched = on;
	fflush(stdout);
}

void out_flush(void)
{
	fflush(stdout);
}

/* Status text carries nicks and server reasons: it goes through the filter. */
static void out_vstatus(const struct output *o, bool force, const char *fmt, va_list ap)
{
	char line[1024];

	if (!force && (o->json || o->quiet))
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	fputs("hpclient: ", stderr);
	out_write_safe(stderr, line, strlen(line));
	fputc('\n', stderr);
}

/* Human status line on stderr (not in JSON mode, not with -q). */
static __attribute__((format(printf, 2, 3))) void out_status(const struct output *o,
							     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	out_vstatus(o, false, fmt, ap);
	va_end(ap);
}

void out_debug(const struct output *o, const char *fmt, ...)
{
	va_list ap;

	if (!o->verbose)
		return;
	va_start(ap, fmt);
	out_vstatus(o, true, fmt, ap);
	va_end(ap);
}

void out_waiting(const struct output *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	out_vstatus(o, false, fmt, ap);
	va_end(ap);
}

void out_registering(const struct output *o, const struct hp_endpoint *server, const char *room)
{
	char b[HP_ENDPOINT_STRLEN];

	out_status(o, "registering with %s (room \"%s\") ...",
		   hp_endpoint_format(server, b, sizeof(b)), room);
}

void out_registered(const struct output *o, const struct hp_endpoint *pub, uint64_t ms,
		    const char *waiting_room)
{
	char b[HP_ENDPOINT_STRLEN];

	if (o->json) {
		out_json_begin(o, "registered");
		out_json_ep("public", pub);
		printf(",\"ms\":%llu", (unsigned long long)ms);
		out_json_end();
		return;
	}
	out_status(o, "registered, public endpoint %s (%llu ms)%s%s%s",
		   hp_endpoint_format(pub, b, sizeof(b)), (unsigned long long)ms,
		   waiting_room ? "; waiting for a peer in room \"" : "",
		   waiting_room ? waiting_room : "", waiting_room ? "\"" : "");
}

void out_introduced(const struct output *o, const char *nick, const struct hp_endpoint *pub,
		    const struct hp_endpoint *priv, size_t n_priv, uint64_t ms)
{
	char b[HP_ENDPOINT_STRLEN];
	size_t i;

	if (o->json) {
		out_json_begin(o, "introduced");
		out_json_str("peer", nick, strlen(nick));
		out_json_ep("public", pub);
		fputs(",\"private\":[", stdout);
		for (i = 0; i < n_priv; i++) {
			hp_endpoint_format(&priv[i], b, sizeof(b));
			if (i)
				fputc(',', stdout);
			hp_json_write_string(stdout, b, strlen(b));
		}
		printf("],\"ms\":%llu", (unsigned long long)ms);
		out_json_end();
		return;
	}
	if (o->quiet)
		return;
	fputs("hpclient: peer \"", stderr);
	out_write_safe(stderr, nick, strlen(nick));
	fprintf(stderr, "\" is at %s, punching...\n", hp_endpoint_format(pub, b, sizeof(b)));
}

void out_connected(const struct output *o, bool relay, const struct hp_endpoint *peer, uint64_t ms)
{
	char b[HP_ENDPOINT_STRLEN];

	if (o->json) {
		out_json_begin(o, "connected");
		printf(",\"path\":\"%s\"", relay ? "relay" : "direct");
		out_json_ep("peer", peer);
		printf(",\"ms\":%llu", (unsigned long long)ms);
		out_json_end();
		return;
	}
	if (relay) {
		out_status(o, "connected via relay %s (%llu ms after introduction; still trying direct)",
			   hp_endpoint_format(peer, b, sizeof(b)), (unsigned long long)ms);
		return;
	}
	out_status(o, "connected directly to %s (%llu ms after introduction)",
		   hp_endpoint_format(peer, b, sizeof(b)), (unsigned long long)ms);
}

void out_message(const struct output *o, const char *nick, uint32_t seq, const char *text,
		 size_t len)
{
	if (o->json) {
		out_json_begin(o, "message");
		out_json_str("from", nick, strlen(nick));
		printf(",\"seq\":%u", seq);
		out_json_str("text", text, len);
		out_json_end();
		return;
	}
	out_write_safe(stdout, nick, strlen(nick));
	fputs(": ", stdout);
	out_write_safe(stdout, text, len);
	fputc('\n', stdout);
	if (!out_batched)
		fflush(stdout);
}

void out_acked(const struct output *o, uint32_t seq, uint64_t rtt_us, unsigned tx)
{
	/* rtt_ms rounded to an integer so every JSON reader takes it; rtt_us
	 * carries the precision */
	unsigned long long ms = (unsigned long long)((rtt_us + 500) / 1000);

	if (o->json) {
		out_json_begin(o, "acked");
		printf(",\"seq\":%u", seq);
		if (tx <= 1)
			printf(",\"rtt_ms\":%llu,\"rtt_us\":%llu", ms, (unsigned long long)rtt_us);
		else
			printf(",\"tx\":%u", tx);
		out_json_end();
		return;
	}
	if (tx <= 1)
		out_debug(o, "message %u acknowledged, rtt %.1f ms", seq, (double)rtt_us / 1000.0);
	else
		out_debug(o, "message %u acknowledged after %u transmissions", seq, tx);
}

void out_retransmit(const struct output *o, uint32_t seq, unsigned tx)
{
	if (o->json) {
		out_json_begin(o, "retransmit");
		printf(",\"seq\":%u,\"tx\":%u", seq, tx);
		out_json_end();
		return;
	}
	out_debug(o, "message %u retransmitted (transmission %u)", seq, tx);
}

void out_reconnecting(const struct output *o, const char *fmt, ...)
{
	char reason[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (o->json) {
		out_json_begin(o, "reconnecting");
		out_json_str("reason", reason, strlen(reason));
		out_json_end();
		return;
	}
	out_status(o, "reconnecting: %s", reason);
}

static const struct {
	const char *key, *words;
} out_drop_rows[CLIENT_N_DROPS] = {
#define OUT_DROP_ROW(id, k, w) [CLIENT_DROP_##id] = { .key = k, .words = w },
	CLIENT_DROPS(OUT_DROP_ROW)
#undef OUT_DROP_ROW
};

void out_stats(const struct output *o, const struct out_stats *st)
{
	size_t i;

	if (o->json) {
		out_json_begin(o, "stats");
		printf(",\"sent\":%llu,\"delivered\":%llu,\"retransmitted\":%llu,"
		       "\"duplicates\":%llu",
		       (unsigned long long)st->sent, (unsigned long long)st->delivered,
		       (unsigned long long)st->retransmitted, (unsigned long long)st->duplicates);
		/* auth_failed first, where it always was; the other reasons follow */
		for (i = 0; i < CLIENT_N_DROPS; i++)
			printf(",\"%s\":%llu", out_drop_rows[i].key, (unsigned long long)st->drop[i]);
		out_json_end();
		return;
	}
	out_status(o, "stats: %llu sent, %llu delivered, %llu retransmitted, %llu duplicates, "
		   "%llu failed authentication",
		   (unsigned long long)st->sent, (unsigned long long)st->delivered,
		   (unsigned long long)st->retransmitted, (unsigned long long)st->duplicates,
		   (unsigned long long)st->drop[CLIENT_DROP_AUTH_FAILED]);
}

void out_drops(const struct output *o, const uint64_t drop[CLIENT_N_DROPS])
{
	char line[512];
	size_t i, n = 0;

	if (!o->verbose)
		return;
	for (i = 0; i < CLIENT_N_DROPS && n < sizeof(line); i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%llu %s", i ? ", " : "",
				      (unsigned long long)drop[i], out_drop_rows[i].words);
	out_debug(o, "dropped: %s", line);
}

void out_peer_moved(const struct output *o, const struct hp_endpoint *peer)
{
	char b[HP_ENDPOINT_STRLEN];

	if (o->json) {
		out_json_begin(o, "peer_moved");
		out_json_ep("peer", peer);
		out_json_end();
		return;
	}
	out_status(o, "peer moved to %s", hp_endpoint_format(peer, b, sizeof(b)));
}

void out_peer_lost(const struct output *o, const char *reason)
{
	if (o->json) {
		out_json_begin(o, "peer_lost");
		out_json_str("reason", reason, strlen(reason));
		out_json_end();
	}
	fputs("hpclient: peer lost: ", stderr);
	out_write_safe(stderr, reason, strlen(reason));
	fputc('\n', stderr);
}

static void out_vreason(const struct output *o, const char *event, bool force, const char *fmt,
			va_list ap)
{
	char reason[512];

	vsnprintf(reason, sizeof(reason), fmt, ap);
	if (o->json) {
		out_json_begin(o, event);
		out_json_str("reason", reason, strlen(reason));
		out_json_end();
	}
	if (force || (!o->json && !o->quiet)) {
		fprintf(stderr, "hpclient: %s", force ? "" : "warning: ");
		out_write_safe(stderr, reason, strlen(reason));
		fputc('\n', stderr);
	}
}

void out_error(const struct output *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	out_vreason(o, "error", true, fmt, ap);
	va_end(ap);
}

void out_warning(const struct output *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	out_vreason(o, "warning", false, fmt, ap);
	va_end(ap);
}

void out_bye(const struct output *o, bool from_peer, const char *nick)
{
	if (o->json) {
		out_json_begin(o, "bye");
		printf(",\"from\":\"%s\"", from_peer ? "peer" : "self");
		out_json_end();
		return;
	}
	if (o->quiet)
		return;
	if (from_peer) {
		fputs("hpclient: ", stderr);
		out_write_safe(stderr, nick, strlen(nick));
		fputs(" left the chat\n", stderr);
	} else {
		fputs("hpclient: bye\n", stderr);
	}
}

void out_punch(const struct output *o, const struct hp_endpoint *to, unsigned ttl,
	       const char *candidate, uint64_t n)
{
	char b[HP_ENDPOINT_STRLEN];

	if (o->json) {
		out_json_begin(o, "punch");
		out_json_ep("to", to);
		printf(",\"ttl\":%u,\"candidate\":\"%s\",\"n\":%llu", ttl, candidate,
		       (unsigned long long)n);
		out_json_end();
		return;
	}
	out_debug(o, "punch %llu to %s (%s, ttl %u)", (unsigned long long)n,
		  hp_endpoint_format(to, b, sizeof(b)), candidate, ttl);
}

void out_icmp(const struct output *o, const struct hp_endpoint *from,
	      const struct hp_endpoint *about, uint8_t type, uint8_t code)
{
	const char *what = icmp_what(type, code);
	char b[HP_ENDPOINT_STRLEN], a[HP_ENDPOINT_STRLEN];

	if (o->json) {
		out_json_begin(o, "icmp");
		if (from) {
			/* the offender is an address: its port means nothing */
			out_addr(from, b, sizeof(b));
			out_json_str("from", b, strlen(b));
		} else {
			fputs(",\"from\":null", stdout);
		}
		out_json_ep("about", about);
		printf(",\"type\":%u,\"code\":%u,\"what\":\"%s\"", type, code, what);
		out_json_end();
		return;
	}
	out_debug(o, "ICMP %s%s%s about %s", what, from ? " from " : "",
		  from ? out_addr(from, b, sizeof(b)) : "",
		  hp_endpoint_format(about, a, sizeof(a)));
}

void out_path(const struct output *o, const char *from, const char *to, const char *why)
{
	if (o->json) {
		out_json_begin(o, "path");
		printf(",\"from\":\"%s\",\"to\":\"%s\"", from, to);
		out_json_str("why", why, strlen(why));
		out_json_end();
		return;
	}
	out_debug(o, "path %s -> %s: %s", from, to, why);
}

void out_nat(const struct output *o, const char *self, const char *peer)
{
	if (o->json) {
		out_json_begin(o, "nat");
		printf(",\"self\":\"%s\",\"peer\":\"%s\"", self, peer);
		out_json_end();
		return;
	}
	out_debug(o, "mappings: ours %s, the peer's %s", self, peer);
}

void out_spray_hard(const struct output *o, size_t sockets)
{
	if (o->json) {
		out_json_begin(o, "spray");
		printf(",\"role\":\"hard\",\"sockets\":%zu", sockets);
		out_json_end();
		return;
	}
	out_status(o, "birthday spray: %zu extra sockets open towards the peer", sockets);
}

void out_spray_easy(const struct output *o, unsigned probes, unsigned rate)
{
	if (o->json) {
		out_json_begin(o, "spray");
		printf(",\"role\":\"easy\",\"probes\":%u,\"rate\":%u", probes, rate);
		out_json_end();
		return;
	}
	out_status(o, "birthday spray: up to %u probes at %u/s to the peer's address", probes,
		   rate);
}

void out_spray_hit(const struct output *o, const char *role, uint16_t port, unsigned n,
		   uint64_t ms)
{
	if (o->json) {
		out_json_begin(o, "spray_hit");
		printf(",\"role\":\"%s\",\"port\":%u,\"probes\":%u,\"ms\":%llu", role, port,
		       n, (unsigned long long)ms);
		out_json_end();
		return;
	}
	out_status(o, "birthday spray won at port %u after %llu ms", port, (unsigned long long)ms);
}

void out_spray_end(const struct output *o, const char *role, size_t n, const char *why,
		   double p)
{
	if (o->json) {
		out_json_begin(o, "spray_end");
		printf(",\"role\":\"%s\",\"probes\":%zu,\"why\":\"%s\"", role, n, why);
		if (p >= 0)
			printf(",\"p\":%.6f", p);
		out_json_end();
		return;
	}
	if (p >= 0)
		out_status(o, "both NATs map per destination: a spray would succeed with "
			      "p = %.4f %%, relaying (--spray-hard-hard tries anyway)", 100.0 * p);
	else
		out_debug(o, "birthday spray (%s) ended: %s after %zu", role, why, n);
}

void out_probe(const struct output *o, const char *mapping, const char *filtering,
	       const struct hp_endpoint *pub, const char *nat, uint64_t ms)
{
	char b[HP_ENDPOINT_STRLEN];

	hp_endpoint_format(pub, b, sizeof(b));
	if (o->json) {
		out_json_begin(o, "probe");
		printf(",\"mapping\":\"%s\",\"filtering\":\"%s\",\"public\":\"%s\","
		       "\"nat\":\"%s\",\"ms\":%llu",
		       mapping, filtering, b, nat, (unsigned long long)ms);
		out_json_end();
		return;
	}
	printf("mapping:   %s (public endpoint %s)\n", mapping, b);
	printf("filtering: %s -> NAT type: %s\n", filtering, nat);
	fflush(stdout);
}
