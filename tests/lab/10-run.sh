#!/usr/bin/env bash
# A default run passes, leaves no namespace, and its --json report parses.
set -euo pipefail
if [ "$(id -u)" != 0 ]; then echo "SKIP: 10-run needs root"; exit 0; fi
BIN=${HPLAB_BIN:?HPLAB_BIN must name the build dir}
tmp=$(mktemp -d)
prefix=t10x$$
cleanup() {
	"$BIN/labrun" down --prefix "$prefix" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "check: labrun run (default prefix) ends with PASS and exit 0"
timeout 60 "$BIN/labrun" run > "$tmp/out"
cat "$tmp/out"
[ "$(tail -n 1 "$tmp/out")" = PASS ]
default_prefix=$(sed -n 's/.*topology built in [0-9]* ms: 6 namespaces \([A-Za-z0-9_]*\)-\*.*/\1/p' "$tmp/out")
echo "check: the narrative names the run's prefix ($default_prefix)"
[ -n "$default_prefix" ]
echo "check: no $default_prefix-* namespace and no state record left"
! ip netns list | grep -q "^$default_prefix-"
[ ! -e "/run/hplab/$default_prefix.state" ]

echo "check: --json --messages 5 prints one JSON object that says pass, direct"
timeout 60 "$BIN/labrun" run --json --messages 5 --prefix "$prefix" > "$tmp/json"
[ "$(wc -l < "$tmp/json")" = 1 ]
python3 - "$tmp/json" <<'PY'
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
