#!/usr/bin/env bash
# The server dies after the punch: the chat goes on directly (no
# reconnecting, unanswered refreshes are no failure); the server comes
# back on the same port, both clients' periodic REGISTERs re-establish
# their registrations, and a new pair meets through it normally.
set -euo pipefail
. "$HPLAB_TOP/tests/lib.sh"
HP_TIMEOUT=90
hp_init
N=${N_LINES:-40}
HALF=$((N / 2))

# (hp_start_server and hp_client_start close the fifo writers in their
# children: a restarted server holding alice's would keep her input from
# ending.)
echo "check: server starts"
hp_start_server -v --bind 127.0.0.1 0
PORT=$HP_SERVER_PORT
for s in a b; do hp_want "$s" "$N"; done
client() { # name room
	hp_client_start "$1" --keepalive 0.5 --room "$2" 0 127.0.0.1 "$PORT"
}

client a chat80
client b chat80
hp_expect_line "a did not connect" "$T/a.out" '"event":"connected","t_us":[0-9]*,"path":"direct"' 15
hp_expect_line "b did not connect" "$T/b.out" '"event":"connected","t_us":[0-9]*,"path":"direct"' 15

echo "check: the first $HALF lines cross"
head -n "$HALF" "$T/a.want" >&"${HP_W[a]}"
head -n "$HALF" "$T/b.want" >&"${HP_W[b]}"
hp_expect_line "a missed lines" "$T/a.out" "$(hp_msg_re b "$HALF")" 20
hp_expect_line "b missed lines" "$T/b.out" "$(hp_msg_re a "$HALF")" 20

echo "check: the server stops; the rest crosses without it"
hp_stop_server
tail -n +"$((HALF + 1))" "$T/a.want" >&"${HP_W[a]}"
tail -n +"$((HALF + 1))" "$T/b.want" >&"${HP_W[b]}"
hp_expect_line "a missed lines" "$T/a.out" "$(hp_msg_re b "$N")" 20
hp_expect_line "b missed lines" "$T/b.out" "$(hp_msg_re a "$N")" 20

echo "check: the server comes back and both refreshes re-register"
hp_start_server -v --bind 127.0.0.1 "$PORT"
hp_expect_line "a did not register again" "$HP_SERVER_ERR" 'register room "chat80" nick "a"' 10
hp_expect_line "b did not register again" "$HP_SERVER_ERR" 'register room "chat80" nick "b"' 10
for s in a b; do
	! grep -q '"event":"reconnecting"\|"event":"error"\|"event":"peer_lost"' "$T/$s.out" ||
		hp_fail "$s reconnected or failed while the server was away"
done

echo "check: alice and bob exit 0 when their input ends"
hp_client_close a b
hp_client_exit a
hp_client_exit b

echo "check: a new pair meets through the restarted server"
client c again80
client d again80
echo "hello from c" >&"${HP_W[c]}"
echo "hello from d" >&"${HP_W[d]}"
hp_expect_line "c did not hear d" "$T/c.out" '"text":"hello from d"' 15
hp_expect_line "d did not hear c" "$T/d.out" '"text":"hello from c"' 15
hp_client_close c d
hp_client_exit c
hp_client_exit d

echo "check: alice and bob got every line once, in order"
hp_assert_in_order a b
hp_assert_in_order b a
echo "PASS: 80-server-restart"
