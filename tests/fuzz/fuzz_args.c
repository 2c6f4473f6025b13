// SPDX-License-Identifier: MIT
/* libFuzzer harness for the lab's command line (args.c and its option
 * table): the input, split at NUL bytes, is argv after "labrun". Any
 * words are refused with one message or accepted into a consistent
 * lab_args; nothing is read past them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/args.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 24

static int stdout_closed;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1), *argv[MAX_ARGS + 2], err[512];
	struct lab_args a;
	size_t i, start = 0;
	int argc = 1, ret;

	if (!copy)
		return 0;
	if (!stdout_closed) {
		/* --json refusals print their object: not the fuzzer's business */
		stdout_closed = freopen("/dev/null", "w", stdout) != NULL;
	}
	memcpy(copy, data, size);
	copy[size] = '\0';
	argv[0] = "labrun";
	for (i = 0; i <= size && argc <= MAX_ARGS; i++)
		if (i == size || copy[i] == '\0') {
			argv[argc++] = copy + start;
			start = i + 1;
		}
	argv[argc] = NULL;
	err[0] = '\0';
	ret = lab_args_parse(&a, argc, argv, err, sizeof(err));
	/* a refusal says why, in one line */
	if (ret < 0 && (!err[0] || strchr(err, '\n')))
		abort();
	free(copy);
	return 0;
}
