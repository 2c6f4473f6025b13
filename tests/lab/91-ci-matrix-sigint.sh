#!/usr/bin/env bash
# SIGINT in the middle of `labrun matrix`: the cells that never ran (or
# whose run the signal cut short) are "not_run" with theory's expectation,
# are not counted as wrong, and the top level says interrupted by SIGINT.
# The JUnit file has one testcase per cell (failures = wrong cells, skipped
# = cells not run), the markdown one row per cell, and stderr one line per
# finished cell. Two at a time, signalled as the first cell finishes, so
# most cells never start.
set -euo pipefail
. "$HPLAB_TOP/tests/lib.sh"
hp_need_root
hp_init

"$BIN/labrun" matrix -j 2 --json --junit "$T/m.xml" --markdown "$T/m.md" \
	> "$T/m.json" 2> "$T/m.err" &
runner=$!
hp_track "$runner"
echo "check: a line on stderr as the first cell finishes (bounded wait)"
hp_expect_line "no cell finished" "$T/m.err" '^matrix: 1/24 ' 120
kill -INT "$runner"
echo "check: SIGINT ends it with exit 1 within the workers' 10 s to tear down"
rc=0
timeout 30 tail --pid="$runner" -f /dev/null || hp_fail "labrun matrix still runs"
wait "$runner" || rc=$?
hp_untrack "$runner"
cat "$T/m.err"
[ "$rc" = 1 ] || hp_fail "exit $rc, want 1"
python3 - "$T/m.json" "$T/m.xml" "$T/m.md" "$T/m.err" <<'PY'
import json, re, sys, xml.etree.ElementTree as E
d = json.loads(open(sys.argv[1]).read())
cells, k = d["cells"], d["counts"]
print("    counts", k)
assert d["schema_version"] == 1 and d["result"] == "fail", d["result"]
assert d["interrupted"] is True and d["interrupted_by"] == "SIGINT", d
not_run = [c for c in cells if c["observed"] == "not_run"]
wrong = [c for c in cells if c["observed"] != "not_run" and not c["ok"]]
assert k["cells"] == len(cells) == 24, k
assert k["not_run"] == len(not_run) and k["wrong"] == len(wrong), (k, wrong)
assert k["ok"] + k["wrong"] + k["not_run"] == 24, k
assert any(c["wall_ms"] is None for c in not_run), "every cell started"
for c in not_run:
    assert not c["ok"], c
    assert c["expected"] in ("direct", "relay"), c  # theory, without a run
    if c["wall_ms"] is None:  # never started: nothing else either
        assert c["connect_ms"] is None and c["reason"] is None and c["prefix"] is None, c
suite = E.parse(sys.argv[2]).getroot()
cases = suite.findall("testcase")
assert suite.tag == "testsuite" and int(suite.get("tests")) == len(cases) == 24, suite.attrib
assert int(suite.get("failures")) == len(suite.findall("testcase/failure")) == k["wrong"]
assert int(suite.get("skipped")) == len(suite.findall("testcase/skipped")) == k["not_run"]
assert [c.get("name") for c in cases] == [c["label"] for c in cells]
assert all(c.get("classname") == "hplab.matrix" for c in cases)
md = open(sys.argv[3]).read().splitlines()
head = md.index("| # | cell | expected | observed | connect ms | probe A | probe B | ok | why |")
rows = [l for l in md[head + 2:] if l.startswith("|")]
assert len(rows) == 24, len(rows)
for c, row in zip(cells, rows):
    assert row.split(" | ")[1] == c["label"], (row, c)
assert "**Interrupted by SIGINT.**" in md[2], md[2]
lines = [l for l in open(sys.argv[4]).read().splitlines() if l.startswith("matrix: ")]
assert lines and all(re.match(r"matrix: %d/24 " % (i + 1), l) for i, l in enumerate(lines)), lines
open(sys.argv[1] + ".prefixes", "w").write("".join(c["prefix"] + "-\n" for c in cells if c["prefix"]))
PY
echo "check: no cell's namespace left"
if [ -s "$T/m.json.prefixes" ]; then
	! ip netns list | grep -qF -f "$T/m.json.prefixes" || hp_fail "namespaces left"
fi
echo "ok"
