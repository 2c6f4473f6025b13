// SPDX-License-Identifier: MIT
#include <string.h>

#include "client/client.h"
#include "client/netio.h"

#define REG_FIRST_MS   200
#define REG_MAX_MS     2000
#define REG_WAITING_MS 2000 /* refresh while waiting for the peer */

void client_ctl_send_register(struct client *c, uint64_t now)
{
	uint8_t buf[HP_MAX_DATAGRAM];
	struct hp_msg m;
	int n;

	memset(&m, 0, sizeof(m));
	m.hdr.type = HP_REGISTER;
	memcpy(m.u.reg.token, c->token, HP_TOKEN_LEN);
	memcpy(m.u.reg.pubkey, c->kp.pk, HP_KEY_LEN);
	memcpy(m.u.reg.room, c->o.room, sizeof(m.u.reg.room));
	memcpy(m.u.reg.nick, c->o.nick, sizeof(m.u.reg.nick));
	m.u.reg.n_priv = (uint8_t)c->n_priv;
	memcpy(m.u.reg.priv, c->priv, sizeof(m.u.reg.priv));
	m.u.reg.pad_to = HP_REGISTER_MIN;
	n = hp_msg_encode(&m, buf, sizeof(buf));
	if (n < 0) {
		out_error(&c->out, "cannot encode register: %s", strerror(-n));
		client_finish(c, 1);
		return;
	}
	if (netio_send(c->fd, &c->server, buf, (size_t)n, 0) < 0)
		out_debug(&c->out, "register send failed");
	c->reg_last_sent = now;
}

void client_ctl_send_leave(struct client *c)
{
	uint8_t buf[HP_MAX_DATAGRAM];
	struct hp_msg m;
	int n;

	if (!c->registered)
		return;
	memset(&m, 0, sizeof(m));
	m.hdr.type = HP_LEAVE;
	memcpy(m.u.leave.token, c->token, HP_TOKEN_LEN);
	memcpy(m.u.leave.room, c->o.room, sizeof(m.u.leave.room));
	n = hp_msg_encode(&m, buf, sizeof(buf));
	if (n > 0)
		netio_send(c->fd, &c->server, buf, (size_t)n, 0);
}

void client_ctl_reregister(struct client *c, uint64_t now)
{
	c->reg_fast = true;
	c->reg_interval = REG_FIRST_MS;
	c->reg_next = now;
}

void client_ctl_tick(struct client *c, uint64_t now, uint64_t *wake)
{
	char b[HP_ENDPOINT_STRLEN];
	uint64_t deadline = c->t_start + (uint64_t)c->o.timeout_s * 1000;

	if (!c->registered && now >= deadline) {
		out_error(&c->out, "no answer from server %s after %u s",
			  hp_endpoint_format(&c->server, b, sizeof(b)), c->o.timeout_s);
		client_finish(c, 1);
		return;
	}
	if (now >= c->reg_next) {
		client_ctl_send_register(c, now);
		if (!c->registered || c->reg_fast) {
			c->reg_next = now + c->reg_interval;
			c->reg_interval = c->reg_interval * 2 > REG_MAX_MS ? REG_MAX_MS
									 : c->reg_interval * 2;
		} else if (!c->introduced) {
			c->reg_next = now + REG_WAITING_MS;
		} else {
			/* unanswered refreshes are fine: the chat does not need
			 * the server, and a restarted one learns us again here */
			c->reg_next = now + c->o.keepalive_ms;
		}
	}
	client_wake_at(wake, c->reg_next);
	if (!c->registered)
		client_wake_at(wake, deadline);
}

static void client_ctl_registered(struct client *c, const struct hp_endpoint *refl, uint64_t now)
{
	if (c->reg_fast) {
		c->reg_fast = false;
		c->reg_next = now + (c->introduced ? c->o.keepalive_ms : REG_WAITING_MS);
	}
	if (c->registered)
		return;
	c->registered = true;
	c->reflexive = *refl;
	c->server_rtt = now - c->reg_last_sent;
	c->reg_next = now + REG_WAITING_MS;
	out_registered(&c->out, refl, now - c->t_start);
}

void client_ctl_handle(struct client *c, const uint8_t *buf, size_t len, uint64_t now)
{
	struct hp_msg m;

	if (hp_msg_decode(&m, buf, len) < 0) {
		c->n_stray++;
		return;
	}
	switch (m.hdr.type) {
	case HP_REGISTERED:
		if (memcmp(m.u.registered.token, c->token, HP_TOKEN_LEN))
			break;
		client_ctl_registered(c, &m.u.registered.reflexive, now);
		return;
	case HP_INTRO: {
		bool self_moved;

		if (memcmp(m.u.intro.token, c->token, HP_TOKEN_LEN))
			break;
		self_moved = c->registered && !hp_endpoint_equal(&c->reflexive, &m.u.intro.reflexive);
		client_ctl_registered(c, &m.u.intro.reflexive, now);
		c->reflexive = m.u.intro.reflexive;
		if (c->introduced && !memcmp(c->peer_pk, m.u.intro.peer_pubkey, HP_KEY_LEN))
			client_peer_reintro(c, &m.u.intro, self_moved, now);
		else
			client_peer_intro(c, &m.u.intro, now);
		return;
	}
	case HP_ERROR:
		if (memcmp(m.u.error.token, c->token, HP_TOKEN_LEN) &&
		    memcmp(m.u.error.token, (uint8_t[HP_TOKEN_LEN]){ 0 }, HP_TOKEN_LEN))
			break;
		if (m.u.error.code == HP_ERR_QUOTA) {
			client_peer_relay_refused(c, m.u.error.reason);
			return;
		}
		if (c->connected) {
			/* the chat does not need the server any more */
			out_warning(&c->out, "server error: %s", m.u.error.reason);
			return;
		}
		if (m.u.error.code == HP_ERR_ROOM_FULL)
			out_error(&c->out, "room \"%s\" is full: two peers already hold it",
				  c->o.room);
		else
			out_error(&c->out, "server refused: %s (code %u)", m.u.error.reason,
				  m.u.error.code);
		client_finish(c, 1);
		return;
	default:
		break;
	}
	c->n_stray++;
}
