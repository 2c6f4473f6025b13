#!/usr/bin/env bash
# hpserver's STUN for NAT discovery clients on loopback (127.0.0.1, with
# 127.0.0.2 as --alt-addr):
# - classic RFC 3489 Binding requests (no magic cookie, RFC 8489 s.11),
#   written here by hand: MAPPED-ADDRESS, CHANGED-ADDRESS, CHANGE-REQUEST
#   answered from the socket it asks for, SOURCE-ADDRESS only when the
#   request is large enough, never an answer longer than the request but
#   for the fixed core (docs/protocol.md, "Anti-amplification");
# - an RFC 8489 request padded with 1500 bytes (RFC 5780 s.7.6) gets
#   RESPONSE-ORIGIN;
# - the classic client of Debian's stun-client says "Open" (no NAT);
# - coturn's turnutils_natdiscovery (RFC 5780), plain and padded (-P),
#   reports endpoint-independent mapping and filtering.
set -euo pipefail
. "$HPLAB_TOP/tests/lib.sh"

if ! ip -4 route get 127.0.0.2 >/dev/null 2>&1; then
	hp_skip "needs 127.0.0.2 on loopback"
fi
hp_init

# The classic exchanges; argv: server port, its alternate port, and
# whether it has the alternate address (1) or not (0).
CLASSIC='
import os, select, socket, struct
port, alt_port, alt = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1"
primary = ("127.0.0.1", port)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(5)
me = s.getsockname()

def request(flags=None, pad=0):
    tid = os.urandom(16)
    while tid[:4] == b"\x21\x12\xa4\x42":  # the cookie would make it RFC 8489
        tid = os.urandom(16)
    body = b""
    if flags is not None:
        body += struct.pack("!HHI", 0x0003, 4, flags)  # CHANGE-REQUEST
    if pad:
        body += struct.pack("!HH", 0x0026, pad) + bytes(pad)  # PADDING
    return tid, struct.pack("!HH", 0x0001, len(body)) + tid + body

def ask(msg):
    s.sendto(msg, primary)
    if not select.select([s], [], [], 5)[0]:
        fail("an answer to a %d-byte classic request, saw none in 5 s" % len(msg))
    return s.recvfrom(4096)

def attributes(data):
    out, off = {}, 20
    while off + 4 <= len(data):
        t, l = struct.unpack_from("!HH", data, off)
        out[t] = data[off + 4:off + 4 + l]
        off += 4 + (l + 3) // 4 * 4
    return out

def address(v):
    assert v[1] == 1, "family IPv4"
    return (socket.inet_ntoa(v[4:8]), struct.unpack("!H", v[2:4])[0])

# flags -> the socket the answer must come from (RFC 3489 s.11.2.4)
cases = [(None, primary), (0, primary)]
if alt:
    cases += [(2, ("127.0.0.1", alt_port)), (4, ("127.0.0.2", port)),
              (6, ("127.0.0.2", alt_port))]
core = 44 if alt else 32
for flags, want_from in cases:
    for pad in (0, 40):
        tid, msg = request(flags, pad)
        data, frm = ask(msg)
        a = attributes(data)
        print("  classic %d bytes, change %s -> %d bytes from %s:%d, attributes %s" % (
            len(msg), flags, len(data), frm[0], frm[1], " ".join("0x%04x" % t for t in a)))
        assert struct.unpack("!HH", data[:4]) == (0x0101, len(data) - 20)
        assert data[4:20] == tid
        assert frm == want_from
        assert address(a[0x0001]) == me
        assert 0x0020 not in a  # no XOR-MAPPED-ADDRESS for RFC 3489
        if alt:
            # CHANGED-ADDRESS: the socket differing in both from the one asked
            assert address(a[0x0005]) == ("127.0.0.2", alt_port)
        else:
            assert 0x0005 not in a
        # SOURCE-ADDRESS (the sender) only when it fits in the request
        if len(msg) >= core + 12:
            assert address(a[0x0004]) == frm
            assert len(data) == core + 12 and len(data) <= len(msg)
        else:
            assert 0x0004 not in a
            assert len(data) == core
if not alt:
    # a change it cannot honour: a 420 only if it fits, here it does not
    s.sendto(request(6)[1], primary)
    s.sendto(request(None)[1], primary)
    data, frm = s.recvfrom(4096)
    assert struct.unpack("!H", data[:2])[0] == 0x0101, "only the second request answered"
