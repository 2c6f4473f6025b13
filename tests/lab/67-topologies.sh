#!/usr/bin/env bash
# Each topology of the table besides home once: the path theory predicts,
# the "topology" field of the JSON, and the narrative naming it. Same LAN:
# with hairpin off the only way is the peer's private address (its host
# candidate, across rA's switch); with hairpin on either way is direct.
set -euo pipefail
. "$HPLAB_TOP/tests/lib.sh"
hp_need_root
hp_init

check_run() { # hairpin expected-peer-pattern
	local hp=$1 want=$2 rc=0 runner
	echo "check: --topology same-lan --hairpin $hp: direct, topology same-lan"
	timeout 60 "$BIN/labrun" run --json --topology same-lan --hairpin "$hp" \
		--prefix "tsl$$" > "$T/json.$hp" & runner=$!
	hp_track "$runner"
	wait "$runner" || rc=$?
	hp_untrack "$runner"
	hp_py - "$T/json.$hp" "$rc" "$want" <<'PY'
import re
d = json.loads(open(sys.argv[1]).read())
rc, want = int(sys.argv[2]), sys.argv[3]
print("   ", d["topology"], "hairpin", d["hairpin"], "expected", d["expected"], "path", d["path"],
      "peers", d["a"]["peer"], d["b"]["peer"])
assert d["result"] == "pass" and rc == 0, (d["result"], d.get("reason"), rc)
assert d["topology"] == "same-lan" and d["same_nat"] is False, d
assert d["expected"] == "direct" and d["path"] == "direct", d
assert re.match(want, d["a"]["peer"]) and re.match(want, d["b"]["peer"]), (d["a"]["peer"], d["b"]["peer"])
PY
}

check_run off '^10\.0\.1\.[23]:4000$'
check_run on '^(10\.0\.1\.[23]|198\.51\.100\.10):400[01]$'

echo "check: the narrative names the topology and draws the switch"
"$BIN/labrun" run --topology same-lan --prefix "tsl$$" > "$T/out" 2>&1 ||
	hp_fail "expected a passing same-lan run, saw: $(tail -3 "$T/out")"
grep -q "namespaces tsl$$-\*, same-lan" "$T/out" ||
	hp_fail "expected 'same-lan' in the topology line, saw: $(head -1 "$T/out")"
grep -q "lan 10.0.1.1/24 (switch: portA portB)" "$T/out" ||
	hp_fail "expected rA's switch in the narrative, saw: $(sed -n 2,6p "$T/out")"
grep -q "theory: port-restricted x same LAN, hairpin on -> direct" "$T/out" ||
	hp_fail "expected theory's line for the same LAN, saw: $(grep theory "$T/out")"

echo "check: the home topology says so too"
"$BIN/labrun" run --json --prefix "tsl$$" > "$T/home" || hp_fail "expected a passing home run"
hp_py - "$T/home" <<'PY'
d = json.loads(open(sys.argv[1]).read())
assert d["topology"] == "home", d["topology"]
PY

echo "check: no namespace left"
left=$(ip netns list | grep "^tsl$$-" | cut -d' ' -f1 | tr '\n' ' ') || true
[ -z "$left" ] || hp_fail "expected no tsl$$-* namespace left, saw: $left"
echo "ok"
