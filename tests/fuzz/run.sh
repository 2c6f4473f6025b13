#!/bin/bash
# Build and run one libFuzzer harness for a bounded time.
#   tests/fuzz/run.sh NAME [SECONDS]     (NAME: a row of the table below)
# Needs clang with libFuzzer. Corpus and crashes go to /tmp/hplab-fuzz-NAME.
set -euo pipefail
# The harnesses: NAME -> the sources (under src/) tests/fuzz/fuzz_NAME.c
# links, then the libraries after a "--".
declare -A harness=(
	[proto]="common/proto*.c common/cursor.c common/stun.c common/endpoint.c --"
	[stun]="common/proto*.c common/cursor.c common/stun.c common/endpoint.c --"
	[endpoint]="common/proto*.c common/cursor.c common/stun.c common/endpoint.c --"
	[nflog]="kern/nflogmsg.c kern/nfnl.c -- -lmnl"
	[ctev]="kern/ctmsg.c kern/nfnl.c -- -lmnl"
	[pkt]="lab/pktdec.c --"
)
names=$(printf '%s\n' "${!harness[@]}" | sort | paste -sd'|')
name=${1:?usage: $0 $names [seconds]}
[ -n "${harness[$name]+x}" ] || { echo "usage: $0 $names [seconds]" >&2; exit 2; }
secs=${2:-60}
top=$(cd "$(dirname "$0")/../.." && pwd)
work=/tmp/hplab-fuzz-$name
mkdir -p "$work/corpus"
srcs=() libs=()
read -r -a row <<<"${harness[$name]}"
seen_sep=
for w in "${row[@]}"; do
	if [ "$w" = -- ]; then seen_sep=1
	elif [ -n "$seen_sep" ]; then libs+=("$w")
	else for f in "$top"/src/$w; do srcs+=("$f"); done
	fi
done
clang -g -O1 -std=gnu11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
	-I"$top/src/common" -I"$top/src/kern" -I"$top/src" -o "$work/fuzz_$name" \
	"$top/tests/fuzz/fuzz_$name.c" "${srcs[@]}" "${libs[@]}"
# a few valid messages as seeds: the fuzzer rarely finds magic, version
# and a matching length field by itself
z() { head -c "$1" /dev/zero; }
if [ "$name" = proto ]; then
	{ printf '\x48\x50\x01\x01\x00\x34\x00\x00'; z 40
	  printf '\x01r\x01n\x01\x04\x00\x05\x7f\x00\x00\x01'; } >"$work/corpus/seed-register"
	{ printf '\x48\x50\x01\x03\x00\x45\x00\x00'; z 8; printf '\x06\x00\x07'; z 16
	  printf '\x01b'; z 32; printf '\x04\x00\x09\x0a\x00\x00\x02\x00'; } >"$work/corpus/seed-intro"
	{ printf '\x12'; z 12; printf '\x00\x02hi'; } >"$work/corpus/seed-chat"
	# RELAY (token + a 48-byte sealed CHAT) and the RELAYED it becomes
	{ printf '\x48\x50\x01\x06\x00\x38\x00\x00'; z 8
	  printf '\x48\x50\x01\x12\x00\x28\x00\x00'; z 40; } >"$work/corpus/seed-relay"
	{ printf '\x48\x50\x01\x07\x00\x30\x00\x00'
	  printf '\x48\x50\x01\x12\x00\x28\x00\x00'; z 40; } >"$work/corpus/seed-relayed"
fi
if [ "$name" = stun ]; then
	# classic RFC 3489 (a 128-bit ID, no cookie) with CHANGE-REQUEST, and
	# an RFC 8489 request padded with 1500 bytes (RFC 5780 s.7.6)
	{ printf '\x00\x01\x00\x08'; printf 'classic-id-0123!'
	  printf '\x00\x03\x00\x04\x00\x00\x00\x06'; } >"$work/corpus/seed-classic"
	{ printf '\x00\x01\x05\xe8\x21\x12\xa4\x42'; printf 'padded-req-1'
	  printf '\x00\x03\x00\x04\x00\x00\x00\x02\x00\x26\x05\xdc'; z 1500; } \
		>"$work/corpus/seed-padded"
fi
# netlink seeds in hex (host order is little-endian here: x86, arm64)
hex() { xxd -r -p <<<"$1"; }
if [ "$name" = nflog ]; then
	# NFULNL_MSG_PACKET, group 5: header (hook 3), outdev 1, prefix "t", and
	# a 28-byte IPv4/UDP copy
	hex "4c000000 0004 0000 00000000 00000000 02000005
	     08000100 08000300 08000500 00000001 06000a00 74000000
	     20000900 4500001c 12340000 40110000 0a000102 c633640a 0fa00d96 00080000" \
		>"$work/corpus/seed-packet"
	# the same twice in one datagram, then the NLMSG_DONE of a batch
	{ cat "$work/corpus/seed-packet" "$work/corpus/seed-packet"
	  hex "14000000 0300 0200 00000000 00000000 00000000"; } >"$work/corpus/seed-batch"
fi
if [ "$name" = ctev ]; then
	# IPCTNL_MSG_CT_NEW with NLM_F_CREATE|NLM_F_EXCL: both tuples (nested),
	# status, timeout and id, as ctnetlink_conntrack_event sends them
	hex "94000000 0001 0006 00000000 00000000 02000000
	     34000180 14000180 08000100 0a000102 08000200 c000020a
	              1c000280 05000100 11000000 06000200 0fa00000 06000300 0d960000
	     34000280 14000180 08000100 c000020a 08000200 c633640a
	              1c000280 05000100 11000000 06000200 0d960000 06000300 0fa10000
	     08000300 00000198 08000700 0000001e 08000c00 abcdef01" >"$work/corpus/seed-new"
fi
if [ "$name" = pkt ]; then
	# a PUNCH from 10.0.1.2:4000 with TTL 2, and the time exceeded quoting it
	punch="45000024 12340000 02110000 0a000102 c633640a 0fa00d96 00100000 48500110 00000000"
	hex "$punch" >"$work/corpus/seed-punch"
	hex "45000040 00000000 40010000 cb007101 0a000102 0b000000 00000000 $punch" \
		>"$work/corpus/seed-ttl"
fi
cd "$work"
exec "./fuzz_$name" -max_total_time="$secs" -max_len=2100 corpus
