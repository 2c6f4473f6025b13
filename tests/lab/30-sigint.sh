#!/usr/bin/env bash
# SIGINT in the middle of a run: the runner tears everything down.
# A real run is over in ~100 ms, so the clients here are a stand-in that
# never registers (it just reads its stdin): the run is certainly still
# going when the signal comes. The real hpserver is used.
set -euo pipefail
if [ "$(id -u)" != 0 ]; then echo "SKIP: 30-sigint needs root"; exit 0; fi
BIN=${HPLAB_BIN:?HPLAB_BIN must name the build dir}
tmp=$(mktemp -d)
prefix=t30x$$
runner=
cleanup() {
	[ -n "$runner" ] && kill -KILL "$runner" 2>/dev/null || true
	"$BIN/labrun" down --prefix "$prefix" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT

# the runner finds its programs next to itself
cp "$BIN/labrun" "$tmp/labrun"
ln -s "$BIN/hpserver" "$tmp/hpserver"
printf '#!/bin/bash\nwhile read -r line; do :; done\n' > "$tmp/hpclient"
chmod 755 "$tmp/hpclient"

"$tmp/labrun" run --prefix "$prefix" > "$tmp/out" 2>&1 &
runner=$!
echo "check: the topology comes up (bounded wait)"
timeout 10 bash -c "until ip netns list | grep -q '^$prefix-hB'; do sleep 0.02; done"
timeout 10 bash -c "until [ \$(pgrep -c -f '$tmp/[h]pclient') = 2 ]; do sleep 0.02; done"
echo "check: SIGINT makes it exit 1 with FAIL: interrupted"
kill -INT "$runner"
rc=0
timeout 15 tail --pid="$runner" -f /dev/null || true
wait "$runner" || rc=$?
runner=
cat "$tmp/out"
[ "$rc" = 1 ]
grep -q "^FAIL: interrupted by SIGINT" "$tmp/out"
echo "check: no namespace, process or state record left"
! ip netns list | grep -q "^$prefix-"
! pgrep -f "$tmp/" >/dev/null
[ ! -e "/run/hplab/$prefix.state" ]
echo "ok"
