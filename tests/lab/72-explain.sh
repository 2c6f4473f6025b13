#!/usr/bin/env bash
# The glass box (--explain): the three teaching stories, as facts in the
# JSON's trace (docs/explain.md). No timings: what the NATs did.
#   default            the TTL-2 first punch opens rA's mapping of alice's
#                      port and expires in the core (ICMP time exceeded)
#   --punch-ttl 0      rB's firewall (rule fw-input) drops alice's first
#                      punch; a later datagram of hers is forwarded to bob
#   --no-firewall --punch-ttl 0
#                      rB tracks alice's punch to itself (the clash entry),
#                      so bob's mapping gets another port, and the run goes
#                      relay where theory predicts direct
# And the narrative tells the story at its end, before PASS or FAIL.
set -euo pipefail
. "$HPLAB_TOP/tests/lib.sh"
hp_need_root
hp_init

run_json() { # name [options...]: the run's JSON into $T/NAME, its exit code into $T/NAME.rc
	local name=$1 rc=0 runner
	shift
	timeout 90 "$BIN/labrun" run --explain --json --prefix "tex$$" "$@" > "$T/$name" & runner=$!
	hp_track "$runner"
	wait "$runner" || rc=$?
	hp_untrack "$runner"
	echo "$rc" > "$T/$name.rc"
}

echo "check: default: rA maps alice's port; her ttl-2 punch expires in the core"
run_json default
hp_py - "$T/default" "$(cat "$T/default.rc")" <<'PY'
d = json.loads(open(sys.argv[1]).read())
assert d["result"] == "pass" and sys.argv[2] == "0", (d["result"], d.get("reason"))
tr = d["trace"]
maps = [e for e in tr if e["kind"] == "map" and e["node"] == "rA" and e["what"] == "new"
        and e["translates"] and e["a"]["src"] == "10.0.1.2:4000"]
assert maps, "no mapping of alice's port in rA"
assert all(m["b"]["dst"] == "198.51.100.10:4000" for m in maps), maps
exp = [e for e in tr if e["kind"] == "pkt" and e["msg"] == "punch" and e["ttl"] == 2
       and e["side"] == "alice" and e["what"] == "expired"]
assert exp, "no ttl-2 punch of alice's expired"
e = exp[0]
assert e["node"] == "rA" and e["icmp"]["type"] == 11, e
assert e["b"]["src"] == "198.51.100.10:4000", e
print("   ", maps[0]["text"])
print("   ", e["text"])
assert d["nats"]["rA"]["maps"] >= 1 and d["nats"]["rB"]["dropped"]["fw-input"] == 0, d["nats"]
PY

echo "check: --punch-ttl 0: rB drops alice's first punch by fw-input, a later datagram reaches bob"
run_json nottl --punch-ttl 0
hp_py - "$T/nottl" "$(cat "$T/nottl.rc")" <<'PY'
d = json.loads(open(sys.argv[1]).read())
assert d["result"] == "pass" and sys.argv[2] == "0", (d["result"], d.get("reason"))
tr = d["trace"]
alice = [e for e in tr if e["kind"] == "pkt" and e["node"] == "rB" and e["side"] == "alice"
         and e["proto"] == "udp"]
drops = [i for i, e in enumerate(alice) if e["what"] == "dropped" and e["rule"] == "fw-input"
         and e["msg"] == "punch"]
assert drops, "rB dropped none of alice's punches by fw-input: %r" % alice
# once bob's punch opened rB's mapping, alice's next datagram (a punch or
# the answer to bob's) passes
fwd = [e for e in alice[drops[0] + 1:] if e["what"] == "forwarded"
       and e["b"]["dst"] == "10.0.2.2:4000"]
assert fwd, "no later datagram of alice's forwarded to bob"
first = alice[drops[0]]
# the same datagram left rA: one number at every hop
assert any(e["dgram"] == first["dgram"] and e["node"] == "rA" for e in tr), first
print("   ", first["text"])
print("   ", fwd[0]["text"])
assert d["nats"]["rB"]["dropped"]["fw-input"] >= 1, d["nats"]
PY

echo "check: --no-firewall --punch-ttl 0: the clash entry in rB, bob mapped on another port, relay"
run_json clash --no-firewall --punch-ttl 0
hp_py - "$T/clash" "$(cat "$T/clash.rc")" <<'PY'
d = json.loads(open(sys.argv[1]).read())
assert d["result"] == "fail" and sys.argv[2] == "1", (d["result"], d.get("reason"))
assert "went relay where theory predicts direct" in d["reason"], d["reason"]
tr = d["trace"]
clash = [e for e in tr if e["kind"] == "map" and e["node"] == "rB" and e["what"] == "new"
         and not e["translates"] and e["a"]["dst"] == "203.0.113.10:4000"]
assert clash, "no clash entry to rB's public address, port 4000"
assert "(to rB itself)" in clash[0]["text"], clash[0]
bob = [e for e in tr if e["kind"] == "map" and e["node"] == "rB" and e["what"] == "new"
       and e["translates"] and e["a"]["src"] == "10.0.2.2:4000"
       and e["a"]["dst"].startswith("198.51.100.10:")]
assert bob, "no mapping of bob's towards alice"
assert not bob[0]["b"]["dst"].endswith(":4000"), bob[0]
local = [e for e in tr if e["kind"] == "pkt" and e["node"] == "rB" and e["what"] == "local"]
assert local, "no datagram rB took for itself"
print("   ", clash[0]["text"])
print("   ", bob[0]["text"])
PY

echo "check: the narrative tells the story before PASS"
rc=0
timeout 90 "$BIN/labrun" run --explain --punch-ttl 0 --prefix "tex$$" > "$T/text" 2>&1 || rc=$?
[ "$rc" = 0 ] || hp_fail "expected a passing run, saw: $(tail -3 "$T/text")"
grep -q -- "--- the run explained" "$T/text" || hp_fail "no explained story: $(tail -5 "$T/text")"
grep -Eq "^ +\+[0-9]+\.[0-9]{3} ms  rB drops alice's punch from 198\.51\.100\.10:4000 \(rule fw-input" "$T/text" ||
	hp_fail "expected rB's drop in the story, saw: $(grep drops "$T/text" | head -3)"
grep -Eq "^  rB: .* [0-9]+ dropped by fw-input" "$T/text" ||
	hp_fail "expected rB's summary, saw: $(grep -A3 'per NAT' "$T/text")"
[ "$(tail -1 "$T/text")" = PASS ] || hp_fail "expected PASS last, saw: $(tail -1 "$T/text")"

echo "check: without --explain no trace is collected"
"$BIN/labrun" run --json --prefix "tex$$" > "$T/plain" || hp_fail "expected a passing plain run"
hp_py - "$T/plain" <<'PY'
d = json.loads(open(sys.argv[1]).read())
assert d["trace"] is None and d["nats"] is None, (d["trace"], d["nats"])
PY

echo "check: no namespace left"
left=$(ip netns list | grep "^tex$$-" | cut -d' ' -f1 | tr '\n' ' ') || true
[ -z "$left" ] || hp_fail "expected no tex$$-* namespace left, saw: $left"
echo "ok"
