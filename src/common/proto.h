/* SPDX-License-Identifier: MIT */
#ifndef HP_PROTO_H
#define HP_PROTO_H

/*
 * hplab wire protocol, version 1. docs/protocol.md is the normative text;
 * this header is its C mirror. Every datagram:
 *
 *   0      2        3     4        6       8
 *   +------+--------+-----+--------+-------+------------
 *   |magic | version| type| length | flags | body (length bytes)
 *   +------+--------+-----+--------+-------+------------
 *   magic   0x4850 ("HP"): first two bits are 01, STUN's are 00 (RFC 8489 s.5)
 *   length  exactly the number of body bytes after the 8-byte header
 *   flags   receivers ignore unknown bits; version 1 defines one:
 *           HP_FLAG_TIMING (REGISTER: the sender reads an INTRO's timing),
 *           HP_FLAG_OPENED (REGISTER: my NAT is open to my peer; INTRO: the
 *           peer's is)
 *
 * Multi-byte integers are big-endian. Strings are a u8 length then bytes,
 * not NUL-terminated, no embedded NUL allowed.
 *
 * Control messages (client <-> server, 0x01..0x0f) are cleartext.
 * Peer messages (0x10..0x1f) are sealed: body = nonce[24] || AEAD(plain),
 * with the 8-byte header as associated data. The plaintext starts with a
 * u64 counter followed by the type-specific fields encoded by
 * hp_peer_encode().
 *
 * Implemented by proto.c (header, type names, control messages),
 * proto_peer.c (peer plaintext) and proto_relay.c (RELAY/RELAYED), all on
 * the bounded cursors of cursor.c.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "endpoint.h"

#define HP_MAGIC        0x4850u
#define HP_VERSION      1
#define HP_HDR_LEN      8
#define HP_MAX_DATAGRAM 1400 /* never send more; stays under common MTUs */

#define HP_ROOM_MAX     64   /* bytes, 1..64 */
#define HP_NICK_MAX     32   /* bytes, 0..32 */
#define HP_KEY_LEN      32   /* X25519 public key */
#define HP_TOKEN_LEN    8    /* random per client run; names a registration */
#define HP_COOKIE_LEN   16   /* opaque to the client: the server's proof (COOKIE) */
#define HP_MAX_PRIV     4    /* private (host) candidates per register */
#define HP_REASON_MAX   120
#define HP_CHAT_MAX     1000 /* bytes of text in one chat message */
#define HP_NONCE_LEN    24   /* XChaCha20-Poly1305 */
#define HP_TAG_LEN      16
#define HP_SEAL_OVERHEAD (HP_NONCE_LEN + HP_TAG_LEN)

/*
 * A register must be at least this long (the client pads it) so that the
 * server's answer, an introduction, is never larger than the request that
 * caused it: the server never amplifies.
 */
#define HP_REGISTER_MIN 256

/* Header flag of a REGISTER: its sender decodes the timing an INTRO may
 * append (struct hp_intro), so the server may send it. A server that
 * predates it ignores the bit (unknown flags are ignored) and a client
 * that predates it never sets it: neither ever sees an INTRO longer than
 * it expects. */
#define HP_FLAG_TIMING  0x0001u
/* Header flag of a REGISTER: the sender's short-TTL punch to its peer is
 * out, its NAT maps towards the peer; the server passes it on as the same
 * flag on an INTRO to that peer (struct hp_intro.peer_opened). Only a
 * client that got an INTRO with timing sets it. */
#define HP_FLAG_OPENED  0x0002u
/* Header flags for the mapping verdicts (docs/protocol.md, "Mapping
 * verdicts"), two bits each: 01 endpoint-independent ("easy"), 10
 * endpoint-dependent ("hard"), 00 unknown, 11 malformed. On a REGISTER
 * bits 2..3 are the sender's own verdict; a sender that sets them reads
 * them on its INTRO, where bits 2..3 are the recipient's verdict as the
 * server holds it and bits 4..5 the peer's. A server sets neither on an
 * INTRO to a client whose REGISTER had none: an old client's INTRO stays
 * byte-identical, and the length never changes (no amplification). */
#define HP_FLAG_MAP_SHIFT  2
#define HP_FLAG_PEER_SHIFT 4
#define HP_FLAG_MAP_MASK   0x3u

/* A NAT's mapping behaviour as far as the birthday spray cares (RFC 4787
 * s.4.1): endpoint-independent, or it changes with the destination. */
enum hp_mapping {
	HP_MAP_UNKNOWN = 0,
	HP_MAP_EASY = 1, /* endpoint-independent: one public port for every peer */
	HP_MAP_HARD = 2, /* endpoint-dependent: a new public port per destination */
};

