#!/usr/bin/env bash
# check_loadgen.sh [LOADGEN] - run loadgen against bench/tests/fake_server.py's broken servers:
# it must count errors (and exit 1) for every broken kind and find none (exit 0) for the good
# and the byte-by-byte ones.  Ports 46290..46299 on 127.0.0.1; every run is bounded by timeout.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LG=${1:-$HERE/../../build/bench/loadgen}
[[ -x $LG ]] || { echo "check_loadgen.sh: no $LG (bench/run.sh --build-only builds it)" >&2; exit 2; }
fails=0 port=46290 pid=""
trap '[[ -n $pid ]] && kill "$pid" 2>/dev/null' EXIT
# expect KIND WANT(0 clean, 1 errors) LOADGEN_ARGS...
expect() {
    local kind=$1 want=$2 out rc i
    shift 2
    python3 "$HERE/fake_server.py" "$port" "$kind" &
    pid=$!
    for ((i = 0; i < 50; i++)); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
        sleep 0.1
    done
    out=$(timeout 60 "$LG" "$@" -T 8 -W 5 -P "$port" 2>&1)
    rc=$?
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=""
    local human
    human=$(grep -v '^{' <<<"$out" | grep -v '^ready$' | tail -n 1)
    if { ((want == 0)) && ((rc == 0)); } || { ((want == 1)) && ((rc == 1)) && grep -q '"errors":[1-9]' <<<"$out"; }; then
        printf 'ok    %-7s %-22s %s\n' "$kind" "$*" "$human"
    else
        printf 'FAIL  %-7s %-22s rc=%d %s\n' "$kind" "$*" "$rc" "$human"
        fails=$((fails + 1))
    fi
    port=$((port + 1))
}
for mode in "pingpong -c 4" "pipeline -c 4 -p 16"; do
    expect good 0 $mode -d 0.5 -w 0.2
    expect split 0 $mode -d 0.5 -w 0.2
    for kind in range garble error lf extra close; do expect "$kind" 1 $mode -d 0.5 -w 0.2; done
    port=46290
done
expect mute 1 pingpong -c 4 -d 0.5 -w 0.2
expect good 0 churn -c 4 -d 0.5 -w 0.2
expect good 0 idle -n 50 -s 0.5
expect mute 1 idle -n 50 -s 0.5
echo "check_loadgen.sh: $fails failure(s)"
((fails == 0))
