// SPDX-License-Identifier: MIT
/* libFuzzer harness for hpserver's and hpclient's command lines and the
 * lab's impairment specs: the input, split at NUL bytes, is argv. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/opts.h"
#include "lab/impair.h"
#include "server/opts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1), *argv[MAX_ARGS + 2];
	int argc = 1;
	size_t i, start = 0;
	struct server_opts so;
	struct client_opts co;
	uint32_t d, j, ppm;
	FILE *null = fopen("/dev/null", "w");

	if (!copy || !null) {
		free(copy);
		if (null)
			fclose(null);
		return 0;
	}
	memcpy(copy, data, size);
	copy[size] = '\0';
	argv[0] = "prog";
	for (i = 0; i <= size && argc <= MAX_ARGS; i++)
		if (i == size || copy[i] == '\0') {
			argv[argc++] = copy + start;
			start = i + 1;
		}
	argv[argc] = NULL;
	optind = 0; /* getopt_long(3): a full reset */
	(void)server_opts_parse(&so, argc, argv, null, null);
	optind = 0;
	(void)client_opts_parse(&co, argc, argv, null);
	(void)lab_impair_parse_delay((const uint8_t *)data, size, &d, &j);
	(void)lab_impair_parse_pct((const uint8_t *)data, size, &ppm);
	fclose(null);
	free(copy);
	return 0;
}
