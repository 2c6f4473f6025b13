#!/usr/bin/env bash
# Not root: one clear line on stderr and exit 2; help still works.
set -euo pipefail
. "$HPLAB_TOP/tests/lib.sh"
hp_need_root "to become nobody"
hp_init
chmod 755 "$T"
cp "$BIN/labrun" "$T/labrun"
chmod 755 "$T/labrun"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

for cmd in run up down clean; do
	echo "check: labrun $cmd as nobody exits 2 with one line saying root is needed"
	rc=0
	as_nobody timeout 10 "$T/labrun" "$cmd" > "$T/out" 2> "$T/err" || rc=$?
	cat "$T/err"
	hp_expect_eq "labrun $cmd exit status as nobody" 2 "$rc"
	hp_expect_eq "labrun $cmd stderr lines as nobody" 1 "$(wc -l < "$T/err")"
	hp_expect_grep "labrun $cmd stderr as nobody" "needs root" "$T/err"
	[ ! -s "$T/out" ] || hp_fail "labrun $cmd as nobody: expected nothing on stdout, saw: $(head -c 200 "$T/out")"
done
for cmd in run matrix; do
	echo "check: labrun $cmd --json as nobody: exit 2, one line on stderr, one JSON error object on stdout"
	rc=0
	as_nobody timeout 10 "$T/labrun" "$cmd" --json > "$T/out" 2> "$T/err" || rc=$?
	hp_expect_eq "labrun $cmd --json exit status as nobody" 2 "$rc"
	hp_expect_eq "labrun $cmd --json stderr lines as nobody" 1 "$(wc -l < "$T/err")"
	hp_py '
d = json.load(open(sys.argv[1]))
assert d["schema_version"] == 1
assert d["result"] == "error"
assert d["command"] == sys.argv[2]
assert "needs root" in d["reason"]' "$T/out" "$cmd"
done
echo "check: labrun --help and labrun run --help work as nobody"
rc=0
as_nobody timeout 10 "$T/labrun" --help > "$T/help" || rc=$?
hp_expect_eq "labrun --help exit status as nobody" 0 "$rc"
hp_expect_grep "labrun --help as nobody" "usage: lab" "$T/help"
rc=0
as_nobody timeout 10 "$T/labrun" run --help > "$T/runhelp" || rc=$?
hp_expect_eq "labrun run --help exit status as nobody" 0 "$rc"
hp_expect_grep "labrun run --help as nobody" "--messages" "$T/runhelp"
echo "check: a usage error is exit 2 too"
rc=0
as_nobody timeout 10 "$T/labrun" run --messages 0 2>/dev/null || rc=$?
hp_expect_eq "labrun run --messages 0 exit status" 2 "$rc"
echo "ok"
