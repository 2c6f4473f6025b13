#!/usr/bin/env bash
# Ctrl-C through the `lab` wrapper, started as a script starts a background
# job (so SIGINT begins ignored: bash(1)): during the run the runner tears
# down and says "FAIL: interrupted by SIGINT", exit 1; during the wrapper's
# own build it stops make and says "./lab: interrupted by SIGINT", exit 1.
# Nothing is left either way. A copy of the tree holds the wrapper, with the
# stand-in clients of 30-sigint.sh in its build dir and a stamp saying the
# build is current (or, for the build case, a Makefile whose recipe waits).
set -euo pipefail
. "$HPLAB_TOP/tests/lib.sh"
hp_need_root
hp_init
hp_lab_prefix "t35x$$"
top=$T/top
mkdir -p "$top/build"
cp "$HPLAB_TOP/lab" "$HPLAB_TOP/deps" "$top/"
hp_lab_standin "$top/build"
touch "$top/build/.lab-built"

# wrapper_stop PID SIG: send SIG, reap (bounded); its exit status in rc
wrapper_stop() {
	rc=0
	kill "-$2" "$1"
	timeout 15 tail --pid="$1" -f /dev/null || true
	wait "$1" || rc=$?
	hp_untrack "$1"
}

for sig in INT TERM; do
	echo "check: SIG$sig during a run through ./lab: exit 1, FAIL: interrupted by SIG$sig"
	HPLAB_PROG=./lab bash "$top/lab" run --prefix "$HP_LAB_PREFIX" > "$T/run.out" 2>&1 &
	pid=$!
	hp_track "$pid" KILL
	timeout 10 bash -c "until ip netns list 2>/dev/null | grep -q '^$HP_LAB_PREFIX-hB'; do sleep 0.02; done" ||
		hp_fail "the topology did not come up"
	hp_lab_wait_standins "$top/build" || hp_fail "the stand-in clients did not start"
	wrapper_stop "$pid" "$sig"
	cat "$T/run.out"
	[ "$rc" = 1 ] || hp_fail "exit status $rc, want 1"
	[ "$(tail -n 1 "$T/run.out")" = "FAIL: interrupted by SIG$sig" ] || hp_fail "last line"
	! grep -q '^\./lab: ' "$T/run.out" || hp_fail "a second line from the wrapper"
	echo "check: no namespace, process or state record left"
	! ip netns list 2>/dev/null | grep -q "^$HP_LAB_PREFIX-" || hp_fail "namespaces left"
	! pgrep -f "$T/" >/dev/null || hp_fail "processes left"
	[ ! -e "/run/hplab/$HP_LAB_PREFIX.state" ] || hp_fail "state record left"
done

echo "check: SIGINT while ./lab builds: make stopped, exit 1, one line"
rm "$top/build/.lab-built"
# the recipe says it started, then waits to be stopped (no timer)
printf 'all:\n\t@touch "%s/make.started"; exec tail -f "%s/top/Makefile"\n' "$T" "$T" > "$top/Makefile"
HPLAB_NO_APT=1 HPLAB_PROG=./lab bash "$top/lab" run > "$T/build.out" 2> "$T/build.err" &
pid=$!
hp_track "$pid" KILL
timeout 10 bash -c "until [ -e '$T/make.started' ]; do sleep 0.02; done" ||
	hp_fail "make did not start: $(cat "$T/build.err")"
wrapper_stop "$pid" INT
cat "$T/build.err"
[ "$rc" = 1 ] || hp_fail "exit status $rc, want 1"
[ "$(cat "$T/build.err")" = "$(printf './lab: building hplab (make -j%s)\n./lab: interrupted by SIGINT' "$(nproc)")" ] ||
	hp_fail "want the build line, then the one interrupted line"
[ ! -s "$T/build.out" ]
echo "check: make and its recipe are gone"
# ([M]: the pattern must not match this very bash -c)
timeout 5 bash -c "while pgrep -f '$T/top/[M]akefile' >/dev/null; do sleep 0.02; done" ||
	hp_fail "the recipe is still running"
[ ! -e "$top/build/.lab-built" ] && [ ! -e "$top/build/.lab-built.new" ]
echo "ok"
