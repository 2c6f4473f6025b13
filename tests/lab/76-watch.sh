#!/usr/bin/env bash
# `lab watch` on a topology of `lab up -v`: with its output in a file
# (plain lines), a manual chat between hA and hB shows alice's mapping in
# rA as it is made, and a datagram from the Internet rA's fw-input drop;
# `watch -v` adds the datagrams the NATs log passing; on a terminal
# (script(1)) it redraws in place, each screen a change. SIGINT ends it with
# status 0, and so does the topology going away (`lab down`). No topology,
# or several without --prefix: one clear line, status 2. `lab up`'s
# explore hints name the watch and the kernel's own tools for its prefix,
# and -v gives hpserver -v (its log names each register).
set -euo pipefail
. "$HPLAB_TOP/tests/lib.sh"
hp_need_root
hp_init
prefix=w76_$$
hp_lab_prefix "$prefix"
srv=192.0.2.10

echo "check: watch of a topology that is not up: one line, status 2"
rc=0
"$BIN/labrun" watch --prefix nosuch >"$T/none.out" 2>"$T/none.err" || rc=$?
hp_expect_eq "watch --prefix nosuch: status" 2 "$rc"
hp_expect_eq "watch --prefix nosuch: lines on stderr" 1 "$(wc -l <"$T/none.err")"
hp_expect_grep "watch --prefix nosuch: stderr" 'no topology nosuch is up' "$T/none.err"
hp_expect_eq "watch --prefix nosuch: stdout" "" "$(cat "$T/none.out")"

echo "check: up -v prints the explore hints for its prefix"
"$BIN/labrun" up -v --prefix "$prefix" >"$T/up.out" 2>"$T/up.err" || hp_fail "labrun up failed"
for hint in "watch --prefix $prefix( |\$)" "ip netns exec $prefix-rA conntrack -E( |\$)" \
	"ip netns exec $prefix-rA nft list ruleset( |\$)" "ip netns exec $prefix-rA tcpdump -ni wan( |\$)"; do
	hp_expect_grep "up's explore hints" "^  .*$hint" "$T/up.out"
done

echo "check: watch starts with the tables (plain lines: stdout is a file)"
"$BIN/labrun" watch --prefix "$prefix" >"$T/watch.out" 2>"$T/watch.err" &
wpid=$!
hp_track "$wpid" INT
hp_expect_line "watch's first line" "$T/watch.out" "^lab watch: prefix $prefix" 10
hp_expect_grep "watch's tables" "^\+0\.000 rA holds [0-9]+ UDP entr" "$T/watch.out"
hp_expect_grep "watch's tables" "^\+0\.000 rB holds [0-9]+ UDP entr" "$T/watch.out"

echo "check: a manual chat, alice in hA and bob in hB, shows alice's mapping in rA"
# chat NAME HOST: hpclient in that host's namespace, its stdin a fifo of ours
chat() {
	local n=$1 fd
	mkfifo "$T/$n.in"
	(hp_close_writers; exec timeout "$HP_TIMEOUT" ip netns exec "$prefix-$2" \
		"$BIN/hpclient" --json --room r --name "$n" 4000 "$srv" 3478 \
		<"$T/$n.in" >"$T/$n.out" 2>"$T/$n.err") &
	HP_PID[$n]=$!
	hp_track "$!"
	exec {fd}>"$T/$n.in"
	HP_W[$n]=$fd
	HP_WRITERS+=("$fd")
}
chat alice hA
chat bob hB
hp_expect_line "alice connected" "$T/alice.out" '"event":"connected"' 20
echo "hello bob" >&"${HP_W[alice]}"
hp_expect_line "bob got alice's line" "$T/bob.out" '"text":"hello bob"' 20
hp_expect_line "watch: alice's mapping in rA" "$T/watch.out" \
	"^\+[0-9]+\.[0-9]{3} rA new 10\.0\.1\.2:4000 -> 198\.51\.100\.10:[0-9]+ \(for $srv:3478\)\$" 10
hp_expect_grep "watch: bob's mapping in rB" \
	"^\+[0-9]+\.[0-9]{3} rB new 10\.0\.2\.2:4000 -> 203\.0\.113\.10:[0-9]+ \(for " "$T/watch.out"
echo "check: a datagram from the Internet to rA's own address shows as rA's fw-input drop"
# nothing of rA's listens there and no mapping expects it: the inbound
# firewall drops it, after its NFLOG rule logged it
ip netns exec "$prefix-srv" bash -c 'echo unsolicited >/dev/udp/198.51.100.10/9'
hp_expect_line "watch: rA's fw-input drop" "$T/watch.out" \
	"^\+[0-9]+\.[0-9]{3} rA drop fw-input $srv:[0-9]+ -> 198\.51\.100\.10:9\$" 10
hp_expect_no_grep "watch without -v: the datagrams seen passing" "^\+[0-9.]+ r[AB] (in|out) " \
	"$T/watch.out"
hp_client_close alice bob
hp_client_exit alice
hp_client_exit bob
echo "check: hpserver -v logged both registrations"
hp_expect_grep "server log" 'register room "r" nick "alice"' "/run/hplab/$prefix.server.log"
hp_expect_grep "server log" 'register room "r" nick "bob"' "/run/hplab/$prefix.server.log"

echo "check: a second watch finds the log group taken: says so once, shows the tables"
"$BIN/labrun" watch --prefix "$prefix" >"$T/watch3.out" 2>"$T/watch3.err" &
w3=$!
hp_track "$w3" INT
hp_expect_line "second watch's first line" "$T/watch3.out" \
	"^lab watch: prefix $prefix, the tables at the start \(the log group is taken: tables only\)" 10
