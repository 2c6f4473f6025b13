/* SPDX-License-Identifier: MIT */
#ifndef LAB_TRACE_H
#define LAB_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctmsg.h" /* struct lab_ct_tuple, enum lab_ct_ev_type */

/*
 * The run as a glass box: one list of events on one clock (microseconds
 * since the run's t0, CLOCK_MONOTONIC), from three sources:
 *
 *   - the clients' --json events (each carries its t_us): punches sent,
 *     ICMP errors received, path changes, registered, introduced, ...
 *   - each NAT's conntrack events over ctnetlink: mappings made,
 *     refreshed (status changes), destroyed;
 *   - each NAT's logged datagrams over nfnetlink_log: seen arriving,
 *     leaving (translated), dropped by a named rule, and the ICMP errors
 *     that say a datagram died further on (TTL, no route, no listener).
 *
 * The list lives in the report (report.h), so a matrix cell's worker sends
 * it with the rest. After the run lab_trace_resolve() sorts it, numbers the
 * datagrams (the same datagram has one number at every hop), fills in the
 * translations and each datagram's fate. The narrative (--explain), the
 * JSON's "trace" and the HTML page are all written from this one list.
 */
#define LAB_TRACE_MAX 2048
#define LAB_TRACE_TEXT 96

enum lab_tr_kind {
	LAB_TR_CLIENT, /* a client's event */
	LAB_TR_MAP,    /* a NAT's conntrack entry made, refreshed or gone */
	LAB_TR_PKT,    /* a datagram at a NAT, and what became of it there */
	LAB_TR_KIND_COUNT
};

/* LAB_TR_CLIENT: which event (docs/hpclient.md names them) */
enum lab_tr_client {
	LAB_TRC_REGISTERED,
	LAB_TRC_INTRODUCED,
	LAB_TRC_PUNCH,      /* a punch sent: a = to, ttl, text: candidate kind */
	LAB_TRC_ICMP,       /* an ICMP error received: a = offender -> about, text: what */
	LAB_TRC_PATH,       /* the path changed: text "from -> to: why" */
	LAB_TRC_CONNECTED,
	LAB_TRC_OTHER,      /* any other event worth a line (error, peer moved ...) */
	LAB_TRC_COUNT
};

/* LAB_TR_PKT: what became of the datagram at this NAT. How each is known
 * is in docs/explain.md. */
enum lab_tr_fate {
	LAB_FATE_FORWARDED,  /* left through the NAT, translated a -> b */
	LAB_FATE_DROPPED,    /* the rule `rule` dropped it */
	LAB_FATE_LOCAL,      /* addressed to the NAT itself with no mapping: no listener */
	LAB_FATE_EXPIRED,    /* its TTL ran out beyond this NAT (ICMP time exceeded came back) */
	LAB_FATE_UNROUTABLE, /* no route beyond this NAT (ICMP unreachable came back) */
	LAB_FATE_UNKNOWN,    /* seen arriving, nothing more known */
	LAB_FATE_COUNT
};

/* The drop rules every NAT's ruleset logs (nat.c writes them, each an
 * NFLOG rule with the row's name as prefix just before its DROP). */
enum lab_tr_rule {
	LAB_RULE_NONE,
	LAB_RULE_FW_INPUT,   /* the stateful firewall: nothing new from the wan to the router */
	LAB_RULE_FW_FORWARD, /* the stateful firewall: nothing unsolicited forwarded to the lan */
	LAB_RULE_ISOLATION,  /* one router, two lans: they do not reach each other */
	LAB_RULE_COUNT
};

struct lab_tr_ev {
	uint64_t us;             /* since the run's t0 */
	uint8_t kind;            /* enum lab_tr_kind */
	uint8_t node;            /* enum lab_node: the NAT (MAP, PKT), the client's host (CLIENT) */
	uint8_t side;            /* CLIENT: the side (0 alice, 1 bob, 2 carol, 3 dave) */
	uint8_t what;            /* enum lab_tr_client / lab_ct_ev_type / lab_tr_fate */
	uint8_t rule;            /* PKT dropped: enum lab_tr_rule */
	uint8_t proto;           /* PKT: IPPROTO_UDP or IPPROTO_ICMP */
	uint8_t hp_type;         /* PKT: pktdec.h's hp_type (for ICMP: of the quoted datagram) */
	uint8_t ttl;             /* PKT: as it arrived; CLIENT punch: as sent */
	uint8_t icmp_type, icmp_code; /* PKT ICMP, CLIENT icmp */
	uint32_t dgram;          /* PKT: the datagram's number, the same at every hop; 0 none */
	uint32_t ct_id;          /* MAP: the conntrack entry's id */
	struct lab_ct_tuple a;   /* PKT: as it arrived; MAP: original direction; CLIENT: its endpoint */
	struct lab_ct_tuple b;   /* PKT: as it left (forwarded); MAP: reply direction */
	char text[LAB_TRACE_TEXT]; /* CLIENT: the event's details, printable ASCII */
};

/* Per NAT (enum lab_node index), what the summary at the end counts. */
struct lab_tr_nat {
	unsigned maps;                    /* mappings made (MAP new) */
	unsigned drops[LAB_RULE_COUNT];   /* datagrams dropped, per rule */
	unsigned forwarded;
};

struct lab_trace {
	bool on;                 /* --explain, --html or --json with a trace */
	size_t n;
	uint32_t lost;           /* events that did not fit, or the kernel dropped */
	struct lab_tr_nat nat[8]; /* indexed by enum lab_node */
	struct lab_tr_ev ev[LAB_TRACE_MAX];
};

/* Adds e (its us already set); counts it in lost when full. */
void lab_trace_add(struct lab_trace *t, const struct lab_tr_ev *e);
/* After the run: in time order, datagrams numbered, fates and
 * translations filled in, the per-NAT counts made. */
void lab_trace_resolve(struct lab_trace *t);

/* Names for JSON keys and the page's classes: short, lower case. */
const char *lab_trace_kind_name(enum lab_tr_kind k);
const char *lab_trace_client_name(enum lab_tr_client c);
const char *lab_trace_map_name(enum lab_ct_ev_type m);   /* "new", "update", "destroy" */
const char *lab_trace_fate_name(enum lab_tr_fate f);     /* "forwarded", "dropped", ... */
const char *lab_trace_rule_name(enum lab_tr_rule r);     /* "fw-input", ... (the NFLOG prefix) */
enum lab_tr_rule lab_trace_rule_find(const char *nflog_prefix);
/* One sentence for people about event i ("rA maps 10.0.1.2:4000 ->
 * 198.51.100.10:4000 (for 192.0.2.10:3478)"); the narrative and the page
 * both use it. Returns the length written (truncated to cap). */
int lab_trace_describe(const struct lab_trace *t, size_t i, char *buf, size_t cap);

#endif
