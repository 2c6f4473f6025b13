/* SPDX-License-Identifier: MIT */
#ifndef HPCLIENT_DROPS_H
#define HPCLIENT_DROPS_H

/*
 * Why the client dropped an incoming datagram: one row per reason, with
 * its key in the `stats` event and its words in the -v "dropped:" line
 * (docs/hpclient.md, "Output"). The enum and both writers derive from
 * this list; wire.c counts each drop where it happens.
 *
 *   AUTH_FAILED  a peer datagram that failed AEAD authentication
 *   REPLAYED     authentic, but its counter was seen (RFC 4303 window)
 *   STRAY        not our protocol, a control message not from the
 *                server's address, or not for our token
 *   BAD_RELAY    a RELAYED from the server whose frame does not decode
 *   STASH_FULL   an early peer datagram (before our intro) beyond the stash
 */
#define CLIENT_DROPS(X)                                       \
	X(AUTH_FAILED, "auth_failed", "unauthenticated")      \
	X(REPLAYED, "replayed", "replayed")                   \
	X(STRAY, "stray", "stray")                            \
	X(BAD_RELAY, "bad_relay", "bad relay frames")         \
	X(STASH_FULL, "stash_full", "early beyond the stash")

enum client_drop {
#define CLIENT_DROP_ENUM(id, key, words) CLIENT_DROP_##id,
	CLIENT_DROPS(CLIENT_DROP_ENUM)
#undef CLIENT_DROP_ENUM
	CLIENT_N_DROPS
};

#endif
