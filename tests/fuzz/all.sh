#!/bin/bash
# make fuzz: every harness of tests/fuzz/run.sh for SECONDS each (default
# 30), one line per harness with its executions; the first crash stops it
# with the fuzzer's report and exit 1.
set -uo pipefail
secs=${1:-30}
here=$(cd "$(dirname "$0")" && pwd)
command -v clang >/dev/null || { echo "fuzz: clang not found (Debian: clang libclang-rt-14-dev)" >&2; exit 2; }
for name in $(bash "$here/run.sh" --list); do
	log=/tmp/hplab-fuzz-$name.log
	if ! bash "$here/run.sh" "$name" "$secs" >"$log" 2>&1; then
		echo "fuzz $name: FAILED (log: $log)" >&2
		tail -n 40 "$log" >&2
		exit 1
	fi
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	echo "fuzz $name: ${runs:-?} executions in $secs s, no finding"
done
