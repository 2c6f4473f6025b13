#!/usr/bin/env bash
# The server dies after the punch: the chat goes on directly (no
# reconnecting, unanswered refreshes are no failure); the server comes
# back on the same port, both clients' periodic REGISTERs re-establish
# their registrations, and a new pair meets through it normally.
set -euo pipefail

BIN=${HPLAB_BIN:?HPLAB_BIN must name the build dir}
N=${N_LINES:-40}
HALF=$((N / 2))
T=$(mktemp -d /tmp/hplab-80.XXXXXX)
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

# Children must not inherit the clients' stdin writers (fifos): a
# restarted server holding alice's would keep her input from ending.
close_writers() {
	local fd
	for fd in "${WFDS[@]}"; do exec {fd}>&-; done
}

start_server() {
	(close_writers; exec timeout 90 "$BIN/hpserver" -v --bind 127.0.0.1 "$1" 2>"$T/srv$2.err") &
	SRV=$!
	PIDS+=($SRV)
	wait_line "$T/srv$2.err" 'listening on' 5 || fail "server $2 did not start"
}

echo "check: server starts"
start_server 0 1
PORT=$(sed -n 's/.*listening on [^ ]*:\([0-9][0-9]*\).*/\1/p' "$T/srv1.err" | head -n1)
for s in a b; do
	mkfifo "$T/$s.in"
	seq 1 "$N" | sed "s/^/line $s /" >"$T/$s.want"
done

start_client() { # name room
	(close_writers; exec timeout 90 "$BIN/hpclient" --json --keepalive 0.5 --room "$2" \
		--name "$1" 0 127.0.0.1 "$PORT" <"$T/$1.in" >"$T/$1.out" 2>"$T/$1.err") &
	PIDS+=($!)
	eval "PID_$1=$!"
}

start_client a chat80
exec {WA}>"$T/a.in"
WFDS+=("$WA")
start_client b chat80
exec {WB}>"$T/b.in"
WFDS+=("$WB")
wait_line "$T/a.out" '"event":"connected","path":"direct"' 15 || fail "a did not connect"
wait_line "$T/b.out" '"event":"connected","path":"direct"' 15 || fail "b did not connect"

echo "check: the first $HALF lines cross"
head -n "$HALF" "$T/a.want" >&"$WA"
head -n "$HALF" "$T/b.want" >&"$WB"
wait_line "$T/a.out" "\"event\":\"message\",\"from\":\"b\",\"seq\":$HALF," 20 || fail "a missed lines"
wait_line "$T/b.out" "\"event\":\"message\",\"from\":\"a\",\"seq\":$HALF," 20 || fail "b missed lines"

echo "check: the server stops; the rest crosses without it"
kill "$SRV"
rc=0; wait "$SRV" || rc=$?
[ "$rc" -eq 0 ] || fail "server exited $rc on SIGTERM"
tail -n +"$((HALF + 1))" "$T/a.want" >&"$WA"
tail -n +"$((HALF + 1))" "$T/b.want" >&"$WB"
wait_line "$T/a.out" "\"event\":\"message\",\"from\":\"b\",\"seq\":$N," 20 || fail "a missed lines"
wait_line "$T/b.out" "\"event\":\"message\",\"from\":\"a\",\"seq\":$N," 20 || fail "b missed lines"

echo "check: the server comes back and both refreshes re-register"
start_server "$PORT" 2
wait_line "$T/srv2.err" 'register room "chat80" nick "a"' 10 || fail "a did not register again"
wait_line "$T/srv2.err" 'register room "chat80" nick "b"' 10 || fail "b did not register again"
for s in a b; do
	! grep -q '"event":"reconnecting"\|"event":"error"\|"event":"peer_lost"' "$T/$s.out" ||
		fail "$s reconnected or failed while the server was away"
done

echo "check: alice and bob exit 0 when their input ends"
exec {WA}>&-
exec {WB}>&-
WFDS=()
for s in a b; do
	eval "p=\$PID_$s"
	rc=0; wait "$p" || rc=$?
	[ "$rc" -eq 0 ] || fail "$s exited $rc"
done

echo "check: a new pair meets through the restarted server"
for s in c d; do
	mkfifo "$T/$s.in"
	start_client "$s" again80
done
exec {WC}>"$T/c.in"
WFDS+=("$WC")
exec {WD}>"$T/d.in"
WFDS+=("$WD")
echo "hello from c" >&"$WC"
echo "hello from d" >&"$WD"
wait_line "$T/c.out" '"text":"hello from d"' 15 || fail "c did not hear d"
wait_line "$T/d.out" '"text":"hello from c"' 15 || fail "d did not hear c"
exec {WC}>&-
exec {WD}>&-
WFDS=()
for s in c d; do
	eval "p=\$PID_$s"
	rc=0; wait "$p" || rc=$?
	[ "$rc" -eq 0 ] || fail "$s exited $rc"
done

echo "check: alice and bob got every line once, in order"
texts() { # out-file peer
	grep '"event":"message"' "$1" | grep -v "\"from\":\"$2\"" && return 1
	grep '"event":"message"' "$1" | sed -n 's/.*"text":"\(.*\)"}$/\1/p'
}
texts "$T/a.out" b >"$T/a.got" || fail "a shows a message not from b"
texts "$T/b.out" a >"$T/b.got" || fail "b shows a message not from a"
diff -u "$T/b.want" "$T/a.got" >&2 || fail "a received b's lines wrongly"
diff -u "$T/a.want" "$T/b.got" >&2 || fail "b received a's lines wrongly"
echo "PASS: 80-server-restart"
