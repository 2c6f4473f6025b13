#!/usr/bin/env bash
# An independent RFC 5780 client agrees with every personality's claim:
# coturn's turnutils_natdiscovery in hA, from the port the lab's host uses
# (4000), against coturn's own turnserver started with two addresses in
# srv, and against hpserver --alt-addr (what `labrun up` starts). Filtering
# first, on a fresh topology: an address-dependent filter rightly opens
# for every address the mapping has sent to, and the mapping test sends
# to the alternate address (docs/nat-types.md, "Checked, not assumed").
# The claims are the rows of src/lab/nat.c, read here.
set -euo pipefail
. "$HPLAB_TOP/tests/lib.sh"
hp_need_root
hp_init
command -v turnutils_natdiscovery > /dev/null || hp_skip "turnutils_natdiscovery (coturn) is not installed"
command -v turnserver > /dev/null || hp_skip "turnserver (coturn) is not installed"
command -v nft > /dev/null || hp_skip "nft (package nftables) is not installed"

# name mapping filtering, one line per row of the table
hp_py - "$HPLAB_TOP/src/lab/nat.c" > "$T/rows" <<'PY'
import re
rows = re.findall(r'\{ "([a-z-]+)", "[a-z]+", \{ LAB_MAP_(\w+), LAB_FILT_(\w+) \},',
                  open(sys.argv[1]).read())
assert len(rows) >= 4, rows
for r in rows:
    print(*r)
PY

discover() { # prefix server name: -f, then -m, from 10.0.1.2:4000
	local p=$1 server=$2 name=$3 t ts= a
	if [ "$server" = turnserver ]; then
		ip netns exec "$p-srv" timeout 60 turnserver --stun-only -L 192.0.2.10 -L 192.0.2.11 \
			--no-cli -n --no-tls --no-dtls --log-file stdout --simple-log \
			--pidfile "$T/ts.$name.pid" > "$T/ts.$name" 2>&1 &
		ts=$!
		# listening on both addresses, both ports (RFC 5780 needs all four)
		for _ in $(seq 100); do
			a=$(ip netns exec "$p-srv" ss -Hnul | grep -cE ' 192\.0\.2\.1[01]:347[89] ' || true)
			[ "$a" -ge 4 ] && break
			sleep 0.1
		done
	fi
	for t in -f -m; do
		ip netns exec "$p-hA" timeout 30 turnutils_natdiscovery "$t" -L 10.0.1.2 -l 4000 192.0.2.10 2>&1 |
			grep -E '^NAT with' || echo "NAT with no verdict ($t)"
	done
	if [ -n "$ts" ]; then
		kill "$ts"
		wait "$ts" || true
	fi
}

pids=()
prefixes=()
i=0
while read -r name map filt; do
	for server in turnserver hpserver; do
		p=t66x$$n$i
		prefixes+=("$p")
		hp_on_exit "$BIN/labrun" down --prefix "$p"
		opts=()
		[ "$server" = turnserver ] && opts=(--no-server)
		"$BIN/labrun" up --prefix "$p" --nat-a "$name" "${opts[@]}" > "$T/up.$i" 2>&1 ||
			hp_fail "labrun up --nat-a $name failed: $(cat "$T/up.$i")"
		echo "$name $map $filt $server" > "$T/case.$i"
		discover "$p" "$server" "$name.$i" > "$T/out.$i" 2>&1 &
		pids+=($!)
		hp_track $!
		i=$((i + 1))
	done
done < "$T/rows"
failed=()
for j in $(seq 0 $((i - 1))); do
	wait "${pids[$j]}" || true
	hp_untrack "${pids[$j]}"
	read -r name map filt server < "$T/case.$j"
	echo "check: natdiscovery against $server calls $name what its row says ($map mapping, $filt filtering)"
	if ! hp_py - "$T/out.$j" "$map" "$filt" <<'PY'
words = {"EI": "Endpoint Independent", "AD": "Address Dependent",
         "APD": "Address and Port Dependent"}
out = open(sys.argv[1]).read()
print("    " + out.strip().replace("\n", "; "))
assert "NAT with %s Filtering!" % words[sys.argv[3]] in out, out
assert "NAT with %s Mapping!" % words[sys.argv[2]] in out, out
PY
	then
		failed+=("$name/$server")
	fi
	"$BIN/labrun" down --prefix "${prefixes[$j]}" > /dev/null
done
echo "check: no namespace left"
hp_expect_no_netns "${prefixes[@]}"
[ "${#failed[@]}" = 0 ] || hp_fail "expected natdiscovery to agree with every row, saw not: ${failed[*]}"
echo "ok"
