/* SPDX-License-Identifier: MIT */
#ifndef LAB_COMMANDS_H
#define LAB_COMMANDS_H

#include <stdio.h>

/*
 * The lab runner's subcommands: the rows of commands.def. A new subcommand
 * is one row there and its cmd_<word>() in main.c.
 */

/* What main.c makes sure of before a subcommand runs. */
enum lab_needs {
	LAB_NEEDS_ROOT = 1u << 0,        /* root, network namespaces, signals */
	LAB_NEEDS_BINS = 1u << 1,        /* hpserver and hpclient beside labrun */
	LAB_NEEDS_BINS_SERVED = 1u << 2, /* the same, unless --no-server */
};

enum lab_cmd {
#define LAB_HELP_USAGE(text)
#define LAB_HELP_HEAD(text)
#define LAB_HELP_TAIL(text)
#define LAB_CMD(id, word, needs, summary) LAB_CMD_##id,
#include "commands.def"
#undef LAB_CMD
#undef LAB_HELP_TAIL
#undef LAB_HELP_HEAD
#undef LAB_HELP_USAGE
	LAB_CMD_COUNT
};

const char *lab_cmd_name(enum lab_cmd cmd);
/* The subcommand called word, or -1. */
int lab_cmd_lookup(const char *word);
/* LAB_NEEDS_* bits of cmd. */
unsigned lab_cmd_needs(enum lab_cmd cmd);
/* Its line in `lab help`, NULL for a hidden one. */
const char *lab_cmd_summary(enum lab_cmd cmd);
/* The whole `lab help` page. */
void lab_cmd_help(FILE *f);
/* "run, up, ..., help": the listed subcommands, for a usage error. */
const char *lab_cmd_hint(void);

/*
 * One name for the lab in every message: the one the user typed. The `lab`
 * wrapper exports HPLAB_PROG (as typed: "./lab") before it execs the
 * runner; without it, argv[0]'s basename ("labrun", "hplab-labrun").
 * main() calls lab_prog_init() first; until then the name is "lab".
 */
void lab_prog_init(const char *argv0, int argc, char *const argv[]);
/* "./lab": for hints ("try: sudo ./lab run", "remove it with: ./lab down"). */
const char *lab_prog(void);
/* The command as typed, for the start of a message: "./lab run". */
const char *lab_prog_typed(void);
/* One error line on stderr, named by what was typed: "./lab run: MSG". */
__attribute__((format(printf, 1, 2)))
void lab_err(const char *fmt, ...);

#endif
