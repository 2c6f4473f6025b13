#!/bin/bash
# Build and run one libFuzzer harness for a bounded time.
#   tests/fuzz/run.sh NAME [SECONDS]     (NAME: a row of the table below)
#   tests/fuzz/run.sh --list             the names, one a line
# Needs clang with libFuzzer (Debian: clang, libclang-rt-14-dev); builds
# with ASan and UBSan. New corpus entries and crashes go to
# /tmp/hplab-fuzz-NAME; the seeds kept in tests/fuzz/corpus/NAME are read.
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
	[nfq]="kern/nfqmsg.c kern/nfnl.c -- -lmnl"
	[event]="lab/event.c lab/jsonx.c --"
	[session]="common/*.c -- -lsodium"
	[ctl]="client/[a-l]*.c client/[n-z]*.c common/*.c -- -lsodium"
	[dispatch]="server/arena.c server/[c-l]*.c server/re*.c server/rooms.c server/stunserve.c common/*.c -- -lsodium"
	[opts]="server/opts.c client/opts.c lab/impair.c common/*.c -- -lsodium"
	[rtnl]="kern/nlmsg.c -- -lmnl"
	[args]="lab/[a-l]*.c lab/mat*.c lab/me*.c lab/[n-z]*.c kern/*.c common/*.c -- -lsodium -lmnl -lnl-route-3 -lnl-3 -lpcap -lnftables -lm"
)
if [ "${1:-}" = --list ]; then printf '%s\n' "${!harness[@]}" | sort; exit 0; fi
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
clang -g -O1 -std=gnu11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-I"$top/src/common" -I"$top/src/kern" -I"$top/src/lab" -I"$top/src" \
	$(pkg-config --cflags libnl-3.0) -o "$work/fuzz_$name" \
	"$top/tests/fuzz/fuzz_$name.c" "${srcs[@]}" "${libs[@]}"
cd "$work"
# the kept seeds (tests/fuzz/corpus/NAME, in the repository) and what
# earlier runs here found (new finds are written there, never to the repo)
exec "./fuzz_$name" -max_total_time="$secs" -max_len=2100 -print_final_stats=1 \
	corpus "$top/tests/fuzz/corpus/$name"
