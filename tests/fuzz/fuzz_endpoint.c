// SPDX-License-Identifier: MIT
/* libFuzzer harness: whatever hp_endpoint_parse accepts, formats and
 * parses back to the same endpoint. */
#include <stdlib.h>
#include <string.h>

#include "endpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[128], text[HP_ENDPOINT_STRLEN];
	struct hp_endpoint ep, again;

	if (size >= sizeof(in))
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	if (hp_endpoint_parse(&ep, in, size % 2 ? 4242 : -1) != 0)
		return 0;
	hp_endpoint_format(&ep, text, sizeof(text));
	if (hp_endpoint_parse(&again, text, -1) != 0 || !hp_endpoint_equal(&ep, &again))
		abort();
	return 0;
}
