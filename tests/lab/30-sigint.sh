#!/usr/bin/env bash
# SIGINT in the middle of a run: the runner tears everything down.
# A real run is over in ~100 ms, so the clients here are a stand-in that
# never registers (it just reads its stdin): the run is certainly still
# going when the signal comes. The real hpserver is used.
set -euo pipefail
. "$HPLAB_TOP/tests/lib.sh"
hp_need_root
hp_init
hp_lab_prefix "t30x$$"
hp_lab_standin "$T"

"$T/labrun" run --prefix "$HP_LAB_PREFIX" > "$T/out" 2>&1 &
runner=$!
hp_track "$runner" KILL
echo "check: the topology comes up (bounded wait)"
timeout 10 bash -c "until ip netns list | grep -q '^$HP_LAB_PREFIX-hB'; do sleep 0.02; done"
hp_lab_wait_standins "$T"
echo "check: SIGINT makes it exit 1 with FAIL: interrupted"
kill -INT "$runner"
rc=0
timeout 15 tail --pid="$runner" -f /dev/null || true
wait "$runner" || rc=$?
hp_untrack "$runner"
cat "$T/out"
[ "$rc" = 1 ]
grep -q "^FAIL: interrupted by SIGINT" "$T/out"
echo "check: no namespace, process or state record left"
! ip netns list | grep -q "^$HP_LAB_PREFIX-"
! pgrep -f "$T/" >/dev/null
[ ! -e "/run/hplab/$HP_LAB_PREFIX.state" ]
echo "ok"
