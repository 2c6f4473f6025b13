#!/usr/bin/env bash
# Security on loopback: a third client is refused by a full room; forged
# datagrams sent to a connected client are never shown and the chat goes
# on; peers with different --secret never connect.
set -euo pipefail
. "$HPLAB_TOP/tests/lib.sh"
hp_init

hp_start_server -q 0
client() { # name room extra-args...
	local n=$1 r=$2
	shift 2
	hp_client_start "$n" -v --room "$r" "$@" 0 127.0.0.1 "$HP_SERVER_PORT"
}

client a sec40
client b sec40
hp_expect_line "a did not connect" "$T/a.out" '"event":"connected"' 15
hp_expect_line "b did not connect" "$T/b.out" '"event":"connected"' 15

echo "check: a third client in the full room is refused with a clear error"
client c sec40 --timeout 5
hp_client_exit c 1
grep -q 'is full' "$T/c.err" || hp_fail "third client gave no 'room full' error"
grep -q '"event":"error"' "$T/c.out" || hp_fail "third client emitted no error event"

echo "check: forged datagrams to a connected client are dropped"
APORT=$(sed -n 's/.*"event":"registered","t_us":[0-9]*,"public":"[0-9.]*:\([0-9]*\)".*/\1/p' "$T/a.out")
[ -n "$APORT" ] || hp_fail "no port for a"
# valid-looking hplab CHAT header (magic, v1, type 0x12, body length 64) + random body
{ printf '\x48\x50\x01\x12\x00\x40\x00\x00'; head -c 64 /dev/urandom; } >"$T/forged1"
# KEEPALIVE/BYE types with a random 'sealed' body of plausible size
{ printf '\x48\x50\x01\x15\x00\x30\x00\x00'; head -c 48 /dev/urandom; } >"$T/forged2"
{ printf '\x48\x50\x01\x11\x00\x31\x00\x00'; head -c 49 /dev/urandom; } >"$T/forged3"
for f in forged1 forged2 forged3 forged1; do
	# one write, one datagram
	cat "$T/$f" >/dev/udp/127.0.0.1/"$APORT"
done
echo "after forgery" >&"${HP_W[b]}"
hp_expect_line "chat did not continue" "$T/a.out" '"text":"after forgery"' 10
hp_expect_line "a did not count the forged datagrams" "$T/a.err" 'dropped unauthenticated' 5
hp_expect_eq "messages a shows" 1 "$(grep -c '"event":"message"' "$T/a.out" || true)"
hp_expect_no_grep "a forged datagram moving the peer" '"event":"peer_moved"' "$T/a.out"
hp_expect_no_grep "a forged BYE believed" '"event":"bye","t_us":[0-9]*,"from":"peer"' "$T/a.out"
echo "reply" >&"${HP_W[a]}"
hp_expect_line "b did not get the reply" "$T/b.out" '"text":"reply"' 10

hp_client_close a b
hp_client_exit a
hp_client_exit b

echo "check: peers with different secrets never connect (not even through the relay)"
client d wrongsecret --secret one --timeout 2
client e wrongsecret --secret two --timeout 2
hp_client_exit d 1
hp_client_exit e 1
grep -q 'could not reach peer e directly or through the relay' "$T/d.err" || hp_fail "d gave no punching error"
hp_expect_no_grep "a connection with the wrong secret" '"event":"connected"' "$T/d.out" "$T/e.out"
echo "check: a stranger with an unusable key in the room does not end a waiting client"
client f badkey40
hp_expect_line "f did not register" "$T/f.out" '"event":"registered"' 10
# u = 1 is a low-order X25519 point: no session key can come of it
"$BIN/tools/hpreg" --key $'\x01' 127.0.0.1 "$HP_SERVER_PORT" badkey40 stranger >"$T/hpreg1"
grep -q '^INTRO' "$T/hpreg1" || hp_fail "the stranger was not introduced"
hp_wait_line "$T/f.out" '"event":"warning","t_us":[0-9]*,"reason":"ignoring peer' 5 ||
	hp_fail "f did not say it ignored the bad key"
"$BIN/tools/hpreg" --leave --key $'\x01' 127.0.0.1 "$HP_SERVER_PORT" badkey40 stranger >/dev/null
client g badkey40
echo "hi f" >&"${HP_W[g]}"
hp_expect_line "f did not meet the real peer after the stranger" "$T/f.out" '"text":"hi f"' 10
hp_client_close f g
hp_client_exit f
hp_client_exit g

echo "check: lines typed with no peer ever joining: bounded wait, exit 1, clear error"
client h lonely40 --timeout 1
echo "anyone?" >&"${HP_W[h]}"
hp_client_close h
hp_client_exit h 1
grep -q 'no peer joined room "lonely40"' "$T/h.err" || hp_fail "h gave no clear 'no peer' error"
echo "PASS: 40-loopback-security"
