#!/usr/bin/env bash
# make bench, the server's part: hpserver against coturn (turnserver
# --stun-only -m 0, the Debian package, installed when missing) in one
# paired run on loopback, the load from tests/tools/hpload. Each server
# is pinned to one core and the generator to the other (taskset); server
# CPU is utime + stime from /proc/PID/stat over the measured interval.
# Prints the figures and the goals; judges nothing. Knobs (environment):
# STUN_N, BURST_N, REG_N, ROOMS (default 1000000), PING_S.
set -euo pipefail
BIN=${HPLAB_BIN:?HPLAB_BIN must name the build dir}
LOAD=$BIN/tools/hpload
STUN_N=${STUN_N:-300000}
BURST_N=${BURST_N:-200000}
REG_N=${REG_N:-200000}
ROOMS=${ROOMS:-1000000}
PING_S=${PING_S:-15}
SRV_CPU=1 GEN_CPU=0
if [ "$(nproc)" -lt 2 ]; then
	SRV_CPU=0
	echo "note: one CPU only: servers and generator share it"
fi
# the generator is a test tool, not part of `all`: built here (a no-op
# when it is up to date)
make -s -C "${HPLAB_TOP:-.}" O="$BIN" "$BIN/tools/hpload" ||
	{ echo "SKIP: cannot build $LOAD"; exit 0; }

tmp=$(mktemp -d)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		timeout 5 tail --pid="$p" -f /dev/null 2>/dev/null || kill -KILL "$p" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --spin 1: the generator polls on its own core and never sleeps, so no
# server pays for waking it with each answer (an IPI, a VM exit on a VM),
# which a server on a real network never pays either. The pings too: with
# a generator asleep, on the test VM the loop's longest turn during the
# 1 M-room ping was 3-4 ms of the server's own CPU time, spent waking it
# (perf: the send path's wakeup), and 1.0 ms with it spinning.
# gen_asleep: the same with a generator asleep between answers, the
# bench's method before --spin, printed beside it.
gen() { taskset -c "$GEN_CPU" "$LOAD" "$@" --spin 1; }
gen_asleep() { taskset -c "$GEN_CPU" "$LOAD" "$@" --spin 0; }
# field NAME LINE: the value of NAME= in an hpload line
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
calc() { python3 -c "import sys; print(eval(sys.argv[1]))" "$1"; }

# stop PID: SIGTERM, bounded wait, then it is no longer ours to clean up.
stop() {
	kill "$1" 2>/dev/null || true
	timeout 5 tail --pid="$1" -f /dev/null || kill -KILL "$1" 2>/dev/null || true
	local keep=() p
	for p in "${PIDS[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	PIDS=("${keep[@]}")
}

# hpserver's own buffer options, when this build has them.
HP_EXTRA=()
for o in rcvbuf sndbuf; do
	if "$BIN/hpserver" --help 2>&1 | grep -q -- "--$o"; then
		HP_EXTRA+=("--$o" 4194304)
	fi
done

