#!/usr/bin/env bash
# Relay fallback on loopback. Two hpclients forced to relay (--force-relay:
# they never punch directly) exchange 20 lines each through hpserver: every
# line arrives once and in order, both report "path":"relay", and the
# server's counters show the forwarded datagrams. Then convergence: only
# one side forced, the other (which would wait 30 s before relaying) must
# adopt the relay as soon as an authenticated relayed datagram arrives.
set -euo pipefail
. "$HPLAB_TOP/tests/lib.sh"
hp_init
N=20

echo "check: server starts on an ephemeral port"
hp_start_server --bind 127.0.0.1 0
client() { # name room options...
	local n=$1 r=$2
	shift 2
	hp_client_start "$n" --room "$r" "$@" 0 127.0.0.1 "$HP_SERVER_PORT"
}

for s in a b; do hp_want "$s" "$N"; done
client a relay50 --force-relay
client b relay50 --force-relay

echo "check: both clients connect through the relay"
hp_wait_line "$T/a.out" "\"event\":\"connected\",\"t_us\":[0-9]*,\"path\":\"relay\",\"peer\":\"127.0.0.1:$HP_SERVER_PORT\"" 10 ||
	hp_fail "a did not connect via relay"
hp_wait_line "$T/b.out" "\"event\":\"connected\",\"t_us\":[0-9]*,\"path\":\"relay\",\"peer\":\"127.0.0.1:$HP_SERVER_PORT\"" 10 ||
	hp_fail "b did not connect via relay"

cat "$T/a.want" >&"${HP_W[a]}"
cat "$T/b.want" >&"${HP_W[b]}"

echo "check: each side receives all $N lines of the other"
hp_expect_line "a missed lines" "$T/a.out" "$(hp_msg_re b "$N")" 20
hp_expect_line "b missed lines" "$T/b.out" "$(hp_msg_re a "$N")" 20
hp_client_close a b

echo "check: both exit 0 after stdin closes"
hp_client_exit a
hp_client_exit b

echo "check: exactly once, in order, never direct"
hp_assert_in_order a b
hp_assert_in_order b a
for s in a b; do
	hp_expect_no_grep "$s going direct despite --force-relay" '"path":"direct"' "$T/$s.out"
	hp_expect_eq "$s: acked events" "$N" "$(grep -c '"event":"acked"' "$T/$s.out" || true)"
done

echo "check: server counters show the relaying"
fwd=$(hp_counter relay_fwd)
# every CHAT each way, and at least one ACK each way (one ACK may cover
# several lines, docs/protocol.md, "ACK")
hp_expect_ge "relay_fwd" $((2 * N + 2)) "$fwd"
for c in relay_drop_source relay_drop_unknown relay_drop_malformed relay_drop_rate relay_drop_bytes; do
	hp_expect_eq "$c" 0 "$(hp_counter "$c")"
done
echo "  relay_fwd=$fwd relay_fwd_bytes=$(hp_counter relay_fwd_bytes)"

echo "check: a client that did not choose to relay adopts it when its peer relays"
client c conv50 --force-relay
client d conv50 --relay-after 30
hp_expect_line "d did not adopt the relay" "$T/d.out" '"event":"connected","t_us":[0-9]*,"path":"relay"' 10
hp_expect_line "c did not connect" "$T/c.out" '"event":"connected","t_us":[0-9]*,"path":"relay"' 10
echo "over the relay" >&"${HP_W[d]}"
hp_expect_line "c did not get d's line" "$T/c.out" '"text":"over the relay"' 10
hp_client_close c d
hp_client_exit c
hp_client_exit d

echo "check: a server with relaying disabled refuses, and punching's timeout applies"
hp_stop_server
hp_start_server --bind 127.0.0.1 --relay-bytes 0 0
client e off50 --force-relay --timeout 3
client f off50 --force-relay --timeout 3
hp_client_exit e 1
grep -q '"event":"warning","t_us":[0-9]*,"reason":"server refused to relay' "$T/e.out" || hp_fail "e saw no refusal"
grep -q 'punching timed out' "$T/e.err" || hp_fail "e gave no punching error"
hp_expect_no_grep "e connecting through a refusing server" '"event":"connected"' "$T/e.out"
echo "PASS: 50-relay"
