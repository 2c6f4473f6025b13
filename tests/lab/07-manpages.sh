#!/usr/bin/env bash
# The man pages keep step with the programs: every option a program's
# --help lists (for the lab: every listed command's --help, and its
# commands) appears in its page (docs/man), and every page names --version.
# No root needed.
set -euo pipefail
. "$HPLAB_TOP/tests/lib.sh"
hp_init
man=$HPLAB_TOP/docs/man

# the options of help text on stdin, one a line: --long and -s
opts_of() {
	grep -oE -- '(^|[ ,[(])--?[a-z][a-z0-9-]*' | sed 's/^[ ,[(]*//' | sort -u
}
# page FILE as plain text: roff's \- is a dash, font escapes go
plain() {
	sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\(em/-/g' "$1"
}
# check_page PAGE OPTS_FILE: every option of OPTS_FILE is in PAGE
check_page() {
	local page=$1 o bad=0
	plain "$page" > "$T/page"
	while read -r o; do
		if ! grep -qE -- "(^|[^a-z0-9-])$o([^a-z0-9-]|\$)" "$T/page"; then
			echo "FAIL: $(basename "$page") does not document $o"
			bad=1
		fi
	done < "$2"
	return "$bad"
}

fail=0
for p in hpserver hpclient; do
	echo "check: $p.1 documents every option of $p --help, and --version"
	{ "$BIN/$p" --help | opts_of; echo --version; } | sort -u > "$T/$p.opts"
	check_page "$man/$p.1" "$T/$p.opts" || fail=1
done

echo "check: hplab.8 documents every command and every option of their --help, and --version"
"$BIN/labrun" --help > "$T/help"
sed -n '/^commands:/,/^$/p' "$T/help" | awk 'NF > 1 && /^  / { print $1 }' > "$T/cmds"
[ -s "$T/cmds" ] || hp_fail "no commands in labrun --help"
{
	echo --version
	while read -r c; do
		"$BIN/labrun" "$c" --help | opts_of
	done < "$T/cmds"
} | sort -u > "$T/lab.opts"
check_page "$man/hplab.8" "$T/lab.opts" || fail=1
plain "$man/hplab.8" > "$T/page"
while read -r c; do
	grep -qx "\.B $c" "$T/page" || { echo "FAIL: hplab.8 has no entry for the command $c"; fail=1; }
done < "$T/cmds"
[ "$fail" = 0 ]
echo "ok"
