#!/usr/bin/env bash
# scaling.sh - how the server's cost grows with load: the tables of the "Scaling" section of
# docs/performance.md.  Prints them as Markdown on stdout (progress goes to stderr) and keeps
# the raw results in --out DIR: scaling-<date>.jsonl (one JSON record per measurement, with
# loadgen's whole JSON line), the same tables in scaling-<date>.md, and the servers' and
# loadgen's output in DIR/logs/.  bench/scaling.py turns a .jsonl into the tables again.
#
#   bench/scaling.sh [--server 'COMMAND with {port} and {threads}'] [--quick] [--out DIR]
#
#   --server   the server to measure: {port} becomes a port in 30501..30599 (below the
#              ephemeral range; a new one for every server started), {threads} the thread
#              count.  Default: build/release/bin/time_server --port {port} --log-level off
#              --threads {threads} --max-connections 100000 (time_server refuses sessions
#              over --max-connections, 10000 unless told: give it in your command as well, or
#              the largest idle row is refused past 10000).  The command must run one
#              foreground process (it is started with exec): its PID is read in /proc and it
#              is stopped by that PID with SIGINT.  Nothing is built for it here.
#   --quick    1 s cells, for trying the script (default: 4 s measured after 1 s warm-up)
#   --out DIR  where the raw results go (default build/bench/scaling)
#
# 1. Active clients: one server with {threads} = the number of CPUs; loadgen pingpong
#    c = 1, 50, 1000, 10000: requests/s and p99 (loadgen's JSON rps and p99_us), and server
#    CPU per request: utime + stime from /proc/PID/stat before and after the loadgen call,
#    divided by loadgen's replies_all (every reply of the call: opening, warm-up, window,
#    drain).
# 2. Idle clients: a fresh server per row; VmRSS (/proc/PID/status) before, and while N
#    connections are held open by `loadgen idle` (read once every loadgen process has printed
#    "ready"); growth / N; and whether every connection answered TIME after the hold.
#    N = 1000, 10000 and 50000 when one process may hold that many descriptors; otherwise the
#    largest thousand under the hard RLIMIT_NOFILE less 1000 (the script first tries to raise
#    the limit), and a line under the table says why.  At most 10000 connections per loadgen
#    process, each process to its own loopback address (127.0.0.1, .2, ...) so that no
#    destination runs short of ephemeral ports; all to 127.0.0.1 when the server does not
#    answer on 127.0.0.2.
# 3. Threads: a fresh server per --threads 1, 2, 4; pingpong c = 50 and 1000: requests/s and
#    CPU per request as in 1; then a second, shorter run of each cell under
#    perf stat -e 'syscalls:sys_enter_futex,raw_syscalls:sys_enter,context-switches' -p PID
#    for futex calls, all system calls and context switches per reply (that run's
#    replies_all).  Apart, so that perf's overhead never touches the throughput; those
#    columns stay empty when perf is missing or refuses (`apt-get install linux-perf`).
#
# loadgen (bench/loadgen/loadgen.c) runs with one thread on the same machine, is built by
# `bench/run.sh --build-only` into build/bench/, and every call of it runs under timeout.
# Loopback only.
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$REPO/build/bench
LOADGEN=$BUILD/loadgen
OUT=$BUILD/scaling
SERVER="$REPO/build/release/bin/time_server --port {port} --log-level off --threads {threads} --max-connections 100000"
DUR=4 WARM=1 HOLD=4 SYS_DUR=2 SYS_WARM=0.5 QUICK=0
OPEN=(-r 128 -T 60)         # loadgen: 128 connections being opened at once, 60 s to open them all
ACTIVE_CONNS=(1 50 1000 10000)
IDLE_WANT=50000             # the idle row we would like; it needs this many descriptors + FD_SPARE
FD_SPARE=1000               # descriptors the server keeps for itself beyond its connections
PER_LOADGEN=10000           # connections per idle loadgen process
THREAD_COUNTS=(1 2 4) THREAD_CONNS=(50 1000)
PERF_EVENTS='syscalls:sys_enter_futex,raw_syscalls:sys_enter,context-switches'
PORT_FIRST=30501 PORT_LAST=30599

usage() { sed -n '2,44p' "$0" | sed 's/^# \{0,1\}//'; }
log() { printf '%s\n' "$*" >&2; }
die() { log "scaling.sh: $*"; exit 1; }

