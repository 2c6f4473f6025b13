#!/usr/bin/env bash
# Two runs at the same time, each in its own namespaces, both pass.
set -euo pipefail
. "$HPLAB_TOP/tests/lib.sh"
hp_need_root
hp_init
p1=t20a$$
p2=t20b$$
pids=()
hp_on_exit "$BIN/labrun" down --prefix "$p1"
hp_on_exit "$BIN/labrun" down --prefix "$p2"

echo "check: two labrun run at once both pass"
timeout 60 "$BIN/labrun" run --json --prefix "$p1" > "$T/1" & pids+=($!); hp_track $!
timeout 60 "$BIN/labrun" run --json --prefix "$p2" > "$T/2" & pids+=($!); hp_track $!
rc1=0; rc2=0
wait "${pids[0]}" || rc1=$?
wait "${pids[1]}" || rc2=$?
hp_untrack "${pids[0]}"; hp_untrack "${pids[1]}"
cat "$T/1" "$T/2"
hp_expect_eq "first run's exit status" 0 "$rc1"
hp_expect_eq "second run's exit status" 0 "$rc2"
for f in "$T/1" "$T/2"; do
	hp_py '
d = json.load(open(sys.argv[1]))
assert d["result"] == "pass" and d["path"] == "direct", "%s %s: %s" % (d["result"], d["path"], d["reason"])
' "$f"
done
echo "check: neither left a namespace"
hp_expect_no_netns "$p1" "$p2"
echo "ok"
