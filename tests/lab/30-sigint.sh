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
timeout 10 bash -c "until ip netns list | grep -q '^$HP_LAB_PREFIX-hB'; do sleep 0.02; done" ||
	hp_fail "expected namespace $HP_LAB_PREFIX-hB within 10 s, saw none"
hp_lab_wait_standins "$T" || hp_fail "expected both stand-in clients running within 10 s"
echo "check: SIGINT makes it exit 1 with FAIL: interrupted"
kill -INT "$runner"
rc=0
timeout 15 tail --pid="$runner" -f /dev/null || true
wait "$runner" || rc=$?
hp_untrack "$runner"
cat "$T/out"
hp_expect_eq "labrun exit status after SIGINT" 1 "$rc"
hp_expect_grep "the runner's last word" "^FAIL: interrupted by SIGINT" "$T/out"
echo "check: no namespace, process or state record left"
hp_expect_no_netns "$HP_LAB_PREFIX"
hp_expect_no_proc "$T/"
hp_expect_absent "/run/hplab/$HP_LAB_PREFIX.state"
echo "ok"
