#!/usr/bin/env bash
# make bench, the chat's part: how fast and how frugal hpclient's reliable
# chat is (docs/hpclient.md, "Life of a run", step 4). Prints, judges
# nothing (a loaded machine moves every figure):
#   1. lines/s at an 80 ms path RTT: `labrun run --delay 20` (20 ms on each
#      router's wan side, each direction: 4 x 20 = 80 ms, docs/lab.md),
#      from "X typed N lines" to "Y received all N of X's lines";
#   2. retransmissions per delivered line at `labrun run --loss 20`, beside
#      the minimum the loss implies: a direct datagram crosses rA's and
#      rB's wan sides, each dropping loss_pct, so a copy arrives with
#      p = (1 - la)(1 - lb) and a line needs 1/p copies on average:
#      1/p - 1 retransmissions (0.5625 at 20 % each);
#   3. CPU seconds (user + system, /usr/bin/time) of two hpclients that
#      exchange LINES lines each way on loopback through a loopback
#      hpserver, and the wall time.
# Goals (issue 13): >= 2000 lines/s; retransmissions within 1.5 x the
# minimum; 100 000 lines each way in < 3 s of CPU.
set -euo pipefail
. "${HPLAB_TOP:?HPLAB_TOP must name the source tree}/tests/lib.sh"
HP_TIMEOUT=${HP_TIMEOUT:-300}
hp_init
RUNS=${RUNS:-3}
MSGS=${MSGS:-1000}
LOSS_MSGS=${LOSS_MSGS:-200}
LINES=${LINES:-100000}

if [ "$(id -u)" = 0 ]; then
	echo "== chat throughput at 80 ms path RTT: labrun run --delay 20 --messages $MSGS ($RUNS runs)"
	for i in $(seq "$RUNS"); do
		timeout 180 "$BIN/labrun" run --json --delay 20 --messages "$MSGS" >"$T/d$i.json" || true
		python3 - "$T/d$i.json" "$i" <<'PY'
import json, re, sys
d = json.load(open(sys.argv[1]))
typed, got = {}, {}
for s in d["steps"]:
    m = re.match(r"(\w+) typed (\d+) lines?$", s["text"])
    if m:
        typed[m.group(1)] = s["ms"]
    m = re.match(r"(\w+) received all (\d+) of (\w+)'s lines", s["text"])
    if m:
        got[m.group(3)] = (s["ms"], int(m.group(2)))
rates = []
for who, t0 in sorted(typed.items()):
    if who in got and got[who][0] > t0:
        rates.append("%s -> peer %.0f lines/s" % (who, got[who][1] * 1000.0 / (got[who][0] - t0)))
print("run %s: %s, path RTT %s ms, message RTT median %s ms; %s; retransmitted %s + %s" % (
    sys.argv[2], d["result"], d["impair"]["path_rtt_ms"] if d["impair"] else "?",
    d["rtt_ms"]["median"], ", ".join(rates) or "no rate (did not finish)",
    d["a"]["retransmitted"], d["b"]["retransmitted"]))
PY
	done

	echo "== retransmissions at labrun run --loss 20 --messages $LOSS_MSGS ($RUNS runs)"
	for i in $(seq "$RUNS"); do
		timeout 180 "$BIN/labrun" run --json --loss 20 --messages "$LOSS_MSGS" >"$T/l$i.json" || true
	done
	python3 - "$T"/l*.json <<'PY'
import json, sys
retx = lines = 0
minimum = None
for i, f in enumerate(sys.argv[1:], 1):
    d = json.load(open(f))
    la, lb = d["impair"]["a"]["loss_pct"] / 100.0, d["impair"]["b"]["loss_pct"] / 100.0
    minimum = 1.0 / ((1 - la) * (1 - lb)) - 1
    r = d["a"]["retransmitted"] + d["b"]["retransmitted"]
    n = d["a"]["delivered"] + d["b"]["delivered"]
    retx += r
    lines += n
    print("run %d: %s in %s ms; alice %s, bob %s retransmissions for %s + %s lines: %.3f per line" % (
        i, d["result"], d["wall_ms"], d["a"]["retransmitted"], d["b"]["retransmitted"],
        d["a"]["delivered"], d["b"]["delivered"], r / n if n else float("nan")))
if lines:
    print("all runs: %.3f retransmissions per delivered line; the loss implies at least "
          "1/((1-%.2f)(1-%.2f)) - 1 = %.4f; ratio %.2f (goal <= 1.5)" % (
              retx / lines, la, lb, minimum, retx / lines / minimum))
PY
else
	echo "SKIP: the lab parts of bench-chat need root"
fi

echo "== CPU: $LINES lines each way, two hpclients on loopback via a loopback hpserver"
hp_start_server -q --bind 127.0.0.1 0
for s in a b; do hp_want "$s" "$LINES"; done
t0=$(date +%s%N)
for s in a b; do
	# stdin is the whole file: the client reads as fast as its queue lets it
	(hp_close_writers; exec timeout "$HP_TIMEOUT" /usr/bin/time -f '%U %S' -o "$T/$s.time" \
		"$BIN/hpclient" --json -q --name "$s" --room bench-chat 0 127.0.0.1 "$HP_SERVER_PORT" \
		<"$T/$s.want" >"$T/$s.out" 2>"$T/$s.err") &
	HP_PID[$s]=$!
	hp_track "$!"
done
hp_client_exit a
hp_client_exit b
t1=$(date +%s%N)
for s in a b; do
	hp_assert_in_order "$s" "$([ "$s" = a ] && echo b || echo a)"
done
python3 - "$T/a.time" "$T/b.time" "$(( (t1 - t0) / 1000000 ))" "$LINES" "$T/a.out" "$T/b.out" <<'PY'
import json, sys
cpu = []
for f in sys.argv[1:3]:
    u, s = open(f).read().split()[-2:]
    cpu.append((float(u), float(s)))
stats = []
for f in sys.argv[5:7]:
    for line in open(f):
        if '"event":"stats"' in line:
            e = json.loads(line)
            stats.append("sent %d retransmitted %d duplicates %d" % (e["sent"], e["retransmitted"], e["duplicates"]))
total = sum(u + s for u, s in cpu)
print("alice %.2f s user + %.2f s sys, bob %.2f s user + %.2f s sys: %.2f s CPU for %s lines "
      "each way (goal < 3 s), wall %s ms; %s" % (
          cpu[0][0], cpu[0][1], cpu[1][0], cpu[1][1], total, sys.argv[4], sys.argv[3],
          "; ".join(stats)))
PY
