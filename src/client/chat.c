// SPDX-License-Identifier: MIT
/*
 * chat.c owns struct chat: the send queue and receive window, the line
 * splitter, and the close (drain, BYE, linger). It calls down only: path.c
 * to send (and to read the path state and the peer's nick), reliab.c,
 * linebuf.c and output.c. The end of the chat comes back as a verdict.
 */
#include <string.h>

#include "client/chat.h"

#define DRAIN_MIN_MS 8000 /* at EOF: this long without ACK progress = failure */
#define LINGER_MS    5000 /* after our BYE: wait this long for the peer's BYE,
			   * counted from its last CHAT (> 2 x the RTO cap) */

int chat_init(struct chat *ch, const struct client_opts *o, const struct output *out,
	      struct path *p)
{
	int ret;

	memset(ch, 0, sizeof(*ch));
	ch->o = o;
	ch->out = out;
	ch->path = p;
	ch->phase = CHAT_TYPING;
	linebuf_init(&ch->lb);
	ret = hp_rrecv_init(&ch->rx);
	if (ret < 0)
		return ret;
	return hp_rsend_init(&ch->tx);
}

void chat_free(struct chat *ch)
{
	hp_rsend_free(&ch->tx);
	hp_rrecv_free(&ch->rx);
}

bool chat_wants_input(const struct chat *ch)
{
	return ch->phase == CHAT_TYPING && hp_rsend_pending(&ch->tx) < CHAT_QUEUE_MAX;
}

static int chat_on_line(void *ctx, const char *text, size_t len, unsigned part)
{
	struct chat *ch = ctx;
	int ret;

	if (ch->peer_bye)
		out_warning(ch->out, "%s has said bye: this message may not arrive", ch->path->nick);
	if (part == 1)
		out_warning(ch->out, "line longer than %d bytes: sent as several messages",
			    HP_CHAT_MAX);
	ret = hp_rsend_push(&ch->tx, text, len, NULL);
	if (ret < 0)
		out_warning(ch->out, "message dropped: %s", strerror(-ret));
	return 0;
}

void chat_feed(struct chat *ch, const char *buf, size_t n)
{
	linebuf_feed(&ch->lb, buf, n, chat_on_line, ch);
}

/* Drain deadline from now: every ACK that makes progress pushes it. */
static void chat_drain_extend(struct chat *ch, uint64_t now)
{
	uint64_t d = (uint64_t)ch->o->timeout_s * 1000 + ch->o->relay_after_ms;

	ch->close_deadline = now + (d > DRAIN_MIN_MS ? d : DRAIN_MIN_MS);
}

/* At EOF with lines unacknowledged: say whom the client now waits for. */
static void chat_say_draining(const struct chat *ch, uint64_t now)
{
	enum path_state s = ch->path->state;
	size_t n = hp_rsend_pending(&ch->tx);

	if (!n)
		return; /* the linger says its own line, or the run ends now */
	if (!path_is_introduced(s))
		out_waiting(ch->out, "waiting up to %llu s for a peer in room \"%s\" to send "
			    "%zu message(s)", (unsigned long long)(ch->close_deadline - now) / 1000,
			    ch->o->room, n);
	else if (!path_was_connected(s))
		out_waiting(ch->out, "waiting for a path to %s to send %zu message(s)",
			    ch->path->nick, n);
	else
		out_waiting(ch->out, "waiting for %s to acknowledge %zu message(s)", ch->path->nick,
			    n);
}

void chat_eof(struct chat *ch, uint64_t now_us)
{
	ch->phase = CHAT_DRAINING;
	linebuf_finish(&ch->lb, chat_on_line, ch);
	if (ch->lb.nuls)
		out_warning(ch->out, "%lu NUL bytes dropped from input", ch->lb.nuls);
	chat_drain_extend(ch, now_us / 1000);
	chat_say_draining(ch, now_us / 1000);
}

