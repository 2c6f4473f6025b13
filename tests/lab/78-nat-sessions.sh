#!/usr/bin/env bash
# --nat-sessions N: each router refuses new flows out beyond N live
# conntrack entries, and the glass box says so (docs/explain.md). With
# room for one session (the server's), every punch is refused: the trace
# shows the refusals (rule "sessions") and the narrative names the full
# table; the chat goes relay, where theory (which assumes room) predicts
# direct. With room to spare nothing is refused and the run passes.
set -euo pipefail
. "$HPLAB_TOP/tests/lib.sh"
hp_need_root
hp_init

hp_lab_prefix "tns$$"

echo "check: --nat-sessions 1: the routers refuse the punches, the trace says the table is full"
hp_lab_run one --explain --nat-sessions 1
hp_py - "$T/one.json" "$(cat "$T/one.rc")" <<'PY'
d = json.loads(open(sys.argv[1]).read())
assert sys.argv[2] == "1" and d["result"] == "fail", (sys.argv[2], d["result"], d.get("reason"))
assert d["path"] == "relay", d["path"]
tr = d["trace"]
refused = [e for e in tr if e["kind"] == "pkt" and e["what"] == "dropped"
           and e["rule"] == "sessions"]
assert refused, "no refusal by the session cap in the trace"
e = refused[0]
assert e["node"] in ("rA", "rB") and e["side"] in ("alice", "bob"), e
assert "session table is full (1 entry): refused" in e["text"], e["text"]
assert any(d["nats"][r]["dropped"]["sessions"] > 0 for r in ("rA", "rB")), d["nats"]
print("   ", e["text"])
PY

echo "check: --nat-sessions 64: room to spare, nothing refused, direct as predicted"
hp_lab_run many --explain --nat-sessions 64
hp_py - "$T/many.json" "$(cat "$T/many.rc")" <<'PY'
d = json.loads(open(sys.argv[1]).read())
assert sys.argv[2] == "0" and d["result"] == "pass", (d["result"], d.get("reason"))
assert not [e for e in d["trace"] if e["kind"] == "pkt" and e.get("rule") == "sessions"]
PY
left=$(ip netns list | grep "^tns$$-" | cut -d' ' -f1 | tr '\n' ' ') || true
[ -z "$left" ] || hp_fail "expected no tns$$-* namespace left, saw: $left"
echo "ok"
