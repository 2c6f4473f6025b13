#!/usr/bin/env bash
# Two runs at the same time, each in its own namespaces, both pass.
set -euo pipefail
if [ "$(id -u)" != 0 ]; then echo "SKIP: 20-parallel needs root"; exit 0; fi
BIN=${HPLAB_BIN:?HPLAB_BIN must name the build dir}
tmp=$(mktemp -d)
p1=t20a$$
p2=t20b$$
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	"$BIN/labrun" down --prefix "$p1" >/dev/null 2>&1 || true
	"$BIN/labrun" down --prefix "$p2" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "check: two labrun run at once both pass"
timeout 60 "$BIN/labrun" run --json --prefix "$p1" > "$tmp/1" & pids+=($!)
timeout 60 "$BIN/labrun" run --json --prefix "$p2" > "$tmp/2" & pids+=($!)
rc1=0; rc2=0
wait "${pids[0]}" || rc1=$?
wait "${pids[1]}" || rc2=$?
pids=()
cat "$tmp/1" "$tmp/2"
[ "$rc1" = 0 ] && [ "$rc2" = 0 ]
for f in "$tmp/1" "$tmp/2"; do
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["result"]=="pass" and d["path"]=="direct", d' "$f"
done
echo "check: neither left a namespace"
! ip netns list | grep -qE "^($p1|$p2)-"
echo "ok"
