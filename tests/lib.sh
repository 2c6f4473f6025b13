# Shared helpers for the bash tests (tests/integration/*.sh, tests/lab/*.sh).
# Source it right after `set -euo pipefail`:
#     . "$HPLAB_TOP/tests/lib.sh"
#     hp_init
# Conventions: $BIN is the build dir, $T the test's temp dir; a client or
# NAT called NAME writes $T/NAME.out and $T/NAME.err (NATs: $T/natNAME.*).
# Every process a helper starts is registered and ends with the test (the
# EXIT trap), every wait is bounded, and hp_fail shows the logs.
# Results, as tests/run-suite counts them: exit 0 passed, HP_SKIP (77, as
# automake's test driver has it) skipped with a "SKIP: why" line, anything
# else failed, after one "FAIL: name: expected ..., saw ..." line. Checks
# go through the hp_expect_* helpers (or hp_py for JSON) so every failure
# says what was expected and what was seen; a bare command that fails in
# the test's body still says which one (the ERR trap hp_init sets). Never
# `! cmd` as a check: set -e ignores a negated status (bash(1), -e).

HP_NAME=$(basename "$0" .sh)
HP_TIMEOUT=${HP_TIMEOUT:-60}	# bound (s) on every client and NAT process
HP_TRACKED=()			# "SIGNAL PID" for each process to end on exit
HP_ON_EXIT=()			# commands (quoted) run on exit after the kills
HP_WRITERS=()			# fds of the clients' stdin fifos
declare -A HP_PID=()		# client NAME -> pid (timeout(1) bounding it)
declare -A HP_W=()		# client NAME -> fd writing its stdin
declare -A HP_NAT_PID=()	# NAT NAME -> pid of hpnat itself
declare -A HP_NAT_PORT=()	# NAT NAME -> its inside port for the server
HP_SERVER_PID=
HP_SERVER_N=0
HP_SKIP=77

# hp_skip WHY: this test cannot run here; says why, exits HP_SKIP.
hp_skip() {
	echo "SKIP: $HP_NAME: $*"
	exit "$HP_SKIP"
}

# hp_skip_part WHY: one part of the test cannot run here; the rest goes
# on. tests/run-suite reports it (and STRICT=1 counts it as a skip).
hp_skip_part() {
	echo "SKIP: $HP_NAME: $* (part)"
}

# hp_need_root [WHY]: skip unless root, as the rules ask.
hp_need_root() {
	[ "$(id -u)" = 0 ] && return 0
	hp_skip "needs root${1:+ ($1)}"
}

# hp_init: $BIN from HPLAB_BIN, a fresh temp dir $T, the cleanup trap.
hp_init() {
	BIN=${HPLAB_BIN:?HPLAB_BIN must name the build dir}
	T=$(mktemp -d "/tmp/hplab-$HP_NAME.XXXXXX")
	trap hp_cleanup EXIT
	trap 'exit 1' INT TERM
	trap 'hp_failed_command $? "$LINENO" "$BASH_COMMAND"' ERR
}

# The ERR trap: a command in the test's body failed outside a check.
hp_failed_command() {
	hp_fail "line $2: expected \`$3\` to succeed, saw status $1"
}

# hp_track PID [SIGNAL]: end PID with SIGNAL (default TERM) on exit.
# A test tool needs no goodbye (and a sanitizer's exit-time leak check
# once hung in one): register those with KILL so every wait returns.
hp_track() {
	HP_TRACKED+=("${2:-TERM} $1")
}

# hp_untrack PID: PID was reaped; never signal whatever reuses the number.
hp_untrack() {
	local e keep=()
	for e in "${HP_TRACKED[@]}"; do [ "${e#* }" = "$1" ] || keep+=("$e"); done
	HP_TRACKED=("${keep[@]}")
}

# hp_on_exit CMD ARGS...: run CMD on exit (after the kills, errors ignored).
hp_on_exit() {
	HP_ON_EXIT+=("$(printf '%q ' "$@")")
}

