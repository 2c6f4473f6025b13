// SPDX-License-Identifier: MIT
/* libFuzzer harness for the STUN parsers and the answers built from them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stun.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Every answer to a parsed request: the 420 when attributes are unknown,
 * and the success with and without the optional attributes, in the
 * request's dialect; the RFC 8489 ones parse back, the classic ones echo
 * the 128-bit ID.
 */
static void fuzz_answers(const struct stun_request *req, const uint8_t *data)
{
	static const struct hp_endpoint v4 = { .family = HP_FAMILY_V4, .port = 3478,
					       .addr = { 192, 0, 2, 1 } };
	static const struct hp_endpoint v6 = { .family = HP_FAMILY_V6, .port = 3479,
					       .addr = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 } };
	struct stun_answer a = { .mapped = &v6, .other = &v6, .origin = &v6 };
	struct stun_response back;
	uint8_t out[STUN_ANSWER_MAX];
	int n;

	if (req->n_unknown > STUN_MAX_UNKNOWN)
		abort();
	if (req->n_unknown) {
		uint8_t err[128];

		n = stun_build_error_420(err, sizeof(err), req);
		if (n < 0 || memcmp(err + 4, data + 4, 16) != 0)
			abort();
		if (req->dialect == STUN_RFC8489 &&
		    (stun_parse_response(&back, err, (size_t)n) != 0 || back.error_code != 420))
			abort();
	}
	n = stun_build_answer(out, sizeof(out), req, &a);
	if (n != STUN_ANSWER_MAX || memcmp(out + 4, data + 4, 16) != 0)
		abort();
	if (req->dialect == STUN_RFC8489 &&
	    (stun_parse_response(&back, out, (size_t)n) != 0 || !back.has_origin ||
	     !hp_endpoint_equal(&back.mapped, &v6) || !hp_endpoint_equal(&back.other, &v6)))
		abort();
	if (stun_build_answer(out, (size_t)n - 1, req, &a) != -EMSGSIZE)
		abort();
	/* the core alone, IPv4: 32 bytes in either dialect */
	a.mapped = &v4;
	a.other = a.origin = NULL;
	if (stun_build_answer(out, sizeof(out), req, &a) != 32 || memcmp(out + 4, data + 4, 16))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stun_request req;
	struct stun_response resp, back;
	uint8_t out[128];
	int n;

	if (stun_parse_request(&req, data, size) == 0) {
		/* classic exactly when the cookie is missing */
		if (stun_is_classic_request(data, size) != (req.dialect == STUN_RFC3489))
			abort();
		fuzz_answers(&req, data);
	}
	if (stun_parse_response(&resp, data, size) == 0 && resp.has_mapped) {
		n = stun_build_success(out, sizeof(out), resp.txid, &resp.mapped);
		if (n < 0 || stun_parse_response(&back, out, (size_t)n) != 0 ||
		    !hp_endpoint_equal(&back.mapped, &resp.mapped))
			abort();
	}
	return 0;
}
