#!/usr/bin/env bash
# Two hpclients meet through hpserver on 127.0.0.1 and exchange 100 lines
# each: every line must arrive exactly once, in order, and both exit 0.
set -euo pipefail

BIN=${HPLAB_BIN:?HPLAB_BIN must name the build dir}
N=${N_LINES:-100}
T=$(mktemp -d /tmp/hplab-30.XXXXXX)
PIDS=()
WFDS=()

cleanup() {
	local p fd
	for fd in "${WFDS[@]}"; do exec {fd}>&- 2>/dev/null || true; done
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

echo "check: server starts on an ephemeral port"
timeout 60 "$BIN/hpserver" -q 0 2>"$T/srv.err" &
PIDS+=($!)
wait_line "$T/srv.err" 'listening on' 5 || fail "server did not start"
PORT=$(sed -n 's/.*listening on [^ ]*:\([0-9][0-9]*\).*/\1/p' "$T/srv.err" | head -n1)
[ -n "$PORT" ] || fail "no port in server output"

for s in a b; do
	mkfifo "$T/$s.in"
	seq 1 "$N" | sed "s/^/line $s /" >"$T/$s.want"
done

start_client() { # name
	timeout 60 "$BIN/hpclient" --json --room chat30 --name "$1" 0 127.0.0.1 "$PORT" \
		<"$T/$1.in" >"$T/$1.out" 2>"$T/$1.err" &
	PIDS+=($!)
	eval "PID_$1=$!"
}

start_client a
exec {WA}>"$T/a.in"
WFDS+=("$WA")
start_client b
exec {WB}>"$T/b.in"
WFDS+=("$WB")

echo "check: both clients connect directly"
wait_line "$T/a.out" '"event":"connected","path":"direct"' 15 || fail "a did not connect"
wait_line "$T/b.out" '"event":"connected","path":"direct"' 15 || fail "b did not connect"

cat "$T/a.want" >&"$WA"
cat "$T/b.want" >&"$WB"

echo "check: each side receives all $N lines of the other"
wait_line "$T/a.out" "\"event\":\"message\",\"from\":\"b\",\"seq\":$N," 30 || fail "a missed lines"
exec {WA}>&-
wait_line "$T/b.out" "\"event\":\"message\",\"from\":\"a\",\"seq\":$N," 30 || fail "b missed lines"
exec {WB}>&-
WFDS=()

echo "check: both exit 0 after stdin closes"
rc=0; wait "$PID_a" || rc=$?
[ "$rc" -eq 0 ] || fail "a exited $rc"
rc=0; wait "$PID_b" || rc=$?
[ "$rc" -eq 0 ] || fail "b exited $rc"

echo "check: exactly once, in order, nothing else"
texts() { # out-file peer
	grep '"event":"message"' "$1" | grep -v "\"from\":\"$2\"" && return 1
	grep '"event":"message"' "$1" | sed -n 's/.*"text":"\(.*\)"}$/\1/p'
}
texts "$T/a.out" b >"$T/a.got" || fail "a shows a message not from b"
texts "$T/b.out" a >"$T/b.got" || fail "b shows a message not from a"
diff -u "$T/b.want" "$T/a.got" >&2 || fail "a received b's lines wrongly"
diff -u "$T/a.want" "$T/b.got" >&2 || fail "b received a's lines wrongly"
for s in a b; do
	seqs=$(grep -c '"event":"acked"' "$T/$s.out" || true)
	[ "$seqs" -eq "$N" ] || fail "$s saw $seqs acks, want $N"
	grep -q '"event":"bye","from":"self"' "$T/$s.out" || fail "$s said no bye"
done
echo "PASS: 30-loopback-chat"