# The EXIT trap: close the fifos, signal every tracked process (KILL ones
# first), reap them, run the exit commands, remove $T.
hp_cleanup() {
	local e fd
	for fd in "${HP_WRITERS[@]}"; do exec {fd}>&- 2>/dev/null || true; done
	for e in "${HP_TRACKED[@]}"; do
		[ "${e% *}" = KILL ] && kill -KILL "${e#* }" 2>/dev/null || true
	done
	for e in "${HP_TRACKED[@]}"; do
		[ "${e% *}" = KILL ] || kill "-${e% *}" "${e#* }" 2>/dev/null || true
	done
	for e in "${HP_TRACKED[@]}"; do wait "${e#* }" 2>/dev/null || true; done
	for e in "${HP_ON_EXIT[@]}"; do eval "$e" >/dev/null 2>&1 || true; done
	[ -z "${T:-}" ] || rm -rf "$T"
}

# hp_fail MSG: print FAIL (MSG says what was expected, what was seen),
# the test NATs' drop counters, every log in $T (stderr); exit 1.
hp_fail() {
	local f n
	trap - ERR
	echo "FAIL: $HP_NAME: $*" >&2
	for n in "${!HP_NAT_PID[@]}"; do
		echo "  nat $n: $(hp_nat_stop "$n")" >&2
	done
	for f in "${T:-/nonexistent}"/*.out "${T:-/nonexistent}"/*.err; do
		[ -f "$f" ] || continue	# never a fifo: cat would block
		echo "--- $f" >&2
		cat "$f" >&2
	done
	exit 1
}

# hp_expect_eq WHAT WANT GOT: WHAT is GOT, and must be WANT (as strings).
hp_expect_eq() {
	[ "$3" = "$2" ] || hp_fail "$1: expected '$2', saw '$3'"
}

# hp_expect_ge WHAT MIN GOT / hp_expect_le WHAT MAX GOT: integer bounds.
hp_expect_ge() {
	[[ $3 =~ ^-?[0-9]+$ ]] && [ "$3" -ge "$2" ] || hp_fail "$1: expected >= $2, saw '$3'"
}

hp_expect_le() {
	[[ $3 =~ ^-?[0-9]+$ ]] && [ "$3" -le "$2" ] || hp_fail "$1: expected <= $2, saw '$3'"
}

# hp_expect_grep WHAT REGEX FILE...: some line of FILE matches (grep -E).
hp_expect_grep() {
	local what=$1 re=$2
	shift 2
	grep -qE -- "$re" "$@" || hp_fail "$what: expected a line matching '$re' in ${*##*/}, saw none"
}

# hp_expect_no_grep WHAT REGEX FILE...: no line of FILE matches.
hp_expect_no_grep() {
	local what=$1 re=$2 hit
	shift 2
	hit=$(grep -hE -m1 -- "$re" "$@") || return 0
	hp_fail "$what: expected no line matching '$re', saw: $hit"
}

# hp_expect_no_netns PREFIX...: no network namespace PREFIX-* is left.
hp_expect_no_netns() {
	local p left
	for p in "$@"; do
		left=$(ip netns list | grep -E "^$p-" | cut -d' ' -f1 | tr '\n' ' ') || true
		[ -z "$left" ] || hp_fail "expected no namespace $p-* left, saw: $left"
	done
}

# hp_expect_no_proc PATTERN: no process whose command line matches (pgrep -f).
hp_expect_no_proc() {
	local left
	left=$(pgrep -a -f -- "$1" | tr '\n' ';') || true
	[ -z "$left" ] || hp_fail "expected no process matching '$1', saw: $left"
}

# hp_expect_absent FILE: FILE does not exist.
hp_expect_absent() {
	[ ! -e "$1" ] || hp_fail "expected $1 to be gone, saw it still there"
}

# hp_py CODE ARGS...: python3 runs CODE (- : read it from stdin) with
# sys.argv[1:] = ARGS and a failed `assert COND, SEEN` (or a missing
# field, or a report that is not JSON) prints "FAIL: name: expected COND,
# saw SEEN" and exits 1, never a traceback. CODE may also call fail(msg).
hp_py() {
	local code=$1
	shift
	[ "$code" != - ] || code=$(cat)
	python3 -c "$HP_PY_RUN" "$HP_NAME" "$code" "$@"
}

HP_PY_RUN='
import ast, json, sys, traceback
name, code = sys.argv[1], sys.argv[2]
sys.argv = [name] + sys.argv[3:]
g = {"json": json, "sys": sys}
class Fail(Exception):
    pass
