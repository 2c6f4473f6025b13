#!/usr/bin/env bash
# A client pointed at a loopback port with no hpserver behind it hears the
# ICMP port unreachable and says so (a warning) long before its --timeout
# ends the run (an error, exit 1); the human output says whom it registers
# with first. When a server does come up on that port while the client is
# still retrying, the client registers and chats as usual.
# No assertion on durations: only what is said, in which order, and how
# the run ends.
set -euo pipefail
. "$HPLAB_TOP/tests/lib.sh"
hp_init

# A port nothing listens on: a server's, after it stopped.
hp_start_server -q --bind 127.0.0.1 0
PORT=$HP_SERVER_PORT
hp_stop_server
UNREACH="no hpserver answering at 127.0.0.1:$PORT \\(port unreachable\\)"

# line_no FILE REGEX: the number of FILE's first line matching REGEX.
line_no() {
	grep -n -m1 -E -- "$2" "$1" | cut -d: -f1
}

echo "check: human mode says whom it registers with, then that nobody answers"
mkfifo "$T/h.in"
(hp_close_writers; exec timeout "$HP_TIMEOUT" "$BIN/hpclient" --timeout 2 0 127.0.0.1 "$PORT" \
	<"$T/h.in" >"$T/h.out" 2>"$T/h.err") &
HPID=$!
hp_track "$HPID"
exec {HFD}>"$T/h.in"
HP_WRITERS+=("$HFD")
rc=0
wait "$HPID" || rc=$?
hp_untrack "$HPID"
[ "$rc" -eq 1 ] || hp_fail "human client exited $rc, want 1"
reg=$(line_no "$T/h.err" "^hpclient: registering with 127.0.0.1:$PORT \\(room \"default\"\\) \\.\\.\\.\$")
warn=$(line_no "$T/h.err" "^hpclient: warning: $UNREACH; still trying for up to 2 s\$")
err=$(line_no "$T/h.err" "^hpclient: no answer from server 127.0.0.1:$PORT after 2 s \\(port unreachable\\)\$")
[ -n "$reg" ] || hp_fail "no 'registering with' line"
[ -n "$warn" ] || hp_fail "no '$UNREACH' warning"
[ -n "$err" ] || hp_fail "no final error naming the port unreachable"
[ "$reg" -lt "$warn" ] && [ "$warn" -lt "$err" ] ||
	hp_fail "lines out of order: registering $reg, warning $warn, error $err"
[ "$(grep -c "no hpserver answering" "$T/h.err")" -eq 1 ] || hp_fail "the warning is not said once"

echo "check: --json: a warning event, then the error event, exit 1"
hp_client_start j --timeout 2 0 127.0.0.1 "$PORT"
hp_client_exit j 1
warn=$(line_no "$T/j.out" "^\\{\"event\":\"warning\",\"t_us\":[0-9]*,\"reason\":\"$UNREACH; still trying")
err=$(line_no "$T/j.out" "^\\{\"event\":\"error\",\"t_us\":[0-9]*,\"reason\":\"no answer from server 127.0.0.1:$PORT after 2 s \\(port unreachable\\)\"\\}\$")
[ -n "$warn" ] && [ -n "$err" ] && [ "$warn" -lt "$err" ] ||
	hp_fail "want the warning event before the error event (warning ${warn:-none}, error ${err:-none})"

echo "check: the server comes up while the client retries: it registers and chats"
hp_client_start a --room chat15 --timeout 30 0 127.0.0.1 "$PORT"
hp_expect_line "a heard no unreachable" "$T/a.out" "\"event\":\"warning\",\"t_us\":[0-9]*,\"reason\":\"$UNREACH" 30
hp_start_server -q --bind 127.0.0.1 "$PORT"
hp_expect_line "a did not register" "$T/a.out" '"event":"registered"' 30
hp_client_start b --room chat15 0 127.0.0.1 "$PORT"
hp_expect_line "a did not connect" "$T/a.out" '"event":"connected","t_us":[0-9]*,"path":"direct"' 15
hp_expect_line "b did not connect" "$T/b.out" '"event":"connected","t_us":[0-9]*,"path":"direct"' 15
echo "hello from a" >&"${HP_W[a]}"
hp_wait_line "$T/b.out" '"event":"message","t_us":[0-9]*,"from":"a","seq":1,"text":"hello from a"' 15 ||
	hp_fail "b missed a's line"
hp_client_close a
hp_client_close b
hp_client_exit a
hp_client_exit b
grep -q '"event":"error"' "$T/a.out" "$T/b.out" && hp_fail "an error event in a working chat"
grep -q "no hpserver answering" "$T/b.out" && hp_fail "b, with the server up, heard of no server"
echo "PASS: 15-no-server"
