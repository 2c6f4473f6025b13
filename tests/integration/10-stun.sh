#!/usr/bin/env bash
# hpserver answers STUN Binding requests (RFC 8489) on its port: coturn's
# client must learn 127.0.0.1 as its reflexive address. Then SIGTERM must
# end the server with status 0.
set -euo pipefail

BIN=${HPLAB_BIN:?HPLAB_BIN must name the build directory}
name=10-stun

if ! command -v turnutils_stunclient >/dev/null 2>&1; then
	echo "SKIP: $name needs turnutils_stunclient (coturn)"
	exit 0
fi

tmp=$(mktemp -d)
srv_pid=
cleanup() {
	if [ -n "$srv_pid" ]; then kill "$srv_pid" 2>/dev/null || true; fi
	exec 3<&- 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

fail() { echo "FAIL: $name: $*"; exit 1; }

mkfifo "$tmp/err"
"$BIN/hpserver" 0 2>"$tmp/err" &
srv_pid=$!
exec 3<"$tmp/err"
read -r -t 5 -u 3 ready || fail "no ready line from hpserver"
echo "check: ready line: $ready"
[[ $ready =~ ^hpserver:\ listening\ on\ .*:([0-9]+)$ ]] || fail "bad ready line"
port=${BASH_REMATCH[1]}
[ "$port" -gt 0 ] || fail "port 0 not resolved"

echo "check: turnutils_stunclient -p $port 127.0.0.1 reports reflexive 127.0.0.1"
out=$(timeout 5 turnutils_stunclient -p "$port" 127.0.0.1 2>&1) || fail "stunclient failed: $out"
echo "$out" | sed 's/^/  | /'
grep -q 'reflexive addr: 127\.0\.0\.1:[0-9]' <<<"$out" || fail "no 127.0.0.1 reflexive address"

echo "check: SIGUSR1 counters show the STUN request(s)"
kill -USR1 "$srv_pid"
read -r -t 5 -u 3 counters || fail "no counters line on SIGUSR1"
[[ $counters =~ stun_requests=([0-9]+) ]] || fail "counters line lacks stun_requests: $counters"
[ "${BASH_REMATCH[1]}" -ge 1 ] || fail "stun_requests=${BASH_REMATCH[1]}"

echo "check: SIGTERM exits 0"
kill -TERM "$srv_pid"
timeout 5 tail --pid="$srv_pid" -f /dev/null || fail "hpserver did not exit on SIGTERM"
rc=0
wait "$srv_pid" || rc=$?
srv_pid=
[ "$rc" -eq 0 ] || fail "exit status $rc on SIGTERM"
echo "PASS: $name"
