#!/usr/bin/env bash
# The whole matrix: every cell as theory predicts (direct where hole
# punching can work, relay elsewhere, never failed), every probe names its
# router's personality, and the total time is reported.
set -euo pipefail
. "$HPLAB_TOP/tests/lib.sh"
hp_need_root
BIN=${HPLAB_BIN:?HPLAB_BIN must name the build dir}
help=$("$BIN/hpclient" --help 2>&1 || true)
if ! grep -q -- "--probe" <<<"$help" || ! grep -qi -- "relay" <<<"$help"; then
	hp_skip "needs an hpclient with --probe and relay fallback"
fi
hp_init

echo "check: labrun matrix --json exits 0 with every cell as predicted"
rc=0
timeout 120 "$BIN/labrun" matrix --json > "$T/json" & runner=$!
hp_track "$runner"
wait "$runner" || rc=$?
hp_untrack "$runner"
hp_py - "$T/json" "$rc" <<'PY'
d = json.loads(open(sys.argv[1]).read())
rc = int(sys.argv[2])
cells = d["cells"]
for c in cells:
    print("   %-8s %-16s %-16s same_nat=%-5s hairpin=%-5s expected=%-6s observed=%-6s %5s ms  probes %s/%s %s" % (
        c["topology"], c["nat_a"], c["nat_b"], c["same_nat"], c["hairpin"], c["expected"], c["observed"],
        c["connect_ms"], c["probe_a"], c["probe_b"], "" if c["ok"] else "MISMATCH: %s" % c["reason"]))
print("    total %.1f s" % d["seconds"])
assert isinstance(d["seconds"], (int, float)) and d["seconds"] > 0
assert len(cells) >= 20, len(cells)
home = [c for c in cells if c["topology"] == "home"]
pairs = {(c["nat_a"], c["nat_b"]) for c in home if not c["same_nat"]}
assert len(pairs) == 16, pairs
assert sum(1 for c in home if c["same_nat"]) >= 2
# one LAN switch: direct, hairpin on and off (the host candidates meet)
lan = [c for c in cells if c["topology"] == "same-lan"]
assert sorted(c["hairpin"] for c in lan) == [False, True], lan
assert all(c["expected"] == "direct" for c in lan), lan
# the whole matrix stays quick (docs/lab.md); load can stretch it, so
# only a gross regression fails
assert d["seconds"] < 60, d["seconds"]
for c in cells:
    # where the birthday spray decides (0 < p < 1), one trial may go
    # either way: it is told, never failed (docs/lab.md, "Trials")
    if c["spray"]:
        assert 0 < c["p_direct"] < 1 and c["observed"] in ("direct", "relay"), c
    else:
        assert c["observed"] == c["expected"], c
    assert c["observed"] != "failed", c
    assert c["ok"] and c["probe_a_ok"] and c["probe_b_ok"], c
assert d["result"] == "pass" and rc == 0, (d["result"], rc)
open(sys.argv[1] + ".prefixes", "w").write("\n".join(c["prefix"] + "-" for c in cells if c["prefix"]) + "\n")
PY
echo "check: no matrix namespace left"
left=$(ip netns list | grep -F -f "$T/json.prefixes" | cut -d' ' -f1 | tr '\n' ' ') || true
[ -z "$left" ] || hp_fail "expected no matrix namespace left, saw: $left"
echo "ok"
