#!/usr/bin/env bash
# hpserver answers STUN Binding requests (RFC 8489) on its port: coturn's
# client must learn 127.0.0.1 as its reflexive address. Then SIGTERM must
# end the server with status 0.
set -euo pipefail
. "$HPLAB_TOP/tests/lib.sh"

command -v turnutils_stunclient >/dev/null 2>&1 || hp_skip "needs turnutils_stunclient (coturn)"
hp_init

hp_start_server 0
echo "check: ready line: $HP_SERVER_READY"
[[ $HP_SERVER_READY =~ ^hpserver:\ listening\ on\ .*:([0-9]+)$ ]] ||
	hp_fail "expected 'hpserver: listening on ADDR:PORT', saw '$HP_SERVER_READY'"
port=${BASH_REMATCH[1]}
hp_expect_ge "resolved port" 1 "$port"

echo "check: turnutils_stunclient -p $port 127.0.0.1 reports reflexive 127.0.0.1"
out=$(timeout 5 turnutils_stunclient -p "$port" 127.0.0.1 2>&1) || hp_fail "stunclient failed: $out"
echo "$out" | sed 's/^/  | /'
grep -q 'reflexive addr: 127\.0\.0\.1:[0-9]' <<<"$out" ||
	hp_fail "expected 'reflexive addr: 127.0.0.1:PORT' from the stunclient, saw none"

echo "check: SIGUSR1 counters show the STUN request(s)"
counters=$(hp_server_counters) || hp_fail "no counters line on SIGUSR1"
[[ $counters =~ stun_requests=([0-9]+) ]] || hp_fail "expected stun_requests= in the counters, saw: $counters"
hp_expect_ge "stun_requests" 1 "${BASH_REMATCH[1]}"

echo "check: SIGTERM exits 0"
hp_stop_server
echo "PASS: $HP_NAME"
