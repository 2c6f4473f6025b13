// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

struct cmd {
	const char *name;
	unsigned needs;
	const char *summary;
};

#define LAB_HELP_USAGE(text)
#define LAB_HELP_HEAD(text)
#define LAB_HELP_TAIL(text)
#define LAB_CMD(id, word, needs, summary) [LAB_CMD_##id] = { #word, needs, summary },
static const struct cmd cmds[LAB_CMD_COUNT] = {
#include "commands.def"
};
#undef LAB_CMD
#undef LAB_HELP_TAIL
#undef LAB_HELP_HEAD

#undef LAB_HELP_USAGE
#define LAB_HELP_USAGE(text) text "\n"
#define LAB_HELP_HEAD(text)
#define LAB_HELP_TAIL(text)
#define LAB_CMD(id, word, needs, summary)
static const char help_usage[] =
#include "commands.def"
	;
#undef LAB_HELP_USAGE
#define LAB_HELP_USAGE(text)
#undef LAB_HELP_HEAD
#define LAB_HELP_HEAD(text) text "\n"
#undef LAB_HELP_TAIL
#define LAB_HELP_TAIL(text)
static const char help_head[] =
#include "commands.def"
	;
#undef LAB_HELP_HEAD
#define LAB_HELP_HEAD(text)
#undef LAB_HELP_TAIL
#define LAB_HELP_TAIL(text) text "\n"
static const char help_tail[] =
#include "commands.def"
	;
#undef LAB_CMD
#undef LAB_HELP_TAIL
#undef LAB_HELP_HEAD
#undef LAB_HELP_USAGE

/* The name the user typed, and the subcommand word if one was typed. */
static const char *prog = "lab";
static const char *prog_word;

const char *lab_cmd_name(enum lab_cmd cmd)
{
	return cmd < LAB_CMD_COUNT ? cmds[cmd].name : "?";
}

int lab_cmd_lookup(const char *word)
{
	int c;

	for (c = 0; c < LAB_CMD_COUNT; c++)
		if (!strcmp(word, cmds[c].name))
			return c;
	return -1;
}

unsigned lab_cmd_needs(enum lab_cmd cmd)
{
	return cmd < LAB_CMD_COUNT ? cmds[cmd].needs : 0;
}

const char *lab_cmd_summary(enum lab_cmd cmd)
{
	return cmd < LAB_CMD_COUNT ? cmds[cmd].summary : NULL;
}

void lab_cmd_help(FILE *f)
{
	int c;

	fprintf(f, "usage: %s %s", prog, help_usage);
	fputs(help_head, f);
	for (c = 0; c < LAB_CMD_COUNT; c++)
		if (cmds[c].summary)
			fprintf(f, "  %-6s %s\n", cmds[c].name, cmds[c].summary);
	fputs(help_tail, f);
}

const char *lab_cmd_hint(void)
{
	static char hint[LAB_CMD_COUNT * 16];
	size_t n = 0;
	int c;

	if (hint[0])
		return hint;
	for (c = 0; c < LAB_CMD_COUNT; c++)
		if (cmds[c].summary && n < sizeof(hint))
			n += (size_t)snprintf(hint + n, sizeof(hint) - n, "%s%s", n ? ", " : "",
					      cmds[c].name);
	return hint;
}

void lab_prog_init(const char *argv0, int argc, char *const argv[])
{
	const char *env = getenv("HPLAB_PROG");
	const char *slash;

	if (env && *env) {
		prog = env;
	} else if (argv0 && *argv0) {
		slash = strrchr(argv0, '/');
		prog = slash && slash[1] ? slash + 1 : argv0;
	}
	prog_word = argc > 1 && lab_cmd_lookup(argv[1]) >= 0 ? argv[1] : NULL;
}

const char *lab_prog(void)
{
	return prog;
}

const char *lab_prog_typed(void)
{
	static char typed[160];

	snprintf(typed, sizeof(typed), "%s%s%s", prog, prog_word ? " " : "",
		 prog_word ? prog_word : "");
	return typed;
}

void lab_err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", lab_prog_typed());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
