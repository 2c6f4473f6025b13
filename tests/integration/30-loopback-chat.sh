#!/usr/bin/env bash
# Two hpclients meet through hpserver on 127.0.0.1 and exchange 100 lines
# each: every line must arrive exactly once, in order, and both exit 0.
set -euo pipefail
. "$HPLAB_TOP/tests/lib.sh"
hp_init
N=${N_LINES:-100}

echo "check: server starts on an ephemeral port"
hp_start_server -q 0
for s in a b; do hp_want "$s" "$N"; done
hp_client_start a --room chat30 0 127.0.0.1 "$HP_SERVER_PORT"
hp_client_start b --room chat30 0 127.0.0.1 "$HP_SERVER_PORT"

echo "check: both clients connect directly"
hp_expect_line "a did not connect" "$T/a.out" '"event":"connected","t_us":[0-9]*,"path":"direct"' 15
hp_expect_line "b did not connect" "$T/b.out" '"event":"connected","t_us":[0-9]*,"path":"direct"' 15

cat "$T/a.want" >&"${HP_W[a]}"
cat "$T/b.want" >&"${HP_W[b]}"

echo "check: each side receives all $N lines of the other"
hp_expect_line "a missed lines" "$T/a.out" "$(hp_msg_re b "$N")" 30
hp_client_close a
hp_expect_line "b missed lines" "$T/b.out" "$(hp_msg_re a "$N")" 30
hp_client_close b

echo "check: both exit 0 after stdin closes"
hp_client_exit a
hp_client_exit b

echo "check: exactly once, in order, nothing else"
hp_assert_in_order a b
hp_assert_in_order b a
for s in a b; do
	hp_expect_eq "$s: acked events" "$N" "$(grep -c '"event":"acked"' "$T/$s.out" || true)"
	hp_expect_grep "$s: its own bye" '"event":"bye","t_us":[0-9]*,"from":"self"' "$T/$s.out"
done
echo "PASS: 30-loopback-chat"
