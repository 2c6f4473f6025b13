#!/usr/bin/env bash
# The lists that live in one table are read, not retyped: README.md names
# exactly the packages of the dependency table (deps), and the `lab`
# wrapper's help before the first build (from src/lab/commands.def) is the
# runner's own help page. No root needed.
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

echo "check: the wrapper's help without a build is labrun's --help, byte for byte"
mkdir -p "$T/top/src/lab"
cp "$top/lab" "$top/deps" "$T/top/"
cp "$top/src/lab/commands.def" "$T/top/src/lab/"
for args in "" help --help "run --help"; do
	# shellcheck disable=SC2086 # the words of args are the arguments
	bash "$T/top/lab" $args > "$T/static"
	"$BIN/labrun" --help > "$T/runner"
	diff -u "$T/runner" "$T/static"
done
echo "ok"
