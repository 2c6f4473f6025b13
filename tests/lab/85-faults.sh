#!/usr/bin/env bash
# Faults injected mid-chat (labrun run --fault NAME); each must pass with
# its recovery shown in the narrative:
#   server-down     both clients fail clearly within their --timeout
#   idle            5 s UDP timeouts, 7 s quiet: keepalives keep the hole
#   server-restart  chat goes on without the server; a new pair meets after
#   rebind          rA's mapping moves: the clients re-punch, nothing lost;
#                   with a full-cone rA its cone forgets too (the clients
#                   re-punch), and with a cone on rB as well the new port
#                   gets through and bob follows alice's move directly
set -euo pipefail
. "$HPLAB_TOP/tests/lib.sh"
hp_need_root
hp_init
hp_lab_prefix "t85x$$"
run() { # fault, extra options...
	hp_lab_run "$1" --fault "$@"
}
check() { # fault, python assertions over d, rc, f (the fault), steps
	hp_lab_check "$1" '
f = d["fault"]
print("    result=%s path=%s fault ok=%s: %s" % (d["result"], d["path"], f["ok"], f["detail"]))
' "$2"
}

echo "check: --fault server-down: both clients exit non-zero with a clear error within 3 s (+2 s)"
run server-down
check server-down '
assert rc == 0 and d["result"] == "pass" and f["ok"], d["reason"]
assert d["path"] == "none"
for s in (d["a"], d["b"]):
    assert s["exit"] not in (0, None), s
assert "no answer from server" in f["detail"], f["detail"]
'

echo "check: --fault idle: the rest crosses directly after 7 s quiet, same mapping, no reconnect"
run idle --messages 10
check idle '
assert rc == 0 and d["result"] == "pass" and f["ok"], d["reason"]
assert d["path"] == "direct" and d["udp_timeout"] == 5
assert d["a"]["received"] == 10 and d["b"]["received"] == 10
assert any("keepalives kept" in s for s in steps)
'

echo "check: --fault server-restart: chat goes on directly, then a new pair meets"
run server-restart --messages 10
check server-restart '
assert rc == 0 and d["result"] == "pass" and f["ok"], d["reason"]
assert d["path"] == "direct"
assert any("carol and dave met" in s for s in steps)
'

echo "check: --fault rebind: rA's mapping changes, both re-punch, every line once and in order"
run rebind --messages 20
rc=0
check rebind '
assert f["detail"], "no mapping shown"
assert any("fault rebind" in s for s in steps)
assert rc == 0 and d["result"] == "pass" and f["ok"], d["reason"]
assert d["a"]["received"] == 20 and d["b"]["received"] == 20
' || rc=$?
if [ "$rc" != 0 ]; then
	if ! python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["a"]["reconnects"] or d["b"]["reconnects"] else 1)' "$T/rebind.json"; then
		echo "FAIL: rebind: the clients never went back through the server after the mapping"
		echo "      changed; that recovery is hpclient's (reconnecting event) and has not landed yet"
	else
		echo "FAIL: rebind: the clients tried to reconnect but the chat did not recover (see above)"
	fi
	exit 1
fi

echo "check: --fault rebind --nat-a fc: rA's cone forgets with its mapping, both re-punch"
run rebind --nat-a fc --messages 5
check rebind '
assert rc == 0 and d["result"] == "pass" and f["ok"], d["reason"]
assert d["a"]["reconnects"] >= 1 and d["b"]["reconnects"] >= 1, f["detail"]
assert d["a"]["received"] == 5 and d["b"]["received"] == 5
'

echo "check: --fault rebind --nat-a fc --nat-b fc: the new port gets through, bob follows it"
run rebind --nat-a fc --nat-b fc --messages 5
check rebind '
assert rc == 0 and d["result"] == "pass" and f["ok"], d["reason"]
import re
m = re.search(r"bob saw alice move ([0-9]+) time", f["detail"])
assert m and int(m.group(1)) >= 1, f["detail"]
assert d["path"] == "direct"
assert d["a"]["received"] == 5 and d["b"]["received"] == 5
'

echo "check: no namespace left"
hp_expect_no_netns "$HP_LAB_PREFIX"
echo "ok"
