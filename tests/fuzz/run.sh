#!/bin/bash
# Build and run one libFuzzer harness for a bounded time.
#   tests/fuzz/run.sh proto|stun|endpoint [SECONDS]
# Needs clang with libFuzzer. Corpus and crashes go to /tmp/hplab-fuzz-NAME.
set -euo pipefail
name=${1:?usage: $0 proto|stun|endpoint [seconds]}
secs=${2:-60}
top=$(cd "$(dirname "$0")/../.." && pwd)
work=/tmp/hplab-fuzz-$name
mkdir -p "$work/corpus"
clang -g -O1 -std=gnu11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
	-I"$top/src/common" -o "$work/fuzz_$name" "$top/tests/fuzz/fuzz_$name.c" \
	"$top"/src/common/proto*.c "$top/src/common/cursor.c" \
	"$top/src/common/stun.c" "$top/src/common/endpoint.c"
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
cd "$work"
exec "./fuzz_$name" -max_total_time="$secs" -max_len=2100 corpus
