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
	/* the birthday spray (docs/nat-types.md, "Hard NATs"): role and
	 * peer_role the verdicts; count, rate, ms the event's numbers */
	LAB_TRC_NAT,        /* the introduction's verdicts: role (self), peer_role */
	LAB_TRC_SPRAY,      /* the spray starts: role; count sockets (hard) or probes
			     * (easy), rate; a.dst its target (the easy side's
			     * mapping / the hard side's address) */
	LAB_TRC_SPRAY_HIT,  /* a sprayed path works: a.dst the hard side's winning
			     * public endpoint, count probes so far, ms since the intro */
	LAB_TRC_SPRAY_END,  /* the spray stopped: count probes, text why */
	LAB_TRC_OTHER,      /* any other event worth a line (error, peer moved ...) */
	LAB_TRC_COUNT
};

/* A side's NAT as the spray sees it (hpclient's verdicts). */
enum lab_tr_hardness { LAB_TRH_UNKNOWN, LAB_TRH_EASY, LAB_TRH_HARD, LAB_TRH_COUNT };

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

/* The drop rules every NAT's ruleset logs (nat.c writes them, each
 * logging to NFLOG with the row's name as prefix as it drops). */
enum lab_tr_rule {
	LAB_RULE_NONE,
	LAB_RULE_FW_INPUT,   /* the stateful firewall: nothing new from the wan to the router */
	LAB_RULE_FW_FORWARD, /* the stateful firewall: nothing unsolicited forwarded to the lan */
	LAB_RULE_ISOLATION,  /* one router, two lans: they do not reach each other */
	LAB_RULE_SESSIONS,   /* --nat-sessions: the router's session table is full */
	LAB_RULE_COUNT
};

/* LAB_TR_PKT: where the NAT's log saw it (nat.c's NFLOG rules). After
 * lab_trace_resolve() one event stands for the datagram at that NAT: the
 * arrival, with the fate the later records told. */
enum lab_tr_at {
	LAB_AT_IN,   /* priority mangle, prerouting, prefix "in": arriving, before DNAT */
	LAB_AT_OUT,  /* priority mangle, postrouting, prefix "out": leaving, before SNAT */
	LAB_AT_DROP, /* a drop rule's NFLOG, prefix lab_trace_rule_name() */
	LAB_AT_COUNT
};

/* The NFLOG group every NAT's rules log to (per namespace, so one number
 * for all), and how much of each datagram they copy: the IP and UDP
 * headers and the first payload bytes, or for an ICMP error the headers
 * of the datagram it quotes and that datagram's first payload bytes. */
#define LAB_NFLOG_GROUP 7
#define LAB_NFLOG_RANGE 128
/* The payload bytes a datagram's fingerprint covers (lab_tr_ev.fp). */
#define LAB_TRACE_FP_BYTES 32

struct lab_tr_ev {
	uint64_t us;             /* since the run's t0 */
	uint8_t kind;            /* enum lab_tr_kind */
	uint8_t node;            /* enum lab_node: the NAT (MAP, PKT), the client's host (CLIENT) */
	uint8_t side;            /* CLIENT: the side (0 alice, 1 bob, 2 carol, 3 dave);
				  * PKT: the sender's side after resolve, LAB_TR_NOBODY if none */
	uint8_t what;            /* enum lab_tr_client / lab_ct_ev_type / lab_tr_fate */
	uint8_t rule;            /* PKT dropped: enum lab_tr_rule */
	uint8_t proto;           /* PKT: IPPROTO_UDP or IPPROTO_ICMP */
	uint8_t hp_type;         /* PKT: pktdec.h's hp_type (for ICMP: of the quoted datagram) */
	uint8_t ttl;             /* PKT: as it arrived; CLIENT punch: as sent */
	uint8_t icmp_type, icmp_code; /* PKT ICMP (an expired or unroutable datagram:
				       * the error that told), CLIENT icmp */
	uint8_t at;              /* PKT: enum lab_tr_at */
	uint8_t role, peer_role; /* CLIENT spray events: enum lab_tr_hardness */
	uint32_t dgram;          /* PKT: the datagram's number, the same at every hop; 0 none */
	uint32_t ct_id;          /* MAP: the conntrack entry's id */
	uint32_t ct_status;      /* MAP: CTA_STATUS (IPS_SEEN_REPLY, IPS_ASSURED ...) */
	uint32_t fp;             /* PKT: fingerprint of the first LAB_TRACE_FP_BYTES
				  * of the UDP payload (ICMP: of the quoted datagram's);
				  * NAT leaves payloads alone, so it follows the
				  * datagram across hops; 0 unknown */
	uint32_t count, rate, ms; /* CLIENT spray events (LAB_TRC_SPRAY ...) */
	struct lab_ct_tuple a;   /* PKT: as it arrived (ICMP: the quoted datagram's);
				  * MAP: original direction; CLIENT: its endpoint,
				  * icmp: offender -> about, punch: side -> to */
	struct lab_ct_tuple b;   /* PKT: as it left (forwarded); MAP: reply direction */
	struct in_addr from;     /* PKT ICMP, and the datagram an ICMP error was about:
				  * the error's source */
	char text[LAB_TRACE_TEXT]; /* CLIENT: the event's details, printable ASCII */
};

