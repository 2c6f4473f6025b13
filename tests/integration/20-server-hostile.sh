#!/usr/bin/env bash
# hpserver survives 10000 hostile datagrams without ever answering with a
# reply longer than the request (hpflood checks every reply), then still
# pairs a new room, refuses a third peer and a key change, and exits 0 on
# SIGTERM. Optionally the same pairing over IPv6 (--bind ::1).
set -euo pipefail
. "$HPLAB_TOP/tests/lib.sh"
hp_init
seed=${HPFLOOD_SEED:-20240611}
count=${HPFLOOD_COUNT:-10000}

# start_server ARGS...: hp_start_server, showing and checking the ready line
start_server() {
	hp_start_server "$@"
	echo "check: ready line: $HP_SERVER_READY"
	[[ $HP_SERVER_READY =~ ^hpserver:\ listening\ on\ .*:([0-9]+)$ ]] ||
		hp_fail "expected 'hpserver: listening on ADDR:PORT', saw '$HP_SERVER_READY'"
	port=$HP_SERVER_PORT
}

# check_pairing HOST ROOM: two peers get INTRO, a third and a key change are refused
check_pairing() {
	local host=$1 room=$2 first second out reg_pid alice
	alice=$T/alice-$room.out
	"$BIN/tools/hpreg" --count 2 --timeout 5000 --nick alice "$host" "$port" "$room" tokA >"$alice" &
	reg_pid=$!
	hp_track "$reg_pid"
	first=$(hp_wait_nth "$alice" . 1 5) || hp_fail "alice got no reply"
	echo "check: alice alone in $room: $first"
	[[ $first == "REGISTERED "* ]] || hp_fail "alice expected REGISTERED, got '$first'"

	out=$(timeout 10 "$BIN/tools/hpreg" --nick bob "$host" "$port" "$room" tokB) || hp_fail "bob got no reply"
	echo "check: bob joins $room: $out"
	[[ $out == "INTRO alice "* ]] || hp_fail "bob expected INTRO alice, got '$out'"

	second=$(hp_wait_nth "$alice" . 2 5) || hp_fail "alice got no INTRO"
	echo "check: alice introduced: $second"
	[[ $second == "INTRO bob "* ]] || hp_fail "alice expected INTRO bob, got '$second'"
	timeout 5 tail --pid="$reg_pid" -f /dev/null || hp_fail "hpreg alice did not finish"
	wait "$reg_pid" || hp_fail "hpreg alice failed"
	hp_untrack "$reg_pid"

	out=$(timeout 10 "$BIN/tools/hpreg" --nick carol "$host" "$port" "$room" tokC) || hp_fail "carol got no reply"
	echo "check: third peer refused: $out"
	[[ $out == "ERROR 1 room full" ]] || hp_fail "carol expected 'ERROR 1 room full', got '$out'"

	out=$(timeout 10 "$BIN/tools/hpreg" --key mallory "$host" "$port" "$room" tokA) || hp_fail "no reply to key change"
	echo "check: key change refused: $out"
	[[ $out == "ERROR 4 "* ]] || hp_fail "expected ERROR 4, got '$out'"

	# a source that does not answer the cookie (a spoofed one cannot) is
	# told to prove itself and nothing more: not paired, not refused
	out=$(timeout 10 "$BIN/tools/hpreg" --no-cookie --nick dave "$host" "$port" "$room-x" tokD) ||
		hp_fail "no reply to an unproven register"
	echo "check: unproven source gets a cookie only: $out"
	[[ $out == "cookie" ]] || hp_fail "expected a cookie, got '$out'"
	out=$(timeout 10 "$BIN/tools/hpreg" --nick erin "$host" "$port" "$room-x" tokE) || hp_fail "erin got no reply"
	[[ $out == "REGISTERED "* ]] || hp_fail "the unproven register took a slot: erin got '$out'"
	out=$(timeout 10 "$BIN/tools/hpreg" --nick tok "$host" "$port" "$room-y" tokB) || hp_fail "no reply"
	echo "check: a token live in another room is refused: $out"
	[[ $out == "ERROR 6 "* ]] || hp_fail "expected ERROR 6, got '$out'"
}

start_server --max-rooms 65536 0

echo "check: hpflood $count datagrams (seed $seed): no reply larger than its request"
out=$(timeout 120 "$BIN/tools/hpflood" 127.0.0.1 "$port" "$count" "$seed") || hp_fail "hpflood failed: $out"
echo "  | $out"
kill -0 "$HP_SERVER_PID" 2>/dev/null || hp_fail "hpserver died under the flood"

check_pairing 127.0.0.1 "fresh-room-$$"

echo "check: SIGUSR1 counters account for the flood"
counters=$(hp_server_counters) || hp_fail "no counters line on SIGUSR1"
echo "  | $counters"
[[ $counters =~ \ rx=([0-9]+) ]] || hp_fail "expected rx= in the counters, saw: $counters"
hp_expect_ge "rx" "$((2 * count))" "${BASH_REMATCH[1]}"
[[ $counters =~ drop_would_amplify=([0-9]+) ]] ||
	hp_fail "expected drop_would_amplify= in the counters, saw: $counters"

echo "check: SIGTERM exits 0"
hp_stop_server

if [ -r /proc/net/if_inet6 ] && grep -q ' lo$' /proc/net/if_inet6; then
	echo "check: same pairing over IPv6 (--bind ::1)"
	start_server --bind ::1 0
	check_pairing ::1 "v6-room-$$"
	hp_stop_server
else
	hp_skip_part "IPv6 pairing (no ::1 on lo)"
fi
echo "PASS: $HP_NAME"