def fail(msg):
    raise Fail(msg)
g["fail"] = fail
def where(e):
    frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename == "<check>"]
    return frames[-1].lineno if frames else 0
def failed_assert(lineno):
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Assert) and node.lineno <= lineno <= node.end_lineno:
            return node
    return None
def value(node):
    return eval(compile(ast.Expression(body=node), "<check>", "eval"), g)
def seen(test):
    # an assert with no message: show the first false part (a comparison: its left side)
    parts = test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) else [test]
    try:
        for p in parts:
            if value(p):
                continue
            if isinstance(p, ast.Compare):
                return "%s = %r" % (ast.get_source_segment(code, p.left), value(p.left))
            return "%s false" % ast.get_source_segment(code, p)
    except Exception:
        pass
    return "otherwise"
try:
    exec(compile(code, "<check>", "exec"), g)
except Fail as e:
    msg = str(e)
except AssertionError as e:
    node = failed_assert(where(e))
    cond = ast.get_source_segment(code, node.test) if node else "?"
    msg = "expected %s, saw %s" % (cond, e.args[0] if e.args else seen(node.test) if node else "otherwise")
except json.JSONDecodeError as e:
    msg = "expected a JSON report, saw none (%s)" % e
except (KeyError, IndexError, TypeError) as e:
    line = code.splitlines()[where(e) - 1].strip() if where(e) else "?"
    msg = "expected field %s in the report, saw none (at: %s)" % (e, line)
else:
    sys.exit(0)
print("FAIL: %s: %s" % (name, msg), file=sys.stderr)
sys.exit(1)
'

# hp_wait_nth FILE REGEX N SECS: print the Nth line of FILE matching the
# extended REGEX, following appends for at most SECS; status 1 if none.
hp_wait_nth() {
	local fd pid lines=()
	exec {fd}< <(exec timeout "$4" tail -n +1 -F "$1" 2>/dev/null)
	pid=$!
	mapfile -t lines < <(grep -m "$3" -E -- "$2" <&"$fd")
	exec {fd}<&-
	kill "$pid" 2>/dev/null || true
	[ "${#lines[@]}" -ge "$3" ] || return 1
	printf '%s\n' "${lines[-1]}"
}

# hp_wait_line FILE REGEX SECS: until a line of FILE matches (bounded).
hp_wait_line() {
	hp_wait_nth "$1" "$2" 1 "$3" >/dev/null
}

# hp_expect_line WHAT FILE PATTERN SECS: hp_wait_line, or fail with one
# line saying what was expected and what FILE held instead.
hp_expect_line() {
	local what=$1 file=$2 pat=$3 secs=$4 n last
	hp_wait_line "$file" "$pat" "$secs" && return 0
	n=$(wc -l <"$file" 2>/dev/null || echo 0)
	last=$(tail -n 1 "$file" 2>/dev/null | cut -c1-160)
	hp_fail "$what: expected a line matching '$pat' in ${file##*/} within $secs s, saw $n line(s), the last: '${last}'"
}

# hp_close_writers: in a child, drop the fifo writers it inherited (a
# child holding a client's stdin open would keep that input from ending).
hp_close_writers() {
	local fd
	for fd in "${HP_WRITERS[@]}"; do exec {fd}>&-; done
}

# hp_start_server ARGS...: start "hpserver ARGS..." (ARGS end with the
# port, 0 for an ephemeral one) with stderr in $T/srv.err, then
# $T/srv2.err, ...; wait for its ready line. Sets HP_SERVER_PID (hpserver
# itself: signals reach it), HP_SERVER_PORT, HP_SERVER_ERR, HP_SERVER_READY.
hp_start_server() {
	HP_SERVER_N=$((HP_SERVER_N + 1))
	HP_SERVER_ERR=$T/srv.err
	[ "$HP_SERVER_N" = 1 ] || HP_SERVER_ERR=$T/srv$HP_SERVER_N.err
	(hp_close_writers; exec "$BIN/hpserver" "$@" 2>"$HP_SERVER_ERR") &
	HP_SERVER_PID=$!
	hp_track "$HP_SERVER_PID"
	HP_SERVER_READY=$(hp_wait_nth "$HP_SERVER_ERR" 'listening on' 1 5) ||
		hp_fail "server did not start: hpserver $*"
	HP_SERVER_PORT=$(sed -n 's/.*listening on [^ ]*:\([0-9][0-9]*\).*/\1/p' <<<"$HP_SERVER_READY")
	[ -n "$HP_SERVER_PORT" ] || hp_fail "no port in server output"
}

