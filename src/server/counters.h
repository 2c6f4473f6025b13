/* SPDX-License-Identifier: MIT */
#ifndef HP_SERVER_COUNTERS_H
#define HP_SERVER_COUNTERS_H

#include <stdint.h>
#include <stdio.h>

/* What the server counts; names are printed as name=value. */
enum server_counter {
	CNT_RX,                /* datagrams received */
	CNT_DROP_OVERSIZED,    /* hplab longer than HP_MAX_DATAGRAM, STUN than STUN_MAX_REQUEST */
	CNT_DROP_BAD_MAGIC,    /* not STUN, wrong magic or version */
	CNT_DROP_BAD_HEADER,   /* truncated header or length mismatch */
	CNT_DROP_MALFORMED,    /* control body failed to decode */
	CNT_DROP_UNEXPECTED,   /* a type a server never receives */
	CNT_DROP_RESERVED,     /* PROBE: not served */
	CNT_DROP_STUN_BAD,     /* STUN-looking but not a valid Binding request */
	CNT_DROP_AMPLIFY,      /* reply would be longer than its request */
	CNT_DROP_SEND,         /* sendto failed */
	CNT_RX_ERRORS,         /* recvfrom failed */
	CNT_REGISTERS,         /* REGISTER accepted (new or refresh) */
	CNT_REGISTERED,        /* REGISTERED sent */
	CNT_INTROS,            /* INTRO sent */
	CNT_ERRORS,            /* ERROR sent */
	CNT_LEAVES,            /* LEAVE that removed a registration */
	CNT_COOKIES,           /* COOKIE sent: a REGISTER from a source not yet proved */
	CNT_DROP_COOKIE,       /* REGISTER with a cookie not made for its source and token */
	CNT_DROP_LEAVE_SOURCE, /* LEAVE not from its token's registered endpoint */
	CNT_DROP_SOURCE_FULL,  /* REGISTER beyond --max-per-source */
	CNT_DROP_SOURCE_RATE,  /* REGISTER beyond --register-rate */
	CNT_EXPIRED,           /* registrations expired */
	CNT_STUN,              /* STUN Binding requests */
	CNT_STUN_420,          /* 420 Unknown Attribute sent */
	CNT_STUN_CHANGED,      /* Binding answers sent from another socket (CHANGE-REQUEST) */
	CNT_DROP_NOT_PRIMARY,  /* hplab datagram on an alternate (STUN-only) socket */
	CNT_RELAY_FWD,         /* RELAY datagrams forwarded as RELAYED */
	CNT_RELAY_FWD_BYTES,   /* inner bytes forwarded */
	CNT_RELAY_DROP_MALFORMED, /* RELAY that does not decode */
	CNT_RELAY_DROP_UNKNOWN,   /* token not registered (or expired) */
	CNT_RELAY_DROP_SOURCE,    /* source is not the token's registered endpoint */
	CNT_RELAY_DROP_NOPEER,    /* the room has no other peer */
	CNT_RELAY_DROP_BYTES,     /* room byte budget spent (or relaying disabled) */
	CNT_RELAY_DROP_RATE,      /* room datagram rate exceeded */
	CNT_RELAY_DROP_SOURCE_RATE, /* the sender's address beyond --relay-source-rate */
	CNT_TURN_MAX_US,       /* a high-water mark, not a count: the longest turn of
				  the event loop since the last counters line, in µs */
	CNT__MAX
};

struct server_counters {
	uint64_t v[CNT__MAX];
};

static inline void counters_inc(struct server_counters *c, enum server_counter which)
{
	c->v[which]++;
}

/* One line: "hpserver: counters rx=N drop_oversized=N ..."; then the
 * high-water mark starts again. */
void counters_print(struct server_counters *c, FILE *f);

#endif
