#!/usr/bin/env bash
# The lists that live in one table are read, not retyped: README.md names
# exactly the packages of the dependency table (deps), grouped by need, and
# the `lab` wrapper's help and version before the first build (from
# src/lab/commands.def and src/common/version.h) are the runner's own. No
# root needed.
set -euo pipefail
. "$HPLAB_TOP/tests/lib.sh"
hp_init
top=$HPLAB_TOP

echo "check: README.md's dependency paragraph names exactly the packages of deps"
awk '!/^#/ && NF { print $1 }' "$top/deps" | sort > "$T/table"
[ -s "$T/table" ]
# the paragraph from "Dependencies (Debian" to the blank line; its
# backquoted spans are package lists
awk '/^Dependencies \(Debian/ { on = 1 } on && !NF { exit } on' "$top/README.md" |
	tr '\n' ' ' | grep -o '`[^`]*`' | tr -d '`' | tr ' ' '\n' | grep . | sort > "$T/readme"
if ! diff -u "$T/table" "$T/readme"; then
	echo "README.md and deps disagree (- table only, + README only)"
	exit 1
fi
echo "check: one backquoted list per need, in the table's order (build, lab, test, optional)"
awk '!/^#/ && NF { if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 } l[$2] = l[$2] " " $1 }
	END { for (i = 1; i <= n; i++) print substr(l[order[i]], 2) }' "$top/deps" > "$T/groups"
awk '/^Dependencies \(Debian/ { on = 1 } on && !NF { exit } on' "$top/README.md" |
	tr '\n' ' ' | grep -o '`[^`]*`' | tr -d '`' | tr -s ' ' > "$T/readme-groups"
if ! diff -u "$T/groups" "$T/readme-groups"; then
	echo "README.md groups the packages otherwise than deps' needs (- table, + README)"
	exit 1
fi

echo "check: src/lab/help.txt is the runner's own per-command help (else: make helptext)"
bash "$top/tests/lab-help-gen" "$BIN/labrun" > "$T/help.txt"
diff -u "$top/src/lab/help.txt" "$T/help.txt" ||
	hp_fail "src/lab/help.txt: expected what the runner prints, saw an old copy (run: make helptext)"

echo "check: the wrapper's help without a build is labrun's, byte for byte"
mkdir -p "$T/top/src/lab" "$T/top/src/common"
cp "$top/lab" "$top/deps" "$T/top/"
cp "$top/src/lab/commands.def" "$top/src/lab/help.txt" "$T/top/src/lab/"
cp "$top/src/common/version.h" "$T/top/src/common/"
for args in "" help --help "run --help" "help run" "up --help" "down --help" \
	"clean --help" "matrix --help" "matrix -j 2 --help"; do
	# shellcheck disable=SC2086 # the words of args are the arguments
	HPLAB_PROG=./lab bash "$T/top/lab" $args > "$T/static"
	# shellcheck disable=SC2086
	HPLAB_PROG=./lab "$BIN/labrun" $args > "$T/runner"
	diff -u "$T/runner" "$T/static" || hp_fail "./lab $args before a build: expected labrun's help, saw the diff above"
done
echo "check: the help names the lab as typed"
HPLAB_PROG=./lab bash "$T/top/lab" --help > "$T/static"
grep -qx 'usage: ./lab <command> .*' "$T/static"
"$BIN/labrun" --help | grep -q '^usage: labrun <command>'
echo "check: --version without a build is labrun's --version"
bash "$T/top/lab" --version > "$T/static"
"$BIN/labrun" --version > "$T/runner"
diff -u "$T/runner" "$T/static"
grep -qx 'hplab [0-9][0-9.]*.*' "$T/static"
echo "ok"
