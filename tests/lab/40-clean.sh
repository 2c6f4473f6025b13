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
hp_lab_wait_standins "$T" || hp_fail "expected both stand-in clients running within 10 s"
echo "check: clean leaves a live run alone"
"$BIN/labrun" clean
hp_expect_eq "namespaces $prefix-* after clean of a live run" 6 "$(ip netns list | grep -c "^$prefix-" || true)"
echo "check: down --prefix refuses a live run's prefix, in one line, exit 2"
rc=0
"$BIN/labrun" down --prefix "$prefix" > "$T/down.out" 2> "$T/down.err" || rc=$?
hp_expect_eq "down of a live run's prefix: exit" 2 "$rc"
hp_expect_grep "down's refusal" "belong to a running" "$T/down.err"
hp_expect_eq "lines down printed on stderr" 1 "$(wc -l < "$T/down.err")"
hp_expect_eq "namespaces $prefix-* after down of a live run" 6 "$(ip netns list | grep -c "^$prefix-" || true)"
echo "check: SIGKILL of the runner takes its children along"
kill -KILL "$runner"
wait "$runner" 2>/dev/null || true
hp_untrack "$runner"
timeout 5 bash -c "while pgrep -f '$T/[h]p' >/dev/null; do sleep 0.02; done" ||
	hp_fail "expected the run's children gone within 5 s of SIGKILL, saw: $(pgrep -a -f "$T/[h]p" | tr '\n' ';')"
echo "check: its namespaces and record are still there"
hp_expect_eq "namespaces $prefix-* after SIGKILL" 6 "$(ip netns list | grep -c "^$prefix-" || true)"
[ -e "/run/hplab/$prefix.state" ] || hp_fail "expected /run/hplab/$prefix.state to stay, saw it gone"
echo "check: labrun clean removes them"
"$BIN/labrun" clean | tee "$T/clean"
hp_expect_grep "labrun clean output" "removed $prefix" "$T/clean"
hp_expect_no_netns "$prefix"
hp_expect_absent "/run/hplab/$prefix.state"
hp_expect_no_proc "$T/"
echo "ok"
