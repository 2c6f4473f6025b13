// SPDX-License-Identifier: MIT
#include <string.h>

#include "client/linebuf.h"

void linebuf_init(struct linebuf *lb)
{
	memset(lb, 0, sizeof(*lb));
}

static bool linebuf_is_cont(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

/* Buffer full and byte c follows on the same line: emit a part. */
static int linebuf_split(struct linebuf *lb, unsigned char c, linebuf_fn fn, void *ctx)
{
	size_t cut = sizeof(lb->buf), keep;
	int ret;

	/* back off so that no UTF-8 sequence (at most 4 bytes) is cut in two */
	while (cut > sizeof(lb->buf) - 3 &&
	       linebuf_is_cont(cut == sizeof(lb->buf) ? c : (unsigned char)lb->buf[cut]))
		cut--;
	ret = fn(ctx, lb->buf, cut, ++lb->part);
	if (ret < 0)
		return ret;
	keep = sizeof(lb->buf) - cut;
	memmove(lb->buf, lb->buf + cut, keep);
	lb->len = keep;
	return 0;
}

int linebuf_feed(struct linebuf *lb, const char *data, size_t n, linebuf_fn fn, void *ctx)
{
	size_t i;
	int ret;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)data[i];

		if (c == '\n') {
			ret = fn(ctx, lb->buf, lb->len, lb->part ? lb->part + 1 : 0);
			lb->len = 0;
			lb->part = 0;
			if (ret < 0)
				return ret;
			continue;
		}
		if (c == '\0') {
			lb->nuls++;
			continue;
		}
		if (lb->len == sizeof(lb->buf)) {
			ret = linebuf_split(lb, c, fn, ctx);
			if (ret < 0)
				return ret;
		}
		lb->buf[lb->len++] = (char)c;
	}
	return 0;
}

int linebuf_finish(struct linebuf *lb, linebuf_fn fn, void *ctx)
{
	int ret = 0;

	if (lb->len || lb->part)
		ret = fn(ctx, lb->buf, lb->len, lb->part ? lb->part + 1 : 0);
	lb->len = 0;
	lb->part = 0;
	return ret;
}
