#!/usr/bin/env bash
# Every NAT personality, checked with plain UDP datagrams (no hplab
# protocol): python3 sockets in the lab's own namespaces (`labrun up`),
# the host's in hA, the remote ends' in srv. What must happen comes from
# one place: each personality's RFC 4787 properties as its row in
# src/lab/nat.c states them, read here, and the RFC's rules below
# (docs/nat-types.md, "Checked with plain datagrams").
set -euo pipefail
. "$HPLAB_TOP/tests/lib.sh"
hp_need_root
hp_init
command -v nft > /dev/null || hp_skip "nft (package nftables) is not installed"

# name mapping filtering ports, one line per row of the table
hp_py - "$HPLAB_TOP/src/lab/nat.c" > "$T/rows" <<'PY'
import re
rows = re.findall(r'\{ "([a-z-]+)", "[a-z]+", \{ LAB_MAP_(\w+), LAB_FILT_(\w+) \}, '
                  r'LAB_NAT_PORTS_(\w+),', open(sys.argv[1]).read())
assert len(rows) >= 4, rows
for r in rows:
    print(*r)
PY
cat > "$T/probe.py" <<'PY'
# probe.py PREFIX MAPPING FILTERING PORTS: one personality's behaviour.
import ctypes, os, re, select, socket, subprocess, sys, time

prefix, mapping, filtering, ports = sys.argv[1:5]
libc = ctypes.CDLL(None, use_errno=True)
PUB = "198.51.100.10"            # rA's wan address (docs/lab.md)
HOST = "10.0.1.2"
D, D2 = ("192.0.2.10", 3478), ("192.0.2.10", 3479)  # the destination, its other port
E = ("192.0.2.11", 3478)         # another address (srv's second one)
F = ("192.0.2.12", 3478)         # only another host endpoint talks to it
MK = ("192.0.2.13", 3478)        # markers (below)

def ns_socket(ns, addr):
    """A UDP socket bound to addr, created inside namespace prefix-ns."""
    fd = os.open("/run/netns/%s-%s" % (prefix, ns), os.O_RDONLY)
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    try:
        if libc.setns(fd, 0x40000000) != 0:  # CLONE_NEWNET
            raise OSError(ctypes.get_errno(), "setns")
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(addr)
        return s
    finally:
        libc.setns(home, 0x40000000)
        os.close(fd)
        os.close(home)

def router(*cmd):
    return subprocess.run(["ip", "netns", "exec", prefix + "-rA", *cmd],
                          capture_output=True, text=True, timeout=10).stdout

remote = {a: ns_socket("srv", a) for a in (D, D2, E, F, MK)}
next_port = [5000]
def host(port=None):
    if port is None:
        next_port[0] += 1
        port = next_port[0]
    return ns_socket("hA", (HOST, port))

def recv(s, want, wait):
    """The source of the first datagram `want` on s within wait s, or None."""
    end = time.monotonic() + wait
    while True:
        left = end - time.monotonic()
        if left <= 0 or not select.select([s], [], [], left)[0]:
            return None
        data, src = s.recvfrom(2048)
        if data == want:
            return src

def out(s, to, tag=b"out"):
    """s sends to remote `to`; returns the public source `to` saw."""
    s.sendto(tag, to)
    src = recv(remote[to], tag, 5)
    assert src, "%s never reached %s" % (tag, to)
    return src

def delivered(s, pub_port, sender):
    """Does sender's datagram to PUB:pub_port reach host socket s? A marker
    through a fresh mapping (always let in: a reply) shows the path has
    carried what came before it; the 0.2 s after it only allow for
    reordering between CPUs."""
    m = host()
    mpub = out(m, MK, b"marker-out")
    remote[sender].sendto(b"probe", (PUB, pub_port))
    remote[MK].sendto(b"marker", mpub)
    assert recv(m, b"marker", 5), "the marker did not come back"
    got = recv(s, b"probe", 0.2)
    m.close()
    return got is not None

def quiet():
    """Until rA holds no mapping: no conntrack entry, no cone set element."""
    end = time.monotonic() + 15
    while time.monotonic() < end:
        if (not router("conntrack", "-L").strip() and
                "elements" not in router("nft", "list", "ruleset")):
            return
        time.sleep(0.1)
    raise AssertionError("rA still has state: %s %s" % (router("conntrack", "-L"),
                                                           router("nft", "list", "ruleset")))

