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
	[ "$rc" = 2 ]
	[ "$(wc -l < "$T/err")" = 1 ]
	grep -q "needs root" "$T/err"
	[ ! -s "$T/out" ]
done
echo "check: labrun --help and labrun run --help work as nobody"
as_nobody timeout 10 "$T/labrun" --help | grep -q "usage: lab"
as_nobody timeout 10 "$T/labrun" run --help | grep -q -- "--messages"
echo "check: a usage error is exit 2 too"
rc=0
as_nobody timeout 10 "$T/labrun" run --messages 0 2>/dev/null || rc=$?
[ "$rc" = 2 ]
echo "ok"
