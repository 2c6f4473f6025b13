#!/usr/bin/env bash
# Loss on loopback: alice and bob each sit behind an hpnat that drops
# LOSS % (default 20) of the datagrams each way (seeded), so about 36 %
# of the datagrams between them are lost per direction, and the server
# traffic suffers too. 200 lines each way must arrive exactly once, in
# order, and both must exit 0. The NATs' drop counters (by reason) are
# shown at the end, and with any failure. HPNAT_SEED picks the loss
# pattern: `make soak` runs this with many.
set -euo pipefail
. "$HPLAB_TOP/tests/lib.sh"
HP_TIMEOUT=120
hp_init
N=${N_LINES:-200}
LOSS=${HPNAT_LOSS:-20}

echo "check: server and two lossy NATs ($LOSS %) start"
hp_start_server -q --bind 127.0.0.1 0
seed=${HPNAT_SEED:-90}
for s in a b; do
	hp_nat_start "$s" --loss "$LOSS" --seed "$seed" "$HP_SERVER_PORT"
	seed=$((seed + 1))
	hp_want "$s" "$N"
done
for s in a b; do
	hp_client_start "$s" --room chat90 0 127.0.0.1 "${HP_NAT_PORT[$s]}"
done

echo "check: both connect (registration and punching retry through the loss)"
hp_expect_line "a did not connect" "$T/a.out" '"event":"connected"' 30
hp_expect_line "b did not connect" "$T/b.out" '"event":"connected"' 30

echo "check: $N lines each way, then stdin closes"
cat "$T/a.want" >&"${HP_W[a]}"
cat "$T/b.want" >&"${HP_W[b]}"
hp_client_close a b

echo "check: both exit 0 (every line acknowledged, BYE exchanged)"
hp_client_exit a
hp_client_exit b

echo "check: exactly once, in order"
hp_assert_in_order a b
hp_assert_in_order b a
for s in a b; do
	grep -q "\"event\":\"stats\",\"t_us\":[0-9]*,\"sent\":$N,\"delivered\":$N," "$T/$s.out" ||
		hp_fail "$s: stats event does not say sent=$N delivered=$N"
	r=$(grep -c '"event":"retransmit"' "$T/$s.out" || true)
	echo "  $s: $r retransmissions; $(grep '"event":"stats"' "$T/$s.out")"
	[ "$r" -gt 0 ] || hp_fail "$s retransmitted nothing under $LOSS % loss"
done
for s in a b; do
	echo "  nat $s: $(hp_nat_stop "$s")"
done
echo "PASS: 90-loss"
