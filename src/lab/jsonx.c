// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "jsonx.h"

enum jtype { J_STRING, J_NUMBER, J_LITERAL, J_ARRAY };

struct span {
	size_t off, len; /* string: inside the quotes */
	enum jtype type;
};

struct scan {
	const uint8_t *b;
	size_t len, pos;
};

static void skip_ws(struct scan *s)
{
	while (s->pos < s->len && (s->b[s->pos] == ' ' || s->b[s->pos] == '\t' ||
				   s->b[s->pos] == '\n' || s->b[s->pos] == '\r'))
		s->pos++;
}

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* s->pos at the opening quote; leaves it after the closing one. Only
 * checks the syntax; decoding is separate. */
static int scan_string(struct scan *s, struct span *sp)
{
	size_t i;

	if (s->pos >= s->len || s->b[s->pos] != '"')
		return -EINVAL;
	sp->off = ++s->pos;
	sp->type = J_STRING;
	while (s->pos < s->len) {
		uint8_t c = s->b[s->pos];

		if (c == '"') {
			sp->len = s->pos - sp->off;
			s->pos++;
			return 0;
		}
		if (c < 0x20)
			return -EINVAL;
		if (c == '\\') {
			if (s->pos + 1 >= s->len)
				return -EINVAL;
			c = s->b[s->pos + 1];
			if (c == 'u') {
				if (s->pos + 6 > s->len)
					return -EINVAL;
				for (i = 2; i < 6; i++)
					if (hexval(s->b[s->pos + i]) < 0)
						return -EINVAL;
				s->pos += 6;
				continue;
			}
			if (!strchr("\"\\/bfnrt", c) || c == '\0')
				return -EINVAL;
			s->pos += 2;
			continue;
		}
		s->pos++;
	}
	return -EINVAL;
}

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static int scan_number(struct scan *s, struct span *sp)
{
	size_t start = s->pos;

	if (s->pos < s->len && s->b[s->pos] == '-')
		s->pos++;
	if (s->pos >= s->len || !is_digit(s->b[s->pos]))
		return -EINVAL;
	if (s->b[s->pos] == '0')
		s->pos++;
	else
		while (s->pos < s->len && is_digit(s->b[s->pos]))
			s->pos++;
	if (s->pos < s->len && s->b[s->pos] == '.') {
		s->pos++;
		if (s->pos >= s->len || !is_digit(s->b[s->pos]))
			return -EINVAL;
		while (s->pos < s->len && is_digit(s->b[s->pos]))
			s->pos++;
	}
	if (s->pos < s->len && (s->b[s->pos] == 'e' || s->b[s->pos] == 'E')) {
		s->pos++;
		if (s->pos < s->len && (s->b[s->pos] == '+' || s->b[s->pos] == '-'))
			s->pos++;
		if (s->pos >= s->len || !is_digit(s->b[s->pos]))
			return -EINVAL;
		while (s->pos < s->len && is_digit(s->b[s->pos]))
			s->pos++;
	}
	sp->off = start;
	sp->len = s->pos - start;
	sp->type = J_NUMBER;
	return 0;
}

static int scan_literal(struct scan *s, struct span *sp)
{
	static const char *const lits[] = { "true", "false", "null" };
	size_t i, n;

	for (i = 0; i < 3; i++) {
		n = strlen(lits[i]);
		if (s->len - s->pos >= n && !memcmp(s->b + s->pos, lits[i], n)) {
			sp->off = s->pos;
			sp->len = n;
			sp->type = J_LITERAL;
			s->pos += n;
			return 0;
		}
	}
	return -EINVAL;
}

static int scan_scalar(struct scan *s, struct span *sp)
{
	uint8_t c;

	if (s->pos >= s->len)
		return -EINVAL;
	c = s->b[s->pos];
	if (c == '"')
		return scan_string(s, sp);
	if (c == '-' || is_digit(c))
		return scan_number(s, sp);
	return scan_literal(s, sp);
}

static int scan_array(struct scan *s, struct span *sp)
{
	struct span item;
	int ret;

	sp->off = s->pos++;
	sp->type = J_ARRAY;
	skip_ws(s);
	if (s->pos < s->len && s->b[s->pos] == ']') {
		s->pos++;
		goto done;
	}
	for (;;) {
		skip_ws(s);
		ret = scan_scalar(s, &item);
		if (ret < 0)
			return ret;
		skip_ws(s);
		if (s->pos >= s->len)
			return -EINVAL;
		if (s->b[s->pos] == ']') {
			s->pos++;
			break;
		}
		if (s->b[s->pos] != ',')
			return -EINVAL;
		s->pos++;
	}
done:
	sp->len = s->pos - sp->off;
	return 0;
}

