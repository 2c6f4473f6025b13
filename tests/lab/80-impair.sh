#!/usr/bin/env bash
# Impairments on the routers' wan sides (NFQUEUE delay engine, statistic
# loss): the chat still crosses directly, every line exactly once and in
# order, and the report's RTT is at least the configured path RTT (the
# delay really applies) and under 3x it. Only bounds that hold on a
# saturated machine: how close the RTT comes to the configured one is an
# accuracy figure, which `make bench` reports (tests/bench.sh).
set -euo pipefail
. "$HPLAB_TOP/tests/lib.sh"
hp_need_root
hp_init
hp_lab_prefix "t80x$$"
run() { hp_lab_run "$@"; }
check() { # name, python assertions over d (the report), rc, a, b
	hp_lab_check "$1" '
print("    result=%s path=%s rtt_ms=%s retransmitted a=%s b=%s engines=%s" % (
    d["result"], d["path"], d["rtt_ms"], a["retransmitted"], b["retransmitted"],
    [(e["router"], e["queued"], e["late_us"]) for e in d["impair"]["engines"]]))
' "$2"
}

echo "check: --loss 20 --messages 50 delivers 50 lines each way, once and in order, directly"
run loss --loss 20 --messages 50
check loss '
assert rc == 0 and d["result"] == "pass", d["reason"]
assert d["path"] == "direct", d["path"]
assert a["received"] == 50 and b["received"] == 50 and a["delivered"] == 50 and b["delivered"] == 50
assert d["impair"]["a"]["loss_pct"] == 20 and d["impair"]["b"]["loss_pct"] == 20
assert d["impair"]["engines"] == []   # loss alone never queues
assert isinstance(a["retransmitted"], int) and isinstance(b["retransmitted"], int)
'

echo "check: --delay 20 (both wan sides): path RTT 80 ms, measured median at least that, under 3x"
run delay --delay 20 --messages 20
check delay '
assert rc == 0 and d["result"] == "pass", d["reason"]
assert d["path"] == "direct", d["path"]
assert d["impair"]["path_rtt_ms"] == 80, d["impair"]["path_rtt_ms"]
med = d["rtt_ms"]["median"]
assert med is not None and 80 <= med < 3 * 80, med
assert d["rtt_ms"]["p95"] >= med, d["rtt_ms"]
assert len(d["impair"]["engines"]) == 2 and all(e["delayed"] > 0 for e in d["impair"]["engines"])
assert a["rtt_ms"]["n"] > 0 and b["rtt_ms"]["n"] > 0
assert any("configured path RTT" in s["text"] for s in d["steps"])
'

echo "check: one side only (--delay-a 10 --reorder-b 20 --duplicate 10): still once and in order"
run mixed --delay-a 10 --reorder-b 20 --duplicate 10 --messages 30
check mixed '
assert rc == 0 and d["result"] == "pass", d["reason"]
assert d["impair"]["a"]["delay_ms"] == 10 and d["impair"]["b"]["delay_ms"] == 0
assert d["impair"]["b"]["reorder_pct"] == 20 and d["impair"]["a"]["reorder_pct"] == 0
assert d["impair"]["path_rtt_ms"] == 20
assert a["received"] == 30 and b["received"] == 30
assert all(e["dup_failed"] == 0 for e in d["impair"]["engines"])
assert sum(e["duplicated"] for e in d["impair"]["engines"]) > 0
'

echo "check: no namespace left"
hp_expect_no_netns "$HP_LAB_PREFIX"
echo "ok"
