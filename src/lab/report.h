/* SPDX-License-Identifier: MIT */
#ifndef LAB_REPORT_H
#define LAB_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "format.h"
#include "trace.h"

/*
 * What a run found, in one struct: every output format's writer (the
 * narrative for people, the JSON object for machines, JUnit XML and a
 * markdown summary for CI, format.h) prints from it, so they cannot
 * disagree. Steps are kept, and a format that tells them as they happen
 * (the narrative) prints each when it is added. "No value" is "" for a
 * string and -1 for a time; the JSON writer turns both into null.
 */
#define LAB_REPORT_STEPS 48
#define LAB_REPORT_STEP_LEN 640
#define LAB_REPORT_WORDS 2049

struct lab_step {
	uint64_t ms; /* since the run started */
	char text[LAB_REPORT_STEP_LEN];
};

struct lab_report_side {
	char nick[16];
	char private_ep[64];  /* where it runs */
	char public_ep[64];   /* as the server saw it */
	char peer_ep[64];     /* where it ended up talking to the peer */
	char path[16];        /* from its connected event; "" if never */
	int64_t connect_ms;   /* -1 if never */
	int64_t direct_ms;    /* its first direct path (after a relay, the upgrade); -1 never */
	unsigned sent, received, acked;
	int exit_code;        /* -1 if it did not exit on its own */
	bool bye;
	char router_nat[32];  /* personality of the router in front of it */
	/* hpclient --probe's verdict ("" if not probed or it failed) */
	char probe_nat[24], probe_mapping[40], probe_filtering[40], probe_public[64];
	char probe_error[160]; /* why the probe gave no verdict, if it did not */
	int64_t probe_ms;
	bool probe_match;     /* verdict == router's real personality */
	/* metrics */
	unsigned delivered;     /* of this side's lines, how many the peer showed */
	unsigned retransmitted; /* from its stats event, else its retransmit events */
	bool stats_seen;        /* it printed a stats event */
	unsigned reconnects;    /* reconnecting events */
	unsigned moves;         /* peer_moved events: the peer's endpoint changed */
	unsigned connects;      /* connected events */
	int64_t rtt_median_us, rtt_p95_us; /* of its acked events; -1 if none */
	unsigned rtt_n;
};

/* One impaired router's engine, as measured (nfq.h). */
struct lab_report_engine {
	char router[8];         /* "rA", "rB" */
	uint64_t queued, delayed, reordered, duplicated, dup_failed;
	uint64_t late_median_us, late_p99_us, late_max_us;
};

enum lab_result { LAB_RESULT_PASS, LAB_RESULT_FAIL, LAB_RESULT_ERROR };

struct lab_report {
	enum lab_format format;
	FILE *out;            /* where the format's writer prints; NULL: nowhere */
	uint64_t t0;
	char prefix[32];
	char nat_a[32], nat_b[32];
	unsigned messages;
	struct lab_step steps[LAB_REPORT_STEPS];
	size_t nsteps;
	enum lab_result result;
	char reason[256];     /* "" while it passes */
	char interrupted_by[12]; /* "SIGINT" ...: the signal that cut it short; "" none */
	char path[16];        /* "direct", "relay" or "none" */
	char expected[16];    /* theory's prediction: "direct", "relay" or "failed";
			       * "" until the topology is built */
	double p_direct;      /* theory's probability of a direct path (theory.h):
			       * strictly between 0 and 1 the spray decides */
	char topology[16];    /* --topology's name (plan.h) */
	bool same_nat, no_firewall, probed;
	int hairpin;          /* -1: not one router (same-NAT, same-LAN) */
	unsigned udp_timeout; /* 0: kernel's */
	int64_t connect_ms, setup_ms, teardown_ms; /* -1 if unknown */
	int64_t direct_ms;    /* both sides direct (the later one); -1 if the chat ended relayed */
	int64_t wall_ms;      /* the whole run, start to report; -1 until it ends */
	struct lab_report_side a, b;
	char last_words[2][LAB_REPORT_WORDS]; /* clients' last stderr, on failure */
	/* impairments: per router (0 rA, 1 rB), what was asked */
	bool impaired;
	uint32_t imp_delay_us[2], imp_jitter_us[2], imp_loss_ppm[2], imp_reorder_ppm[2],
		imp_dup_ppm[2];
	int64_t path_rtt_us;  /* configured A<->B round trip added by the delays */
	struct lab_report_engine engines[2];
	size_t nengines;
	int64_t rtt_median_us, rtt_p95_us; /* both sides' acked RTTs; -1 if none */
	unsigned rtt_n;
	/* the fault, if one was injected */
	char fault[24];       /* "" none */
	int64_t fault_ms;     /* when it was injected (since t0); -1 never */
	bool fault_ok;        /* the recovery the fault asks for was seen */
	char fault_detail[320];
	/* the glass box (trace.h): filled when trace.on */
	struct lab_trace trace;
};

/* out NULL: only collect (a matrix cell, whose worker sends the struct). */
void lab_report_init(struct lab_report *r, enum lab_format format, FILE *out, uint64_t t0);
void lab_report_step(struct lab_report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The first failure wins: later ones are usually its consequences. */
void lab_report_fail(struct lab_report *r, enum lab_result res, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The format's end: the last line (narrative) or the one JSON object. */
void lab_report_finish(const struct lab_report *r);
/* The whole report in format fmt into f (a file format's document). */
void lab_report_write(const struct lab_report *r, enum lab_format fmt, FILE *f);
/* What stops cmd (NULL: not known) before it has a report to give, in
 * format fmt on f: text "labrun: REASON"; JSON the one object,
 * {"schema_version":1,"result":"error","command":CMD,"reason":REASON};
 * the file formats write nothing (their file is not made). */
void lab_report_error(FILE *f, enum lab_format fmt, const char *cmd, const char *reason);
/* A command that cannot start: the text line on stderr for people and,
 * when stdout's format fmt is not the text, fmt's error on stdout (so
 * --json still prints its one object). Returns 2, a setup error's exit. */
int lab_report_refuse(enum lab_format fmt, const char *cmd, const char *reason);
/* The clients' last stderr lines into f, if the format tells people them. */
void lab_report_last_words(const struct lab_report *r, FILE *f);
/* 0 pass, 1 fail, 2 error. */
int lab_report_exit_code(const struct lab_report *r);

#endif
