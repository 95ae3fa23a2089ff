#!/usr/bin/env bash
# bench.sh - runs inside the chroot: interleaved cells over every server, N passes.
#   bench.sh OUTDIR PASSES  (servers from SERVERS env: "name=cmd with {port} {threads}" lines)
set -uo pipefail
OUT=$1 PASSES=${2:-3}
LG=/src/build/bench/loadgen
mkdir -p "$OUT/logs"
CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { if [[ -r /proc/$1/stat ]]; then sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; else echo 0; fi; }
accepting() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
mapfile -t SPECS <<<"$SERVERS"
SRV_PID=""
cleanup() { [[ -n $SRV_PID ]] && kill -KILL "$SRV_PID" 2>/dev/null; wait 2>/dev/null; }
trap cleanup EXIT
start_server() { # cmd port log
    bash -c "exec $1" </dev/null >"$3" 2>&1 &
    SRV_PID=$!
    for ((i = 0; i < 150; i++)); do
        kill -0 "$SRV_PID" 2>/dev/null || { SRV_PID=""; echo "server exited: $(tail -2 "$3")" >&2; return 1; }
        accepting "$2" && return 0
        sleep 0.1
    done
    return 1
}
stop_server() {
    [[ -n $SRV_PID ]] || return 0
    kill -TERM "$SRV_PID" 2>/dev/null
    for ((i = 0; i < 30; i++)); do kill -0 "$SRV_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SRV_PID" 2>/dev/null; wait "$SRV_PID" 2>/dev/null; SRV_PID=""
}
cmd_for() { # spec port threads
    local c=${1#*=}; c=${c//\{port\}/$2}; echo "${c//\{threads\}/$3}"
}
CELLS=("pp_c50|2|pingpong -c 50" "pp_c50_t1|1|pingpong -c 50" "pp_c1000|2|pingpong -c 1000" "pipe_c50_p64|2|pipeline -c 50 -p 64" "churn_c50|2|churn -c 50")
n=${#SPECS[@]}
for ((pass = 1; pass <= PASSES; pass++)); do
    for ci in "${!CELLS[@]}"; do
        IFS='|' read -r cell thr args <<<"${CELLS[$ci]}"
        for ((k = 0; k < n; k++)); do
            si=$(((k + pass + ci) % n)) # rotate the order
            spec=${SPECS[$si]} name=${SPECS[$si]%%=*} port=$((30501 + si))
            cmd=$(cmd_for "$spec" "$port" "$thr")
            start_server "$cmd" "$port" "$OUT/logs/$name.log" || { echo "{\"pass\":$pass,\"server\":\"$name\",\"cell\":\"$cell\",\"error\":\"start\"}" >>"$OUT/cells.jsonl"; continue; }
            t0=$(cpu_ticks "$SRV_PID")
            out=$(timeout 60 "$LG" $args -d 3 -w 1 -H 127.0.0.1 -P "$port" 2>&1); rc=$?
            t1=$(cpu_ticks "$SRV_PID")
            json=$(grep '^{' <<<"$out" | tail -1); [[ -n $json ]] || json=null
            cpu=$(awk -v a="$t0" -v b="$t1" -v h="$CLK_TCK" 'BEGIN{printf "%.3f",(b-a)/h}')
            echo "{\"pass\":$pass,\"server\":\"$name\",\"cell\":\"$cell\",\"server_threads\":$thr,\"rc\":$rc,\"server_cpu_s\":$cpu,\"result\":$json}" >>"$OUT/cells.jsonl"
            echo "pass $pass $(printf '%-6s %-13s' "$name" "$cell") rc=$rc cpu=$cpu $(grep -v '^{' <<<"$out" | tail -1)" >&2
            stop_server
        done
    done
    # system calls per reply, pingpong c=50 and c=1000 (2 server threads)
    for conns in 50 1000; do
        for ((k = 0; k < n; k++)); do
            si=$(((k + pass) % n))
            spec=${SPECS[$si]} name=${SPECS[$si]%%=*} port=$((30501 + si))
            cmd=$(cmd_for "$spec" "$port" 2)
            start_server "$cmd" "$port" "$OUT/logs/$name.log" || continue
            pf=$OUT/perfstat-p$pass-$name-c$conns.csv
            perf stat -x, -o "$pf" -e 'syscalls:sys_enter_*' -p "$SRV_PID" >/dev/null 2>&1 &
            PP=$!
            sleep 0.5
            out=$(timeout 60 "$LG" pingpong -c "$conns" -d 2 -w 0.5 -H 127.0.0.1 -P "$port" 2>&1); rc=$?
            kill -INT "$PP" 2>/dev/null; wait "$PP" 2>/dev/null
            json=$(grep '^{' <<<"$out" | tail -1); [[ -n $json ]] || json=null
            per=$(awk -F, -v json="$json" '
                BEGIN { n = 0; if (match(json, /"replies_all":[0-9]+/)) n = substr(json, RSTART + 14, RLENGTH - 14) + 0 }
                /^[0-9]+,/ && $1 > 0 { sub(/^syscalls:sys_enter_/, "", $3); c[$3] = $1; total += $1 }
                END { if (n == 0) { print "null"; exit }
                      printf "{\"replies\":%d,\"total\":%.4f", n, total / n
                      for (k in c) if (c[k] / n >= 0.0005) printf ",\"%s\":%.4f", k, c[k] / n
                      printf "}" }' "$pf")
            echo "{\"pass\":$pass,\"server\":\"$name\",\"cell\":\"sys_c$conns\",\"rc\":$rc,\"syscalls_per_reply\":$per,\"result\":$json}" >>"$OUT/cells.jsonl"
            echo "pass $pass $(printf '%-6s %-13s' "$name" "sys_c$conns") rc=$rc $per" >&2
            stop_server
        done
    done
done
