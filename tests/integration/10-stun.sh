#!/usr/bin/env bash
# hpserver answers STUN Binding requests (RFC 8489) on its port: coturn's
# client must learn 127.0.0.1 as its reflexive address. Then SIGTERM must
# end the server with status 0.
set -euo pipefail
. "$HPLAB_TOP/tests/lib.sh"

if ! command -v turnutils_stunclient >/dev/null 2>&1; then
	echo "SKIP: $HP_NAME needs turnutils_stunclient (coturn)"
	exit 0
fi
hp_init

hp_start_server 0
echo "check: ready line: $HP_SERVER_READY"
[[ $HP_SERVER_READY =~ ^hpserver:\ listening\ on\ .*:([0-9]+)$ ]] || hp_fail "bad ready line"
port=${BASH_REMATCH[1]}
[ "$port" -gt 0 ] || hp_fail "port 0 not resolved"

echo "check: turnutils_stunclient -p $port 127.0.0.1 reports reflexive 127.0.0.1"
out=$(timeout 5 turnutils_stunclient -p "$port" 127.0.0.1 2>&1) || hp_fail "stunclient failed: $out"
echo "$out" | sed 's/^/  | /'
grep -q 'reflexive addr: 127\.0\.0\.1:[0-9]' <<<"$out" || hp_fail "no 127.0.0.1 reflexive address"

echo "check: SIGUSR1 counters show the STUN request(s)"
counters=$(hp_server_counters) || hp_fail "no counters line on SIGUSR1"
[[ $counters =~ stun_requests=([0-9]+) ]] || hp_fail "counters line lacks stun_requests: $counters"
[ "${BASH_REMATCH[1]}" -ge 1 ] || hp_fail "stun_requests=${BASH_REMATCH[1]}"

echo "check: SIGTERM exits 0"
hp_stop_server
echo "PASS: $HP_NAME"
