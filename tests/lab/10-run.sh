#!/usr/bin/env bash
# A default run passes, leaves no namespace, and its --json report parses.
set -euo pipefail
. "$HPLAB_TOP/tests/lib.sh"
hp_need_root
hp_init
prefix=t10x$$
hp_lab_prefix "$prefix"

echo "check: labrun run (default prefix) ends with PASS and exit 0"
timeout 60 "$BIN/labrun" run > "$T/out"
cat "$T/out"
[ "$(tail -n 1 "$T/out")" = PASS ]
default_prefix=$(sed -n 's/.*topology built in [0-9]* ms: 6 namespaces \([A-Za-z0-9_]*\)-\*.*/\1/p' "$T/out")
echo "check: the narrative names the run's prefix ($default_prefix)"
[ -n "$default_prefix" ]
echo "check: no $default_prefix-* namespace and no state record left"
! ip netns list | grep -q "^$default_prefix-"
[ ! -e "/run/hplab/$default_prefix.state" ]

echo "check: --json --messages 5 prints one JSON object that says pass, direct"
timeout 60 "$BIN/labrun" run --json --messages 5 --prefix "$prefix" > "$T/json"
[ "$(wc -l < "$T/json")" = 1 ]
python3 - "$T/json" <<'PY'
import json, sys
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
PY
echo "check: no $prefix-* namespace left"
! ip netns list | grep -q "^$prefix-"
echo "ok"