# RFC 4787 s.5 filtering: who may send to a mapping made towards D
def admits(sender):
    if sender in (D,):
        return True                    # the destination itself: a reply
    if sender == D2:
        return filtering in ("EI", "AD")
    return filtering == "EI"           # E, F: addresses the mapping never saw

results = []
def check(case, got, want, words=("delivered", "dropped")):
    results.append((case, got, want))
    print("    %-58s %-9s (RFC 4787: %s)" % (case, words[not got], words[not want]),
          flush=True)

# 1. unsolicited: no mapping yet, nothing gets in
s = host(4000)
check("unsolicited, before any outbound (port 4000)", delivered(s, 4000, D), False)
# 2. two host sockets, port 4000 and another, each its own mapping
socks = [s, host()]
pubs = [out(x, D) for x in socks]
for x, p in zip(socks, pubs):
    port = x.getsockname()[1]
    check("port %d: from the destination %s:%d" % ((port,) + D), delivered(x, p[1], D), True)
    check("port %d: from the same address, other port" % port, delivered(x, p[1], D2),
          admits(D2))
    check("port %d: from another address" % port, delivered(x, p[1], E), admits(E))
# 3. another endpoint of the same host talks to F: nothing changes for s
other = host()
out(other, F)
check("port 4000: from an address only another endpoint talked to",
      delivered(s, pubs[0][1], F), admits(F))
# 4. mapping (RFC 4787 s.4.1) and port preservation (s.4.2.1)
y = host()
to_d, to_e = out(y, D), out(y, E)
check("mapping: same public port towards D and E", to_d[1] == to_e[1], mapping == "EI",
      ("yes", "no"))
kept = [p[1] == x.getsockname()[1] for x, p in zip(socks + [y], pubs + [to_d])]
if ports == "PRESERVE":
    check("ports: every mapping kept the host's port", all(kept), True, ("yes", "no"))
else:
    check("ports: some mapping kept the host's port", any(kept), False, ("yes", "no"))
for x in socks + [other, y]:
    x.close()
# 5. expired (--udp-timeout) and flushed: the filter goes with the mapping
for how in ("expired", "flushed"):
    z = host()
    zp = out(z, D)
    assert delivered(z, zp[1], D)
    if how == "flushed":
        router("conntrack", "-F")
    quiet()
    check("%s: from the destination" % how, delivered(z, zp[1], D), False)
    check("%s: from another address" % how, delivered(z, zp[1], E), False)
    z.close()
bad = [r for r in results if r[1] != r[2]]
sys.exit("%d case(s) not as RFC 4787 says: %s" % (len(bad), bad) if bad else 0)
PY

pids=()
prefixes=()
while read -r name map filt ports; do
	p=t65x$$${name:0:2}
	prefixes+=("$p")
	hp_on_exit "$BIN/labrun" down --prefix "$p"
	"$BIN/labrun" up --prefix "$p" --nat-a "$name" --no-server --udp-timeout 2 \
		> "$T/up.$name" 2>&1 || hp_fail "labrun up --nat-a $name failed: $(cat "$T/up.$name")"
	# test-only addresses in srv: F and the markers' (the lab has .10 and .11)
	ip -n "$p-srv" addr add 192.0.2.12/24 dev eth0
	ip -n "$p-srv" addr add 192.0.2.13/24 dev eth0
	timeout 60 python3 "$T/probe.py" "$p" "$map" "$filt" "$ports" > "$T/out.$name" 2>&1 &
	pids+=($!)
	hp_track $!
done < "$T/rows"
failed=()
i=0
while read -r name map filt ports; do
	rc=0
	wait "${pids[$i]}" || rc=$?
	hp_untrack "${pids[$i]}"
	echo "check: $name (mapping $map, filtering $filt, ports $ports) behaves as RFC 4787 says"
	cat "$T/out.$name"
	[ "$rc" = 0 ] || failed+=("$name")
	"$BIN/labrun" down --prefix "${prefixes[$i]}" > /dev/null
	i=$((i + 1))
done < "$T/rows"
echo "check: no namespace left"
hp_expect_no_netns "${prefixes[@]}"
[ "${#failed[@]}" = 0 ] || hp_fail "expected every personality to behave as its row says, saw not: ${failed[*]}"
echo "ok"
