#!/usr/bin/env bash
# Relay fallback on loopback. Two hpclients forced to relay (--force-relay:
# they never punch directly) exchange 20 lines each through hpserver: every
# line arrives once and in order, both report "path":"relay", and the
# server's counters show the forwarded datagrams. Then convergence: only
# one side forced, the other (which would wait 30 s before relaying) must
# adopt the relay as soon as an authenticated relayed datagram arrives.
set -euo pipefail

BIN=${HPLAB_BIN:?HPLAB_BIN must name the build dir}
N=20
T=$(mktemp -d /tmp/hplab-50.XXXXXX)
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
trap 'exit 1' INT TERM

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
# no timeout wrapper: SIGUSR1 must reach hpserver itself (the trap kills it)
"$BIN/hpserver" --bind 127.0.0.1 0 2>"$T/srv.err" &
SRV=$!
PIDS+=("$SRV")
wait_line "$T/srv.err" 'listening on' 5 || fail "server did not start"
PORT=$(sed -n 's/.*listening on [^ ]*:\([0-9][0-9]*\).*/\1/p' "$T/srv.err" | head -n1)
[ -n "$PORT" ] || fail "no port in server output"

start_client() { # name room options...
	local n=$1 r=$2
	shift 2
	mkfifo "$T/$n.in"
	timeout 60 "$BIN/hpclient" --json --room "$r" --name "$n" "$@" 0 127.0.0.1 "$PORT" \
		<"$T/$n.in" >"$T/$n.out" 2>"$T/$n.err" &
	PIDS+=($!)
	eval "PID_$n=$!"
}

# counter NAME: value from a fresh SIGUSR1 counters line
counter() {
	local before after
	before=$(grep -c 'counters' "$T/srv.err" || true)
	kill -USR1 "$SRV"
	for _ in $(seq 50); do
		after=$(grep -c 'counters' "$T/srv.err" || true)
		[ "$after" -gt "$before" ] && break
		timeout 0.1 tail -f /dev/null 2>/dev/null || true
	done
	grep 'counters' "$T/srv.err" | tail -n1 | tr ' ' '\n' | sed -n "s/^$1=//p"
}

for s in a b; do seq 1 "$N" | sed "s/^/line $s /" >"$T/$s.want"; done

start_client a relay50 --force-relay
exec {WA}>"$T/a.in"
WFDS+=("$WA")
start_client b relay50 --force-relay
exec {WB}>"$T/b.in"
WFDS+=("$WB")

echo "check: both clients connect through the relay"
wait_line "$T/a.out" "\"event\":\"connected\",\"path\":\"relay\",\"peer\":\"127.0.0.1:$PORT\"" 10 ||
	fail "a did not connect via relay"
wait_line "$T/b.out" "\"event\":\"connected\",\"path\":\"relay\",\"peer\":\"127.0.0.1:$PORT\"" 10 ||
	fail "b did not connect via relay"

cat "$T/a.want" >&"$WA"
cat "$T/b.want" >&"$WB"

echo "check: each side receives all $N lines of the other"
wait_line "$T/a.out" "\"event\":\"message\",\"from\":\"b\",\"seq\":$N," 20 || fail "a missed lines"
wait_line "$T/b.out" "\"event\":\"message\",\"from\":\"a\",\"seq\":$N," 20 || fail "b missed lines"
exec {WA}>&-
exec {WB}>&-
WFDS=()

echo "check: both exit 0 after stdin closes"
rc=0; wait "$PID_a" || rc=$?
[ "$rc" -eq 0 ] || fail "a exited $rc"
rc=0; wait "$PID_b" || rc=$?
[ "$rc" -eq 0 ] || fail "b exited $rc"

echo "check: exactly once, in order, never direct"
for s in a b; do
	o=$([ "$s" = a ] && echo b || echo a)
	grep '"event":"message"' "$T/$s.out" | sed -n 's/.*"text":"\(.*\)"}$/\1/p' >"$T/$s.got"
	diff -u "$T/$o.want" "$T/$s.got" >&2 || fail "$s received $o's lines wrongly"
	! grep -q '"path":"direct"' "$T/$s.out" || fail "$s went direct despite --force-relay"
	acks=$(grep -c '"event":"acked"' "$T/$s.out" || true)
	[ "$acks" -eq "$N" ] || fail "$s saw $acks acks, want $N"
done

echo "check: server counters show the relaying"
fwd=$(counter relay_fwd)
[ -n "$fwd" ] && [ "$fwd" -ge $((4 * N)) ] || fail "relay_fwd=$fwd, want >= $((4 * N))"
for c in relay_drop_source relay_drop_unknown relay_drop_malformed relay_drop_rate relay_drop_bytes; do
	v=$(counter "$c")
	[ "$v" = 0 ] || fail "$c=$v, want 0"
done
echo "  relay_fwd=$fwd relay_fwd_bytes=$(counter relay_fwd_bytes)"

echo "check: a client that did not choose to relay adopts it when its peer relays"
start_client c conv50 --force-relay
exec {WC}>"$T/c.in"
WFDS+=("$WC")
start_client d conv50 --relay-after 30
exec {WD}>"$T/d.in"
WFDS+=("$WD")
wait_line "$T/d.out" '"event":"connected","path":"relay"' 10 || fail "d did not adopt the relay"
wait_line "$T/c.out" '"event":"connected","path":"relay"' 10 || fail "c did not connect"
echo "over the relay" >&"$WD"
wait_line "$T/c.out" '"text":"over the relay"' 10 || fail "c did not get d's line"
exec {WC}>&-
exec {WD}>&-
WFDS=()
rc=0; wait "$PID_c" || rc=$?
[ "$rc" -eq 0 ] || fail "c exited $rc"
rc=0; wait "$PID_d" || rc=$?
[ "$rc" -eq 0 ] || fail "d exited $rc"

echo "check: a server with relaying disabled refuses, and punching's timeout applies"
kill "$SRV"; timeout 5 tail --pid="$SRV" -f /dev/null || fail "server did not stop"
"$BIN/hpserver" --bind 127.0.0.1 --relay-bytes 0 0 2>"$T/srv2.err" &
SRV=$!
PIDS+=("$SRV")
wait_line "$T/srv2.err" 'listening on' 5 || fail "server 2 did not start"
PORT=$(sed -n 's/.*listening on [^ ]*:\([0-9][0-9]*\).*/\1/p' "$T/srv2.err" | head -n1)
start_client e off50 --force-relay --timeout 3
exec {WE}>"$T/e.in"
WFDS+=("$WE")
start_client f off50 --force-relay --timeout 3
exec {WF}>"$T/f.in"
WFDS+=("$WF")
rc=0; wait "$PID_e" || rc=$?
[ "$rc" -eq 1 ] || fail "e exited $rc, want 1"
grep -q '"event":"warning","reason":"server refused to relay' "$T/e.out" || fail "e saw no refusal"
grep -q 'punching timed out' "$T/e.err" || fail "e gave no punching error"
! grep -q '"event":"connected"' "$T/e.out" || fail "e connected through a refusing server"
echo "PASS: 50-relay"
