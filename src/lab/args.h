/* SPDX-License-Identifier: MIT */
#ifndef LAB_ARGS_H
#define LAB_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "commands.h"
#include "lab/format.h"
#include "lab/impair.h"
#include "lab/plan.h"

/*
 * Command line of the lab runner: `labrun [SUBCOMMAND] [OPTIONS]`.
 * Options live in one table (args.c) saying which subcommands accept each,
 * so a new option (--nat-a TYPE, --delay MS, --fault F ...) is one row and
 * one field here.
 */
/* Faults `run --fault NAME` injects mid-chat (docs/lab.md): the keys of
 * the fault table in fault.c, which holds each one's name and ops. */
enum lab_fault {
	LAB_FAULT_NONE,
#define LAB_FAULT(id, sym) LAB_FAULT_##id,
#include "faults.def"
#undef LAB_FAULT
	LAB_FAULT_COUNT
};

#define LAB_PREFIX_MAX 24 /* "<prefix>-core" must fit a namespace name */
#define LAB_NAT_NAME_MAX 24
#define LAB_MESSAGES_MAX 1000
#define LAB_RUNS_MAX 1000
#define LAB_JOBS_MAX 32
#define LAB_UDP_TIMEOUT_MAX 86400
#define LAB_SPRAY_PROBES_MAX 65535
#define LAB_NAT_SESSIONS_MAX 1000000

struct lab_args {
	enum lab_cmd cmd;
	bool help;           /* `labrun SUB --help` */
	bool json;           /* run: one JSON object instead of the narrative */
	/* run, matrix: the files the file formats go to, by format (format.h):
	 * --junit FILE, --markdown FILE, --html FILE; NULL: none. They point into argv. */
	const char *files[LAB_FORMAT_COUNT];
	int verbose;         /* -v, repeatable: show the children's own lines */
	bool explain;        /* run: the narrative tells the glass box's story (--explain) */
	bool trace;          /* run: collect the trace (trace.h): lab_args_trace_on() */
	unsigned messages;   /* run: lines each client sends */
	unsigned runs;       /* bench: topologies built and torn down */
	bool all;            /* clean: also remove `up` topologies */
	bool no_server;      /* up: do not start hpserver */
	bool prefix_set;
	char prefix[LAB_PREFIX_MAX + 1];
	char nat_a[LAB_NAT_NAME_MAX + 1]; /* NAT personality of rA / rB */
	char nat_b[LAB_NAT_NAME_MAX + 1];
	char nat_cgn[LAB_NAT_NAME_MAX + 1]; /* cgnat: the carrier-grade NATs' */
	enum lab_topology topology; /* --topology (plan.h); home is 0 */
	bool same_nat;       /* home: both hosts behind rA, isolated */
	int hairpin;         /* one router: 1 on (default), 0 off; -1 not given */
	bool no_firewall;    /* routers without the inbound firewall */
	unsigned udp_timeout; /* routers' conntrack UDP timeouts (s); 0: kernel's */
	bool probe;          /* run: NAT discovery (hpclient --probe) first */
	int punch_ttl;       /* hpclient --punch-ttl; -1: its default */
	unsigned jobs;       /* matrix: cells run at once */
	unsigned trials;     /* matrix: runs per cell (--trials); 0: one */
	bool spray_cells;    /* matrix: only the cells the spray decides (--cells spray) */
	unsigned spray_probes; /* run, matrix: hpclient --spray-probes; 0: its default */
	unsigned nat_sessions; /* run, up, matrix: each router's session-table cap; 0: none */
	/* run: impairments of router A's (imp[0]) and B's (imp[1]) wan side,
	 * each applied once per direction (impair.h) */
	struct lab_impair imp[2];
	enum lab_fault fault;
	/* run, up (and the capture process up starts): --pcap DIR, the
	 * routers' captures (capture.h); NULL: none. Points into argv. */
	const char *pcap;
};

/* Fills a from argv (argv[0] is the program). On a usage error returns
 * -EINVAL with a one-line reason in err; if --json is among the arguments,
 * the error is also printed on stdout as the one JSON object --json
 * promises (lab_report_error), since no report will follow. */
int lab_args_parse(struct lab_args *a, int argc, char *const argv[], char *err, size_t errlen);
/* args_topo.c: --topology, and what a topology allows of the other
 * options (one router: no --nat-b, no B impairments, no fault). */
int lab_args_set_topology(struct lab_args *a, const char *val, char *err, size_t errlen);
/* args_impair.c: opt is the option's name ("--delay-a" ...): it says which
 * router(s) and, for the percentages, which field. */
int lab_args_set_delay(struct lab_args *a, const char *opt, const char *val, char *err,
		       size_t errlen);
int lab_args_set_pct(struct lab_args *a, const char *opt, const char *val, char *err,
		     size_t errlen);
/* args_spray.c: --trials, --cells, --spray-probes, --nat-sessions. */
int lab_args_set_trials(struct lab_args *a, const char *val, char *err, size_t errlen);
int lab_args_set_cells(struct lab_args *a, const char *val, char *err, size_t errlen);
int lab_args_set_spray_probes(struct lab_args *a, const char *val, char *err, size_t errlen);
int lab_args_set_nat_sessions(struct lab_args *a, const char *val, char *err, size_t errlen);
int lab_args_check_topology(struct lab_args *a, char *err, size_t errlen);
/* The plan the options build. */
const struct lab_plan *lab_args_plan(const struct lab_args *a);
/* Prefix rules: 1..LAB_PREFIX_MAX of [A-Za-z0-9_], first a letter. */
bool lab_args_prefix_valid(const char *p);
const char *lab_args_fault_name(enum lab_fault f);
void lab_args_usage(FILE *f, enum lab_cmd cmd);

/* The one setter of trace: every option that needs the glass box's
 * readers (--explain, --html) calls it. */
static inline void lab_args_trace_on(struct lab_args *a)
{
	a->trace = true;
}
/* Is the trace collected? Also with -vv, whose dump it times. */
static inline bool lab_args_traced(const struct lab_args *a)
{
	return a->trace || a->verbose > 1;
}

/* The output format the options ask for (format.h): --json, else text. */
static inline enum lab_format lab_args_format(const struct lab_args *a)
{
	return a->json ? LAB_FORMAT_JSON : LAB_FORMAT_TEXT;
}

#endif
