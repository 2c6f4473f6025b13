#!/usr/bin/env bash
# make bench: the birthday spray (docs/hpclient.md, "The birthday
# spray") with hpclient's defaults: for each easy x hard cell, how many of
# RUNS runs went direct, and the median and worst connect_ms of those
# (the lab's, from the client's "connected" event); symmetric x symmetric
# should relay every time. Goals (issue 14): >= 95 % direct, median under
# 3 s. Prints; judges nothing.
set -euo pipefail
BIN=${HPLAB_BIN:?HPLAB_BIN must name the build dir}
RUNS=${RUNS:-20}
if [ "$(id -u)" != 0 ]; then echo "SKIP: bench needs root"; exit 0; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== spray: easy x hard cells ($RUNS runs each)"
printf '%-34s %-8s %-8s %-12s %s\n' cell direct relay "median ms" "max ms"
for cell in "port-restricted symmetric" "symmetric port-restricted" "symmetric symmetric"; do
	read -r a b <<<"$cell"
	for i in $(seq "$RUNS"); do
		timeout 120 "$BIN/labrun" run --json --nat-a "$a" --nat-b "$b" > "$tmp/s-$a-$b-$i" \
			2>/dev/null || true
	done
	python3 - "$tmp" "$a" "$b" "$RUNS" <<'PY'
import json, statistics, sys
tmp, a, b, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
paths, ms = [], []
for i in range(1, runs + 1):
    try:
        d = json.load(open("%s/s-%s-%s-%d" % (tmp, a, b, i)))
    except ValueError:
        continue
    paths.append(d["path"])
    if d["path"] == "direct" and d["connect_ms"] is not None:
        ms.append(d["connect_ms"])
med = "%d" % statistics.median(ms) if ms else "-"
print("%-34s %-8d %-8d %-12s %s" % ("%s x %s" % (a, b), paths.count("direct"),
      paths.count("relay"), med, max(ms) if ms else "-"))
PY
done