enum hp_type {
	/* control, cleartext */
	HP_REGISTER   = 0x01, /* client -> server */
	HP_REGISTERED = 0x02, /* server -> client: known, waiting for peer */
	HP_INTRO      = 0x03, /* server -> client: here is your peer */
	HP_ERROR      = 0x04, /* server -> client */
	HP_LEAVE      = 0x05, /* client -> server: forget my registration */
	HP_RELAY      = 0x06, /* client -> server: token || sealed peer datagram */
	HP_RELAYED    = 0x07, /* server -> client: the sealed peer datagram */
	HP_PROBE      = 0x08, /* reserved: NAT behaviour discovery */
	HP_COOKIE     = 0x09, /* server -> client: prove you receive here (return routability) */
	/* peer, sealed */
	HP_PUNCH      = 0x10,
	HP_PUNCH_ACK  = 0x11,
	HP_CHAT       = 0x12,
	HP_ACK        = 0x13,
	HP_KEEPALIVE  = 0x14,
	HP_BYE        = 0x15,
};

enum hp_error_code {
	HP_ERR_ROOM_FULL   = 1, /* two other peers already hold the room */
	HP_ERR_BAD_REQUEST = 2,
	HP_ERR_TOO_MANY    = 3, /* server room limit reached */
	HP_ERR_KEY_CHANGED = 4, /* same token, different public key */
	HP_ERR_QUOTA       = 5, /* relay quota exhausted, or relaying disabled */
	HP_ERR_TOKEN_TAKEN = 6, /* the token is registered in another room */
};

struct hp_header {
	uint8_t version;
	uint8_t type;
	uint16_t length; /* body length */
	uint16_t flags;
};

struct hp_register {
	uint8_t token[HP_TOKEN_LEN];
	uint8_t pubkey[HP_KEY_LEN];
	char room[HP_ROOM_MAX + 1]; /* NUL-terminated in memory */
	char nick[HP_NICK_MAX + 1];
	uint8_t n_priv;
	struct hp_endpoint priv[HP_MAX_PRIV];
	/* the server's COOKIE for this token and source (0: none yet); on the
	 * wire the padding's first byte is its length, so all-zero padding
	 * means no cookie */
	uint8_t cookie_len; /* 0 or HP_COOKIE_LEN */
	uint8_t cookie[HP_COOKIE_LEN];
	uint8_t mapping; /* enum hp_mapping: the header's bits 2..3 */
	/* encode: pad the datagram with zeros up to this total size (0 = none) */
	uint16_t pad_to;
};

/* COOKIE: the server's answer to a REGISTER from a source that has not
 * proved it receives there (docs/protocol.md, "Return routability"). */
struct hp_cookie {
	uint8_t token[HP_TOKEN_LEN]; /* the request's token */
	uint8_t cookie[HP_COOKIE_LEN];
};

struct hp_registered {
	uint8_t token[HP_TOKEN_LEN];
	struct hp_endpoint reflexive; /* the client's endpoint as the server sees it */
};

struct hp_intro {
	uint8_t token[HP_TOKEN_LEN]; /* the recipient's own token */
	struct hp_endpoint reflexive; /* recipient's endpoint as the server sees it */
	char peer_nick[HP_NICK_MAX + 1];
	uint8_t peer_pubkey[HP_KEY_LEN];
	struct hp_endpoint peer_public;
	uint8_t n_priv;
	struct hp_endpoint peer_priv[HP_MAX_PRIV];
	/* optional, appended (docs/protocol.md, INTRO): the round trips the
	 * server measured for the recipient's registration and the peer's,
	 * in µs; both 0 = not sent (an old server, or a peer it cannot time) */
	uint32_t rtt_us;
	uint32_t peer_rtt_us;
	bool peer_opened; /* the header's HP_FLAG_OPENED: the peer's NAT is open to us */
	uint8_t mapping;      /* enum hp_mapping: the recipient's (header bits 2..3) */
	uint8_t peer_mapping; /* enum hp_mapping: the peer's (header bits 4..5) */
};

struct hp_error {
	uint8_t token[HP_TOKEN_LEN]; /* echoes the request's token, or zeros */
	uint16_t code;
	char reason[HP_REASON_MAX + 1];
};

struct hp_leave {
	uint8_t token[HP_TOKEN_LEN];
	char room[HP_ROOM_MAX + 1];
};

/* A decoded control datagram. */
struct hp_msg {
	struct hp_header hdr;
	union {
		struct hp_register reg;
		struct hp_registered registered;
		struct hp_intro intro;
		struct hp_error error;
		struct hp_leave leave;
		struct hp_cookie cookie;
	} u;
};