while (($#)); do
    case $1 in
    --server) SERVER=${2:?--server needs a command}; shift ;;
    --server=*) SERVER=${1#*=} ;;
    --quick) QUICK=1 ;;
    --out) OUT=${2:?--out needs a directory}; shift ;;
    --out=*) OUT=${1#*=} ;;
    -h | --help) usage; exit 0 ;;
    *) log "scaling.sh: unknown option '$1'"; usage >&2; exit 2 ;;
    esac
    shift
done
((QUICK)) && DUR=1 WARM=1 HOLD=1 SYS_DUR=1
LG_LIMIT=$((DUR + WARM + 60 + 30)) # the longest a loadgen call may take: window, warm-up, opening, slack
CPUS=$(nproc)
CLK_TCK=$(getconf CLK_TCK)

# ---------------------------------------------------------------- preparing
check_server_binary() { # the command's program must exist: this script never builds it
    local prog
    read -r prog _ <<<"$SERVER"
    [[ $SERVER == *'{port}'* ]] || die "the --server command needs {port}: '$SERVER'"
    if [[ $prog == */* ]]; then
        [[ -x $prog ]] || die "no server binary $prog: build it first (cmake --preset release && cmake --build --preset release), or name another with --server"
    else
        command -v "$prog" >/dev/null || die "no server program '$prog' on PATH"
    fi
}

build_loadgen() { # the way bench/run.sh builds it (it builds the peers too, nothing else)
    "$REPO/bench/run.sh" --build-only >&2 || die "bench/run.sh --build-only failed"
    [[ -x $LOADGEN ]] || die "bench/run.sh --build-only left no $LOADGEN"
}

FD_HARD="" FD_NOTE=""
raise_fd_limit() { # tries for IDLE_WANT + FD_SPARE descriptors per process; sets FD_HARD
    local want=$((IDLE_WANT + FD_SPARE)) err
    FD_HARD=$(ulimit -Hn)
    if [[ $FD_HARD != unlimited ]] && ((FD_HARD < want)); then
        if err=$(ulimit -Hn "$want" 2>&1) && ulimit -Hn "$want" 2>/dev/null; then
            FD_HARD=$want
        else
            FD_NOTE="raising it to $want fails: ${err##*: }"
        fi
    fi
    [[ $FD_HARD == unlimited ]] && FD_HARD=$want
    ulimit -Sn "$FD_HARD" 2>/dev/null # children (server, loadgen) inherit it
}

PERF="" PERF_NOTE=""
find_perf() { # perf, or Debian's versioned perf_X.Y; empty (and PERF_NOTE says why) when unusable
    local p err v
    p=$(command -v perf)
    if [[ -z $p ]]; then
        for v in /usr/bin/perf_*; do [[ -x $v ]] && p=$v; done # the newest, by name
    fi
    if [[ -z $p ]]; then
        PERF_NOTE="perf not found (apt-get install linux-perf): no system call or context switch counts"
    elif ! err=$("$p" stat -x, -e "$PERF_EVENTS" -- true 2>&1 >/dev/null) || grep -q '<not' <<<"$err"; then
        PERF_NOTE="perf refused the events ($PERF_EVENTS): $(head -n 1 <<<"$err")"
    else
        PERF=$p
    fi
}

# ---------------------------------------------------------------- servers
cpu_ticks() { # utime + stime of the whole process, all threads (fields 14 and 15)
    if [[ -r /proc/$1/stat ]]; then sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; else echo 0; fi
}
rss_kib() { awk '/^VmRSS:/{print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
secs() { awk -v a="$1" -v b="$2" -v h="$CLK_TCK" 'BEGIN { printf "%.3f", (b - a) / h }'; }
accepting() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; } # HOST PORT
alive() { kill -0 "$SRV_PID" 2>/dev/null && echo 1 || echo 0; }

SRV_PID="" PORT="" NEXT_PORT=$PORT_FIRST
start_server() { # THREADS LABEL -> SRV_PID, PORT (a fresh port each time)
    local threads=$1 label=$2 cmd logf i
    while ((NEXT_PORT <= PORT_LAST)) && accepting 127.0.0.1 "$NEXT_PORT"; do
        log "  port $NEXT_PORT is taken by another process; the next one"
        NEXT_PORT=$((NEXT_PORT + 1))
    done
    ((NEXT_PORT <= PORT_LAST)) || { log "  no free port left in $PORT_FIRST..$PORT_LAST"; return 1; }
    PORT=$NEXT_PORT
    NEXT_PORT=$((NEXT_PORT + 1))
    cmd=${SERVER//\{port\}/$PORT}
    cmd=${cmd//\{threads\}/$threads}
    logf=$LOGDIR/server-$label.log
    log "== $label: $cmd"
    # a background job of a script starts with SIGINT ignored: give the server its default back
    env --default-signal=INT bash -c "exec $cmd" </dev/null >"$logf" 2>&1 &
    SRV_PID=$!
    for ((i = 0; i < 150; i++)); do
        if ! kill -0 "$SRV_PID" 2>/dev/null; then
            wait "$SRV_PID" 2>/dev/null
            SRV_PID=""
            log "  the server exited while starting:"; tail -n 5 "$logf" >&2
            return 1
        fi
        accepting 127.0.0.1 "$PORT" && return 0
        sleep 0.1
    done
    log "  the server is not accepting on port $PORT after 15 s"
    stop_server
    return 1
}

stop_server() { # SIGINT; SIGTERM after 5 s; SIGKILL after 5 more; by PID only
    local sig prev="" i
    [[ -n $SRV_PID ]] || return 0
    for sig in INT TERM KILL; do
        [[ -n $prev ]] && log "  the server is still running 5 s after SIG$prev: SIG$sig"
        kill -"$sig" "$SRV_PID" 2>/dev/null
        for ((i = 0; i < 50; i++)); do kill -0 "$SRV_PID" 2>/dev/null || break 2; sleep 0.1; done
        prev=$sig
    done
    wait "$SRV_PID" 2>/dev/null
    SRV_PID=""
}

BG_PIDS=()
cleanup() { # our own children only, by PID
    local p
    for p in "${BG_PIDS[@]}"; do kill -INT "$p" 2>/dev/null; done
    [[ -n $SRV_PID ]] && kill -KILL "$SRV_PID" 2>/dev/null
    wait 2>/dev/null
}
trap cleanup EXIT
trap 'log "scaling.sh: interrupted"; exit 130' INT TERM

# ---------------------------------------------------------------- loadgen and records
LG_OUT="" LG_RC=0 LG_JSON=null
loadgen() { # ARGS... -> LG_OUT, LG_RC, LG_JSON (its JSON line, or null)
    LG_OUT=$(timeout "$LG_LIMIT" "$LOADGEN" "$@" 2>&1)
    LG_RC=$?
    LG_JSON=$(json_of "$LG_OUT")
}
json_of() { local j; j=$(grep '^{' <<<"$1" | tail -n 1); echo "${j:-null}"; }
human_of() { grep -v '^{' <<<"$1" | grep -v '^ready$' | tail -n 1; }
json_str() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "$s"; }
record() { printf '{%s}\n' "$1" >>"$RESULTS"; } # the fields of one JSON object

pingpong() { # CONNS -> LG_*, CPU_S (the server's CPU time over the whole loadgen call)
    local conns=$1 t0 t1
    t0=$(cpu_ticks "$SRV_PID")
    loadgen pingpong -c "$conns" -d "$DUR" -w "$WARM" "${OPEN[@]}" -H 127.0.0.1 -P "$PORT"
    t1=$(cpu_ticks "$SRV_PID")
    CPU_S=$(secs "$t0" "$t1")
    log "  c=$conns rc=$LG_RC server CPU ${CPU_S} s; $(human_of "$LG_OUT")"
}

# ---------------------------------------------------------------- 1. active clients
table_active() {
    local c
    if ! start_server "$CPUS" active; then
        record '"kind":"note","table":"active","text":"the server did not start"'
        return
    fi
    for c in "${ACTIVE_CONNS[@]}"; do
        pingpong "$c"
        record "\"kind\":\"active\",\"conns\":$c,\"threads\":$CPUS,\"rc\":$LG_RC,\"server_cpu_s\":$CPU_S,\"alive\":$(alive),\"result\":$LG_JSON"
    done
    stop_server
}

# ---------------------------------------------------------------- 2. idle clients
idle_counts() { # 1000, 10000 and IDLE_WANT, or the largest thousand the descriptors allow
    local most=$(((FD_HARD - FD_SPARE) / 1000 * 1000))
    ((most > IDLE_WANT)) && most=$IDLE_WANT
    echo 1000 10000 "$most"
    if ((most < IDLE_WANT)); then
        record "\"kind\":\"note\",\"table\":\"idle\",\"text\":$(json_str "$IDLE_WANT idle clients were not measured: one process may open at most $FD_HARD descriptors here (ulimit -Hn = $FD_HARD${FD_NOTE:+; $FD_NOTE}) and the server needs one per connection, so the largest row is $most ($FD_SPARE left for the server's own descriptors).")"
    fi
    if [[ $SERVER == *time_server* && $SERVER != *--max-connections* ]] && ((most > 10000)); then
        record '"kind":"note","table":"idle","text":"The server command has no --max-connections: time_server refuses sessions past 10000 unless told."'
    fi
}

idle_row() { # N: hold N connections with ceil(N / PER_LOADGEN) loadgen processes
    local n=$1
    local procs=$(((n + PER_LOADGEN - 1) / PER_LOADGEN)) hold=$HOLD rss0 rss1 i k ready=0 held=1
    local spread=1 hosts=() files=() ready_at=() results="" rc=0 rcs="" share
    ((procs > 1)) && hold=$((HOLD + 5)) # time for the others to open while the first one holds
    start_server "$CPUS" "idle-$n" || { record "\"kind\":\"note\",\"table\":\"idle\",\"text\":\"$n: the server did not start\""; return; }
    if ((procs > 1)) && ! accepting 127.0.0.2 "$PORT"; then
        spread=0
        log "  the server does not answer on 127.0.0.2: every loadgen process goes to 127.0.0.1"
    fi
    rss0=$(rss_kib "$SRV_PID")
    for ((i = 0; i < procs; i++)); do
        share=$((n / procs + (i < n % procs)))
        hosts[i]=127.0.0.$((spread ? i + 1 : 1))
        files[i]=$LOGDIR/idle-$n-$i.out
        timeout "$LG_LIMIT" "$LOADGEN" idle -n "$share" -s "$hold" "${OPEN[@]}" -H "${hosts[i]}" -P "$PORT" >"${files[i]}" 2>&1 &
        BG_PIDS[i]=$!
    done
    for ((k = 0; k < 1400 && ready < procs; k++)); do # up to 70 s: the opening's 60 s and slack
        for ((i = 0; i < procs; i++)); do
            [[ -z ${ready_at[i]:-} ]] && grep -q '^ready$' "${files[i]}" && ready_at[i]=$EPOCHREALTIME && ready=$((ready + 1))
        done
        ((ready < procs)) || break
        for ((i = 0; i < procs; i++)); do kill -0 "${BG_PIDS[i]}" 2>/dev/null || [[ -n ${ready_at[i]:-} ]] || break 2; done
        sleep 0.05
    done
    ((ready == procs)) && sleep 0.5 # let the server settle before reading its RSS
    rss1=$(rss_kib "$SRV_PID")
    for ((i = 0; i < procs; i++)); do # were they all still holding when RSS was read?
        [[ -n ${ready_at[i]:-} ]] && awk -v a="${ready_at[i]}" -v b="$EPOCHREALTIME" -v h="$hold" 'BEGIN { exit !(b - a >= h) }' && held=0
    done
    for ((i = 0; i < procs; i++)); do
        wait "${BG_PIDS[i]}"
        k=$?
        ((k > rc)) && rc=$k
        rcs+="${rcs:+,}$k"
        results+="${results:+,}$(json_of "$(cat "${files[i]}")")"
        log "  ${hosts[i]} rc=$k $(human_of "$(cat "${files[i]}")")"
    done
    BG_PIDS=()
    log "  n=$n: RSS $rss0 -> $rss1 KiB while holding ($procs loadgen processes, all ready: $((ready == procs)), held together: $held)"
    record "\"kind\":\"idle\",\"conns\":$n,\"threads\":$CPUS,\"procs\":$procs,\"hosts\":\"$(IFS=,; echo "${hosts[*]}")\",\"hold_s\":$hold,\"ready\":$((ready == procs)),\"held_together\":$held,\"rss_before_kib\":${rss0:-0},\"rss_hold_kib\":${rss1:-0},\"rc\":$rc,\"rcs\":[$rcs],\"alive\":$(alive),\"results\":[$results]"
    stop_server
}

table_idle() {
    local n
    for n in $(idle_counts); do idle_row "$n"; done
}

# ---------------------------------------------------------------- 3. threads
perf_counts() { # CONNS -> PERF_JSON: raw counts of PERF_EVENTS over one loadgen call, or null
    local conns=$1 pf ppid
    PERF_JSON=null
    pf=$(mktemp "$LOGDIR/perf-XXXXXX")
    "$PERF" stat -x, -o "$pf" -e "$PERF_EVENTS" -p "$SRV_PID" >/dev/null 2>&1 &
    ppid=$!
    BG_PIDS=("$ppid")
    sleep 0.5 # perf attaches to the server's threads
    loadgen pingpong -c "$conns" -d "$SYS_DUR" -w "$SYS_WARM" "${OPEN[@]}" -H 127.0.0.1 -P "$PORT"
    kill -INT "$ppid" 2>/dev/null
    wait "$ppid" 2>/dev/null
    BG_PIDS=()
    PERF_JSON=$(awk -F, -v rc="$LG_RC" -v json="$LG_JSON" '
        $3 == "syscalls:sys_enter_futex" && $1 ~ /^[0-9]+$/ { f = $1; nf++ }
        $3 == "raw_syscalls:sys_enter" && $1 ~ /^[0-9]+$/ { s = $1; nf++ }
        $3 == "context-switches" && $1 ~ /^[0-9]+$/ { c = $1; nf++ }
        END {
            if (nf < 3) { print "null"; exit }
            printf "{\"futex\":%d,\"syscalls\":%d,\"context_switches\":%d,\"rc\":%d,\"result\":%s}", f, s, c, rc, json
        }' "$pf")
    log "  c=$conns under perf: rc=$LG_RC $(awk -F, '$3 ~ /futex|sys_enter|switches/ { printf "%s %s; ", $3, $1 }' "$pf")replies_all $(grep -o '"replies_all":[0-9]*' <<<"$LG_JSON" | cut -d: -f2)"
    rm -f "$pf"
}

table_threads() {
    local t c
    if [[ $SERVER != *'{threads}'* ]]; then
        record '"kind":"note","table":"threads","text":"not measured: the --server command has no {threads}"'
        return
    fi
    [[ -n $PERF_NOTE ]] && record "\"kind\":\"note\",\"table\":\"threads\",\"text\":$(json_str "$PERF_NOTE")"
    for t in "${THREAD_COUNTS[@]}"; do
        if ! start_server "$t" "threads-$t"; then
            record "\"kind\":\"note\",\"table\":\"threads\",\"text\":\"--threads $t: the server did not start\""
            continue
        fi
        for c in "${THREAD_CONNS[@]}"; do
            pingpong "$c"
            local run="\"rc\":$LG_RC,\"server_cpu_s\":$CPU_S,\"result\":$LG_JSON"
            PERF_JSON=null
            [[ -n $PERF ]] && perf_counts "$c"
            record "\"kind\":\"threads\",\"conns\":$c,\"threads\":$t,$run,\"alive\":$(alive),\"perf\":$PERF_JSON"
        done
        stop_server
    done
}

# ---------------------------------------------------------------- main
check_server_binary
build_loadgen
PY=$(command -v python3) || die "no python3 (bench/scaling.py prints the tables)"
raise_fd_limit
find_perf
[[ -n $PERF_NOTE ]] && log "$PERF_NOTE"
STAMP=$(date +%Y-%m-%d-%H%M%S)
LOGDIR=$OUT/logs
mkdir -p "$OUT" "$LOGDIR" || die "cannot create $OUT"
RESULTS=$OUT/scaling-$STAMP.jsonl
: >"$RESULTS"
T0=$(date +%s)
record "\"kind\":\"meta\",\"date\":\"$(date '+%Y-%m-%d %H:%M %Z')\",\"cpus\":$CPUS,\"cpu_model\":$(json_str "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"),\"kernel\":\"$(uname -r)\",\"server\":$(json_str "$SERVER"),\"quick\":$QUICK,\"cell_s\":$DUR,\"warmup_s\":$WARM,\"idle_hold_s\":$HOLD,\"perf_s\":$SYS_DUR,\"perf\":$(json_str "${PERF:-}"),\"fd_hard\":$FD_HARD,\"loadgen\":\"bench/loadgen -t 1 ${OPEN[*]}\""
log "== scaling: ${DUR} s cells after ${WARM} s warm-up; raw results in $RESULTS"
table_active
table_idle
table_threads
log "== done in $(($(date +%s) - T0)) s; $RESULTS"
"$PY" "$REPO/bench/scaling.py" "$RESULTS" | tee "${RESULTS%.jsonl}.md"