int chat_new_session(struct chat *ch, bool had_peer, uint64_t server_rtt_ms)
{
	int ret;

	ch->peer_bye = false;
	if (ch->phase == CHAT_LINGERING)
		ch->phase = CHAT_DRAINING; /* the new peer has not had our BYE */
	ch->ack_owed = 0;
	hp_rrecv_free(&ch->rx);
	ret = hp_rrecv_init(&ch->rx);
	if (ret < 0)
		return ret;
	/* sequence numbers restart with a new session; lines typed before
	 * the first peer are simply queued for it */
	if (had_peer) {
		if (!hp_rsend_all_acked(&ch->tx))
			out_warning(ch->out,
				    "%zu unacknowledged message(s) from the previous session dropped",
				    hp_rsend_pending(&ch->tx));
		ch->st_sent += ch->tx.n_sent;
		ch->st_retx += ch->tx.n_retx;
		hp_rsend_free(&ch->tx);
		ret = hp_rsend_init(&ch->tx);
		if (ret < 0)
			return ret;
	}
	/* the peer path is at least as long as ours to the server */
	if (server_rtt_ms)
		hp_rsend_rtt_hint(&ch->tx, server_rtt_ms * 1000);
	return 0;
}

void chat_connected(struct chat *ch, enum path_news news, uint64_t now_us)
{
	switch (news) {
	case PATH_NEWS_NONE:
		return;
	case PATH_NEWS_RECONNECTED:
		/* lines waited out the outage under a backed-off RTO */
		hp_rsend_retry_now(&ch->tx, now_us);
		break;
	case PATH_NEWS_CONNECTED:
		break;
	}
	chat_drain_extend(ch, now_us / 1000);
}

void chat_rtt_sample(struct chat *ch, uint64_t rtt_us)
{
	if (rtt_us)
		hp_rsend_rtt_sample(&ch->tx, rtt_us);
}

static void chat_send_simple(struct chat *ch, uint8_t type, uint64_t now_us)
{
	struct hp_peer_msg m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	if (type == HP_ACK) {
		hp_rrecv_ack(&ch->rx, &m.u.ack);
		ch->ack_owed = 0;
	}
	path_send(ch->path, &m, now_us);
}

static void chat_on_acked(void *ctx, uint32_t seq, uint64_t rtt_us, unsigned tx)
{
	struct chat *ch = ctx;

	out_acked(ch->out, seq, rtt_us, tx);
}

static void chat_on_chat(struct chat *ch, const struct hp_peer_msg *m, uint64_t now_us)
{
	const char *text;
	uint16_t len;
	uint32_t seq;
	int ret;

	ch->last_chat_rx = now_us / 1000;
	ret = hp_rrecv_accept(&ch->rx, m->u.chat.seq, m->u.chat.text, m->u.chat.len);
	if (ret == HP_RRECV_DUP)
		ch->st_dup++;
	while (hp_rrecv_pop(&ch->rx, &seq, &text, &len)) {
		out_message(ch->out, ch->path->nick, seq, text, len);
		ch->st_delivered++;
	}
	/*
	 * RFC 9000 s.13.2: in order, the ACK waits for the end of this read
	 * round (chat_tick) or for CHAT_ACK_EVERY lines; out of order, a
	 * duplicate (our earlier ACK may have been the one lost) or beyond
	 * the window, it goes at once.
	 */
	if (ret == HP_RRECV_NEW && ++ch->ack_owed < CHAT_ACK_EVERY)
		return;
	chat_send_simple(ch, HP_ACK, now_us);
}

enum chat_verdict chat_input(struct chat *ch, const struct hp_peer_msg *m, uint64_t now_us)
{
	int ret;

	switch (m->type) {
	case HP_CHAT:
		chat_on_chat(ch, m, now_us);
		break;
	case HP_ACK:
		ret = hp_rsend_ack(&ch->tx, &m->u.ack, now_us, chat_on_acked, ch);
		if (ret < 0)
			out_debug(ch->out, "ack %u for a message never sent", m->u.ack.seq);
		else if (ret > 0 && ch->phase != CHAT_TYPING)
			chat_drain_extend(ch, now_us / 1000);
		break;
	case HP_KEEPALIVE:
		/* answered, so the peer can tell a live path from a dead one */
		chat_send_simple(ch, HP_ACK, now_us);
		break;
	case HP_BYE:
		if (ch->peer_bye)
			break;
		ch->peer_bye = true;
		out_bye(ch->out, true, ch->path->nick);
		/* with lines still unacknowledged we go on: the peer lingers */
		if (ch->phase != CHAT_TYPING && hp_rsend_all_acked(&ch->tx))
			return CHAT_DONE;
		break;
	default:
		break;
	}
	return CHAT_GOING;
}

