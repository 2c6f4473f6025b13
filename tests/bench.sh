#!/usr/bin/env bash
# make bench: how long the lab takes, and how accurate its figures are.
# Goals: setup ≤ 15 ms (median), a whole `labrun run` < 1 s. Reports medians of
# several runs; judges nothing. The accuracy figures live here, not in
# `make check` (a loaded machine moves them): connect time, the message
# RTT against the configured path RTT, the delay engine's lateness.
set -euo pipefail
BIN=${HPLAB_BIN:?HPLAB_BIN must name the build dir}
RUNS=${RUNS:-7}
if [ "$(id -u)" != 0 ]; then echo "SKIP: bench needs root"; exit 0; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== topology setup/teardown, $RUNS runs (labrun bench)"
timeout 120 "$BIN/labrun" bench --runs "$RUNS"

echo "== whole labrun run (wall time, $RUNS runs)"
for i in $(seq "$RUNS"); do
	t0=$(date +%s%N)
	timeout 60 "$BIN/labrun" run --json > "$tmp/r$i"
	t1=$(date +%s%N)
	echo $(( (t1 - t0) / 1000000 )) >> "$tmp/wall"
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("run %s: wall %s ms, setup %s ms, connect %s ms, teardown %s ms, %s" % (sys.argv[2], sys.argv[3], d["setup_ms"], d["connect_ms"], d["teardown_ms"], d["result"]))' \
		"$tmp/r$i" "$i" "$(tail -n 1 "$tmp/wall")"
done
median() { sort -n "$1" | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
for i in $(seq "$RUNS"); do
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["connect_ms"])' "$tmp/r$i" >> "$tmp/connect"
done
echo "median of $RUNS: run_wall_ms=$(median "$tmp/wall") (goal < 1000), connect_ms=$(median "$tmp/connect")"

echo "== impairment engine at chat rates: labrun run --delay 20 --messages 200 (3 runs)"
for i in 1 2 3; do
	timeout 120 "$BIN/labrun" run --json --delay 20 --messages 200 > "$tmp/d$i" || true
	python3 - "$tmp/d$i" "$i" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
eng = d["impair"]["engines"] if d["impair"] else []
late = ", ".join("%s %d pkts late median %d us p99 %d us max %d us" % (
    e["router"], e["queued"], e["late_us"]["median"], e["late_us"]["p99"], e["late_us"]["max"])
    for e in eng)
med = d["rtt_ms"]["median"]
path = d["impair"]["path_rtt_ms"] if d["impair"] else 0
print("run %s: %s; message RTT median %s ms p95 %s ms vs configured %g ms (%+.0f ms); %s" % (
    sys.argv[2], d["result"], med, d["rtt_ms"]["p95"], path,
    (med - path) if med is not None else float("nan"), late))
PY
done

echo "== labrun matrix (every cell, in parallel; goal ≤ 5 s)"
timeout 120 "$BIN/labrun" matrix --json > "$tmp/matrix" || true
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("matrix: %.1f s, %d of %d cells as predicted" % (d["seconds"], sum(c["ok"] for c in d["cells"]), len(d["cells"])))' "$tmp/matrix"

echo "== the glass box's cost: labrun run vs labrun run --explain ($RUNS alternating pairs; goal < 1.2)"
for i in $(seq "$RUNS"); do
	for mode in plain explain; do
		args=(); [ "$mode" = explain ] && args=(--explain)
		t0=$(date +%s%N)
		timeout 60 "$BIN/labrun" run "${args[@]}" > "$tmp/e-$mode-$i" 2>&1 || true
		t1=$(date +%s%N)
		echo $(( (t1 - t0) / 1000 )) >> "$tmp/e-$mode"
	done
done
p=$(median "$tmp/e-plain"); e=$(median "$tmp/e-explain")
events=$(timeout 60 "$BIN/labrun" run --explain --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["trace"] or []))')
echo "median of $RUNS: run ${p} us, run --explain ${e} us, ratio $(awk -v p="$p" -v e="$e" 'BEGIN { printf "%.2f", e / p }') (goal < 1.2); a default run's trace holds $events events"