# start_hp ARGS...: hpserver on 127.0.0.1, a free port; sets HP_PID and
# HP_PORT once its ready line is read (its stderr goes on to $tmp/hp.err).
start_hp() {
	local line
	exec 3< <(exec taskset -c "$SRV_CPU" "$BIN/hpserver" --bind 127.0.0.1 "${HP_EXTRA[@]}" "$@" 0 2>&1)
	HP_PID=$!
	PIDS+=("$HP_PID")
	read -r -t 10 -u 3 line || { echo "hpserver did not start: hpserver $*"; exit 1; }
	HP_PORT=${line##*:}
	cat <&3 >"$tmp/hp.err" &
	exec 3<&-
}

# minflt PID: its minor page faults so far (proc(5), /proc/PID/stat field
# 10; the name in field 2 has no spaces here). preempted PID: the times
# the scheduler took the CPU from it (nonvoluntary_ctxt_switches): on a
# shared core, what the ping's worst latency owes to others' load.
minflt() { awk '{print $10}' "/proc/$1/stat"; }
preempted() { awk '/^nonvoluntary_ctxt_switches/ {print $2}' "/proc/$1/status"; }
# rt PID: for the pings, the server at SCHED_FIFO 10 (chrt(1)), so no task
# of this machine (the bench's own shell, a kworker) takes its core
# between a request and its answer: what the ping and the longest turn
# show is then the server's own work and what the host takes. Without
# the right to (not root), it stays as it is, and says so.
rt() { chrt -f -p 10 "$1" >/dev/null 2>&1 || echo "note: chrt -f failed: the pings run at normal priority"; }

# hp_counters: a fresh counters line of hpserver's (SIGUSR1, stderr),
# which also starts its turn_max_us again. hp_counter NAME: one of them.
hp_counters() {
	local n i
	n=$(grep -c '^hpserver: counters' "$tmp/hp.err" || true)
	kill -USR1 "$HP_PID"
	for i in $(seq 100); do
		[ "$(grep -c '^hpserver: counters' "$tmp/hp.err" || true)" -gt "$n" ] && break
		sleep 0.05
	done
	grep '^hpserver: counters' "$tmp/hp.err" | tail -n 1
}
hp_counter() { hp_counters | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# coturn: installed when missing (a Debian package), else its figures are
# left out with the reason.
COTURN=
if ! command -v turnserver >/dev/null 2>&1; then
	echo "turnserver missing: apt-get install coturn"
	if [ "$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -q coturn \
		>"$tmp/apt.log" 2>&1; then
		echo "coturn installed"
	else
		echo "SKIP coturn: apt-get install coturn failed; its figures are left out:"
		tail -n 3 "$tmp/apt.log" 2>/dev/null | sed 's/^/  | /'
	fi
fi
command -v turnserver >/dev/null 2>&1 && COTURN=$(dpkg-query -W -f '${Version}' coturn 2>/dev/null || echo "?")

# start_coturn: STUN only, one thread for relaying (-m 0), no CLI, TLS,
# DTLS or config file. It prints no line that says its UDP listener is
# open: ready when it answers a Binding request.
start_coturn() {
	local port i
	for port in $(seq 34780 34880); do
		[ -z "$(ss -Hlun "sport = :$port" 2>/dev/null)" ] && break
	done
	taskset -c "$SRV_CPU" turnserver -n --stun-only --no-cli -m 0 \
		--listening-ip 127.0.0.1 --listening-port "$port" --no-tls --no-dtls \
		--log-file stdout --pidfile "$tmp/turn.pid" >"$tmp/turn.log" 2>&1 &
	TURN_PID=$!
	PIDS+=("$TURN_PID")
	for i in $(seq 50); do
		[ "$(field answered "$(gen stun 127.0.0.1 "$port" --count 1 --timeout-ms 200)")" = 1 ] && break
	done
	[ "$i" -lt 50 ] || { echo "turnserver did not answer"; tail -n 5 "$tmp/turn.log"; exit 1; }
	TURN_PORT=$port
}

echo "== hpserver vs coturn ${COTURN:-(not installed)}: servers on CPU $SRV_CPU, hpload on CPU $GEN_CPU"
[ "${#HP_EXTRA[@]}" -gt 0 ] && echo "hpserver buffer options: ${HP_EXTRA[*]}"
echo "net.core.rmem_max=$(cat /proc/sys/net/core/rmem_max) rmem_default=$(cat /proc/sys/net/core/rmem_default)"

# 1 and 3: STUN capacity (window 128) and a burst (window 512), each
# server fresh; lost = unanswered for 2 s.
start_hp
hp_stun=$(gen stun 127.0.0.1 "$HP_PORT" --count "$STUN_N" --window 128 --timeout-ms 2000 --pid "$HP_PID")
echo "hpserver stun:  $hp_stun"
hp_stun0=$(gen_asleep stun 127.0.0.1 "$HP_PORT" --count "$((STUN_N / 2))" --window 128 --timeout-ms 2000 --pid "$HP_PID")
echo "hpserver stun, generator asleep: $hp_stun0"
hp_burst=$(gen stun 127.0.0.1 "$HP_PORT" --count "$BURST_N" --window 512 --timeout-ms 2000 --pid "$HP_PID")
echo "hpserver burst: $hp_burst"
stop "$HP_PID"

# the socket floor: hpecho answers each Binding request with itself, in
# the same batches, and does nothing else; no server on this socket path
# can cost less per request
make -s -C "${HPLAB_TOP:-.}" O="$BIN" "$BIN/tools/hpecho" || { echo "SKIP: cannot build hpecho"; exit 0; }
exec 3< <(exec taskset -c "$SRV_CPU" "$BIN/tools/hpecho" 300)
ECHO_PID=$!
PIDS+=("$ECHO_PID")
read -r -t 10 -u 3 line || { echo "hpecho did not start"; exit 1; }
exec 3<&-
echo_stun=$(gen stun 127.0.0.1 "${line##*:}" --count "$STUN_N" --window 128 --timeout-ms 2000 --pid "$ECHO_PID")
echo "hpecho stun:    $echo_stun"
stop "$ECHO_PID"
if [ -n "$COTURN" ]; then
	start_coturn
	tu_stun=$(gen stun 127.0.0.1 "$TURN_PORT" --count "$((STUN_N / 2))" --window 128 --timeout-ms 2000 --pid "$TURN_PID")
	echo "coturn stun:    $tu_stun"
	tu_stun0=$(gen_asleep stun 127.0.0.1 "$TURN_PORT" --count "$((STUN_N / 2))" --window 128 --timeout-ms 2000 --pid "$TURN_PID")
	echo "coturn stun, generator asleep: $tu_stun0"
	tu_burst=$(gen stun 127.0.0.1 "$TURN_PORT" --count "$BURST_N" --window 512 --timeout-ms 2000 --pid "$TURN_PID")
	echo "coturn burst:   $tu_burst"
	stop "$TURN_PID"
fi

# 2: REGISTER of a new room, the cookie exchange included, every room
# from its own 127.x.y.z. The per-address limits are lifted all the same:
# --register-rate's buckets are shared by every address hashing to one
# slot, and this is one client registering faster than any address may.
LIMITS=(--max-per-source 0 --register-rate 0)
start_hp --max-rooms "$((REG_N + 1000))" "${LIMITS[@]}"
# the STUN rate the REGISTER rate is held against, on this server just
# before: on the test VM a run's figures drift by up to a fifth over a
# minute, so the two are measured back to back
hp_stun_pair=$(gen stun 127.0.0.1 "$HP_PORT" --count "$((STUN_N / 2))" --window 128 --timeout-ms 2000 --pid "$HP_PID")
echo "hpserver stun, before the registrations: $hp_stun_pair"
hp_reg=$(gen register 127.0.0.1 "$HP_PORT" --count "$REG_N" --window 64 --timeout-ms 2000 --pid "$HP_PID" --time-limit 120)
echo "hpserver register: $hp_reg"
stop "$HP_PID"

# the ping's floor: the same ping with no rooms, so what the machine adds
# (a vCPU the host deschedules, the generator's own wakeups) is seen.
# After the REGISTER run, not between it and the STUN runs: on the test
# VM a server that followed 15 idle seconds paid some 20 % more per new
# room (fresh memory the host had taken back), which is the machine's,
# not the ratio's.
start_hp
rt "$HP_PID"
hp_ping0=$(gen ping 127.0.0.1 "$HP_PORT" --count "$((PING_S * 1000))" --interval-us 1000 --timeout-ms 1000 --time-limit "$((PING_S + 10))")
echo "hpserver ping ${PING_S} s, no rooms: $hp_ping0"
stop "$HP_PID"

# 4: ROOMS one-peer rooms held, their RSS; then a ping every 1 ms while
# they are held and, from --room-timeout on, expire. The timeout is what
# the registration would take at the rate just measured, three times (a
# big table registers slower), plus 5 s; the ping runs PING_S seconds
# and ends 5 s into the expiry. RSS does not shrink when rooms are freed,
# so if expiry began before the last registration the figure is per
# registration, a lower bound, and says so.
reg_rate=$(field rate "$hp_reg")
timeout_s=$(calc "max(30, min(290, int(3 * $ROOMS / max($reg_rate, 1)) + 5))")
start_hp --max-rooms "$((ROOMS + 1000))" --room-timeout "$timeout_s" "${LIMITS[@]}"
t_start=$(date +%s)
flt0=$(minflt "$HP_PID")
hp_rooms=$(gen register 127.0.0.1 "$HP_PORT" --count "$ROOMS" --window 64 --timeout-ms 2000 --pid "$HP_PID" --time-limit 300)
rooms_flt=$(( $(minflt "$HP_PID") - flt0 ))
echo "hpserver $ROOMS rooms (--room-timeout $timeout_s): $hp_rooms page_faults=$rooms_flt"
held=$(( $(hp_counter registers) - $(hp_counter expired) ))
rooms_note="$held held"
[ "$held" -lt "$(field answered "$hp_rooms")" ] && rooms_note="$(field answered "$hp_rooms") made, $held held: lower bound"
wait_s=$(( t_start + timeout_s + 5 - PING_S - $(date +%s) ))
if [ "$wait_s" -gt 0 ]; then
	echo "(${wait_s} s until the ping's start: the registrations expire from $timeout_s s on)"
	sleep "$wait_s"
fi
rt "$HP_PID"
pre0=$(preempted "$HP_PID") flt0=$(minflt "$HP_PID")
hp_counters >/dev/null # its longest turn, from here
hp_ping=$(gen ping 127.0.0.1 "$HP_PORT" --count "$((PING_S * 1000))" --interval-us 1000 --timeout-ms 1000 --time-limit "$((PING_S + 10))")
ping_pre=$(( $(preempted "$HP_PID") - pre0 )) ping_flt=$(( $(minflt "$HP_PID") - flt0 ))
ping_cnt=$(hp_counters)
ping_turn=$(tr ' ' '\n' <<<"$ping_cnt" | sed -n 's/^turn_max_us=//p')
echo "hpserver ping ${PING_S} s (held $held before, expired by its end $(tr ' ' '\n' <<<"$ping_cnt" | sed -n 's/^expired=//p'), longest turn ${ping_turn:-?} us): $hp_ping"
stop "$HP_PID"

# two-peer rooms: ROOMS / 4 of them (half the peers, to keep the time)
start_hp --max-rooms "$((ROOMS / 4 + 1000))" "${LIMITS[@]}"
hp_pairs=$(gen register 127.0.0.1 "$HP_PORT" --count "$((ROOMS / 4))" --peers 2 --window 64 --timeout-ms 2000 --pid "$HP_PID" --time-limit 300)
echo "hpserver $((ROOMS / 4)) two-peer rooms: $hp_pairs"
stop "$HP_PID"

per_room() { # LINE ROOMS: bytes of RSS per room
	calc "round(($(field rss_after_kb "$1") - $(field rss_before_kb "$1")) * 1024 / max($2, 1))"
}
hp_cpu=$(field cpu_us_per_req "$hp_stun")
single_b=$(per_room "$hp_rooms" "$(field answered "$hp_rooms")")
pair_b=$(per_room "$hp_pairs" "$(field answered "$hp_pairs")")
echo
printf '%-52s %12s %12s   %s\n' figure hpserver coturn goal
row() { printf '%-52s %12s %12s   %s\n' "$@"; }
row "STUN Binding: server CPU per request (us)" "$hp_cpu" "$(field cpu_us_per_req "${tu_stun:-}")" ""
row "STUN floor: hpecho, nothing but the socket path (us)" "$(field cpu_us_per_req "$echo_stun")" "" ""
if [ -n "$COTURN" ]; then
	row "STUN capacity hpserver / coturn (CPU ratio)" "$(calc "round($(field cpu_us_per_req "$tu_stun") / $hp_cpu, 2)")x" "" ">= 3x"
	row "  the most any socket server could have: coturn / floor" "$(calc "round($(field cpu_us_per_req "$tu_stun") / $(field cpu_us_per_req "$echo_stun"), 2)")x" "" ""
	row "STUN, generator asleep: CPU per request (us)" "$(field cpu_us_per_req "$hp_stun0")" "$(field cpu_us_per_req "$tu_stun0")" ""
	row "  the same ratio (each answer also wakes it)" "$(calc "round($(field cpu_us_per_req "$tu_stun0") / $(field cpu_us_per_req "$hp_stun0"), 2)")x" "" ""
fi
# a new room is two REGISTER requests: the one a COOKIE answers, then the
# one with the cookie (docs/protocol.md, "Return routability")
reg_req=$(calc "round($(field server_cpu_us "$hp_reg") / max($(field sent "$hp_reg"), 1), 3)")
row "REGISTER new room, cookie incl.: CPU per room (us)" "$(field cpu_us_per_req "$hp_reg")" "-" ""
row "REGISTER: CPU per request (us), two a new room" "$reg_req" "-" ""
pair_cpu=$(field cpu_us_per_req "$hp_stun_pair")
row "  STUN, the same server just before (us)" "$pair_cpu" "-" ""
row "REGISTER request rate / STUN rate (back to back)" "$(calc "round($pair_cpu / $reg_req, 2)")" "-" ">= 0.7"
row "new rooms rate / STUN rate (two exchanges each)" "$(calc "round($pair_cpu / $(field cpu_us_per_req "$hp_reg"), 2)")" "-" ""
row "burst, 512 in flight, $BURST_N requests: lost" "$(field lost "$hp_burst")" "$(field lost "${tu_burst:-}")" "hpserver 0"
row "RSS per one-peer room ($rooms_note), bytes" "$single_b" "-" "<= 320"
row "page faults per 1000 new rooms (minor, server)" "$(calc "round($rooms_flt * 1000 / max($(field answered "$hp_rooms"), 1), 1)")" "-" ""
row "RSS per two-peer room / two one-peer rooms" "$pair_b / $((2 * single_b))" "-" ""
row "ping 1/ms, rooms held+expiring: p99 (us)" "$(field p99_us "$hp_ping")" "-" ""
row "ping 1/ms, rooms held+expiring: worst (us)" "$(field max_us "$hp_ping")" "-" "<= 2000"
row "  the same ping, no rooms (the machine's floor)" "$(field max_us "$hp_ping0")" "-" ""
row "  the loop's longest turn meanwhile (us)" "${ping_turn:-?}" "-" "<= 2000"
row "ping 1/ms: lost" "$(field lost "$hp_ping")" "-" ""
row "ping: server page faults / times preempted" "$ping_flt / $ping_pre" "-" ""
[ "$ping_pre" -gt 0 ] && echo "note: the server lost its CPU $ping_pre times during the ping (others' load on CPU $SRV_CPU): its worst latency includes that"
uptime
