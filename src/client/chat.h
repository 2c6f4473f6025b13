/* SPDX-License-Identifier: MIT */
#ifndef HPCLIENT_CHAT_H
#define HPCLIENT_CHAT_H

/*
 * The chat over the path: stdin lines become numbered CHAT messages
 * (reliab.h: selective ACKs, congestion window, in-order delivery), and at stdin EOF the close:
 * drain until every line is acknowledged, then BYE and linger for the
 * peer's last lines (docs/hpclient.md, "Life of a run", step 6).
 */

#include <stdbool.h>
#include <stdint.h>

#include "client/linebuf.h"
#include "client/opts.h"
#include "client/output.h"
#include "client/path.h"
#include "reliab.h"

#define CHAT_QUEUE_MAX 4096 /* stop reading stdin beyond this many unsent lines */
#define CHAT_ACK_EVERY 8    /* lines in order before an ACK goes without waiting */

enum chat_phase {
	CHAT_TYPING,    /* stdin is open */
	CHAT_DRAINING,  /* stdin ended: waiting for the ACKs */
	CHAT_LINGERING, /* all acknowledged, BYE sent: waiting for the peer's */
};

struct chat {
	const struct client_opts *o;
	const struct output *out;
	struct path *path;
	struct hp_rsend tx;
	struct hp_rrecv rx;
	struct linebuf lb;
	enum chat_phase phase;
	bool peer_bye;
	unsigned ack_owed;       /* lines taken in order since our last ACK */
	uint64_t close_deadline; /* drain: no ACK progress until then = failure */
	uint64_t bye_next, linger_until, last_chat_rx;
	/* totals for the stats event (tx is per session, these per run) */
	uint64_t st_sent, st_retx, st_delivered, st_dup;
};

enum chat_verdict {
	CHAT_GOING,
	CHAT_DONE,   /* the chat is over: exit 0 */
	CHAT_FAILED, /* lines that cannot be delivered: exit 1 */
};

int chat_init(struct chat *ch, const struct client_opts *o, const struct output *out,
	      struct path *p);
void chat_free(struct chat *ch);
bool chat_wants_input(const struct chat *ch);
void chat_feed(struct chat *ch, const char *buf, size_t n);
void chat_eof(struct chat *ch, uint64_t now_us);
/* A new peer: sequence numbers restart (had_peer: lines of the last one go). */
int chat_new_session(struct chat *ch, bool had_peer, uint64_t server_rtt_ms);
/* The path connected (news from path_input()). */
void chat_connected(struct chat *ch, enum path_news news, uint64_t now_us);
void chat_rtt_sample(struct chat *ch, uint64_t rtt_us);
/* CHAT, ACK, KEEPALIVE and BYE from the peer. */
enum chat_verdict chat_input(struct chat *ch, const struct hp_peer_msg *m, uint64_t now_us);
/* (Re)transmissions that are due. */
void chat_tick(struct chat *ch, uint64_t now_us, uint64_t *wake);
/* After stdin EOF: drain, BYE, linger. */
enum chat_verdict chat_close_tick(struct chat *ch, uint64_t now_us, uint64_t *wake);
/* ACK+BYE, three times, to a peer we were connected to. */
void chat_bye(struct chat *ch, uint64_t now_us);
uint64_t chat_rto_ms(const struct chat *ch);
void chat_stats(const struct chat *ch, struct out_stats *st);

#endif
