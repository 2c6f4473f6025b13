#!/usr/bin/env bash
# What a CI reads from `labrun run`: with --junit and --markdown, a JUnit
# file and a markdown summary beside the --json object, from the same
# report (a pass, and a setup error); a file that cannot be made stops the
# run before anything is built (one line on stderr, exit 2, and under
# --json the error object); a usage error under --json is one JSON object.
set -euo pipefail
. "$HPLAB_TOP/tests/lib.sh"
hp_need_root
hp_init
hp_lab_prefix "t90x$$"

echo "check: run --json --junit --markdown: one JSON object, a JUnit file, a markdown summary"
hp_lab_run ok --junit "$T/run.xml" --markdown "$T/run.md"
python3 - "$T/ok.json" "$(cat "$T/ok.rc")" "$T/run.xml" "$T/run.md" <<'PY'
import json, sys, xml.etree.ElementTree as E
d = json.loads(open(sys.argv[1]).read())
rc = int(sys.argv[2])
print("    result", d["result"], "path", d["path"], "reason", d["reason"])
assert rc == 0 and d["result"] == "pass", (rc, d["reason"])
assert d["schema_version"] == 1 and d["reason"] is None and d["interrupted_by"] is None, d
assert isinstance(d["wall_ms"], int) and d["wall_ms"] >= d["setup_ms"], d["wall_ms"]
suite = E.parse(sys.argv[3]).getroot()
cases = suite.findall("testcase")
assert suite.tag == "testsuite" and suite.get("tests") == "1" and len(cases) == 1, E.tostring(suite)
assert suite.get("failures") == "0" and suite.get("errors") == "0", suite.attrib
c = cases[0]
assert c.get("classname") == "hplab.run", c.attrib
assert c.get("name") == "%s x %s" % (d["nat"]["a"], d["nat"]["b"]), c.attrib
assert abs(float(c.get("time")) - d["wall_ms"] / 1000) < 0.002, (c.get("time"), d["wall_ms"])
assert c.find("failure") is None and c.find("error") is None
out = c.find("system-out").text
assert all(s["text"].split("\n")[0] in out for s in d["steps"]), "narrative missing"
md = open(sys.argv[4]).read().splitlines()
assert md[0] == "### hplab run: PASS: %s" % c.get("name"), md[0]
assert "| result | PASS |" in md and "| path | direct (theory: direct) |" in md, md
assert "| connect | %d ms |" % d["connect_ms"] in md, md
PY
echo "check: no temporary file left beside them"
! ls "$T" | grep -q '\.tmp\.'

echo "check: a setup error is a JUnit <error> with the reason"
ip netns add "t90x$$-core"
rc=0
"$BIN/labrun" run --prefix "t90x$$" --junit "$T/err.xml" --markdown "$T/err.md" \
	> "$T/err.out" 2> "$T/err.err" || rc=$?
ip netns del "t90x$$-core"
[ "$rc" = 2 ] || hp_fail "exit $rc, want 2"
grep -q "^FAIL: namespaces t90x$$-\* exist already" "$T/err.out" || hp_fail "no FAIL line"
python3 - "$T/err.xml" "$T/err.md" "t90x$$" <<'PY'
import sys, xml.etree.ElementTree as E
suite = E.parse(sys.argv[1]).getroot()
assert suite.get("errors") == "1" and suite.get("failures") == "0", suite.attrib
e = suite.find("testcase/error")
assert e is not None and e.get("message").startswith("namespaces %s-* exist already" % sys.argv[3]), e
md = open(sys.argv[2]).read()
assert "| result | ERROR |" in md and "exist already" in md, md
PY

echo "check: --junit into a missing directory: exit 2, one line, nothing built"
for mode in text json; do
	json=()
	[ "$mode" = json ] && json=(--json)
	rc=0
	"$BIN/labrun" run "${json[@]}" --prefix "t90x$$" --junit "$T/no/such/dir/x.xml" \
		> "$T/nodir.out" 2> "$T/nodir.err" || rc=$?
	cat "$T/nodir.err"
	[ "$rc" = 2 ] || hp_fail "$mode: exit $rc, want 2"
	[ "$(wc -l < "$T/nodir.err")" = 1 ] || hp_fail "$mode: not one line on stderr"
	grep -q "cannot write $T/no/such/dir/x.xml: No such file or directory" "$T/nodir.err" ||
		hp_fail "$mode: the line does not say what"
	! ip netns list | grep -q "^t90x$$-" || hp_fail "$mode: a namespace was built"
	if [ "$mode" = text ]; then
		[ ! -s "$T/nodir.out" ] || hp_fail "text: something on stdout"
	else
		python3 - "$T/nodir.out" <<'PY' || hp_fail "json: not the error object"
import json, sys
text = open(sys.argv[1]).read()
d = json.loads(text)
assert text.count("\n") == 1, text
assert d == {"schema_version": 1, "result": "error", "command": "run",
             "reason": d["reason"]} and "cannot write" in d["reason"], d
PY
	fi
done

echo "check: a usage error under --json is one JSON object on stdout, exit 2"
rc=0
"$BIN/labrun" run --json --messages 0 > "$T/usage.out" 2> "$T/usage.err" || rc=$?
[ "$rc" = 2 ] || hp_fail "exit $rc, want 2"
python3 -c '
import json, sys
d = json.loads(open(sys.argv[1]).read())
assert d["schema_version"] == 1 and d["result"] == "error" and d["command"] == "run", d
assert d["reason"].startswith("--messages wants a number"), d' "$T/usage.out"
echo "ok"
