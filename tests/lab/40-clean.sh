#!/usr/bin/env bash
# SIGKILL the runner mid-run: its children die with it (PR_SET_PDEATHSIG),
# its namespaces stay, and `labrun clean` removes them. Stand-in clients
# as in 30-sigint.sh keep the run going.
set -euo pipefail
. "$HPLAB_TOP/tests/lib.sh"
hp_need_root
hp_init
hp_lab_standin "$T"

# default prefix: hpl<pid>, which clean must also know without help
"$T/labrun" run > "$T/out" 2>&1 &
runner=$!
hp_track "$runner" KILL
prefix=hpl$runner
hp_lab_prefix "$prefix"
echo "check: run $prefix is up with both clients (bounded wait)"
hp_lab_wait_standins "$T"
echo "check: clean leaves a live run alone"
"$BIN/labrun" clean
[ "$(ip netns list | grep -c "^$prefix-")" = 6 ]
echo "check: SIGKILL of the runner takes its children along"
kill -KILL "$runner"
wait "$runner" 2>/dev/null || true
hp_untrack "$runner"
timeout 5 bash -c "while pgrep -f '$T/[h]p' >/dev/null; do sleep 0.02; done"
echo "check: its namespaces and record are still there"
[ "$(ip netns list | grep -c "^$prefix-")" = 6 ]
[ -e "/run/hplab/$prefix.state" ]
echo "check: labrun clean removes them"
"$BIN/labrun" clean | tee "$T/clean"
grep -q "removed $prefix" "$T/clean"
! ip netns list | grep -q "^$prefix-"
[ ! -e "/run/hplab/$prefix.state" ]
! pgrep -f "$T/" >/dev/null
echo "ok"
