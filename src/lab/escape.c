// SPDX-License-Identifier: MIT
/*
 * Escaping text for the XML and markdown documents (escape.h).
 */
#include <stdint.h>
#include <string.h>

#include "escape.h"
#include "utf8.h"

#define REPLACEMENT 0xfffd

/* The next character of s (not at its end): its length, and in *cp its
 * code point; an invalid sequence (RFC 3629 s.3, utf8.h) is one byte,
 * *cp U+FFFD. */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
	size_t n = hp_utf8_decode(s, 4, cp);

	if (n)
		return n;
	*cp = REPLACEMENT;
	return 1;
}

static void put_utf8(FILE *f, uint32_t cp)
{
	if (cp < 0x80) {
		fputc((int)cp, f);
	} else if (cp < 0x800) {
		fputc((int)(0xc0 | cp >> 6), f);
		fputc((int)(0x80 | (cp & 0x3f)), f);
	} else if (cp < 0x10000) {
		fputc((int)(0xe0 | cp >> 12), f);
		fputc((int)(0x80 | ((cp >> 6) & 0x3f)), f);
		fputc((int)(0x80 | (cp & 0x3f)), f);
	} else {
		fputc((int)(0xf0 | cp >> 18), f);
		fputc((int)(0x80 | ((cp >> 12) & 0x3f)), f);
		fputc((int)(0x80 | ((cp >> 6) & 0x3f)), f);
		fputc((int)(0x80 | (cp & 0x3f)), f);
	}
}

/* XML 1.0 s.2.2: Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD]
 * | [#x10000-#x10FFFF] (surrogates never get here). */
static bool xml_char(uint32_t cp)
{
	if (cp < 0x20)
		return cp == '\t' || cp == '\n' || cp == '\r';
	return cp != 0x7f && cp != 0xfffe && cp != 0xffff;
}

static const char *xml_entity(uint32_t cp, bool attr)
{
	switch (cp) {
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '"': return "&quot;";
	case '\'': return "&apos;";
	case '\t': return attr ? "&#9;" : NULL;
	case '\n': return attr ? "&#10;" : NULL;
	case '\r': return "&#13;"; /* s.2.11 turns a bare CR into LF even in text */
	}
	return NULL;
}

void lab_xml_write(FILE *f, const char *str, bool attr)
{
	const unsigned char *s = (const unsigned char *)str;
	const char *ent;
	uint32_t cp;

	while (*s) {
		s += utf8_next(s, &cp);
		if ((ent = xml_entity(cp, attr)) != NULL)
			fputs(ent, f);
		else if (!xml_char(cp))
			fprintf(f, cp < 0x100 ? "\\x%02x" : "\\u%04x", (unsigned)cp);
		else
			put_utf8(f, cp);
	}
}

void lab_md_write(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t cp;

	while (*s) {
		s += utf8_next(s, &cp);
		if (cp == '\n' || cp == '\r' || cp == '\t')
			fputc(' ', f);
		else if (cp < 0x20 || cp == 0x7f)
			fprintf(f, "\\x%02x", (unsigned)cp);
		else if (cp < 0x80 && strchr("\\`*_[]<>|~&$", (int)cp))
			fprintf(f, "\\%c", (int)cp);
		else
			put_utf8(f, cp);
	}
}