'

echo "check: hpserver with --alt-addr answers classic requests"
hp_start_server --bind 127.0.0.1 --alt-addr 127.0.0.2 0
PORT=$HP_SERVER_PORT
alt=$(hp_wait_nth "$HP_SERVER_ERR" 'STUN alternates' 1 5) || hp_fail "no alternates line"
[[ $alt =~ STUN\ alternates\ 127\.0\.0\.1:([0-9]+)\  ]] || hp_fail "no alternate port in: $alt"
ALT_PORT=${BASH_REMATCH[1]}
hp_py "$CLASSIC" "$PORT" "$ALT_PORT" 1

echo "check: a 1532-byte padded RFC 8489 request gets RESPONSE-ORIGIN"
hp_py '
import os, select, socket, struct
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
tid = os.urandom(12)
body = struct.pack("!HH", 0x0026, 1500) + bytes(1500) + struct.pack("!HHI", 0x0003, 4, 0)
msg = struct.pack("!HHI", 0x0001, len(body), 0x2112A442) + tid + body
s.sendto(msg, ("127.0.0.1", port))
if not select.select([s], [], [], 5)[0]:
    fail("an answer to a %d-byte request, saw none in 5 s" % len(msg))
data, frm = s.recvfrom(4096)
print("  RFC 8489 %d bytes -> %d bytes" % (len(msg), len(data)))
assert data[8:20] == tid
types = []
off = 20
while off + 4 <= len(data):
    t, l = struct.unpack_from("!HH", data, off)
    types.append(t)
    if t == 0x802b:
        origin = (socket.inet_ntoa(data[off + 8:off + 12]), struct.unpack("!H", data[off + 6:off + 8])[0])
    off += 4 + l
assert types == [0x0020, 0x802c, 0x802b]
assert origin == frm == ("127.0.0.1", port)
assert len(data) == 56
' "$PORT"

if command -v stun >/dev/null 2>&1; then
	echo "check: stun-client (RFC 3489) says Open: no NAT on loopback"
	out=$(timeout 20 stun "127.0.0.1:$PORT" 2>&1) || true
	echo "$out" | sed 's/^/  | /'
	grep -q '^Primary: Open' <<<"$out" || hp_fail "expected 'Primary: Open' from stun, saw: $out"
else
	hp_skip_part "needs stun (Debian stun-client) for the classic client's verdict"
fi

if command -v turnutils_natdiscovery >/dev/null 2>&1; then
	for pad in "" -P; do
		echo "check: turnutils_natdiscovery -m -f $pad: endpoint-independent both"
		out=$(timeout 20 turnutils_natdiscovery -m -f $pad -p "$PORT" 127.0.0.1 2>&1) ||
			hp_fail "natdiscovery $pad failed: $out"
		grep -E 'NAT with|origin' <<<"$out" | sed 's/^/  | /'
		grep -q '^NAT with Endpoint Independent Mapping!' <<<"$out" ||
			hp_fail "expected 'NAT with Endpoint Independent Mapping!' ($pad), saw: $out"
		grep -q '^NAT with Endpoint Independent Filtering!' <<<"$out" ||
			hp_fail "expected 'NAT with Endpoint Independent Filtering!' ($pad), saw: $out"
	done
	# padded, the answers name the socket they came from
	grep -q "Response origin: : 127\.0\.0\.2:$ALT_PORT" <<<"$out" ||
		hp_fail "expected 'Response origin: : 127.0.0.2:$ALT_PORT' with -P, saw: $out"
else
	hp_skip_part "needs turnutils_natdiscovery (coturn)"
fi

echo "check: no answer was refused as too large, none failed"
counters=$(hp_server_counters) || hp_fail "no counters line on SIGUSR1"
[[ "$counters " == *' drop_would_amplify=0 '* ]] || hp_fail "expected drop_would_amplify=0, saw: $counters"
[[ "$counters " == *' drop_oversized=0 '* ]] || hp_fail "expected drop_oversized=0, saw: $counters"
hp_stop_server

echo "check: hpserver without --alt-addr answers classic requests with MAPPED-ADDRESS"
hp_start_server --bind 127.0.0.1 0
hp_py "$CLASSIC" "$HP_SERVER_PORT" 0 0
hp_stop_server
echo "PASS: $HP_NAME"
