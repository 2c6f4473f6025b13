// SPDX-License-Identifier: MIT
/* libFuzzer harness for the STUN parsers and the answers built from them. */
#include <stdlib.h>
#include <string.h>

#include "stun.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stun_request req;
	struct stun_response resp, back;
	uint8_t out[128];
	int n;

	if (stun_parse_request(&req, data, size) == 0) {
		if (req.n_unknown > STUN_MAX_UNKNOWN)
			abort();
		if (req.n_unknown) {
			n = stun_build_error_420(out, sizeof(out), &req);
			if (n < 0 || stun_parse_response(&back, out, (size_t)n) != 0 ||
			    back.error_code != 420)
				abort();
		}
	}
	if (stun_parse_response(&resp, data, size) == 0 && resp.has_mapped) {
		n = stun_build_success(out, sizeof(out), resp.txid, &resp.mapped);
		if (n < 0 || stun_parse_response(&back, out, (size_t)n) != 0 ||
		    !hp_endpoint_equal(&back.mapped, &resp.mapped))
			abort();
	}
	return 0;
}
