#!/usr/bin/env bash
# Security on loopback: a third client is refused by a full room; forged
# datagrams sent to a connected client are never shown and the chat goes
# on; peers with different --secret never connect.
set -euo pipefail

BIN=${HPLAB_BIN:?HPLAB_BIN must name the build dir}
T=$(mktemp -d /tmp/hplab-40.XXXXXX)
PIDS=()

cleanup() {
	local p
	exec {WA}>&- 2>/dev/null || true
	exec {WB}>&- 2>/dev/null || true
	exec {WC}>&- 2>/dev/null || true
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$T"
}
trap cleanup EXIT
WA=; WB=; WC=

fail() { echo "FAIL: $*" >&2; for f in "$T"/*.out "$T"/*.err; do echo "--- $f" >&2; cat "$f" >&2; done; exit 1; }

wait_line() { # FILE REGEX SECS
	local rc=0 fd pid
	exec {fd}< <(exec timeout "$3" tail -n +1 -F "$1" 2>/dev/null)
	pid=$!
	grep -m1 -q -E -- "$2" <&"$fd" || rc=1
	exec {fd}<&-
	kill "$pid" 2>/dev/null || true
	return $rc
}

timeout 90 "$BIN/hpserver" -q 0 2>"$T/srv.err" &
PIDS+=($!)
wait_line "$T/srv.err" 'listening on' 5 || fail "server did not start"
PORT=$(sed -n 's/.*listening on [^ ]*:\([0-9][0-9]*\).*/\1/p' "$T/srv.err" | head -n1)

start_client() { # name room extra-args...
	local n=$1 r=$2
	shift 2
	mkfifo "$T/$n.in"
	timeout 60 "$BIN/hpclient" --json -v --room "$r" --name "$n" "$@" 0 127.0.0.1 "$PORT" \
		<"$T/$n.in" >"$T/$n.out" 2>"$T/$n.err" &
	PIDS+=($!)
	eval "PID_$n=$!"
}

start_client a sec40
exec {WA}>"$T/a.in"
start_client b sec40
exec {WB}>"$T/b.in"
wait_line "$T/a.out" '"event":"connected"' 15 || fail "a did not connect"
wait_line "$T/b.out" '"event":"connected"' 15 || fail "b did not connect"

echo "check: a third client in the full room is refused with a clear error"
start_client c sec40 --timeout 5
exec {WC}>"$T/c.in"
rc=0; wait "$PID_c" || rc=$?
[ "$rc" -eq 1 ] || fail "third client exited $rc, want 1"
grep -q 'is full' "$T/c.err" || fail "third client gave no 'room full' error"
grep -q '"event":"error"' "$T/c.out" || fail "third client emitted no error event"

echo "check: forged datagrams to a connected client are dropped"
APORT=$(sed -n 's/.*"event":"registered","public":"[0-9.]*:\([0-9]*\)".*/\1/p' "$T/a.out")
[ -n "$APORT" ] || fail "no port for a"
# valid-looking hplab CHAT header (magic, v1, type 0x12, body length 64) + random body
{ printf '\x48\x50\x01\x12\x00\x40\x00\x00'; head -c 64 /dev/urandom; } >"$T/forged1"
# KEEPALIVE/BYE types with a random 'sealed' body of plausible size
{ printf '\x48\x50\x01\x15\x00\x30\x00\x00'; head -c 48 /dev/urandom; } >"$T/forged2"
{ printf '\x48\x50\x01\x11\x00\x31\x00\x00'; head -c 49 /dev/urandom; } >"$T/forged3"
for f in forged1 forged2 forged3 forged1; do
	# one write, one datagram
	cat "$T/$f" >/dev/udp/127.0.0.1/"$APORT"
done
echo "after forgery" >&"$WB"
wait_line "$T/a.out" '"text":"after forgery"' 10 || fail "chat did not continue"
wait_line "$T/a.err" 'dropped unauthenticated' 5 || fail "a did not count the forged datagrams"
nmsg=$(grep -c '"event":"message"' "$T/a.out" || true)
[ "$nmsg" -eq 1 ] || fail "a shows $nmsg messages, want exactly 1"
! grep -q '"event":"peer_moved"' "$T/a.out" || fail "a forged datagram moved the peer"
! grep -q '"event":"bye","from":"peer"' "$T/a.out" || fail "a forged BYE was believed"
echo "reply" >&"$WA"
wait_line "$T/b.out" '"text":"reply"' 10 || fail "b did not get the reply"

exec {WA}>&-
exec {WB}>&-
rc=0; wait "$PID_a" || rc=$?
[ "$rc" -eq 0 ] || fail "a exited $rc"
rc=0; wait "$PID_b" || rc=$?
[ "$rc" -eq 0 ] || fail "b exited $rc"

echo "check: peers with different secrets never connect (not even through the relay)"
start_client d wrongsecret --secret one --timeout 2
exec {WA}>"$T/d.in"
start_client e wrongsecret --secret two --timeout 2
exec {WB}>"$T/e.in"
rc=0; wait "$PID_d" || rc=$?
[ "$rc" -eq 1 ] || fail "d exited $rc, want 1"
rc=0; wait "$PID_e" || rc=$?
[ "$rc" -eq 1 ] || fail "e exited $rc, want 1"
grep -q 'could not reach peer e directly or through the relay' "$T/d.err" || fail "d gave no punching error"
! grep -q '"event":"connected"' "$T/d.out" "$T/e.out" || fail "wrong secret connected"
echo "PASS: 40-loopback-security"
