#!/usr/bin/env bash
# Not root: one clear line on stderr and exit 2; help still works.
set -euo pipefail
if [ "$(id -u)" != 0 ]; then echo "SKIP: 50-notroot needs root (to become nobody)"; exit 0; fi
BIN=${HPLAB_BIN:?HPLAB_BIN must name the build dir}
tmp=$(mktemp -d)
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT
chmod 755 "$tmp"
cp "$BIN/labrun" "$tmp/labrun"
chmod 755 "$tmp/labrun"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

for cmd in run up down clean; do
	echo "check: labrun $cmd as nobody exits 2 with one line saying root is needed"
	rc=0
	as_nobody timeout 10 "$tmp/labrun" "$cmd" > "$tmp/out" 2> "$tmp/err" || rc=$?
	cat "$tmp/err"
	[ "$rc" = 2 ]
	[ "$(wc -l < "$tmp/err")" = 1 ]
	grep -q "needs root" "$tmp/err"
	[ ! -s "$tmp/out" ]
done
echo "check: labrun --help and labrun run --help work as nobody"
as_nobody timeout 10 "$tmp/labrun" --help | grep -q "usage: lab"
as_nobody timeout 10 "$tmp/labrun" run --help | grep -q -- "--messages"
echo "check: a usage error is exit 2 too"
rc=0
as_nobody timeout 10 "$tmp/labrun" run --messages 0 2>/dev/null || rc=$?
[ "$rc" = 2 ]
echo "ok"