void chat_tick(struct chat *ch, uint64_t now_us, uint64_t *wake)
{
	const struct hp_rsend_item *it;
	struct hp_peer_msg m;
	uint64_t d;

	if (ch->ack_owed)
		chat_send_simple(ch, HP_ACK, now_us);
	while ((it = hp_rsend_due(&ch->tx, now_us))) {
		if (it->tx > 1)
			out_retransmit(ch->out, it->seq, it->tx);
		memset(&m, 0, sizeof(m));
		m.type = HP_CHAT;
		m.u.chat.seq = it->seq;
		m.u.chat.len = it->len;
		memcpy(m.u.chat.text, it->text, it->len);
		path_send(ch->path, &m, now_us);
	}
	d = hp_rsend_deadline(&ch->tx);
	if (d != UINT64_MAX)
		path_wake_at(wake, (d + 999) / 1000);
}

/* Lines still unacknowledged at EOF: bounded by the drain deadline. */
static enum chat_verdict chat_drain_tick(struct chat *ch, uint64_t now, uint64_t *wake)
{
	enum path_state s = ch->path->state;

	if (!path_is_introduced(s)) {
		/* lines to send and nobody to send them to: bounded too */
		if (now >= ch->close_deadline) {
			out_error(ch->out, "no peer joined room \"%s\"; %zu message(s) not sent",
				  ch->o->room, hp_rsend_pending(&ch->tx));
			return CHAT_FAILED;
		}
		path_wake_at(wake, ch->close_deadline);
		return CHAT_GOING;
	}
	if (!path_was_connected(s))
		return CHAT_GOING; /* punching's own timeout bounds this */
	if (now >= ch->close_deadline) {
		out_error(ch->out, "%zu message(s) not acknowledged by %s",
			  hp_rsend_pending(&ch->tx), ch->path->nick);
		return CHAT_FAILED;
	}
	path_wake_at(wake, ch->close_deadline);
	return CHAT_GOING;
}

/*
 * At stdin EOF: wait until every line is acknowledged (bounded: the drain
 * deadline moves with each ACK that makes progress), then say BYE and
 * linger until the peer's BYE, so lines it is still sending reach us.
 */
enum chat_verdict chat_close_tick(struct chat *ch, uint64_t now_us, uint64_t *wake)
{
	uint64_t now = now_us / 1000, rto = chat_rto_ms(ch);

	if (ch->phase == CHAT_TYPING)
		return CHAT_GOING;
	if (!hp_rsend_all_acked(&ch->tx))
		return chat_drain_tick(ch, now, wake);
	if (!path_was_connected(ch->path->state) || ch->peer_bye)
		return CHAT_DONE;
	if (ch->phase != CHAT_LINGERING) {
		ch->phase = CHAT_LINGERING;
		ch->bye_next = now;
		ch->linger_until = now + LINGER_MS;
		out_waiting(ch->out, "waiting up to %d s for %s's last lines (bye sent)",
			    LINGER_MS / 1000, ch->path->nick);
	}
	if (ch->last_chat_rx + LINGER_MS > ch->linger_until)
		ch->linger_until = ch->last_chat_rx + LINGER_MS;
	if (now >= ch->linger_until)
		return CHAT_DONE;
	if (now >= ch->bye_next) {
		chat_bye(ch, now_us);
		ch->bye_next = now + (rto > 250 ? rto : 250);
	}
	path_wake_at(wake, ch->bye_next);
	path_wake_at(wake, ch->linger_until);
	return CHAT_GOING;
}

void chat_bye(struct chat *ch, uint64_t now_us)
{
	int i;

	/* also after the peer's BYE: it lingers until ours */
	if (!path_was_connected(ch->path->state))
		return;
	/* the ACK rides along: our last one may have been lost, and the peer
	 * would otherwise retransmit into the void */
	for (i = 0; i < 3; i++) {
		chat_send_simple(ch, HP_ACK, now_us);
		chat_send_simple(ch, HP_BYE, now_us);
	}
}

uint64_t chat_rto_ms(const struct chat *ch)
{
	return hp_rsend_rto(&ch->tx) / 1000;
}

void chat_stats(const struct chat *ch, struct out_stats *st)
{
	st->sent = ch->st_sent + ch->tx.n_sent;
	st->delivered = ch->st_delivered;
	st->retransmitted = ch->st_retx + ch->tx.n_retx;
	st->duplicates = ch->st_dup;
}
