#!/usr/bin/env bash
# SIGKILL the runner mid-run: its children die with it (PR_SET_PDEATHSIG),
# its namespaces stay, and `labrun clean` removes them. Stand-in clients
# as in 30-sigint.sh keep the run going.
set -euo pipefail
if [ "$(id -u)" != 0 ]; then echo "SKIP: 40-clean needs root"; exit 0; fi
BIN=${HPLAB_BIN:?HPLAB_BIN must name the build dir}
tmp=$(mktemp -d)
runner=
prefix=
cleanup() {
	[ -n "$runner" ] && kill -KILL "$runner" 2>/dev/null || true
	[ -n "$prefix" ] && "$BIN/labrun" down --prefix "$prefix" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT

cp "$BIN/labrun" "$tmp/labrun"
ln -s "$BIN/hpserver" "$tmp/hpserver"
printf '#!/bin/bash\nwhile read -r line; do :; done\n' > "$tmp/hpclient"
chmod 755 "$tmp/hpclient"

# default prefix: hpl<pid>, which clean must also know without help
"$tmp/labrun" run > "$tmp/out" 2>&1 &
runner=$!
prefix=hpl$runner
echo "check: run $prefix is up with both clients (bounded wait)"
timeout 10 bash -c "until [ \$(pgrep -c -f '$tmp/[h]pclient') = 2 ]; do sleep 0.02; done"
echo "check: clean leaves a live run alone"
"$BIN/labrun" clean
[ "$(ip netns list | grep -c "^$prefix-")" = 6 ]
echo "check: SIGKILL of the runner takes its children along"
kill -KILL "$runner"
wait "$runner" 2>/dev/null || true
runner=
timeout 5 bash -c "while pgrep -f '$tmp/[h]p' >/dev/null; do sleep 0.02; done"
echo "check: its namespaces and record are still there"
[ "$(ip netns list | grep -c "^$prefix-")" = 6 ]
[ -e "/run/hplab/$prefix.state" ]
echo "check: labrun clean removes them"
"$BIN/labrun" clean | tee "$tmp/clean"
grep -q "removed $prefix" "$tmp/clean"
! ip netns list | grep -q "^$prefix-"
[ ! -e "/run/hplab/$prefix.state" ]
! pgrep -f "$tmp/" >/dev/null
echo "ok"
