/* SPDX-License-Identifier: MIT */
#ifndef LAB_JSONX_H
#define LAB_JSONX_H

#include <stddef.h>
#include <stdint.h>

/*
 * Field extraction from one flat JSON object (RFC 8259): members whose
 * values are strings, numbers, true/false/null or arrays of those; nothing
 * nested deeper. The whole object is validated on every call, so a line
 * that is not such an object, or names the key twice, is -EINVAL.
 */
#define LAB_JSONX_KEY_MAX 64

/* Decodes the string member key into out (UTF-8, NUL-terminated).
 * Returns its length, -ENOENT if absent, -EINVAL if malformed, not a
 * string, or holding U+0000, -ENOSPC if it does not fit. */
int lab_jsonx_string(const uint8_t *buf, size_t len, const char *key, char *out, size_t cap);
/* An integer member (no fraction or exponent) within int64_t. */
int lab_jsonx_int(const uint8_t *buf, size_t len, const char *key, int64_t *out);
/* 1 if the member key is null, 0 if it is something else, -ENOENT if
 * absent, -EINVAL if the object is malformed. */
int lab_jsonx_null(const uint8_t *buf, size_t len, const char *key);
/* 0 if buf is a well-formed flat object. */
int lab_jsonx_validate(const uint8_t *buf, size_t len);

#endif
