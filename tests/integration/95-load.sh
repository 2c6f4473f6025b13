#!/usr/bin/env bash
# The server bench's load generator (tests/tools/hpload, used by make
# bench) keeps working: against a loopback hpserver, with the default
# limits, every STUN request, every registration (cookie exchange
# included, one- and two-peer rooms) and every ping is answered; a target
# off loopback is refused with exit 2; the floor the bench measures
# (tests/tools/hpecho) answers too. Counts only: no timing is checked.
set -euo pipefail
. "$HPLAB_TOP/tests/lib.sh"
hp_init

# load NAME ARGS...: one hpload run, its line shown and kept in $T/NAME
load() {
	local name=$1
	shift
	timeout 60 "$BIN/tools/hpload" "$@" --timeout-ms 10000 --time-limit 50 >"$T/$name" ||
		hp_fail "hpload $* failed (status $?)"
	echo "  | $(cat "$T/$name")"
}

# expect_all NAME N: the run answered N, lost and refused none
expect_all() {
	local line f
	line=$(cat "$T/$1")
	for f in "answered=$2" lost=0 errors=0 unfinished=0; do
		[[ " $line " == *" $f "* ]] || hp_fail "$1: expected $f, saw: $line"
	done
}

hp_start_server --bind 127.0.0.1 0
port=$HP_SERVER_PORT

echo "check: 2000 Binding requests, 16 in flight, all answered; server CPU read"
load stun stun 127.0.0.1 "$port" --count 2000 --window 16 --pid "$HP_SERVER_PID"
expect_all stun 2000
hp_expect_grep "server figures" ' server_cpu_us=[0-9]+ .* rss_after_kb=[0-9]+' "$T/stun"

echo "check: --spin 1 (polls without sleeping): 2000 requests, all answered"
load spin stun 127.0.0.1 "$port" --count 2000 --window 16 --spin 1
expect_all spin 2000
hp_expect_grep "spin shown" ' spin=1 ' "$T/spin"

echo "check: 50 pings, one every ms, all answered, latencies printed"
load ping ping 127.0.0.1 "$port" --count 50 --interval-us 1000
expect_all ping 50
hp_expect_grep "latencies" ' p50_us=[0-9]+ p99_us=[0-9]+ max_us=[0-9]+' "$T/ping"

if [ "$(id -u)" = 0 ]; then
	echo "check: 200 new rooms (COOKIE, then REGISTERED), each from its own 127.x.y.z"
	load reg register 127.0.0.1 "$port" --count 200 --window 8
	expect_all reg 200
	hp_expect_grep "two datagrams per room" ' sent=400 ' "$T/reg"
	echo "check: 100 two-peer rooms (the second peer gets INTRO)"
	load pairs register 127.0.0.1 "$port" --count 100 --window 8 --peers 2
	expect_all pairs 100
	echo "check: the server holds them: 400 registrations"
	hp_expect_eq "registers counter" 400 "$(hp_counter registers)"
else
	hp_skip_part "register needs root (SO_BINDTODEVICE for the 127/8 sources)"
fi

echo "check: a target off loopback is refused: exit 2, one line"
rc=0
"$BIN/tools/hpload" stun 192.0.2.1 "$port" --count 1 >"$T/off.out" 2>"$T/off.err" || rc=$?
hp_expect_eq "exit status" 2 "$rc"
hp_expect_eq "stderr lines" 1 "$(wc -l <"$T/off.err")"
hp_expect_grep "refusal" 'not an IPv4 loopback address' "$T/off.err"

hp_stop_server

echo "check: the bench's floor (tools/hpecho) answers 2000 Binding requests"
exec 3< <(exec timeout 60 "$BIN/tools/hpecho" 50)
echo_pid=$!
read -r -t 10 -u 3 line || hp_fail "hpecho printed no ready line"
exec 3<&-
load echo stun 127.0.0.1 "${line##*:}" --count 2000 --window 16 --pid "$echo_pid"
expect_all echo 2000
kill "$echo_pid"
wait "$echo_pid" || hp_fail "hpecho did not exit 0 on SIGTERM"
echo "PASS: $HP_NAME"
