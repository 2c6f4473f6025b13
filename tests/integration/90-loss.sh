#!/usr/bin/env bash
# Loss on loopback: alice and bob each sit behind an hpnat that drops
# LOSS % (default 20) of the datagrams each way (seeded), so about 36 %
# of the datagrams between them are lost per direction, and the server
# traffic suffers too. 200 lines each way must arrive exactly once, in
# order, and both must exit 0.
set -euo pipefail

BIN=${HPLAB_BIN:?HPLAB_BIN must name the build dir}
N=${N_LINES:-200}
LOSS=${HPNAT_LOSS:-20}
T=$(mktemp -d /tmp/hplab-90.XXXXXX)
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

echo "check: server and two lossy NATs ($LOSS %) start"
timeout 120 "$BIN/hpserver" -q --bind 127.0.0.1 0 2>"$T/srv.err" &
PIDS+=($!)
wait_line "$T/srv.err" 'listening on' 5 || fail "server did not start"
PORT=$(sed -n 's/.*listening on [^ ]*:\([0-9][0-9]*\).*/\1/p' "$T/srv.err" | head -n1)
seed=${HPNAT_SEED:-90}
for s in a b; do
	timeout 120 "$BIN/tools/hpnat" --loss "$LOSS" --seed "$seed" "$PORT" >"$T/nat$s.out" 2>"$T/nat$s.err" &
	tpid=$!
	PIDS+=($tpid)
	seed=$((seed + 1))
	wait_line "$T/nat$s.out" '^hpnat: server' 5 || fail "nat $s did not start"
	NATPIDS+=($(pgrep -P "$tpid"))
	eval "SP_$s=$(sed -n 's/^hpnat: server [^ ]*:\([0-9]*\) .*/\1/p' "$T/nat$s.out")"
	mkfifo "$T/$s.in"
	seq 1 "$N" | sed "s/^/line $s /" >"$T/$s.want"
done

start_client() { # name server-port
	timeout 120 "$BIN/hpclient" --json --room chat90 --name "$1" 0 127.0.0.1 "$2" \
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

echo "check: both connect (registration and punching retry through the loss)"
wait_line "$T/a.out" '"event":"connected"' 30 || fail "a did not connect"
wait_line "$T/b.out" '"event":"connected"' 30 || fail "b did not connect"

echo "check: $N lines each way, then stdin closes"
cat "$T/a.want" >&"$WA"
cat "$T/b.want" >&"$WB"
exec {WA}>&-
exec {WB}>&-
WFDS=()

echo "check: both exit 0 (every line acknowledged, BYE exchanged)"
rc=0; wait "$PID_a" || rc=$?
[ "$rc" -eq 0 ] || fail "a exited $rc"
rc=0; wait "$PID_b" || rc=$?
[ "$rc" -eq 0 ] || fail "b exited $rc"

echo "check: exactly once, in order"
texts() { # out-file peer
	grep '"event":"message"' "$1" | grep -v "\"from\":\"$2\"" && return 1
	grep '"event":"message"' "$1" | sed -n 's/.*"text":"\(.*\)"}$/\1/p'
}
texts "$T/a.out" b >"$T/a.got" || fail "a shows a message not from b"
texts "$T/b.out" a >"$T/b.got" || fail "b shows a message not from a"
diff -u "$T/b.want" "$T/a.got" >&2 || fail "a received b's lines wrongly"
diff -u "$T/a.want" "$T/b.got" >&2 || fail "b received a's lines wrongly"
for s in a b; do
	grep -q "\"event\":\"stats\",\"sent\":$N,\"delivered\":$N," "$T/$s.out" ||
		fail "$s: stats event does not say sent=$N delivered=$N"
	r=$(grep -c '"event":"retransmit"' "$T/$s.out" || true)
	echo "  $s: $r retransmissions; $(grep '"event":"stats"' "$T/$s.out")"
	[ "$r" -gt 0 ] || fail "$s retransmitted nothing under $LOSS % loss"
done
echo "PASS: 90-loss"
