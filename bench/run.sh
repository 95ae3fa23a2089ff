#!/usr/bin/env bash
# run.sh - one pass of the benchmark matrix: builds bench/loadgen and the peer servers
# (bench/peers/) into build/bench/, runs every cell against every server on 127.0.0.1 and
# writes the pass's cells as one JSON file (the format bench/summarize.py reads).
#
#   bench/run.sh [--quick] [--only NAME,...] [--out DIR] [--build-only]
#                [--server 'NAME=COMMAND with {port}']... [--server-logged 'NAME=COMMAND']...
#
#   --quick        1 s cells (default: 4 s measured after 1 s of warm-up; idle held 4 s)
#   --only         a subset of the servers, by name (epoll, go, python, or a --server NAME)
#   --out DIR      where the pass goes (default build/bench/out): DIR/run-<date>.json, the
#                  servers' output in DIR/logs/
#   --server       one more server to measure, e.g. 'cpp=build/release/bin/time_server
#                  --port {port} --log-level off'; --server-logged gives the same server's
#                  command with logging on, for the "(logged)" row
#
# Cells per server: pingpong c=1, c=50, c=1000; pipeline c=50 p=64; churn c=50 (server started
# fresh); idle n=10000 (started fresh: RSS before and while holding, every connection must
# answer); pingpong c=50 with logging to a file (started fresh, when there is a logged command);
# and, when `perf` can read the syscall tracepoints, system calls per request during two extra
# 2 s pingpong runs (c=50, c=1000) under `perf stat -e 'syscalls:sys_enter_*' -p PID`, kept
# apart so that perf's overhead never touches the throughput cells.  Server CPU time comes from
# /proc/PID/stat, RSS from /proc/PID/status.
#
# A server command must run one foreground process (it is started with exec): we hold its PID,
# read /proc/PID and stop it by that PID only.  Ports 30401.. (below Linux's ephemeral range,
# so no TIME_WAIT of ours can hold them).  Every loadgen call runs under timeout.
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$REPO/build/bench
OUT=$BUILD/out
DUR=4 WARM=1 HOLD=4 IDLE_N=10000 SYS_DUR=2
QUICK=0 ONLY="" BUILD_ONLY=0 BASE_PORT=30401
EXTRA=() EXTRA_LOGGED=()

usage() { sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; }
log() { printf '%s\n' "$*" >&2; }

while (($#)); do
    case $1 in
    --quick) QUICK=1 ;;
    --only) ONLY=${2:?--only needs a list}; shift ;;
    --only=*) ONLY=${1#*=} ;;
    --out) OUT=${2:?--out needs a directory}; shift ;;
    --out=*) OUT=${1#*=} ;;
    --build-only) BUILD_ONLY=1 ;;
    --server) EXTRA+=("${2:?--server needs NAME=COMMAND}"); shift ;;
    --server=*) EXTRA+=("${1#*=}") ;;
    --server-logged) EXTRA_LOGGED+=("${2:?--server-logged needs NAME=COMMAND}"); shift ;;
    --server-logged=*) EXTRA_LOGGED+=("${1#*=}") ;;
    -h | --help) usage; exit 0 ;;
    *) log "run.sh: unknown option '$1'"; usage >&2; exit 2 ;;
    esac
    shift
done
((QUICK)) && DUR=1 WARM=1 HOLD=1 SYS_DUR=1

# ---------------------------------------------------------------- build
mkdir -p "$BUILD"
log "== building bench/loadgen and the peers into $BUILD"
CFLAGS=(-O2 -std=c11 -Wall -Wextra -Wshadow)
gcc "${CFLAGS[@]}" -o "$BUILD/loadgen" "$REPO/bench/loadgen/loadgen.c" -lpthread || exit 1
gcc "${CFLAGS[@]}" -o "$BUILD/epoll_server" "$REPO/bench/peers/epoll_server.c" -lpthread || exit 1
HAVE_GO=1
if ! command -v go >/dev/null; then
    log "go not found (apt-get install golang-go): the go peer is left out"
    HAVE_GO=0
elif ! (cd "$REPO/bench/peers/go" && go build -o "$BUILD/go_peer" .); then
    log "go build failed: the go peer is left out"
    HAVE_GO=0
