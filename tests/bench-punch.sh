#!/usr/bin/env bash
# make bench: how soon after the introduction the punch connects, against
# the path's round trip, and how that compares with the one-way floor
# (nothing can connect sooner than a datagram takes to cross the path).
# `labrun run --delay D` delays every datagram D ms at each router's wan
# side, each way; the path between the hosts crosses two of them, so its
# one-way delay is 2D and its round trip 4D; the server is one wan side
# away from each host (server round trip 2D). Per run, per side: the lab's
# connect_ms (whole ms, from the client's "connected" event) and, from the
# --explain trace, the time from the client's "introduced" event to its
# path going direct (µs). Medians of RUNS runs; judges nothing.
# Goals (issue 13): <= one-way + 3 ms at 0.1 ms, <= 1.15 x one-way at 80 ms.
set -euo pipefail
BIN=${HPLAB_BIN:?HPLAB_BIN must name the build dir}
RUNS=${RUNS:-5}
if [ "$(id -u)" != 0 ]; then echo "SKIP: bench needs root"; exit 0; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== punch: connect after the introduction vs path RTT ($RUNS runs each, medians)"
printf '%-10s %-10s %-12s %-14s %-12s %s\n' "path RTT" "one-way" "connect_ms" "trace (us)" "over floor" "passed"
for rtt in 0.1 8 20 80 200; do
	d=$(awk -v r="$rtt" 'BEGIN { printf "%.3f", r / 4 }')
	for i in $(seq "$RUNS"); do
		timeout 120 "$BIN/labrun" run --json --explain --delay "$d" > "$tmp/p-$rtt-$i" 2>/dev/null || true
	done
	python3 - "$rtt" "$tmp" "$RUNS" <<'PY'
import json, statistics, sys
rtt, tmp, runs = float(sys.argv[1]), sys.argv[2], int(sys.argv[3])
one_way = rtt / 2
conn, trace, ok = [], [], 0
for i in range(1, runs + 1):
    try:
        d = json.load(open("%s/p-%s-%d" % (tmp, sys.argv[1], i)))
    except (OSError, ValueError):
        continue
    ok += d["result"] == "pass"
    for side in ("a", "b"):
        if d[side]["connect_ms"] is not None and d[side]["connect_ms"] >= 0:
            conn.append(d[side]["connect_ms"])
    intro, direct = {}, {}
    for e in d.get("trace") or []:
        if e["kind"] != "client":
            continue
        if e["what"] == "introduced":
            intro.setdefault(e["side"], e["t_ms"])
        elif e["what"] == "path" and "-> direct" in (e.get("text") or ""):
            direct.setdefault(e["side"], e["t_ms"])
    trace += [direct[s] - intro[s] for s in direct if s in intro]
med = lambda v: statistics.median(v) if v else float("nan")
c, t = med(conn), med(trace)
goal = ""
if rtt == 0.1:
    goal = " (goal <= %.2f ms)" % (one_way + 3)
elif rtt == 80:
    goal = " (goal <= %.1f ms)" % (1.15 * one_way)
print("%-10s %-10s %-12s %-14s %-12s %d/%d%s" % (
    "%g ms" % rtt, "%g ms" % one_way, "%g ms" % c, "%.0f" % (t * 1000),
    "%+.2f ms" % (t - one_way), ok, runs, goal))
PY
done

echo "== punch: --no-firewall (pitfall 1: an early normal punch breaks the path), 20 runs each"
for args in "" "--delay-a 20" "--delay-b 20"; do
	pass=0
	for i in $(seq 20); do
		# shellcheck disable=SC2086
		timeout 60 "$BIN/labrun" run --json --no-firewall $args > "$tmp/n" 2>/dev/null || true
		python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["result"] != "pass")' "$tmp/n" 2>/dev/null &&
			pass=$((pass + 1))
	done
	echo "--no-firewall $args: $pass/20 direct"
done
