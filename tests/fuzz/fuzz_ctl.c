// SPDX-License-Identifier: MIT
/* libFuzzer harness for the client's handling of server datagrams
 * (wire_demux then ctl_handle): any bytes from the server's address, in
 * any path state; what it sends in answer goes nowhere (the send hook). */
#include <stdlib.h>
#include <string.h>

#include "client/ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sent;

static int no_send(void *ctx, const struct hp_endpoint *to, const uint8_t *buf, size_t len,
		   int ttl)
{
	(void)ctx, (void)to, (void)buf, (void)ttl;
	if (len > HP_MAX_DATAGRAM)
		abort();
	sent++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t pk[HP_KEY_LEN] = { 9 };
	static struct client_opts o;
	static const struct output out = { .quiet = true };
	struct hp_endpoint server = { .family = HP_FAMILY_V4, .port = 3478,
				      .addr = { 192, 0, 2, 10 } };
	const uint8_t *inner;
	struct ctl_news news;
	struct wire w;
	struct ctl ctl;
	size_t inner_len;
	uint8_t *buf;

	if (size < 1)
		return 0;
	buf = malloc(size - 1 ? size - 1 : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	o.timeout_s = 10;
	o.keepalive_ms = 5000;
	memcpy(o.room, "r", 2);
	wire_init(&w, -1, &server, (const uint8_t *)"tokentok", &out);
	w.send = no_send;
	ctl_init(&ctl, &o, &out, pk, NULL, 0, 1000);
	sent = 0;
	if (wire_demux(&w, buf, size - 1, &server, &inner, &inner_len) == WIRE_CTL)
		(void)ctl_handle(&ctl, &w, buf, size - 1, (enum path_state)(data[0] % 10), 1000,
				 &news);
	/* one datagram in earns at most one REGISTER out */
	if (sent > 1)
		abort();
	wire_free(&w);
	free(buf);
	return 0;
}