fi
((BUILD_ONLY)) && exit 0

PY=$(command -v python3) || { log "run.sh: no python3"; exit 1; }
LOGDIR=$OUT/logs
mkdir -p "$OUT" "$LOGDIR"

# ---------------------------------------------------------------- servers
NAMES=() CMDS=() LOGCMDS=()
add_server() { NAMES+=("$1"); CMDS+=("$2"); LOGCMDS+=("$3"); }
for spec in "${EXTRA[@]}"; do
    name=${spec%%=*} cmd=${spec#*=}
    if [[ $spec != *=* || ! $name =~ ^[A-Za-z0-9_.-]+$ || $cmd != *'{port}'* ]]; then
        log "run.sh: --server wants NAME=COMMAND with {port} in COMMAND, got '$spec'"; exit 2
    fi
    logged=""
    for l in "${EXTRA_LOGGED[@]}"; do [[ ${l%%=*} == "$name" ]] && logged=${l#*=}; done
    add_server "$name" "$cmd" "$logged"
done
add_server epoll "$BUILD/epoll_server -p {port}" ""
((HAVE_GO)) && add_server go "$BUILD/go_peer -quiet -port {port}" "$BUILD/go_peer -port {port}"
add_server python "$PY $REPO/bench/peers/time_server.py --quiet --port {port}" \
    "$PY $REPO/bench/peers/time_server.py --port {port}"

selected() {
    [[ -z $ONLY ]] && return 0
    local IFS=, n
    for n in $ONLY; do [[ $n == "$1" ]] && return 0; done
    return 1
}

# ---------------------------------------------------------------- measuring helpers
CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { # utime + stime of the whole process, all threads (fields 14 and 15)
    if [[ -r /proc/$1/stat ]]; then sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; else echo 0; fi
}
rss_kib() { awk '/^VmRSS:/{print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
secs() { awk -v a="$1" -v b="$2" -v h="$CLK_TCK" 'BEGIN { printf "%.3f", (b - a) / h }'; }
accepting() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

PERF=0
if command -v perf >/dev/null && perf stat -x, -e 'syscalls:sys_enter_getpid' -- true >/dev/null 2>&1; then
    PERF=1
else
    log "system calls per request: not available (no perf, or the kernel refuses its syscall tracepoints)"
fi

SRV_PID="" BG_PID=""
cleanup() { # our own children only, by PID
    [[ -n $BG_PID ]] && kill -INT "$BG_PID" 2>/dev/null
    [[ -n $SRV_PID ]] && kill -KILL "$SRV_PID" 2>/dev/null
    wait 2>/dev/null
}
trap cleanup EXIT
trap 'log "run.sh: interrupted"; exit 130' INT TERM

start_server() { # NAME COMMAND PORT OUTFILE -> SRV_PID
    local name=$1 cmd=${2//\{port\}/$3} port=$3 i
    if accepting "$port"; then log "  $name: port $port is taken by another process; skipped"; return 1; fi
    bash -c "exec $cmd" </dev/null >"$4" 2>&1 &
    SRV_PID=$!
    for ((i = 0; i < 150; i++)); do
        if ! kill -0 "$SRV_PID" 2>/dev/null; then
            wait "$SRV_PID" 2>/dev/null
            SRV_PID=""
            log "  $name: exited while starting:"; tail -n 5 "$4" >&2
            return 1
        fi
        accepting "$port" && return 0
        sleep 0.1
    done
    log "  $name: not accepting on port $port after 15 s"
    stop_server
    return 1
}

stop_server() {
    local i
    [[ -n $SRV_PID ]] || return 0
    kill -TERM "$SRV_PID" 2>/dev/null
    for ((i = 0; i < 30; i++)); do kill -0 "$SRV_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SRV_PID" 2>/dev/null
    wait "$SRV_PID" 2>/dev/null
    SRV_PID=""
}

LG_LIMIT=$((DUR + WARM + 90))
CELLS=$(mktemp /tmp/timebench-cells-XXXXXX)
record() { # NAME VARIANT CELL RC CPU_S ALIVE EXTRA_JSON RESULT_JSON
    printf '{"server":"%s","variant":"%s","cell":"%s","rc":%d,"server_cpu_s":%s,"server_alive":%d%s,"result":%s}\n' \
        "$1" "$2" "$3" "$4" "$5" "$6" "$7" "${8:-null}" >>"$CELLS"
}
json_of() { grep '^{' <<<"$1" | tail -n 1; }
human_of() { grep -v '^{' <<<"$1" | grep -v '^ready$' | tail -n 1; }
alive() { kill -0 "$SRV_PID" 2>/dev/null && echo 1 || echo 0; }

run_cell() { # NAME VARIANT CELL PORT LOADGEN_ARGS...
    local name=$1 variant=$2 cell=$3 port=$4 out rc t0 t1 rss
    shift 4
    t0=$(cpu_ticks "$SRV_PID")
    out=$(timeout "$LG_LIMIT" "$BUILD/loadgen" "$@" -H 127.0.0.1 -P "$port" 2>&1)
    rc=$?
    t1=$(cpu_ticks "$SRV_PID")
    rss=$(rss_kib "$SRV_PID")
    log "  $(printf '%-12s %-7s %-13s' "$name" "$variant" "$cell") rc=$rc $(human_of "$out")"
    record "$name" "$variant" "$cell" "$rc" "$(secs "$t0" "$t1")" "$(alive)" ",\"rss_after_kib\":${rss:-0}" "$(json_of "$out")"
}

run_idle() { # NAME PORT: RSS before and while holding IDLE_N connections
    local name=$1 port=$2 tmp rss0 rss1 rc ready=0 i t0 t1
    tmp=$(mktemp /tmp/timebench-idle-XXXXXX)
    rss0=$(rss_kib "$SRV_PID")
    t0=$(cpu_ticks "$SRV_PID")
    timeout "$LG_LIMIT" "$BUILD/loadgen" idle -n "$IDLE_N" -s "$HOLD" -H 127.0.0.1 -P "$port" >"$tmp" 2>&1 &
    BG_PID=$!
    for ((i = 0; i < 1200; i++)); do # the ramp: up to 60 s
        if grep -q '^ready$' "$tmp"; then ready=1; break; fi
        kill -0 "$BG_PID" 2>/dev/null || break
        sleep 0.05
    done
    ((ready)) && sleep 0.5 # let the server settle before reading its RSS
    rss1=$(rss_kib "$SRV_PID")
    wait "$BG_PID"
    rc=$?
    BG_PID=""
    t1=$(cpu_ticks "$SRV_PID")
    local out
    out=$(cat "$tmp")
    rm -f "$tmp"
    log "  $(printf '%-12s %-7s %-13s' "$name" quiet idle) rc=$rc RSS ${rss0} -> ${rss1} KiB; $(human_of "$out")"
    record "$name" quiet "idle_n$IDLE_N" "$rc" "$(secs "$t0" "$t1")" "$(alive)" \
        ",\"ready\":$ready,\"rss_before_kib\":${rss0:-0},\"rss_hold_kib\":${rss1:-0},\"idle_n\":$IDLE_N" "$(json_of "$out")"
}

run_syscalls() { # NAME PORT CONNS: system calls per reply while perf watches the server
    local name=$1 port=$2 conns=$3 pf out rc per
    pf=$(mktemp /tmp/timebench-perf-XXXXXX)
    perf stat -x, -o "$pf" -e 'syscalls:sys_enter_*' -p "$SRV_PID" >/dev/null 2>&1 &
    BG_PID=$!
    sleep 0.5 # perf attaches to the server's threads
    out=$(timeout "$LG_LIMIT" "$BUILD/loadgen" pingpong -c "$conns" -d "$SYS_DUR" -w 0.5 -H 127.0.0.1 -P "$port" 2>&1)
    rc=$?
    kill -INT "$BG_PID" 2>/dev/null
    wait "$BG_PID" 2>/dev/null
    BG_PID=""
    # per reply, over every reply of the run (opening, warm-up, window, drain): replies_all
    per=$(awk -F, -v json="$(json_of "$out")" '
        BEGIN { n = 0; if (match(json, /"replies_all":[0-9]+/)) n = substr(json, RSTART + 14, RLENGTH - 14) + 0 }
        /^[0-9]+,/ && $1 > 0 { sub(/^syscalls:sys_enter_/, "", $3); c[$3] = $1; total += $1 }
        END {
            if (n == 0) { print "null"; exit }
            printf "{\"replies\":%d,\"total\":%.3f", n, total / n
            for (k in c) if (c[k] / n >= 0.001) printf ",\"%s\":%.3f", k, c[k] / n
            printf "}"
        }' "$pf")
    rm -f "$pf"
    log "  $(printf '%-12s %-7s %-13s' "$name" quiet "sys_c$conns") rc=$rc syscalls per reply: $per"
    record "$name" quiet "sys_c$conns" "$rc" 0 "$(alive)" ",\"syscalls_per_reply\":$per" "$(json_of "$out")"
}

# ---------------------------------------------------------------- matrix
STAMP=$(date +%Y-%m-%d-%H%M%S)
T0=$(date +%s)
log "== matrix: ${DUR} s cells after ${WARM} s warm-up; idle: $IDLE_N connections held ${HOLD} s; perf: $( ((PERF)) && echo yes || echo 'not available')"
for i in "${!NAMES[@]}"; do
    name=${NAMES[$i]} cmd=${CMDS[$i]} logcmd=${LOGCMDS[$i]} port=$((BASE_PORT + i))
    selected "$name" || continue
    log "== $name (port $port): ${cmd//\{port\}/$port}"
    if start_server "$name" "$cmd" "$port" "$LOGDIR/$name-quiet.log"; then
        run_cell "$name" quiet pp_c1 "$port" pingpong -c 1 -d "$DUR" -w "$WARM"
        run_cell "$name" quiet pp_c50 "$port" pingpong -c 50 -d "$DUR" -w "$WARM"
        run_cell "$name" quiet pp_c1000 "$port" pingpong -c 1000 -d "$DUR" -w "$WARM"
        run_cell "$name" quiet pipe_c50_p64 "$port" pipeline -c 50 -p 64 -d "$DUR" -w "$WARM"
        run_cell "$name" quiet churn_c50 "$port" churn -c 50 -d "$DUR" -w "$WARM"
        if ((PERF)); then
            run_syscalls "$name" "$port" 50
            run_syscalls "$name" "$port" 1000
        fi
        stop_server
    else
        record "$name" quiet start 1 0 0 "" null
    fi
    if start_server "$name" "$cmd" "$port" "$LOGDIR/$name-idle.log"; then
        run_idle "$name" "$port"
        stop_server
    fi
    if [[ -n $logcmd ]]; then
        logfile=$LOGDIR/$name-logged.log
        if start_server "$name" "$logcmd" "$port" "$logfile"; then
            run_cell "$name" logged pp_c50 "$port" pingpong -c 50 -d "$DUR" -w "$WARM"
            stop_server
            log "  $name logged: $(wc -l <"$logfile") log lines, $(du -k "$logfile" | cut -f1) KiB"
            : >"$logfile" # the figures are kept; the (large) log is not
        fi
    fi
done
T1=$(date +%s)

META=$(printf '{"date":"%s","host_cpus":%d,"kernel":"%s","gcc":"%s","go":"%s","python":"%s","cell_s":%s,"warmup_s":%s,"idle_hold_s":%s,"idle_n":%d,"quick":%d,"perf":%d,"sys_s":%s,"generator":"bench/loadgen","wall_s":%d}' \
    "$STAMP" "$(nproc)" "$(uname -r)" "$(gcc -dumpfullversion)" "$( ((HAVE_GO)) && go version | awk '{print $3}')" \
    "$("$PY" -c 'import platform; print(platform.python_version())')" "$DUR" "$WARM" "$HOLD" "$IDLE_N" "$QUICK" "$PERF" "$SYS_DUR" "$((T1 - T0))")
RESULT=$OUT/run-$STAMP.json
"$PY" "$REPO/bench/summarize.py" collect "$CELLS" --meta "$META" --out "$RESULT" || exit 1
rm -f "$CELLS"
log "== wrote $RESULT (the pass took $((T1 - T0)) s)"
