#!/usr/bin/env bash
# Double NAT (--topology cgnat): each home router behind its own
# carrier-grade NAT. Port-restricted over port-restricted is still
# port-restricted (direct); a symmetric CGN makes each side symmetric
# (relay). The JSON says which topology it was, the narrative draws the
# CGNs and 100.64.0.0/10 (RFC 6598) between them and the home routers.
# Both homes behind one CGN (cgnat-same) hairpin through its address.
set -euo pipefail
. "$HPLAB_TOP/tests/lib.sh"
hp_need_root
hp_init

check_run() { # cgn-personality expected-path
	local cgn=$1 want=$2 rc=0 runner
	echo "check: --topology cgnat --nat-cgn $cgn: $want, topology cgnat"
	timeout 60 "$BIN/labrun" run --json --topology cgnat --nat-cgn "$cgn" \
		--prefix "tcg$$" > "$T/json.$cgn" & runner=$!
	hp_track "$runner"
	wait "$runner" || rc=$?
	hp_untrack "$runner"
	hp_py - "$T/json.$cgn" "$rc" "$want" <<'PY'
d = json.loads(open(sys.argv[1]).read())
rc, want = int(sys.argv[2]), sys.argv[3]
print("   ", d["topology"], "expected", d["expected"], "path", d["path"])
assert d["result"] == "pass" and rc == 0, (d["result"], d.get("reason"), rc)
assert d["topology"] == "cgnat", d["topology"]
assert d["expected"] == want and d["path"] == want, d
PY
}

check_run port-restricted direct

echo "check: the narrative draws the CGNs and names theory's chain"
"$BIN/labrun" run --topology cgnat --prefix "tcg$$" > "$T/out" 2>&1 ||
	hp_fail "expected a passing cgnat run, saw: $(tail -3 "$T/out")"
grep -q "namespaces tcg$$-\*, cgnat" "$T/out" ||
	hp_fail "expected 'cgnat' in the topology line, saw: $(head -1 "$T/out")"
grep -q "cA   wan 198.51.100.10/24 lan 100.64.1.1/24  (carrier-grade NAT A, NAT port-restricted)" "$T/out" ||
	hp_fail "expected cA in the narrative, saw: $(sed -n 2,9p "$T/out")"
grep -q "rA   wan 100.64.1.2/24 lan 10.0.1.1/24" "$T/out" ||
	hp_fail "expected rA's wan in 100.64/10, saw: $(sed -n 2,9p "$T/out")"
grep -q "theory: port-restricted x port-restricted, each behind a CGN port-restricted -> direct" "$T/out" ||
	hp_fail "expected theory's line for cgnat, saw: $(grep theory "$T/out")"

echo "check: --topology cgnat-same (one CGN, hairpin on by default): direct through its address"
timeout 60 "$BIN/labrun" run --json --topology cgnat-same --prefix "tcg$$" > "$T/same" ||
	hp_fail "expected a passing cgnat-same run, saw: $(tail -c 300 "$T/same")"
hp_py - "$T/same" <<'PY'
d = json.loads(open(sys.argv[1]).read())
print("   ", d["topology"], "hairpin", d["hairpin"], "path", d["path"], "peers", d["a"]["peer"], d["b"]["peer"])
assert d["topology"] == "cgnat-same" and d["hairpin"] is True, d
assert d["expected"] == "direct" and d["path"] == "direct", d
assert d["a"]["peer"].startswith("198.51.100.10:") and d["b"]["peer"].startswith("198.51.100.10:"), d
PY

echo "check: --nat-cgn needs --topology cgnat"
if "$BIN/labrun" run --nat-cgn symmetric --prefix "tcg$$" > "$T/bad" 2>&1; then
	hp_fail "expected --nat-cgn without cgnat to be refused"
fi
grep -q "only means something with --topology cgnat" "$T/bad" ||
	hp_fail "expected the reason, saw: $(cat "$T/bad")"

echo "check: no namespace left"
left=$(ip netns list | grep "^tcg$$-" | cut -d' ' -f1 | tr '\n' ' ') || true
[ -z "$left" ] || hp_fail "expected no tcg$$-* namespace left, saw: $left"
echo "ok"