static size_t put_utf8(uint8_t *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (uint8_t)(0xc0 | (cp >> 6));
		o[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (uint8_t)(0xe0 | (cp >> 12));
		o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (uint8_t)(0xf0 | (cp >> 18));
	o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return 4;
}

static uint32_t hex4(const uint8_t *p)
{
	return (uint32_t)(hexval(p[0]) << 12 | hexval(p[1]) << 8 | hexval(p[2]) << 4 | hexval(p[3]));
}

/* Decodes an already scanned string span. Lone surrogates become U+FFFD. */
static int decode_string(const uint8_t *b, const struct span *sp, char *out, size_t cap)
{
	const uint8_t *p = b + sp->off, *end = p + sp->len;
	uint8_t tmp[4];
	size_t o = 0, n;

	while (p < end) {
		if (*p != '\\') {
			tmp[0] = *p++;
			n = 1;
		} else if (p[1] != 'u') {
			static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";

			tmp[0] = (uint8_t)to[strchr(from, p[1]) - from];
			n = 1;
			p += 2;
		} else {
			uint32_t cp = hex4(p + 2);

			p += 6;
			if (cp >= 0xd800 && cp <= 0xdbff && end - p >= 6 && p[0] == '\\' &&
			    p[1] == 'u') {
				uint32_t lo = hex4(p + 2);

				if (lo >= 0xdc00 && lo <= 0xdfff) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					p += 6;
				}
			}
			if (cp == 0)
				return -EINVAL;
			if (cp >= 0xd800 && cp <= 0xdfff)
				cp = 0xfffd;
			n = put_utf8(tmp, cp);
		}
		if (o + n >= cap)
			return -ENOSPC;
		memcpy(out + o, tmp, n);
		o += n;
	}
	if (o >= cap)
		return -ENOSPC;
	out[o] = '\0';
	return (int)o;
}

/* Validates the whole object; with key set, *found gets that member's value. */
static int scan_object(const uint8_t *buf, size_t len, const char *key, struct span *found)
{
	struct scan s = { buf, len, 0 };
	struct span k, v;
	char kbuf[LAB_JSONX_KEY_MAX + 1];
	int hits = 0, ret;

	if (!buf)
		return -EINVAL;
	skip_ws(&s);
	if (s.pos >= s.len || s.b[s.pos] != '{')
		return -EINVAL;
	s.pos++;
	skip_ws(&s);
	if (s.pos < s.len && s.b[s.pos] == '}') {
		s.pos++;
		goto end;
	}
	for (;;) {
		skip_ws(&s);
		ret = scan_string(&s, &k);
		if (ret < 0)
			return ret;
		skip_ws(&s);
		if (s.pos >= s.len || s.b[s.pos] != ':')
			return -EINVAL;
		s.pos++;
		skip_ws(&s);
		if (s.pos < s.len && s.b[s.pos] == '[')
			ret = scan_array(&s, &v);
		else
			ret = scan_scalar(&s, &v);
		if (ret < 0)
			return ret;
		if (key && decode_string(buf, &k, kbuf, sizeof(kbuf)) >= 0 && !strcmp(kbuf, key)) {
			*found = v;
			hits++;
		}
		skip_ws(&s);
		if (s.pos >= s.len)
			return -EINVAL;
		if (s.b[s.pos] == '}') {
			s.pos++;
			break;
		}
		if (s.b[s.pos] != ',')
			return -EINVAL;
		s.pos++;
	}
end:
	skip_ws(&s);
	if (s.pos != s.len)
		return -EINVAL;
	if (!key)
		return 0;
	if (hits > 1)
		return -EINVAL; /* which one would the other reader believe? */
	return hits ? 0 : -ENOENT;
}

int lab_jsonx_validate(const uint8_t *buf, size_t len)
{
	return scan_object(buf, len, NULL, NULL);
}

int lab_jsonx_string(const uint8_t *buf, size_t len, const char *key, char *out, size_t cap)
{
	struct span v;
	int ret = scan_object(buf, len, key, &v);

	if (ret < 0)
		return ret;
	if (v.type != J_STRING)
		return -EINVAL;
	if (cap == 0)
		return -ENOSPC;
	return decode_string(buf, &v, out, cap);
}

int lab_jsonx_null(const uint8_t *buf, size_t len, const char *key)
{
	struct span v;
	int ret = scan_object(buf, len, key, &v);

	if (ret < 0)
		return ret;
	return v.type == J_LITERAL && v.len == 4 && !memcmp(buf + v.off, "null", 4);
}

int lab_jsonx_int(const uint8_t *buf, size_t len, const char *key, int64_t *out)
{
	struct span v;
	const uint8_t *p;
	bool neg = false;
	uint64_t acc = 0, lim;
	size_t i;
	int ret = scan_object(buf, len, key, &v);

	if (ret < 0)
		return ret;
	if (v.type != J_NUMBER)
		return -EINVAL;
	p = buf + v.off;
	i = 0;
	if (p[0] == '-') {
		neg = true;
		i = 1;
	}
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < v.len; i++) {
		if (!is_digit(p[i]))
			return -EINVAL; /* fraction or exponent */
		if (acc > (lim - (uint64_t)(p[i] - '0')) / 10)
			return -ERANGE;
		acc = acc * 10 + (uint64_t)(p[i] - '0');
	}
	*out = neg ? (int64_t)(0 - acc) : (int64_t)acc;
	return 0;
}