/* Per NAT (enum lab_node index), what the summary at the end counts. */
struct lab_tr_nat {
	unsigned maps;                    /* mappings made (MAP new) */
	unsigned drops[LAB_RULE_COUNT];   /* datagrams dropped, per rule */
	unsigned forwarded;
};

#define LAB_TR_NOBODY 0xff
#define LAB_TRACE_SIDES 4
#define LAB_TRACE_NAMES 32

/* Who is at an address, for the sentences: a node's own address (port 0)
 * or a side's endpoint. */
struct lab_tr_name {
	struct in_addr addr;
	uint16_t port;           /* 0: any port of addr */
	uint8_t node;            /* enum lab_node that holds addr */
	uint8_t side;            /* LAB_TR_NOBODY, or the side at addr:port */
};

struct lab_trace {
	bool on;                 /* collected: --explain, --html, -vv */
	bool tell;               /* the narrative tells it: --explain, -vv */
	size_t n;
	uint32_t lost;           /* events that did not fit, or the kernel dropped */
	char nick[LAB_TRACE_SIDES][16];
	struct lab_tr_name names[LAB_TRACE_NAMES];
	size_t nnames;
	struct lab_tr_nat nat[8]; /* indexed by enum lab_node */
	unsigned sessions;       /* the routers' session-table cap (--nat-sessions); 0 none */
	unsigned spray_probes;   /* the easy side's budget the clients were given */
	struct lab_tr_ev ev[LAB_TRACE_MAX];
};

/* Adds e (its us already set); counts it in lost when full. */
void lab_trace_add(struct lab_trace *t, const struct lab_tr_ev *e);
/* The names the sentences use: side (0..3) is nick at addr:port; node
 * holds addr (addr is a dotted quad; a bad one is ignored). */
void lab_trace_side(struct lab_trace *t, unsigned side, const char *nick, const char *addr,
		    unsigned port);
void lab_trace_node_addr(struct lab_trace *t, unsigned node, const char *addr);
/* After the run: in time order, datagrams numbered, fates and
 * translations filled in, the per-NAT counts made. */
void lab_trace_resolve(struct lab_trace *t);

/* Names for JSON keys and the page's classes: short, lower case. */
const char *lab_trace_kind_name(enum lab_tr_kind k);
const char *lab_trace_client_name(enum lab_tr_client c);
const char *lab_trace_map_name(enum lab_ct_ev_type m);   /* "new", "update", "destroy" */
const char *lab_trace_fate_name(enum lab_tr_fate f);     /* "forwarded", "dropped", ... */
const char *lab_trace_rule_name(enum lab_tr_rule r);     /* "fw-input", ... (the NFLOG prefix) */
/* Why the rule drops, in words ("nothing new from the wan reaches the router"). */
const char *lab_trace_rule_why(enum lab_tr_rule r);
enum lab_tr_rule lab_trace_rule_find(const char *nflog_prefix);
const char *lab_trace_at_name(enum lab_tr_at at);        /* "in", "out", "drop" (prefixes) */
/* A logged record's prefix to where it was seen (a rule's name: LAB_AT_DROP
 * and *rule set); LAB_AT_COUNT if none of ours. */
enum lab_tr_at lab_trace_at_find(const char *nflog_prefix, enum lab_tr_rule *rule);
/* The sender's name ("alice"), "the server", or NULL. */
const char *lab_trace_who(const struct lab_trace *t, const struct lab_tr_ev *e);
/* A MAP event's entry translates (a mapping), rather than only tracks. */
bool lab_trace_translates(const struct lab_tr_ev *m);
/* Is a one of node's own addresses (lab_trace_node_addr)? */
bool lab_trace_is_node_addr(const struct lab_trace *t, struct in_addr a, unsigned node);
/* One sentence for people about event i ("rA maps 10.0.1.2:4000 ->
 * 198.51.100.10:4000 (for 192.0.2.10:3478)"); the narrative and the page
 * both use it. Returns the length written (truncated to cap). */
int lab_trace_describe(const struct lab_trace *t, size_t i, char *buf, size_t cap);

#endif
