/* SPDX-License-Identifier: MIT */
#ifndef HPCLIENT_CTL_H
#define HPCLIENT_CTL_H

/*
 * The server side of the client: REGISTER (retried, then refreshed), the
 * answers to it (REGISTERED, INTRO, ERROR) and LEAVE (docs/hpclient.md,
 * "Life of a run", step 1; docs/protocol.md). Once connected the chat does
 * not need the server: refreshes keep us known, nothing waits for them.
 */

#include <stdbool.h>
#include <stdint.h>

#include "client/natmap.h"
#include "client/opts.h"
#include "client/output.h"
#include "client/path.h"
#include "client/wire.h"
#include "proto.h"

enum ctl_state {
	CTL_REGISTERING,   /* no answer yet: retried, bounded by --timeout */
	CTL_REGISTERED,    /* refreshed at the waiting or the keepalive pace */
	CTL_REREGISTERING, /* the path died: retried quickly until answered */
};

struct ctl {
	enum ctl_state state;
	const struct client_opts *o;
	const struct output *out;
	uint8_t pk[HP_KEY_LEN];
	struct hp_endpoint priv[HP_MAX_PRIV];
	size_t n_priv;
	uint64_t t_start;
	struct hp_endpoint reflexive;
	uint64_t reg_next, reg_interval, reg_last_sent;
	uint64_t server_rtt;
	/* while (re)registering: what ICMP said of the server (NULL: nothing) */
	const char *unreach;
	/* the server's COOKIE for our token and source, sent back in every
	 * REGISTER (docs/protocol.md, "Return routability") */
	uint8_t cookie[HP_COOKIE_LEN];
	bool have_cookie;
	uint64_t cookie_answered; /* when a COOKIE was last answered at once */
	/* the mapping verdict (natmap.h) that every REGISTER carries once
	 * known; its requests go with the REGISTERs until map_until */
	struct natmap map;
	uint64_t map_until; /* 0: no verdict wanted (--no-spray) */
};

/* What a server datagram asks of the caller. */
enum ctl_verdict {
	CTL_NOTHING,
	CTL_INTRO,         /* news.msg.u.intro names the peer */
	CTL_RELAY_REFUSED, /* ERROR HP_ERR_QUOTA: news.msg.u.error.reason */
	CTL_FATAL,         /* the server refused us: exit 1 (printed) */
};

struct ctl_news {
	struct hp_msg msg;
	bool self_moved; /* INTRO: our public endpoint is not the one we knew */
};

void ctl_init(struct ctl *ctl, const struct client_opts *o, const struct output *out,
	      const uint8_t pk[HP_KEY_LEN], const struct hp_endpoint *priv, size_t n_priv,
	      uint64_t t_start);
/* Registration and refresh; CTL_FATAL when the server never answered. */
enum ctl_verdict ctl_tick(struct ctl *ctl, struct wire *w, enum path_state peer, uint64_t now,
			  uint64_t *wake);
/* A control message from the server (wire_demux() said WIRE_CTL); one that
 * does not decode or is not for our token is counted as stray. */
enum ctl_verdict ctl_handle(struct ctl *ctl, struct wire *w, const uint8_t *buf, size_t len,
			    enum path_state peer, uint64_t now, struct ctl_news *news);
/* A peer datagram came before our intro: the peer knows of us, so our
 * intro must be on its way or lost; ask again (at most once a second:
 * the datagram is not authenticated, anyone could send it). */
int ctl_nudge(struct ctl *ctl, struct wire *w, uint64_t now);
/* Our short-TTL punch is out (path.c's PATH_OPENED): a REGISTER with
 * HP_FLAG_OPENED, which the server passes on to the peer. */
void ctl_opened(struct ctl *ctl, struct wire *w, uint64_t now);
/* A STUN datagram from the server's address (wire_demux's WIRE_STUN). */
void ctl_stun(struct ctl *ctl, struct wire *w, const uint8_t *buf, size_t len, uint64_t now);
/* Is `to` where the verdict's second request goes (the server's alternate
 * address)? An ICMP error about it is no news about the server. */
bool ctl_is_map_dest(const struct ctl *ctl, const struct wire *w, const struct hp_endpoint *to);
/* We have a new peer: refresh at the keepalive pace from now. */
void ctl_introduced(struct ctl *ctl, uint64_t now);
/* Ask the server again at once, retrying quickly (the path died). */
void ctl_reregister(struct ctl *ctl, uint64_t now);
/* ICMP says the server's endpoint is unreachable (wire_server_unreachable()'s
 * words): said once while we need an answer, and we go on retrying. */
void ctl_unreachable(struct ctl *ctl, const struct wire *w, const char *words);
void ctl_leave(struct ctl *ctl, struct wire *w);

#endif
