#!/usr/bin/env bash
# One run per NAT personality pair chosen so that each personality, the
# relay fallback and the same-NAT hairpin appear at least once; the path
# each run reports (--json) must be the one theory predicts. (Port-restricted
# x symmetric, where the birthday spray decides, is 77-spray.sh's.)
set -euo pipefail
. "$HPLAB_TOP/tests/lib.sh"
hp_need_root
hp_init
prefixes=()
pids=()

help=$("$BIN/hpclient" --help 2>&1 || true)
probe=()
if grep -q -- "--probe" <<<"$help"; then probe=(--probe); else
	echo "note: this hpclient has no --probe: runs without NAT discovery"; fi
relay=1
grep -qi -- "relay" <<<"$help" || { relay=0; echo "note: this hpclient has no relay fallback: relay cases skipped"; }

# nat-a nat-b extra-options expected-path
cases=(
	"fc sym - direct"
	"rc rc - direct"
	"sym rc - direct"
	"prc prc --no-firewall direct"
	"prc prc --same-nat direct"
	"sym sym - relay"
	"prc prc --same-nat,--hairpin=off relay"
)
i=0
for c in "${cases[@]}"; do
	read -r a b extra want <<<"$c"
	if [ "$want" = relay ] && [ "$relay" = 0 ]; then continue; fi
	opts=()
	[ "$extra" != - ] && IFS=, read -r -a opts <<<"$extra"
	nat=(--nat-a "$a" --nat-b "$b")
	case "$extra" in *same-nat*) nat=() ;; esac
	p=t60x$$n$i
	prefixes+=("$p")
	hp_on_exit "$BIN/labrun" down --prefix "$p"
	echo "$a $b $extra $want" > "$T/case$i"
	timeout 60 "$BIN/labrun" run --json --prefix "$p" "${nat[@]}" "${opts[@]}" "${probe[@]}" \
		> "$T/out$i" 2> "$T/err$i" & pids+=($!)
	hp_track $!
	i=$((i + 1))
done
failed=()
for j in $(seq 0 $((i - 1))); do
	rc=0
	wait "${pids[$j]}" || rc=$?
	hp_untrack "${pids[$j]}"
	read -r a b extra want < "$T/case$j"
	echo "check: $a x $b ($extra) ends $want, messages crossed, exit 0"
	if ! hp_py - "$T/out$j" "$want" "$rc" "${#probe[@]}" <<'PY'
d = json.loads(open(sys.argv[1]).read())
want, rc, probed = sys.argv[2], int(sys.argv[3]), sys.argv[4] != "0"
print("   ", d["nat"], "same_nat=%s" % d["same_nat"], "expected", d["expected"],
      "path", d["path"], "connect_ms", d["connect_ms"], d["result"], d["reason"])
assert d["expected"] == want, "theory says %s, test wants %s" % (d["expected"], want)
assert d["path"] == want, d["path"]
assert d["result"] == "pass" and rc == 0, (d["result"], rc)
for s in ("a", "b"):
    assert d[s]["received"] == d["messages"], d[s]
    if want == "relay":
        assert d[s]["peer"].startswith("192.0.2.10:"), d[s]["peer"]
    if probed:
        assert d[s]["probe"] and d[s]["probe"]["match"], d[s]["probe"]
PY
	then
		cat "$T/err$j"
		failed+=("$a x $b ($extra)")
	fi
done
echo "check: no namespace left"
hp_expect_no_netns "${prefixes[@]}"
[ "${#failed[@]}" = 0 ] || hp_fail "expected every case to end as predicted, saw ${#failed[@]} not: ${failed[*]}"
echo "ok"
