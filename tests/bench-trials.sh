#!/usr/bin/env bash
# make bench: the trial matrix (docs/lab.md, `lab matrix --trials`). The
# easy x hard cells, where the birthday spray decides, each run TRIALS
# times (default 40): the observed direct rate with its 95 % interval
# beside theory's probability, and the median time to direct. Then the
# same with a smaller spray budget (--spray-probes 256, theory 64 %), if
# this hpclient has the option; and the whole matrix with 5 trials. It
# prints the figures; judges nothing (a cell outside its interval is a
# finding, shown, not a failure of the bench).
set -euo pipefail
BIN=${HPLAB_BIN:?HPLAB_BIN must name the build dir}
TRIALS=${TRIALS:-40}
if [ "$(id -u)" != 0 ]; then echo "SKIP: bench needs root"; exit 0; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

summary() { # json file
	python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for c in d["cells"]:
    med = c["median_direct_ms"]
    kn = " (K %d, N %d)" % (c["spray_ports"], c["spray_probes"]) if c["spray"] else ""
    print("  %-34s theory %6.2f %%%s  observed %d/%d = %6.2f %%  95 %% [%5.1f, %5.1f] %%  median direct %s  %s" % (
        c["label"], 100 * c["p_direct"], kn, c["directs"],
        c["trials"], 100.0 * c["directs"] / max(c["trials"], 1), 100 * c["ci_low"],
        100 * c["ci_high"], "-" if med is None else "%d ms" % med,
        "holds" if c["ok"] else "DOES NOT HOLD: " + (c["reason"] or "")))
print("  %s in %.1f s" % (d["result"], d["seconds"]))
PY
}

trials() { # name [options...]
	local name=$1
	shift
	timeout 1800 "$BIN/labrun" matrix --json "$@" > "$tmp/$name" 2> "$tmp/$name.err" || true
	if [ -s "$tmp/$name" ]; then summary "$tmp/$name"; else tail -n 3 "$tmp/$name.err"; fi
}

echo "== trial matrix: the spray cells, $TRIALS trials each (labrun matrix --cells spray --trials $TRIALS)"
trials spray1024 --cells spray --trials "$TRIALS"

if "$BIN/hpclient" --help 2>&1 | grep -q -- --spray-probes; then
	echo "== the same with --spray-probes 256 (theory: 64 %)"
	trials spray256 --cells spray --trials "$TRIALS" --spray-probes 256
else
	echo "== --spray-probes 256: skipped, this hpclient has no --spray-probes (it does not spray yet)"
fi

echo "== the whole matrix, 5 trials each (labrun matrix --trials 5)"
trials all5 --trials 5

echo "== a small router: port-restricted x symmetric with --nat-sessions 64 (labrun run --explain)"
timeout 120 "$BIN/labrun" run --json --explain --nat-a prc --nat-b sym --nat-sessions 64 \
	> "$tmp/small" 2> /dev/null || true
python3 - "$tmp/small" <<'PY'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except ValueError:
    print("  no result"); sys.exit(0)
refused = [e for e in d.get("trace") or [] if e["kind"] == "pkt" and e.get("rule") == "sessions"]
spray = [e["text"] for e in d.get("trace") or [] if e["kind"] == "client"
         and e["what"] in ("nat", "spray", "spray_hit", "spray_end")]
print("  path %s, %d datagrams refused by a full session table" % (d["path"], len(refused)))
for t in spray[:6]:
    print("   ", t)
if refused:
    print("   ", refused[0]["text"])
elif not spray:
    print("  (this hpclient does not spray: nothing fills the table)")
PY