hp_expect_eq "second watch's stderr: lines" 1 "$(wc -l <"$T/watch3.err")"
hp_expect_grep "second watch's stderr" "$prefix-rA: the log group [0-9]+ is taken" "$T/watch3.err"
kill -INT "$w3"
rc=0
timeout 10 tail --pid="$w3" -f /dev/null || hp_fail "second watch did not end within 10 s of SIGINT"
wait "$w3" || rc=$?
hp_untrack "$w3"
hp_expect_eq "second watch's status after SIGINT" 0 "$rc"

echo "check: SIGINT ends the watch, status 0"
kill -INT "$wpid"
rc=0
timeout 10 tail --pid="$wpid" -f /dev/null || hp_fail "watch did not end within 10 s of SIGINT"
wait "$wpid" || rc=$?
hp_untrack "$wpid"
hp_expect_eq "watch's status after SIGINT" 0 "$rc"
hp_expect_eq "watch's stderr" "" "$(cat "$T/watch.err")"

echo "check: on a terminal the screen is drawn in place, anew only when something changed"
if command -v script >/dev/null; then
	# script(1) gives the watch a terminal and records what it wrote
	script -qefc "$BIN/labrun watch --prefix $prefix" "$T/tty.out" </dev/null >/dev/null 2>&1 &
	spid=$!
	hp_track "$spid"
	hp_expect_line "watch on a terminal: its first screen" "$T/tty.out" \
		$'\e\\[H\e\\[2Jlab watch: prefix '"$prefix" 10
	ip netns exec "$prefix-srv" bash -c 'echo unsolicited >/dev/udp/198.51.100.10/9'
	hp_expect_line "watch on a terminal: the drop counted" "$T/tty.out" \
		"^rA  [0-9]+ UDP entr.*; dropped: fw-input 1 " 10
	hp_expect_grep "watch on a terminal: the drop among the recent lines" \
		"^  \+[0-9.]+ rA drop fw-input $srv:[0-9]+ -> 198\.51\.100\.10:9" "$T/tty.out"
	tpid=$(pgrep -f "^$BIN/labrun watch --prefix $prefix\$") || hp_fail "no watch under script(1)"
	kill -INT "$tpid"
	rc=0
	timeout 10 tail --pid="$spid" -f /dev/null || hp_fail "watch on a terminal did not end within 10 s of SIGINT"
	wait "$spid" || rc=$?
	hp_untrack "$spid"
	hp_expect_eq "watch on a terminal: status after SIGINT" 0 "$rc"
	# each screen differs from the one before (the header's clock aside)
	hp_py '
screens = open(sys.argv[1], "rb").read().split(b"\x1b[H\x1b[2J")[1:]
assert len(screens) >= 2, len(screens)
bodies = [s.split(b"\n", 1)[1] if b"\n" in s else b"" for s in screens]
same = [i for i in range(1, len(bodies)) if bodies[i] == bodies[i - 1]]
assert not same, "screen %d drawn again unchanged" % same[0]
' "$T/tty.out"
else
	hp_skip_part "no script(1) to give the watch a terminal"
fi

echo "check: without --prefix and several topologies up: one line naming them, status 2"
other=w76b_$$
hp_lab_prefix "$other"
"$BIN/labrun" up --no-server --prefix "$other" >"$T/up2.out" || hp_fail "labrun up (a second one) failed"
rc=0
"$BIN/labrun" watch >"$T/several.out" 2>"$T/several.err" || rc=$?
hp_expect_eq "watch without --prefix: status" 2 "$rc"
hp_expect_eq "watch without --prefix: lines on stderr" 1 "$(wc -l <"$T/several.err")"
hp_expect_grep "watch without --prefix: stderr" "topologies are up: .*$prefix" "$T/several.err"
hp_expect_grep "watch without --prefix: stderr" "$other.*--prefix P" "$T/several.err"
"$BIN/labrun" down --prefix "$other" >"$T/down2.out"

echo "check: watch -v also shows the datagrams the NATs log passing"
"$BIN/labrun" watch -v --prefix "$prefix" >"$T/watch2.out" 2>"$T/watch2.err" &
wpid=$!
hp_track "$wpid" INT
hp_expect_line "second watch's first line" "$T/watch2.out" "^lab watch: prefix $prefix" 10
# its tables at the start hold the chat's mappings, still alive
hp_expect_grep "second watch's tables" "^\+0\.000 rA has 10\.0\.1\.2:4000 -> 198\.51\.100\.10:" \
	"$T/watch2.out"
ip netns exec "$prefix-srv" bash -c 'echo unsolicited >/dev/udp/198.51.100.10/9'
hp_expect_line "watch -v: the datagram arriving at rA" "$T/watch2.out" \
	"^\+[0-9]+\.[0-9]{3} rA in $srv:[0-9]+ -> 198\.51\.100\.10:9\$" 10
hp_expect_line "watch -v: and its drop" "$T/watch2.out" "rA drop fw-input $srv:[0-9]+ -> " 10

echo "check: a watch ends, status 0, when the topology goes away"
"$BIN/labrun" down --prefix "$prefix" >"$T/down.out"
rc=0
timeout 10 tail --pid="$wpid" -f /dev/null || hp_fail "watch did not end within 10 s of lab down"
wait "$wpid" || rc=$?
hp_untrack "$wpid"
hp_expect_eq "watch's status when the topology went away" 0 "$rc"
hp_expect_grep "watch's last line" "topology $prefix went away" "$T/watch2.out"

echo "check: nothing left"
hp_expect_no_netns "$prefix" "$other"
hp_expect_absent "/run/hplab/$prefix.state"
hp_expect_absent "/run/hplab/$other.state"
hp_expect_no_proc "labrun watch --prefix $prefix"
hp_expect_no_proc "hpclient .*--name (alice|bob) 4000 $srv"
echo "ok"
