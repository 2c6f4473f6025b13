// SPDX-License-Identifier: MIT
#include <inttypes.h>
#include <stdio.h>

#include "server/counters.h"

static const char *const counter_names[CNT__MAX] = {
	[CNT_RX] = "rx",
	[CNT_DROP_OVERSIZED] = "drop_oversized",
	[CNT_DROP_BAD_MAGIC] = "drop_bad_magic",
	[CNT_DROP_BAD_HEADER] = "drop_bad_header",
	[CNT_DROP_MALFORMED] = "drop_malformed",
	[CNT_DROP_UNEXPECTED] = "drop_unexpected_type",
	[CNT_DROP_RESERVED] = "drop_reserved_type",
	[CNT_DROP_STUN_BAD] = "drop_stun_malformed",
	[CNT_DROP_AMPLIFY] = "drop_would_amplify",
	[CNT_DROP_SEND] = "drop_send_failed",
	[CNT_RX_ERRORS] = "rx_errors",
	[CNT_REGISTERS] = "registers",
	[CNT_REGISTERED] = "registered_sent",
	[CNT_INTROS] = "intros_sent",
	[CNT_ERRORS] = "errors_sent",
	[CNT_LEAVES] = "leaves",
	[CNT_COOKIES] = "cookies",
	[CNT_DROP_COOKIE] = "drop_bad_cookie",
	[CNT_DROP_LEAVE_SOURCE] = "drop_leave_source",
	[CNT_DROP_SOURCE_FULL] = "drop_source_full",
	[CNT_DROP_SOURCE_RATE] = "drop_source_rate",
	[CNT_EXPIRED] = "expired",
	[CNT_STUN] = "stun_requests",
	[CNT_STUN_420] = "stun_420_sent",
	[CNT_STUN_CHANGED] = "stun_changed_sent",
	[CNT_DROP_NOT_PRIMARY] = "drop_not_primary",
	[CNT_RELAY_FWD] = "relay_fwd",
	[CNT_RELAY_FWD_BYTES] = "relay_fwd_bytes",
	[CNT_RELAY_DROP_MALFORMED] = "relay_drop_malformed",
	[CNT_RELAY_DROP_UNKNOWN] = "relay_drop_unknown",
	[CNT_RELAY_DROP_SOURCE] = "relay_drop_source",
	[CNT_RELAY_DROP_NOPEER] = "relay_drop_nopeer",
	[CNT_RELAY_DROP_BYTES] = "relay_drop_bytes",
	[CNT_RELAY_DROP_RATE] = "relay_drop_rate",
	[CNT_RELAY_DROP_SOURCE_RATE] = "relay_drop_source_rate",
	[CNT_TURN_MAX_US] = "turn_max_us",
};

/* The whole line is made first and written at once: on an unbuffered
 * stderr a write per counter was some 80 writes into a pipe, 2 ms of the
 * loop's turn on the test VM (each woke the reader). */
void counters_print(struct server_counters *c, FILE *f)
{
	char line[CNT__MAX * 48 + 32];
	size_t off;
	int i, n;

	n = snprintf(line, sizeof(line), "hpserver: counters");
	off = n > 0 ? (size_t)n : 0;
	for (i = 0; i < CNT__MAX && off < sizeof(line); i++) {
		n = snprintf(line + off, sizeof(line) - off, " %s=%" PRIu64, counter_names[i],
			     c->v[i]);
		if (n < 0)
			break;
		off += (size_t)n;
	}
	if (off >= sizeof(line)) /* cannot be: names are short (above) */
		off = sizeof(line) - 1;
	line[off++] = '\n';
	fwrite(line, 1, off, f);
	fflush(f);
	c->v[CNT_TURN_MAX_US] = 0;
}
