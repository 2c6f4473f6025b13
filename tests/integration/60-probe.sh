#!/usr/bin/env bash
# NAT behaviour discovery (RFC 5780) on loopback: hpserver with a second
# address (127.0.0.2, on lo already) and `hpclient --probe` must report no
# NAT: endpoint-independent mapping and filtering, "nat":"none". Without
# --alt-addr the probe fails with a clear reason and exit 1.
set -euo pipefail

BIN=${HPLAB_BIN:?HPLAB_BIN must name the build dir}
T=$(mktemp -d /tmp/hplab-60.XXXXXX)
PIDS=()

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() { echo "FAIL: $*" >&2; for f in "$T"/*; do echo "--- $f" >&2; cat "$f" >&2; done; exit 1; }

# start_server FILE ARGS...: sets PORT
start_server() {
	local f=$1
	shift
	"$BIN/hpserver" "$@" 0 2>"$f" &
	PIDS+=($!)
	SRV=$!
	for _ in $(seq 50); do
		grep -q 'listening on' "$f" && break
		timeout 0.1 tail -f /dev/null 2>/dev/null || true
	done
	PORT=$(sed -n 's/.*listening on [^ ]*:\([0-9][0-9]*\).*/\1/p' "$f" | head -n1)
	[ -n "$PORT" ] || fail "server did not start: $*"
}

if ! ping -c1 -W1 127.0.0.2 >/dev/null 2>&1 && ! ip -4 route get 127.0.0.2 >/dev/null 2>&1; then
	echo "SKIP: 60-probe needs 127.0.0.2 on loopback"
	exit 0
fi

echo "check: hpserver binds four sockets with --alt-addr"
start_server "$T/srv.err" --bind 127.0.0.1 --alt-addr 127.0.0.2
grep -q "STUN alternates 127.0.0.1:[0-9]* 127.0.0.2:$PORT 127.0.0.2:[0-9]*" "$T/srv.err" ||
	fail "no alternates line"

echo "check: hpclient --probe --json reports no NAT"
timeout 10 "$BIN/hpclient" --probe --json 0 127.0.0.1 "$PORT" >"$T/probe.out" 2>"$T/probe.err" ||
	fail "probe exited $?"
[ "$(wc -l <"$T/probe.out")" -eq 1 ] || fail "want exactly one line"
line=$(cat "$T/probe.out")
echo "  $line"
[[ $line =~ ^\{\"event\":\"probe\",\"mapping\":\"endpoint-independent\",\"filtering\":\"endpoint-independent\",\"public\":\"127\.0\.0\.1:[0-9]+\",\"nat\":\"none\",\"ms\":[0-9]+\}$ ]] ||
	fail "unexpected probe line"

echo "check: the answers to CHANGE-REQUEST came from the other sockets"
kill -USR1 "$SRV"
for _ in $(seq 50); do
	grep -q 'counters' "$T/srv.err" && break
	timeout 0.1 tail -f /dev/null 2>/dev/null || true
done
grep -q 'stun_changed_sent=1 ' "$T/srv.err" || fail "want exactly one changed answer (test II)"

echo "check: human output is a two-line verdict"
timeout 10 "$BIN/hpclient" --probe 0 127.0.0.1 "$PORT" >"$T/human.out" 2>"$T/human.err" ||
	fail "human probe failed"
grep -q '^mapping: *endpoint-independent' "$T/human.out" || fail "no mapping line"
grep -q '^filtering: *endpoint-independent .*none' "$T/human.out" || fail "no filtering line"

echo "check: a server without --alt-addr: exit 1 with the reason"
start_server "$T/srv2.err" --bind 127.0.0.1
rc=0
timeout 10 "$BIN/hpclient" --probe --json 0 127.0.0.1 "$PORT" >"$T/noalt.out" 2>"$T/noalt.err" || rc=$?
[ "$rc" -eq 1 ] || fail "exit $rc, want 1"
grep -q '"event":"error","reason":"server has no alternate address (start hpserver with --alt-addr)"' \
	"$T/noalt.out" || fail "no error event"

echo "check: a silent server: exit 1 within --timeout"
kill "$SRV"
timeout 5 tail --pid="$SRV" -f /dev/null || fail "server did not stop"
rc=0
timeout 10 "$BIN/hpclient" --probe --json --timeout 2 0 127.0.0.1 "$PORT" >"$T/silent.out" 2>"$T/silent.err" || rc=$?
[ "$rc" -eq 1 ] || fail "exit $rc, want 1"
grep -q '"event":"error","reason":"no answer from STUN server' "$T/silent.out" || fail "no error event"
echo "PASS: 60-probe"
