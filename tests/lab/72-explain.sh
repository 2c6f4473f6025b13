#!/usr/bin/env bash
# The glass box (--explain): the three teaching stories, as facts in the
# JSON's trace (docs/explain.md). No timings: what the NATs did.
#   default            the TTL-2 first punch opens rA's mapping of alice's
#                      port and expires in the core (ICMP time exceeded)
#   --punch-ttl 0      rB's firewall (rule fw-input) drops alice's first
#                      punch (or rA bob's: who is first is a race); a later
#                      datagram of hers is forwarded to bob
#   --no-firewall --punch-ttl 0 --delay-b 40
#                      rB tracks alice's punch to itself (the clash entry),
#                      so bob's mapping gets another port, and the run goes
#                      relay where theory predicts direct (the delay makes
#                      alice's punch reach rB before bob's leaves it: the
#                      INTROs leave the server in one batch, and without it
#                      both punches may pass their NATs first)
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
# (whether the other side's first normal punch beat it and was dropped
# depends on how the two clients were scheduled: not asserted)
assert d["nats"]["rA"]["maps"] >= 1, d["nats"]
PY

# Who punches first is a race (whom the server introduces first), so the
# facts are checked for either side: the first punch to arrive meets the
# other router, which knows nothing of it yet.
ROUTERS='{"rA": ("alice", "bob", "10.0.1.2:4000", "198.51.100.10"),
          "rB": ("bob", "alice", "10.0.2.2:4000", "203.0.113.10")}'

echo "check: --punch-ttl 0: a router's fw-input drops the other side's first punch, a later datagram passes"
run_json nottl --punch-ttl 0
hp_py - "$T/nottl" "$(cat "$T/nottl.rc")" "$ROUTERS" <<'PY'
d = json.loads(open(sys.argv[1]).read())
assert d["result"] == "pass" and sys.argv[2] == "0", (d["result"], d.get("reason"))
routers = eval(sys.argv[3])
tr = d["trace"]
told = 0
for r, (host, peer, host_ep, pub) in routers.items():
    theirs = [e for e in tr if e["kind"] == "pkt" and e["node"] == r and e["side"] == peer
              and e["proto"] == "udp"]
    drops = [i for i, e in enumerate(theirs) if e["what"] == "dropped" and e["rule"] == "fw-input"
             and e["msg"] == "punch"]
    if not drops:
        continue
    # once the host's own punch opened the mapping, the peer's next
    # datagram (a punch or the answer to one) passes
    fwd = [e for e in theirs[drops[0] + 1:] if e["what"] == "forwarded"
           and e["b"]["dst"] == host_ep]
    assert fwd, "no later datagram of %s's forwarded to %s" % (peer, host)
    first = theirs[drops[0]]
    # the same datagram left the peer's router: one number at every hop
    assert any(e["dgram"] == first["dgram"] and e["node"] != r for e in tr), first
    print("   ", first["text"])
    print("   ", fwd[0]["text"])
    assert d["nats"][r]["dropped"]["fw-input"] >= 1, d["nats"]
    told += 1
assert told, "no router dropped a first punch by fw-input"
PY

echo "check: --no-firewall --punch-ttl 0 --delay-b 40: the clash entry, the host mapped on another port, relay"
run_json clash --no-firewall --punch-ttl 0 --delay-b 40
hp_py - "$T/clash" "$(cat "$T/clash.rc")" "$ROUTERS" <<'PY'
d = json.loads(open(sys.argv[1]).read())
assert d["result"] == "fail" and sys.argv[2] == "1", (d["result"], d.get("reason"))
assert "went relay where theory predicts direct" in d["reason"], d["reason"]
routers = eval(sys.argv[3])
tr = d["trace"]
told = 0
for r, (host, peer, host_ep, pub) in routers.items():
    # both routers may hold one (each side's early punch can be first at
    # the other): the lesson needs one whose host was then moved
    for clash in [e for e in tr if e["kind"] == "map" and e["node"] == r and e["what"] == "new"
                  and not e["translates"] and e["a"]["dst"] == pub + ":4000"]:
        assert "(to %s itself)" % r in clash["text"], clash
        moved = [e for e in tr if e["kind"] == "map" and e["node"] == r and e["what"] == "new"
                 and e["translates"] and e["a"]["src"] == host_ep
                 and e["a"]["dst"] == clash["a"]["src"] and not e["b"]["dst"].endswith(":4000")]
        local = [e for e in tr if e["kind"] == "pkt" and e["node"] == r and e["what"] == "local"]
        if moved and local:
            print("   ", clash["text"])
            print("   ", moved[0]["text"])
            told += 1
assert told, "no clash entry to a router's public address, port 4000, that moved its host's mapping"
PY

echo "check: the narrative tells the story before PASS"
rc=0
timeout 90 "$BIN/labrun" run --explain --punch-ttl 0 --prefix "tex$$" > "$T/text" 2>&1 || rc=$?
[ "$rc" = 0 ] || hp_fail "expected a passing run, saw: $(tail -3 "$T/text")"
grep -q -- "--- the run explained" "$T/text" || hp_fail "no explained story: $(tail -5 "$T/text")"
grep -Eq "^ +\+[0-9]+\.[0-9]{3} ms  r[AB] drops (alice|bob)'s punch from [0-9.]+:4000 \(rule fw-input: nothing new from the wan reaches the router\)" "$T/text" ||
	hp_fail "expected a router's drop in the story, saw: $(grep drops "$T/text" | head -3)"
grep -Eq "^  r[AB]: .* [0-9]+ dropped by fw-input" "$T/text" ||
	hp_fail "expected the routers' summary, saw: $(grep -A3 'per NAT' "$T/text")"
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