/*
 * ACK (docs/protocol.md, "ACK"): the cumulative point, the receiver's
 * window, and up to HP_ACK_RANGES_MAX ranges of lines received beyond the
 * cumulative point (selective ACK, as QUIC's ACK frame, RFC 9000 s.19.3).
 * Decoded ranges are absolute, ascending, disjoint and never adjacent
 * (there is a missing line before each): seq < lo[0] - 1, and
 * hi[i] + 1 < lo[i + 1]. On the wire each is (gap, len) relative to the
 * one before, so no other shape can be expressed.
 */
#define HP_ACK_RANGES_MAX 16
#define HP_ACK_MIN_WINDOW 128 /* a receiver buffers at least this many lines */

struct hp_ack_range {
	uint32_t lo, hi; /* lines lo..hi (inclusive) arrived */
};

struct hp_ack {
	uint32_t seq;      /* cumulative: every CHAT <= seq arrived */
	uint16_t window;   /* the receiver takes lines up to seq + window */
	uint8_t n_ranges;  /* 0..HP_ACK_RANGES_MAX */
	struct hp_ack_range range[HP_ACK_RANGES_MAX];
};

/* Plaintext of a sealed peer datagram. */
struct hp_peer_msg {
	uint8_t type;     /* HP_PUNCH .. HP_BYE, copied from the header */
	uint64_t counter; /* strictly increasing per sender and session */
	union {
		struct { uint64_t id; uint8_t ttl; } punch;     /* PUNCH, PUNCH_ACK (id echoed) */
		struct { uint32_t seq; uint16_t len; char text[HP_CHAT_MAX + 1]; } chat;
		struct hp_ack ack;
	} u; /* KEEPALIVE and BYE carry nothing beyond the counter */
};

/* Errors: -EBADMSG malformed/truncated/inconsistent, -EPROTO bad magic or
 * version, -EMSGSIZE output buffer too small or field too long,
 * -EINVAL bad argument or unknown type. */

bool hp_is_stun(const uint8_t *buf, size_t len);
int hp_header_encode(uint8_t *buf, size_t cap, uint8_t type, uint16_t body_len);
/* Checks magic, version and that length == len - HP_HDR_LEN. */
int hp_header_decode(struct hp_header *h, const uint8_t *buf, size_t len);
bool hp_type_is_peer(uint8_t type);

/* Control messages: whole datagram. Returns bytes written or -errno. */
int hp_msg_encode(const struct hp_msg *m, uint8_t *buf, size_t cap);
/* Returns 0 or -errno; rejects peer types (use hp_header_decode for those). */
int hp_msg_decode(struct hp_msg *m, const uint8_t *buf, size_t len);

/* Where a REGISTER's token and room name are, found without decoding the
 * rest (so lookups can be started ahead, server/dispatch.c): 0, or
 * -EBADMSG when the datagram is too short to hold them or the room's
 * length is out of range. Checks nothing else; hp_msg_decode does. */
int hp_register_peek(const uint8_t *buf, size_t len, const uint8_t **token,
		     const uint8_t **room, size_t *room_len);

/* Peer plaintext (what goes inside the AEAD). Returns bytes or -errno. */
int hp_peer_encode(const struct hp_peer_msg *m, uint8_t *buf, size_t cap);
int hp_peer_decode(struct hp_peer_msg *m, uint8_t type, const uint8_t *buf, size_t len);

/*
 * Relay (docs/protocol.md, "Relay"). The inner datagram is a complete
 * sealed peer datagram (header || nonce || ciphertext) that the server
 * forwards without being able to read it:
 *   RELAY   body = token[8] || inner     (client -> server)
 *   RELAYED body = inner                 (server -> client)
 * The decoders check that inner is itself a well-formed peer datagram
 * (hplab header of a peer type, body at least nonce + tag long) and return
 * pointers into buf. Encoders return the datagram length or -errno.
 */
#define HP_RELAY_INNER_MIN (HP_HDR_LEN + HP_SEAL_OVERHEAD)
#define HP_RELAY_INNER_MAX (HP_MAX_DATAGRAM - HP_HDR_LEN - HP_TOKEN_LEN)

int hp_relay_encode(uint8_t *buf, size_t cap, const uint8_t token[HP_TOKEN_LEN],
		    const uint8_t *inner, size_t inner_len);
int hp_relay_decode(const uint8_t *buf, size_t len, uint8_t token[HP_TOKEN_LEN],
		    const uint8_t **inner, size_t *inner_len);
int hp_relayed_encode(uint8_t *buf, size_t cap, const uint8_t *inner, size_t inner_len);
int hp_relayed_decode(const uint8_t *buf, size_t len, const uint8_t **inner, size_t *inner_len);

const char *hp_type_name(uint8_t type);

#endif