# hp_stop_server: SIGTERM; it must exit within 5 s with status 0.
hp_stop_server() {
	local rc=0
	kill -TERM "$HP_SERVER_PID"
	timeout 5 tail --pid="$HP_SERVER_PID" -f /dev/null || hp_fail "hpserver did not exit on SIGTERM"
	wait "$HP_SERVER_PID" || rc=$?
	hp_untrack "$HP_SERVER_PID"
	HP_SERVER_PID=
	[ "$rc" -eq 0 ] || hp_fail "hpserver exit status $rc on SIGTERM"
}

# hp_server_counters: SIGUSR1 the server, print the counters line it
# prints in answer (waits for a new one, 5 s at most).
hp_server_counters() {
	local n
	n=$(grep -c '^hpserver: counters' "$HP_SERVER_ERR" || true)
	kill -USR1 "$HP_SERVER_PID"
	hp_wait_nth "$HP_SERVER_ERR" '^hpserver: counters' "$((n + 1))" 5
}

# hp_counter NAME: one value from a fresh counters line.
hp_counter() {
	hp_server_counters | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# hp_client_start NAME ARGS...: "hpclient --json --name NAME ARGS..."
# (ARGS end with "0 SERVER_IP SERVER_PORT"), bounded by HP_TIMEOUT, its
# stdin the fifo $T/NAME.in. Sets HP_PID[NAME] and HP_W[NAME] (the fd
# that writes its stdin; hp_client_close ends its input).
hp_client_start() {
	local n=$1 fd
	shift
	[ -p "$T/$n.in" ] || mkfifo "$T/$n.in"
	(hp_close_writers; exec timeout "$HP_TIMEOUT" "$BIN/hpclient" --json --name "$n" "$@" \
		<"$T/$n.in" >"$T/$n.out" 2>"$T/$n.err") &
	HP_PID[$n]=$!
	hp_track "$!"
	exec {fd}>"$T/$n.in"
	HP_W[$n]=$fd
	HP_WRITERS+=("$fd")
}

# hp_client_close NAME...: end the clients' input (EOF on stdin).
hp_client_close() {
	local n fd keep=() e
	for n in "$@"; do
		fd=${HP_W[$n]}
		exec {fd}>&-
		for e in "${HP_WRITERS[@]}"; do [ "$e" = "$fd" ] || keep+=("$e"); done
		HP_WRITERS=("${keep[@]}")
		keep=()
	done
}

# hp_client_exit NAME [WANT]: reap client NAME; fail unless it exited
# WANT (default 0). Bounded by the client's own timeout(1).
hp_client_exit() {
	local n=$1 want=${2:-0} rc=0
	wait "${HP_PID[$n]}" || rc=$?
	hp_untrack "${HP_PID[$n]}"
	[ "$rc" -eq "$want" ] && return 0
	if [ "$want" -eq 0 ]; then hp_fail "$n exited $rc"; fi
	hp_fail "$n exited $rc, want $want"
}

# hp_nat_start NAME ARGS...: "hpnat ARGS..." (bounded by HP_TIMEOUT),
# output in $T/natNAME.{out,err}; waits until it listens. Sets
# HP_NAT_PID[NAME] (hpnat itself: signals reach it) and HP_NAT_PORT[NAME]
# (the port a client uses as its server port).
hp_nat_start() {
	local n=$1 tpid
	shift
	(hp_close_writers; exec timeout "$HP_TIMEOUT" "$BIN/tools/hpnat" "$@" \
		>"$T/nat$n.out" 2>"$T/nat$n.err") &
	tpid=$!
	hp_track "$tpid"
	hp_wait_line "$T/nat$n.out" '^hpnat: server' 5 || hp_fail "nat $n did not start"
	HP_NAT_PID[$n]=$(pgrep -P "$tpid")
	hp_track "${HP_NAT_PID[$n]}" KILL
	HP_NAT_PORT[$n]=$(sed -n 's/^hpnat: server [^ ]*:\([0-9]*\) .*/\1/p' "$T/nat$n.out")
}

# hp_nat_stop NAME: SIGTERM NAT NAME, wait for it (5 s at most) and print
# its counters line (forwarded each way, drops by reason).
hp_nat_stop() {
	local pid=${HP_NAT_PID[$1]}
	kill -TERM "$pid" 2>/dev/null || true
	timeout 5 tail --pid="$pid" -f /dev/null 2>/dev/null || true
	grep '^hpnat: out' "$T/nat$1.err" 2>/dev/null | tail -n 1 || echo "no counters line"
}

# hp_want NAME N: $T/NAME.want holds "line NAME 1" .. "line NAME N".
hp_want() {
	seq 1 "$2" | sed "s/^/line $1 /" >"$T/$1.want"
}

# hp_msg_re FROM SEQ: regex of the message event FROM with sequence SEQ.
hp_msg_re() {
	printf '"event":"message","t_us":[0-9]*,"from":"%s","seq":%s,' "$1" "$2"
}

# hp_assert_in_order NAME PEER: every message NAME shows is from PEER and
# their texts are exactly $T/PEER.want: each line once, in order.
hp_assert_in_order() {
	local n=$1 p=$2 other first
	other=$(grep '"event":"message"' "$T/$n.out" | grep -v -m1 "\"from\":\"$p\"") &&
		hp_fail "$n: expected messages only from $p, saw: $other"
	grep '"event":"message"' "$T/$n.out" | sed -n 's/.*"text":"\(.*\)"}$/\1/p' >"$T/$n.got" || true
	diff -u "$T/$p.want" "$T/$n.got" >"$T/$n.diff" && return 0
	first=$(cmp "$T/$p.want" "$T/$n.got" 2>&1 | sed 's/.* line /line /') || true
	cat "$T/$n.diff" >&2
	hp_fail "$n: expected $p's $(wc -l <"$T/$p.want") lines once and in order, saw $(wc -l <"$T/$n.got") lines, first difference: ${first:-?}"
}

# hp_lab_prefix PREFIX: the lab run prefix; its namespaces go on exit.
hp_lab_prefix() {
	HP_LAB_PREFIX=$1
	hp_on_exit "$BIN/labrun" down --prefix "$1"
}

# hp_lab_run NAME ARGS...: "labrun run --json --prefix HP_LAB_PREFIX
# ARGS..." (120 s at most); report in $T/NAME.json, status in $T/NAME.rc.
hp_lab_run() {
	local n=$1 rc=0 pid
	shift
	timeout 120 "$BIN/labrun" run --json --prefix "$HP_LAB_PREFIX" "$@" >"$T/$n.json" &
	pid=$!
	hp_track "$pid"
	wait "$pid" || rc=$?
	hp_untrack "$pid"
	echo "$rc" >"$T/$n.rc"
}

# hp_lab_check NAME SHOW ASSERT: python (hp_py) over the report of
# hp_lab_run NAME: d (report), rc, a, b (the clients), steps (narrative
# texts); SHOW prints a summary, then the reason if it failed, then ASSERT
# runs; a failure names the run.
hp_lab_check() {
	HP_NAME="$HP_NAME: $1" hp_py "
d = json.loads(open(sys.argv[1]).read())
rc = int(sys.argv[2])
a, b = d['a'], d['b']
steps = [s['text'] for s in d['steps']]
$2
if d['result'] != 'pass':
    print('    reason:', d['reason'])
$3" "$T/$1.json" "$(cat "$T/$1.rc")"
}

# hp_lab_standin DIR: DIR/labrun runs the real hpserver but stand-in
# clients that never register (they only read stdin), so a run stays up
# until it is stopped. The runner finds its programs next to itself.
hp_lab_standin() {
	cp "$BIN/labrun" "$1/labrun"
	ln -s "$BIN/hpserver" "$1/hpserver"
	printf '#!/bin/bash\nwhile read -r line; do :; done\n' >"$1/hpclient"
	chmod 755 "$1/hpclient"
}

# hp_lab_wait_standins DIR: until both stand-in clients of DIR run (10 s).
# (a process appearing is no event one can wait on: poll, bounded)
hp_lab_wait_standins() {
	timeout 10 bash -c "until [ \$(pgrep -c -f '$1/[h]pclient') = 2 ]; do sleep 0.02; done"
}
