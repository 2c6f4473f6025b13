#!/usr/bin/env bash
# A NAT rebind mid-chat, on loopback: alice and bob each sit behind an
# hpnat (port-restricted filtering, an ALG so they can only talk through
# it). After half the lines crossed, alice's NAT moves to a new public port
# and forgets its state (SIGUSR1), so bob's datagrams to the old port die
# and bob's NAT drops alice's from the new one. Both must notice
# (reconnecting), meet again through the server (a new connected, bob sees
# alice at her new mapping), and every line must arrive once, in order.
set -euo pipefail

BIN=${HPLAB_BIN:?HPLAB_BIN must name the build dir}
N=${N_LINES:-40}
HALF=$((N / 2))
T=$(mktemp -d /tmp/hplab-70.XXXXXX)
PIDS=()
WFDS=()
NATPIDS=()

cleanup() {
	local p fd
	for fd in "${WFDS[@]}"; do exec {fd}>&- 2>/dev/null || true; done
	# a test tool needs no goodbye (and a sanitizer's exit-time leak check
	# once hung in one): KILL, so every wait below returns
	for p in "${NATPIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$T"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; for f in "$T"/*.out "$T"/*.err; do echo "--- $f" >&2; cat "$f" >&2; done; exit 1; }

# wait_line FILE REGEX SECS: until a line of FILE matches (follows appends).
wait_line() {
	local rc=0 fd pid
	exec {fd}< <(exec timeout "$3" tail -n +1 -F "$1" 2>/dev/null)
	pid=$!
	grep -m1 -q -E -- "$2" <&"$fd" || rc=1
	exec {fd}<&-
	kill "$pid" 2>/dev/null || true
	return $rc
}

echo "check: server and two NATs start"
timeout 90 "$BIN/hpserver" -q --bind 127.0.0.1 0 2>"$T/srv.err" &
PIDS+=($!)
wait_line "$T/srv.err" 'listening on' 5 || fail "server did not start"
PORT=$(sed -n 's/.*listening on [^ ]*:\([0-9][0-9]*\).*/\1/p' "$T/srv.err" | head -n1)
for s in a b; do
	timeout 90 "$BIN/tools/hpnat" "$PORT" >"$T/nat$s.out" 2>"$T/nat$s.err" &
	tpid=$!
	PIDS+=($tpid)
	wait_line "$T/nat$s.out" '^hpnat: server' 5 || fail "nat $s did not start"
	# signals go to hpnat itself, not to the timeout(1) bounding it
	eval "NATPID_$s=$(pgrep -P "$tpid")"
	eval "NATPIDS+=(\$NATPID_$s)"
	eval "SP_$s=$(sed -n 's/^hpnat: server [^ ]*:\([0-9]*\) .*/\1/p' "$T/nat$s.out")"
	mkfifo "$T/$s.in"
	seq 1 "$N" | sed "s/^/line $s /" >"$T/$s.want"
done

start_client() { # name server-port
	timeout 90 "$BIN/hpclient" --json --keepalive 1 --room chat70 --name "$1" 0 127.0.0.1 "$2" \
		<"$T/$1.in" >"$T/$1.out" 2>"$T/$1.err" &
	PIDS+=($!)
	eval "PID_$1=$!"
}

start_client a "$SP_a"
exec {WA}>"$T/a.in"
WFDS+=("$WA")
start_client b "$SP_b"
exec {WB}>"$T/b.in"
WFDS+=("$WB")

echo "check: both connect directly, through their NATs"
wait_line "$T/a.out" '"event":"connected","path":"direct"' 15 || fail "a did not connect"
wait_line "$T/b.out" '"event":"connected","path":"direct"' 15 || fail "b did not connect"
OLD_PUB=$(sed -n 's/^hpnat: server [^ ]* public \(.*\)$/\1/p' "$T/nata.out")
# b's NAT shows each outside endpoint as one of its inside sockets
FIRST_PEER=$(grep -m1 '"event":"connected"' "$T/b.out" | sed -n 's/.*"peer":"\([^"]*\)".*/\1/p')

echo "check: the first $HALF lines cross"
head -n "$HALF" "$T/a.want" >&"$WA"
head -n "$HALF" "$T/b.want" >&"$WB"
wait_line "$T/a.out" "\"event\":\"message\",\"from\":\"b\",\"seq\":$HALF," 20 || fail "a missed lines"
wait_line "$T/b.out" "\"event\":\"message\",\"from\":\"a\",\"seq\":$HALF," 20 || fail "b missed lines"

echo "check: a's NAT rebinds to a new public port"
kill -USR1 "$NATPID_a"
wait_line "$T/nata.out" '^hpnat: rebound public' 5 || fail "nat a did not rebind"
NEW_PUB=$(sed -n 's/^hpnat: rebound public \(.*\)$/\1/p' "$T/nata.out")
[ "$NEW_PUB" != "$OLD_PUB" ] || fail "rebind kept $OLD_PUB"

echo "check: the rest is typed during the outage; both notice and reconnect"
tail -n +"$((HALF + 1))" "$T/a.want" >&"$WA"
tail -n +"$((HALF + 1))" "$T/b.want" >&"$WB"
wait_line "$T/a.out" '"event":"reconnecting"' 20 || fail "a did not notice"
wait_line "$T/b.out" '"event":"reconnecting"' 20 || fail "b did not notice"
for s in a b; do
	n=$(grep -c '"event":"connected"' "$T/$s.out" || true)
	timeout 20 bash -c "until [ \$(grep -c '\"event\":\"connected\"' '$T/$s.out') -ge 2 ]; do sleep 0.1; done" ||
		fail "$s did not connect again (connected events: $n)"
done

echo "check: all $N lines arrive"
wait_line "$T/a.out" "\"event\":\"message\",\"from\":\"b\",\"seq\":$N," 30 || fail "a missed lines"
wait_line "$T/b.out" "\"event\":\"message\",\"from\":\"a\",\"seq\":$N," 30 || fail "b missed lines"
exec {WA}>&-
exec {WB}>&-
WFDS=()

echo "check: both exit 0"
rc=0; wait "$PID_a" || rc=$?
[ "$rc" -eq 0 ] || fail "a exited $rc"
rc=0; wait "$PID_b" || rc=$?
[ "$rc" -eq 0 ] || fail "b exited $rc"

echo "check: b now talks to a's new mapping (a new endpoint behind its NAT, or via the relay)"
LAST=$(grep '"event":"connected"' "$T/b.out" | tail -n 1)
case "$LAST" in
*'"path":"relay"'*) ;;
*"\"peer\":\"$FIRST_PEER\""*) fail "b still talks to $FIRST_PEER (a's old mapping)" ;;
esac

echo "check: exactly once, in order, and a stats event before bye"
texts() { # out-file peer
	grep '"event":"message"' "$1" | grep -v "\"from\":\"$2\"" && return 1
	grep '"event":"message"' "$1" | sed -n 's/.*"text":"\(.*\)"}$/\1/p'
}
texts "$T/a.out" b >"$T/a.got" || fail "a shows a message not from b"
texts "$T/b.out" a >"$T/b.got" || fail "b shows a message not from a"
diff -u "$T/b.want" "$T/a.got" >&2 || fail "a received b's lines wrongly"
diff -u "$T/a.want" "$T/b.got" >&2 || fail "b received a's lines wrongly"
for s in a b; do
	tail -n 2 "$T/$s.out" | head -n 1 | grep -q "\"event\":\"stats\",\"sent\":$N,\"delivered\":$N," ||
		fail "$s: no stats event with sent=$N delivered=$N just before bye"
	grep -q '"event":"retransmit"' "$T/$s.out" || fail "$s reported no retransmission"
done
echo "PASS: 70-rebind"
