// SPDX-License-Identifier: MIT
/*
 * punchwait.c: when the normal-TTL punches to the peer's public endpoint
 * may follow our short-TTL one (docs/hpclient.md, "Punch timing"). Pure:
 * path.c passes the INTRO and its server round trip. Calls nothing.
 */
#include "client/punchwait.h"

#define PUBLIC_DELAY_MIN 30 /* ms: without INTRO timing, wait this long at least */

/*
 * How long (us) the normal-TTL punches to the peer's public endpoint wait
 * after our short-TTL one. Our NAT must have a mapping to the peer before
 * the peer's normal punch reaches it: an earlier one finds no mapping and,
 * on a router without a firewall, leaves an unreplied conntrack entry to
 * the router itself, so our own mapping later clashes and MASQUERADE gives
 * it another port (docs/nat-types.md, `--no-firewall`). Both peers send the
 * short-TTL punch on reading the INTRO, then wait W. With T the moment the
 * server sends both INTROs (it sends them back to back), s_X the one-way
 * delay server -> X and p_XY that of the path X's NAT -> Y's NAT, the
 * peer's mapping opens at T + s_peer and our normal punch reaches it at
 * T + s_self + W + p_self,peer, so the condition is
 *
 *     W >= s_peer - s_self - p_self,peer
 *
 * (and the same with the roles swapped, which the peer sees to). One-way
 * delays cannot be measured without synchronised clocks; the server
 * measures each registration's round trip r_X (its COOKIE to the REGISTER
 * that returns it, cookie.h) and the INTRO carries both. With s_X = r_X/2
 * (legs of equal delay) and p >= 0 left out (it only adds slack, and
 * peers on one LAN behind a hairpinning NAT make it ~0):
 *
 *     W = max(0, (r_peer - r_self) / 2) + margin
 *
 * and, as the split of a round trip into its legs is only assumed, we add
 * the doubt |r_peer - r_self| on top (nothing when the round trips are
 * alike, as on a symmetric path, where the wait is the margin; under
 * --delay-a 20 with a client slow to answer its COOKIE, half of it was
 * not enough).
 *
 * The margin covers what the formula does not see: the two hosts' time
 * from reading the INTRO to sending (the key exchange of a new session;
 * counted from our own short punch, the mean of it cancels) and the
 * server sending one INTRO after the other: 1 ms, where any path with
 * p >= 1 ms needs none.
 *
 * What it cannot cover is a peer that is not scheduled for longer than
 * W + p after its INTRO arrived (a loaded machine). So the peer also tells
 * us when its short punch is out: a REGISTER with HP_FLAG_OPENED, which
 * the server passes on as an INTRO with that flag (path.c, path_reintro), about
 * (r_peer + r_self) / 2 after the peer sent it, and on that word the
 * normal punches start at once, safely however late the peer was. When
 * the word is expected within PATH_OPENED_WAIT_MAX_US (a near server: the
 * word is cheap, and a short path leaves no slack for a late peer), the
 * timer only covers its loss: 4 x the word's expected delay, at least the
 * old fixed wait below. Beyond (a far
 * server, where the word would cost a server round trip and the path
 * between the peers is likely long enough to absorb a late one) the
 * formula above.
 *
 * Without the timing (an older server, or a peer that does not ask for
 * it) the peer may hear the INTRO up to about a server round trip after
 * us: 2 x our own, at least PUBLIC_DELAY_MIN.
 */
uint64_t punch_wait_us(const struct hp_intro *in, uint64_t server_rtt_ms)
{
	uint64_t ms = 2 * server_rtt_ms > PUBLIC_DELAY_MIN ? 2 * server_rtt_ms : PUBLIC_DELAY_MIN;
	uint64_t both = (uint64_t)in->rtt_us + in->peer_rtt_us, word;

	if (!in->rtt_us || !in->peer_rtt_us)
		return ms * 1000;
	if (both / 2 < PATH_OPENED_WAIT_MAX_US) {
		/* a fallback for a lost word: four times its expected delay, at
		 * least the old wait (a word is causal, a timer a guess) */
		word = 2 * both;
		return word > ms * 1000 ? word : ms * 1000;
	}
	/* plus the doubt of the estimate: how a round trip splits into its
	 * two legs is unknown, and lopsided round trips (one far peer, or one
	 * slow to answer the COOKIE) make the split matter */
	if (in->peer_rtt_us <= in->rtt_us)
		return in->rtt_us - in->peer_rtt_us + PATH_PUBLIC_MARGIN_US;
	return 3 * (uint64_t)(in->peer_rtt_us - in->rtt_us) / 2 + PATH_PUBLIC_MARGIN_US;
}
