#!/usr/bin/env bash
# NAT behaviour discovery (RFC 5780) on loopback: hpserver with a second
# address (127.0.0.2, on lo already) and `hpclient --probe` must report no
# NAT: endpoint-independent mapping and filtering, "nat":"none". Without
# --alt-addr the probe fails with a clear reason and exit 1.
set -euo pipefail
. "$HPLAB_TOP/tests/lib.sh"

if ! ping -c1 -W1 127.0.0.2 >/dev/null 2>&1 && ! ip -4 route get 127.0.0.2 >/dev/null 2>&1; then
	hp_skip "needs 127.0.0.2 on loopback"
fi
hp_init

echo "check: hpserver binds four sockets with --alt-addr"
hp_start_server --bind 127.0.0.1 --alt-addr 127.0.0.2 0
PORT=$HP_SERVER_PORT
hp_wait_line "$HP_SERVER_ERR" "STUN alternates 127.0.0.1:[0-9]* 127.0.0.2:$PORT 127.0.0.2:[0-9]*" 5 ||
	hp_fail "no alternates line"

echo "check: hpclient --probe --json reports no NAT"
timeout 10 "$BIN/hpclient" --probe --json 0 127.0.0.1 "$PORT" >"$T/probe.out" 2>"$T/probe.err" ||
	hp_fail "probe exited $?"
hp_expect_eq "lines of probe output" 1 "$(wc -l <"$T/probe.out")"
line=$(cat "$T/probe.out")
echo "  $line"
[[ $line =~ ^\{\"event\":\"probe\",\"t_us\":[0-9]+,\"mapping\":\"endpoint-independent\",\"filtering\":\"endpoint-independent\",\"public\":\"127\.0\.0\.1:[0-9]+\",\"nat\":\"none\",\"ms\":[0-9]+\}$ ]] ||
	hp_fail "expected a probe event saying nat none, saw: $line"

echo "check: the answers to CHANGE-REQUEST came from the other sockets"
counters=$(hp_server_counters) || hp_fail "no counters line on SIGUSR1"
# tests II and III go out at once, with test I (each once: all answered)
[[ "$counters " == *' stun_changed_sent=2 '* ]] ||
	hp_fail "expected stun_changed_sent=2 (tests II and III, sent together), saw: $counters"

echo "check: human output is a two-line verdict"
timeout 10 "$BIN/hpclient" --probe 0 127.0.0.1 "$PORT" >"$T/human.out" 2>"$T/human.err" ||
	hp_fail "human probe failed"
grep -q '^mapping: *endpoint-independent' "$T/human.out" || hp_fail "no mapping line"
grep -q '^filtering: *endpoint-independent .*none' "$T/human.out" || hp_fail "no filtering line"

echo "check: a server without --alt-addr: exit 1 with the reason"
hp_start_server --bind 127.0.0.1 0
PORT=$HP_SERVER_PORT
rc=0
timeout 10 "$BIN/hpclient" --probe --json 0 127.0.0.1 "$PORT" >"$T/noalt.out" 2>"$T/noalt.err" || rc=$?
hp_expect_eq "probe exit status without --alt-addr" 1 "$rc"
grep -q "\"event\":\"error\",\"t_us\":[0-9]*,\"reason\":\"STUN server 127.0.0.1:$PORT has no alternate address (RFC 5780 OTHER-ADDRESS missing): it does not support NAT behaviour discovery; hpserver needs --alt-addr\"" \
	"$T/noalt.out" || hp_fail "no error event"

echo "check: a silent server: exit 1 within --timeout"
hp_stop_server
rc=0
timeout 10 "$BIN/hpclient" --probe --json --timeout 2 0 127.0.0.1 "$PORT" >"$T/silent.out" 2>"$T/silent.err" || rc=$?
hp_expect_eq "probe exit status with a silent server" 1 "$rc"
grep -q '"event":"error","t_us":[0-9]*,"reason":"no answer from STUN server' "$T/silent.out" || hp_fail "no error event"
echo "PASS: 60-probe"
