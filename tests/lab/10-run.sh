#!/usr/bin/env bash
# A default run passes, leaves no namespace, and its --json report parses.
set -euo pipefail
. "$HPLAB_TOP/tests/lib.sh"
hp_need_root
hp_init
prefix=t10x$$
hp_lab_prefix "$prefix"

echo "check: labrun run (default prefix) ends with PASS and exit 0"
rc=0
timeout 60 "$BIN/labrun" run > "$T/out" || rc=$?
cat "$T/out"
hp_expect_eq "labrun run exit status" 0 "$rc"
hp_expect_eq "last line of the narrative" PASS "$(tail -n 1 "$T/out")"
default_prefix=$(sed -n 's/.*topology built in [0-9]* ms: 6 namespaces \([A-Za-z0-9_]*\)-\*.*/\1/p' "$T/out")
echo "check: the narrative names the run's prefix ($default_prefix)"
[ -n "$default_prefix" ] || hp_fail "expected 'topology built in N ms: 6 namespaces PREFIX-*' in the narrative, saw none"
echo "check: no $default_prefix-* namespace and no state record left"
hp_expect_no_netns "$default_prefix"
hp_expect_absent "/run/hplab/$default_prefix.state"

echo "check: --json --messages 5 prints one JSON object that says pass, direct"
rc=0
timeout 60 "$BIN/labrun" run --json --messages 5 --prefix "$prefix" > "$T/json" || rc=$?
hp_expect_eq "labrun run --json exit status" 0 "$rc"
hp_expect_eq "lines of --json output" 1 "$(wc -l < "$T/json")"
hp_py '
d = json.loads(open(sys.argv[1]).read())
assert d["result"] == "pass", d
assert d["path"] == "direct", d
for k in ("connect_ms", "setup_ms", "teardown_ms"):
    assert isinstance(d[k], int) and d[k] >= 0, (k, d[k])
for s in ("a", "b"):
    assert d[s]["sent"] == 5 and d[s]["received"] == 5, d[s]
assert d["a"]["peer"].startswith("203.0.113.10:"), d["a"]
assert d["b"]["peer"].startswith("198.51.100.10:"), d["b"]
print("json ok:", {k: d[k] for k in ("result", "path", "connect_ms", "setup_ms", "teardown_ms")})
' "$T/json"
echo "check: no $prefix-* namespace left"
hp_expect_no_netns "$prefix"
echo "ok"
