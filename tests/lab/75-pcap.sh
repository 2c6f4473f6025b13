#!/usr/bin/env bash
# --pcap DIR: one pcap file per interface of every NAT, read back with
# tcpdump -r. The punches (hplab header type 0x10, PUNCH: the UDP
# payload's byte 3, so udp[11]) cross rA translated to its public
# address; with --no-firewall --punch-ttl 0 MASQUERADE moves bob's punches
# off his private port on rB's wan (the clash, docs/lab.md). `up --pcap`
# leaves a capture process that `down` stops, files complete.
set -euo pipefail
. "$HPLAB_TOP/tests/lib.sh"
hp_need_root
hp_init
command -v tcpdump >/dev/null || hp_skip "needs tcpdump (reads the captures back)"
prefix=t75p$$
hp_lab_prefix "$prefix"
PUNCH='udp[11] = 0x10'

# count FILE FILTER: packets of FILE that FILTER matches (tcpdump -r)
count() {
	local n
	n=$(tcpdump -nr "$1" "$2" 2>"$T/tcpdump.err" | wc -l) ||
		hp_fail "expected tcpdump -r $1 to read it, saw: $(cat "$T/tcpdump.err")"
	echo "$n"
}
# running PID: PID runs (an exited process may wait as a zombie for its
# reaper, init here: that is gone)
running() {
	local s
	s=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	[ "${s:0:1}" != Z ]
}
# files DIR NAMES...: each DIR/NAME.pcap exists and tcpdump reads it
files() {
	local d=$1 f
	shift
	for f in "$@"; do
		[ -s "$d/$f.pcap" ] || hp_fail "expected $d/$f.pcap with packets, saw: $(ls "$d" | tr '\n' ' ')"
		tcpdump -nr "$d/$f.pcap" >/dev/null 2>"$T/tcpdump.err" ||
			hp_fail "expected tcpdump -r $d/$f.pcap to read it, saw: $(cat "$T/tcpdump.err")"
	done
	hp_expect_eq "files in $d" "$#" "$(ls "$d" | wc -l)"
}

echo "check: run --pcap DIR (DIR made) writes rA-wan, rA-lan, rB-wan, rB-lan"
hp_lab_run home --pcap "$T/home"
hp_lab_check home 'print("home:", d["result"], d["path"])' 'assert rc == 0, rc'
files "$T/home" rA-wan rA-lan rB-wan rB-lan
echo "check: alice's punches leave hA from 10.0.1.2 and rA from 198.51.100.10 (translated)"
hp_expect_ge "alice's punches on rA-lan" 1 "$(count "$T/home/rA-lan.pcap" "src host 10.0.1.2 and $PUNCH")"
hp_expect_ge "alice's punches on rA-wan from rA's public address" 1 \
	"$(count "$T/home/rA-wan.pcap" "src host 198.51.100.10 and $PUNCH")"
hp_expect_eq "punches on rA-wan from a private address" 0 \
	"$(count "$T/home/rA-wan.pcap" "src net 10.0.0.0/8 and $PUNCH")"

# Whichever first punch reaches the other NAT first makes the clash
# there. Both INTROs leave the server in one batch, so without help the
# two punches may pass their own NATs before either arrives (no clash,
# direct): 40 ms each way on rB's wan makes alice's punch reach rB's
# conntrack 40 ms before bob's own punch does (it waits for bob's
# delayed INTRO, then for its own delay out), so bob's punches move.
echo "check: --no-firewall --punch-ttl 0 --delay-b 40: one side's punches leave its NAT from a port not its own (4000)"
hp_lab_run clash --pcap "$T/clash" --no-firewall --punch-ttl 0 --delay-b 40
hp_lab_check clash 'print("clash:", d["result"], d["path"])' 'assert rc in (0, 1), rc'
files "$T/clash" rA-wan rA-lan rB-wan rB-lan
lan_a=$(count "$T/clash/rA-lan.pcap" "src host 10.0.1.2 and src port 4000 and $PUNCH")
lan_b=$(count "$T/clash/rB-lan.pcap" "src host 10.0.2.2 and src port 4000 and $PUNCH")
hp_expect_ge "alice's punches on rA-lan from 10.0.1.2:4000" 1 "$lan_a"
hp_expect_ge "bob's punches on rB-lan from 10.0.2.2:4000" 1 "$lan_b"
moved_b=$(count "$T/clash/rB-wan.pcap" "src host 203.0.113.10 and not src port 4000 and $PUNCH")
moved_a=$(count "$T/clash/rA-wan.pcap" "src host 198.51.100.10 and not src port 4000 and $PUNCH")
echo "punches off port 4000: bob's on rB-wan $moved_b, alice's on rA-wan $moved_a"
hp_expect_ge "punches on rB-wan from 203.0.113.10 or on rA-wan from 198.51.100.10, another port than 4000" \
	1 $((moved_a + moved_b))

