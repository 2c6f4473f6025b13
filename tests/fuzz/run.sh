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
	"$top/src/common/proto.c" "$top/src/common/stun.c" "$top/src/common/endpoint.c"
cd "$work"
exec "./fuzz_$name" -max_total_time="$secs" -max_len=1500 corpus
