#!/usr/bin/env bash
# hpserver survives 10000 hostile datagrams without ever answering with a
# reply longer than the request (hpflood checks every reply), then still
# pairs a new room, refuses a third peer and a key change, and exits 0 on
# SIGTERM. Optionally the same pairing over IPv6 (--bind ::1).
set -euo pipefail

BIN=${HPLAB_BIN:?HPLAB_BIN must name the build directory}
name=20-server-hostile
seed=${HPFLOOD_SEED:-20240611}
count=${HPFLOOD_COUNT:-10000}

tmp=$(mktemp -d)
srv_pid=
reg_pid=
cleanup() {
	if [ -n "$reg_pid" ]; then kill "$reg_pid" 2>/dev/null || true; fi
	if [ -n "$srv_pid" ]; then kill "$srv_pid" 2>/dev/null || true; fi
	exec 3<&- 4<&- 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

fail() { echo "FAIL: $name: $*"; exit 1; }

# start_server ARGS...: sets srv_pid and port; server stderr on fd 3
start_server() {
	rm -f "$tmp/err"
	mkfifo "$tmp/err"
	"$BIN/hpserver" "$@" 2>"$tmp/err" &
	srv_pid=$!
	exec 3<"$tmp/err"
	read -r -t 5 -u 3 ready || fail "no ready line from hpserver $*"
	echo "check: ready line: $ready"
	[[ $ready =~ ^hpserver:\ listening\ on\ .*:([0-9]+)$ ]] || fail "bad ready line"
	port=${BASH_REMATCH[1]}
}

stop_server() {
	kill -TERM "$srv_pid"
	timeout 5 tail --pid="$srv_pid" -f /dev/null || fail "hpserver did not exit on SIGTERM"
	rc=0
	wait "$srv_pid" || rc=$?
	srv_pid=
	exec 3<&-
	[ "$rc" -eq 0 ] || fail "exit status $rc on SIGTERM"
}

# check_pairing HOST ROOM: two peers get INTRO, a third and a key change are refused
check_pairing() {
	local host=$1 room=$2 first second out
	rm -f "$tmp/a"
	mkfifo "$tmp/a"
	"$BIN/tools/hpreg" --count 2 --timeout 5000 --nick alice "$host" "$port" "$room" tokA >"$tmp/a" &
	reg_pid=$!
	exec 4<"$tmp/a"
	read -r -t 5 -u 4 first || fail "alice got no reply"
	echo "check: alice alone in $room: $first"
	[[ $first == "REGISTERED "* ]] || fail "alice expected REGISTERED, got '$first'"

	out=$(timeout 10 "$BIN/tools/hpreg" --nick bob "$host" "$port" "$room" tokB) || fail "bob got no reply"
	echo "check: bob joins $room: $out"
	[[ $out == "INTRO alice "* ]] || fail "bob expected INTRO alice, got '$out'"

	read -r -t 5 -u 4 second || fail "alice got no INTRO"
	echo "check: alice introduced: $second"
	[[ $second == "INTRO bob "* ]] || fail "alice expected INTRO bob, got '$second'"
	timeout 5 tail --pid="$reg_pid" -f /dev/null || fail "hpreg alice did not finish"
	wait "$reg_pid" || fail "hpreg alice failed"
	reg_pid=
	exec 4<&-

	out=$(timeout 10 "$BIN/tools/hpreg" --nick carol "$host" "$port" "$room" tokC) || fail "carol got no reply"
	echo "check: third peer refused: $out"
	[[ $out == "ERROR 1 room full" ]] || fail "carol expected 'ERROR 1 room full', got '$out'"

	out=$(timeout 10 "$BIN/tools/hpreg" --key mallory "$host" "$port" "$room" tokA) || fail "no reply to key change"
	echo "check: key change refused: $out"
	[[ $out == "ERROR 4 "* ]] || fail "expected ERROR 4, got '$out'"
}

start_server --max-rooms 65536 0

echo "check: hpflood $count datagrams (seed $seed): no reply larger than its request"
out=$(timeout 120 "$BIN/tools/hpflood" 127.0.0.1 "$port" "$count" "$seed") || fail "hpflood failed: $out"
echo "  | $out"
kill -0 "$srv_pid" 2>/dev/null || fail "hpserver died under the flood"

check_pairing 127.0.0.1 "fresh-room-$$"

echo "check: SIGUSR1 counters account for the flood"
kill -USR1 "$srv_pid"
read -r -t 5 -u 3 counters || fail "no counters line on SIGUSR1"
echo "  | $counters"
[[ $counters =~ \ rx=([0-9]+) ]] || fail "counters line lacks rx"
[ "${BASH_REMATCH[1]}" -ge "$((2 * count))" ] || fail "rx=${BASH_REMATCH[1]} < $((2 * count))"
[[ $counters =~ drop_would_amplify=([0-9]+) ]] || fail "counters line lacks drop_would_amplify"

echo "check: SIGTERM exits 0"
stop_server

if [ -r /proc/net/if_inet6 ] && grep -q ' lo$' /proc/net/if_inet6; then
	echo "check: same pairing over IPv6 (--bind ::1)"
	start_server --bind ::1 0
	check_pairing ::1 "v6-room-$$"
	stop_server
else
	echo "SKIP: IPv6 pairing (no ::1 on lo)"
fi
echo "PASS: $name"