echo "check: --topology cgnat captures the carrier-grade NATs too"
hp_lab_run cgnat --pcap "$T/cgnat" --topology cgnat
hp_lab_check cgnat 'print("cgnat:", d["result"], d["path"])' 'assert rc == 0, rc'
files "$T/cgnat" rA-wan rA-lan rB-wan rB-lan cA-wan cA-lan cB-wan cB-lan
hp_expect_ge "alice's punches on cA-wan from its public address" 1 \
	"$(count "$T/cgnat/cA-wan.pcap" "src host 198.51.100.10 and $PUNCH")"

echo "check: --pcap under a missing directory: exit 2, one line naming it, nothing left"
rc=0
"$BIN/labrun" run --prefix "$prefix" --pcap "$T/no/such" > "$T/bad.out" 2>&1 || rc=$?
hp_expect_eq "run --pcap $T/no/such exit status" 2 "$rc"
hp_expect_grep "run --pcap error" "^FAIL: --pcap $T/no/such: cannot create the directory" "$T/bad.out"
hp_expect_no_grep "run --pcap error" "topology built" "$T/bad.out"
hp_expect_no_netns "$prefix"
touch "$T/plain"
rc=0
"$BIN/labrun" up --prefix "$prefix" --pcap "$T/plain" > "$T/badup.out" 2>&1 || rc=$?
hp_expect_eq "up --pcap FILE exit status" 2 "$rc"
hp_expect_grep "up --pcap error" "$T/plain: not a directory" "$T/badup.out"
hp_expect_eq "lines up --pcap FILE printed" 1 "$(wc -l < "$T/badup.out")"
hp_expect_no_netns "$prefix"
hp_expect_absent "/run/hplab/$prefix.state"
hp_expect_no_proc "capture --prefix $prefix "

echo "check: up --pcap DIR: a capture process, recorded; the files fill while it is up"
timeout 60 "$BIN/labrun" up --prefix "$prefix" --pcap "$T/up" > "$T/up.out" 2>&1 ||
	hp_fail "expected labrun up --pcap to succeed, saw: $(cat "$T/up.out")"
hp_expect_grep "up's guide" "capturing .* into $T/up/" "$T/up.out"
cap=$(sed -n 's/^capture_pid=//p' "/run/hplab/$prefix.state")
hp_expect_ge "recorded capture pid" 2 "${cap:-0}"
running "$cap" || hp_fail "expected the capture process $cap running, saw it gone"
for side in "alice hA" "bob hB"; do
	set -- $side
	printf 'hello from %s\n' "$1" | timeout 20 ip netns exec "$prefix-$2" \
		"$BIN/hpclient" --json --timeout 10 --room r75 --name "$1" 4000 192.0.2.10 3478 \
		> "$T/$1.out" 2> "$T/$1.err" &
	hp_track $! KILL
done
wait
hp_expect_grep "alice's events" '"event":"connected"' "$T/alice.out"
hp_expect_ge "punches in rA-wan.pcap while up" 1 "$(count "$T/up/rA-wan.pcap" "src host 198.51.100.10 and $PUNCH")"
echo "check: down stops it (files complete), nothing left"
"$BIN/labrun" down --prefix "$prefix" > "$T/down.out"
if running "$cap"; then
	hp_fail "expected the capture process $cap gone when down returned, saw it running"
fi
hp_expect_no_proc "capture --prefix $prefix "
hp_expect_no_netns "$prefix"
hp_expect_absent "/run/hplab/$prefix.state"
hp_expect_absent "/run/hplab/$prefix.capture.log"
files "$T/up" rA-wan rA-lan rB-wan rB-lan
hp_expect_ge "alice's punches on rA-lan after down" 1 "$(count "$T/up/rA-lan.pcap" "src host 10.0.1.2 and $PUNCH")"

# (not clean --all: it would take other `up` labs on this machine along;
# it stops a capture through the same lab_clean_prefix() as down)
echo "check: up --topology same-lan --pcap: the switch and its ports; clean keeps it, down stops it"
timeout 60 "$BIN/labrun" up --prefix "$prefix" --topology same-lan --pcap "$T/sl" > "$T/up2.out" 2>&1 ||
	hp_fail "expected labrun up --topology same-lan --pcap to succeed, saw: $(cat "$T/up2.out")"
cap=$(sed -n 's/^capture_pid=//p' "/run/hplab/$prefix.state")
"$BIN/labrun" clean > "$T/clean.out"
running "$cap" || hp_fail "expected clean (no --all) to leave the capture process $cap, saw it gone"
"$BIN/labrun" down --prefix "$prefix" > "$T/down2.out"
if running "$cap"; then
	hp_fail "expected down to stop the capture process $cap, saw it running"
fi
hp_expect_no_netns "$prefix"
hp_expect_absent "/run/hplab/$prefix.state"
files "$T/sl" rA-wan rA-portA rA-portB rA-lan
echo "ok"
