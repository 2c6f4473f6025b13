#!/usr/bin/env bash
# The `lab` wrapper's cost when the build is current: `./lab run` against
# `build/labrun run`, PAIRS pairs run alternately (so load drifts hit both
# alike), medians and their ratio (goal <= 1.3); and a no-op `./lab --help`
# against `build/labrun --help`. Reports; judges nothing.
set -euo pipefail
top=${HPLAB_TOP:?HPLAB_TOP must name the source tree}
PAIRS=${PAIRS:-10}
if [ "$(id -u)" != 0 ]; then echo "SKIP: bench-wrapper needs root"; exit 0; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# wall time of "$@" in microseconds, appended to file $1
clock() {
	local out=$1 t0 rc=0
	shift
	t0=$EPOCHREALTIME
	"$@" >/dev/null 2>"$tmp/err" || rc=$?
	echo $((${EPOCHREALTIME/./} - ${t0/./})) >>"$out"
	[ "$rc" = 0 ] || { cat "$tmp/err" >&2; echo "FAIL: $* exited $rc" >&2; exit 1; }
}
median_ms() {
	sort -n "$1" | awk '{ a[NR] = $1 } END {
		m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
		printf "%.1f", m / 1000 }'
}

# the wrapper builds if it must: time it only once the build is current
"$top/lab" run --json >/dev/null
for _ in $(seq "$PAIRS"); do
	clock "$tmp/lab" "$top/lab" run --json
	clock "$tmp/labrun" "$top/build/labrun" run --json
	clock "$tmp/labhelp" "$top/lab" --help
	clock "$tmp/labrunhelp" "$top/build/labrun" --help
done
lab=$(median_ms "$tmp/lab")
labrun=$(median_ms "$tmp/labrun")
echo "wrapper: ./lab run median $lab ms, build/labrun run median $labrun ms," \
	"ratio $(awk -v a="$lab" -v b="$labrun" 'BEGIN { printf "%.2f", a / b }') (goal <= 1.3, $PAIRS pairs)"
echo "wrapper: ./lab --help median $(median_ms "$tmp/labhelp") ms," \
	"build/labrun --help median $(median_ms "$tmp/labrunhelp") ms"
