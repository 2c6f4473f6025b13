#!/usr/bin/env bash
# The shape docs/internals.md promises: no call cycle between source files,
# no function over 80 lines, no file over 600 (tests/style/layout.py reads
# the objects of this build with nm).
set -euo pipefail
cd "$HPLAB_TOP"
command -v nm >/dev/null || { echo "SKIP: nm not found (binutils)"; exit 77; }
python3 tests/style/layout.py "$HPLAB_BIN" src
