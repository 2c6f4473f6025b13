#!/usr/bin/env bash
# The birthday spray (docs/hpclient.md, "The birthday spray"), read back
# from the NAT routers' captures (tcpdump -r): with alice behind a
# port-restricted NAT (easy) and bob behind a symmetric one (hard), bob
# opens extra sockets, each sends one opener to alice's public endpoint,
# and alice probes many distinct ports of bob's public address and
# nowhere else. Whether a probe wins is chance (about 98 % with the
# defaults): asserted is what is certain, that the spray ran, went only
# to the peer's public address, and that the chat crossed (direct or
# relayed). Symmetric x symmetric does not spray: it relays.
set -euo pipefail
. "$HPLAB_TOP/tests/lib.sh"
hp_need_root
hp_init
command -v tcpdump >/dev/null || hp_skip "needs tcpdump (reads the captures back)"
prefix=t77s$$
hp_lab_prefix "$prefix"
PUNCH='udp[11] = 0x10'
A_PUB=198.51.100.10 B_PUB=203.0.113.10 A_PRIV=10.0.1.2 B_PRIV=10.0.2.2

# field FILE FILTER AWK: tcpdump -r FILE FILTER, one awk-picked field a line
field() {
	tcpdump -nr "$1" "$2" 2>"$T/tcpdump.err" | awk "$3" ||
		hp_fail "expected tcpdump -r $1 to read it, saw: $(cat "$T/tcpdump.err")"
}
# "IP 10.0.2.2.41234 > 198.51.100.10.4000: UDP": $3 the source, $5 the destination
SRC_PORT='{ n = split($3, f, "."); print f[n] }'
DST_PORT='{ sub(":", "", $5); n = split($5, f, "."); print f[n] }'
DST='{ sub(":", "", $5); print $5 }'

echo "check: port-restricted x symmetric: the chat crosses"
hp_lab_run pr-sym --nat-a port-restricted --nat-b symmetric --pcap "$T/pr-sym"
hp_lab_check pr-sym 'print("pr-sym:", d["result"], d["path"], d["connect_ms"], "ms")' \
	'assert d["path"] in ("direct", "relay"), d["path"]
assert a["delivered"] == a["sent"] and b["delivered"] == b["sent"], (a, b)'

echo "check: bob (hard) sends openers from at least 200 sockets, all to alice's public endpoint"
field "$T/pr-sym/rB-lan.pcap" "src host $B_PRIV and dst host $A_PUB and $PUNCH" "$SRC_PORT" |
	sort -u >"$T/bob-ports"
hp_expect_ge "bob's distinct punching ports" 200 "$(wc -l <"$T/bob-ports")"
hp_expect_eq "bob's punches to alice's public address at another port than 4000" 0 \
	"$(field "$T/pr-sym/rB-lan.pcap" "src host $B_PRIV and dst host $A_PUB and $PUNCH" \
		"$DST_PORT" | grep -vcx 4000 || true)"

echo "check: alice (easy) probes distinct ports of bob's public address, and no other address"
field "$T/pr-sym/rA-wan.pcap" "src host $A_PUB and dst host $B_PUB and $PUNCH" "$DST_PORT" |
	sort -u >"$T/alice-ports"
# the port the server saw for bob and at least one probed port: a probe
# may win at once (each one has a 256-in-64512 chance), so no more is sure
hp_expect_ge "alice's distinct destination ports at bob's public address" 2 \
	"$(wc -l <"$T/alice-ports")"
# the only other punches go to bob's host candidate (his private address, port 4000)
hp_expect_eq "alice's punches elsewhere than bob's public address or $B_PRIV:4000" 0 \
	"$(field "$T/pr-sym/rA-wan.pcap" "src host $A_PUB and $PUNCH" "$DST" |
		grep -vE "^($B_PUB\.[0-9]+|$B_PRIV\.4000)\$" | wc -l)"

echo "check: symmetric x symmetric: no spray (a few punching ports each), the relay carries it"
hp_lab_run sym-sym --nat-a symmetric --nat-b symmetric --pcap "$T/sym-sym"
hp_lab_check sym-sym 'print("sym-sym:", d["result"], d["path"])' \
	'assert d["path"] == "relay", d["path"]
assert a["delivered"] == a["sent"] and b["delivered"] == b["sent"], (a, b)'
hp_expect_le "bob's punching ports" 2 "$(field "$T/sym-sym/rB-lan.pcap" \
	"src host $B_PRIV and $PUNCH" "$SRC_PORT" | sort -u | wc -l)"
hp_expect_le "alice's punching ports" 2 "$(field "$T/sym-sym/rA-lan.pcap" \
	"src host $A_PRIV and $PUNCH" "$SRC_PORT" | sort -u | wc -l)"
echo "ok"
