#!/usr/bin/env bash
# report.sh - benchmark the release build of time_server against the peer servers of
# bench/peers/ (bench/run.sh, driven by bench/loadgen) RUNS times and write
# docs/benchmarks.md and docs/benchmarks.png from the medians; each run's raw JSON is kept in
# docs/bench-runs/.  Needs nothing outside the repository.
#
#   bench/report.sh                    3 full runs (about 7 min each on 2 cores, plus the build)
#   bench/report.sh --runs 5           more runs
#   bench/report.sh --quick --runs 1   1 s cells: a draft in about 3 min
#   bench/report.sh --no-build         use the existing build/release/bin/time_server (and
#                                      build/release-io_uring/bin/time_server when it exists)
#   bench/report.sh --summarize-only   only re-derive the page and chart from docs/bench-runs/
#   options: --run-timeout S (per run; default 1200, 600 with --quick)  --keep (keep the work dir)
#
# Installs what is missing first (scripts/setup.sh, golang-go, gnuplot-nox, linux-perf; apt-get,
# through sudo when not root).  Traffic stays on 127.0.0.1 (ports 30401.., chosen by run.sh).
# Besides cpp, two diagnostic rows that are not targets (bench/summarize.py, DIAGNOSES): cpp-1thread,
# the same binary with --threads 1, and cpp-io_uring, the same source built with Asio's io_uring
# backend (preset release-io_uring); that row is left out, with one line on stderr, when the preset
# does not configure (no liburing, or a kernel or seccomp profile that refuses io_uring).
# Each run writes to a private directory under a temporary one, runs under `timeout` in its
# own process group, and is stopped through that group only on Ctrl-C or when it overruns.
# docs/ is replaced only when at least one run produced results.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DOCS=$REPO/docs
RUNS_DIR=$DOCS/bench-runs
BIN=$REPO/build/release/bin/time_server
URING_BIN=$REPO/build/release-io_uring/bin/time_server # the cpp-io_uring row
URING=1                                                # 0: leave that row out

RUNS=3 QUICK=0 BUILD=1 SUMMARIZE_ONLY=0 KEEP=0 RUN_TIMEOUT=""

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
die() { printf 'report.sh: %s\n' "$*" >&2; exit 1; }
log() { printf '== %s\n' "$*" >&2; }

while (($#)); do
    case $1 in
    --runs) RUNS=${2:?--runs needs a number}; shift ;;
    --runs=*) RUNS=${1#*=} ;;
    --quick) QUICK=1 ;;
    --no-build) BUILD=0 ;;
    --summarize-only) SUMMARIZE_ONLY=1 ;;
    --keep) KEEP=1 ;;
    --run-timeout) RUN_TIMEOUT=${2:?--run-timeout needs seconds}; shift ;;
    --run-timeout=*) RUN_TIMEOUT=${1#*=} ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option '$1'" ;;
    esac
    shift
done
[[ $RUNS =~ ^[1-9][0-9]?$ ]] || die "--runs wants 1..99, got '$RUNS'"
[[ -z $RUN_TIMEOUT ]] && RUN_TIMEOUT=$(( QUICK ? 600 : 1200 ))
[[ $RUN_TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "--run-timeout wants seconds, got '$RUN_TIMEOUT'"

# ---------------------------------------------------------------- tools
# install_missing COMMAND PACKAGE...: apt-get the packages when COMMAND is not on PATH
# (the pattern of scripts/setup.sh: only what is missing, through sudo when not root)
install_missing() {
    local command=$1; shift
    command -v "$command" >/dev/null && return 0
    local sudo=()
    if ((EUID != 0)); then
        command -v sudo >/dev/null || die "not root and no sudo; install: $*"
        sudo=(sudo)
    fi
    log "installing $*"
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@"
}

command -v python3 >/dev/null || install_missing python3 python3
install_missing gnuplot gnuplot-nox
install_missing valgrind valgrind # the cost guard's figures beside the report (bench/guard.py)

WORK=$(mktemp -d /tmp/timebench-report-XXXXXX)
CHILD=""
finish() {
    local rc=$?
    if [[ -n $CHILD ]]; then # only on an error path: our own `timeout`, which signals its own group
        kill -TERM "$CHILD" 2>/dev/null || true
        wait "$CHILD" 2>/dev/null || true
    fi
    if ((KEEP || rc != 0)) && [[ -d $WORK ]]; then
        printf 'report.sh: work directory kept: %s\n' "$WORK" >&2
    else
        rm -rf "$WORK"
    fi
}
trap finish EXIT
trap 'printf "report.sh: interrupted\n" >&2; exit 130' INT TERM

# ---------------------------------------------------------------- summarize (+ chart)
summarize() { # RUN_JSON... (machine.json and docs/ paths are fixed)
    local servers subtitle
    python3 "$REPO/bench/summarize.py" report --machine "$RUNS_DIR/machine.json" \
        --md "$DOCS/benchmarks.md" --chart-data "$WORK/chart.dat" --chart-meta "$WORK/chart.meta" \
        --png benchmarks.png --guard "$RUNS_DIR/guard.txt" "$@"
    { read -r servers; read -r subtitle; } <"$WORK/chart.meta"
    gnuplot -e "datafile='$WORK/chart.dat'; outfile='$DOCS/benchmarks.png'; servers='$servers'; subtitle='$subtitle'" \
        "$REPO/bench/chart.gp"
    log "wrote $DOCS/benchmarks.md, $DOCS/benchmarks.png (raw runs in $RUNS_DIR/)"
}

if ((SUMMARIZE_ONLY)); then
    shopt -s nullglob
    runs=("$RUNS_DIR"/run-*.json)
    ((${#runs[@]})) || die "no $RUNS_DIR/run-*.json to summarize"
    [[ -f $RUNS_DIR/machine.json ]] || die "no $RUNS_DIR/machine.json"
    summarize "${runs[@]}"
    exit 0
fi

install_missing go golang-go
install_missing gcc gcc
# perf for the syscalls-per-request columns; a machine that refuses it still gets the rest
if ! command -v perf >/dev/null; then
    install_missing perf linux-perf || log "linux-perf not installed: no syscall columns"
fi

# ---------------------------------------------------------------- build
if ((BUILD)); then
    "$REPO/scripts/setup.sh"
    log "building the release preset"
    (cd "$REPO" && cmake --preset release -DTIME_SERVER_BUILD_TESTS=OFF >/dev/null \
        && cmake --build --preset release -j2)
    log "building the release-io_uring preset (the cpp-io_uring row)"
    if (cd "$REPO" && cmake --preset release-io_uring -DTIME_SERVER_BUILD_TESTS=OFF \
        >"$WORK/io_uring-configure.log" 2>&1); then
        (cd "$REPO" && cmake --build --preset release-io_uring -j2)
    else # CMake's reason (src/operations/io_backend.cmake), its wrapped message joined into one line
        why=$(awk '/^CMake Error/ { on = 1; sub(/^CMake Error( at [^(]*\([^)]*\))?: */, "")
                                  if ($0 != "") { printf "%s", $0; sep = " " }; next }
                   on && /^  / { sub(/^ +/, ""); printf "%s%s", sep, $0; sep = " "; next }
                   on { exit }' "$WORK/io_uring-configure.log")
        log "no cpp-io_uring row: the release-io_uring preset did not configure (${why:-see cmake --preset release-io_uring})"
        URING=0
    fi
fi
[[ -x $BIN ]] || die "no $BIN; build it (drop --no-build)"
"$REPO/bench/run.sh" --build-only || die "bench/run.sh could not build the load generator and the peers"

COMMIT=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$REPO" status --porcelain -- src CMakeLists.txt CMakePresets.json 2>/dev/null \
    | awk '{print $NF}' | paste -sd, - | sed 's/,/, /g')
[[ -n $dirty ]] && COMMIT="$COMMIT plus uncommitted changes to $dirty"

# busy_sample: % of CPU time spent by anything (we run nothing now) over 5 s, and the load average
busy_sample() {
    local a b
    a=$(awk '/^cpu /{print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6}' /proc/stat)
    sleep 5
    b=$(awk '/^cpu /{print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6}' /proc/stat)
    awk -v a="$a" -v b="$b" -v l="$(cut -d' ' -f1-3 /proc/loadavg)" 'BEGIN {
        split(a, x, " "); split(b, y, " "); t = y[1] - x[1]; i = y[2] - x[2]
        printf "%.1f/%s\n", (t > 0 ? 100 * (t - i) / t : 0), l }'
}

# ---------------------------------------------------------------- runs
CPP_CMD="$(printf '%q' "$BIN") --port {port} --log-level off"
CPP_LOGGED="$(printf '%q' "$BIN") --port {port}"
# cpp-1thread: the same binary on one thread, a diagnostic row (bench/summarize.py, "One thread")
RUN_ARGS=(--server "cpp=$CPP_CMD" --server "cpp-1thread=$CPP_CMD --threads 1" --server-logged "cpp=$CPP_LOGGED")
# cpp-io_uring: the same source on Asio's io_uring backend, a diagnostic row ("io_uring backend")
if ((URING)) && [[ -x $URING_BIN ]]; then
    RUN_ARGS+=(--server "cpp-io_uring=$(printf '%q' "$URING_BIN") --port {port} --log-level off")
elif ((URING)); then
    log "no cpp-io_uring row: no $URING_BIN"
fi
((QUICK)) && RUN_ARGS+=(--quick)
PRE=()
GOT=()
T0=$(date +%s)
for ((r = 1; r <= RUNS; r++)); do
    out=$WORK/run$r
    mkdir -p "$out"
    pre=$(busy_sample)
    log "run $r/$RUNS (CPU busy before: ${pre%%/*} %; load ${pre#*/}); log: $out/run.log"
    rc=0
    # timeout puts run.sh in its own process group and, on expiry or when we pass it a
    # signal, sends it to that group: run.sh, loadgen and the server under test
    timeout --kill-after=30 "$RUN_TIMEOUT" "$REPO/bench/run.sh" --out "$out" "${RUN_ARGS[@]}" \
        >"$out/table.md" 2> >(tee "$out/run.log" >&2) &
    CHILD=$!
    wait "$CHILD" || rc=$?
    CHILD=""
    ((rc == 124)) && log "run $r: stopped after $RUN_TIMEOUT s (--run-timeout)"
    ((rc != 0 && rc != 124)) && log "run $r: run.sh exited $rc"
    shopt -s nullglob
    found=("$out"/run-*.json)
    shopt -u nullglob
    if ((${#found[@]} == 1)); then
        GOT+=("${found[0]}")
        PRE+=(--pre-run "$pre")
    else
        log "run $r: no results file (found ${#found[@]}); left out"
    fi
    rm -rf "$out/logs" # server logs
done
log "runs took $(($(date +%s) - T0)) s"
((${#GOT[@]})) || die "no run produced results; docs/ left as it was"

# ---------------------------------------------------------------- keep raw runs, summarize
mkdir -p "$RUNS_DIR"
rm -f "$RUNS_DIR"/anchors-*.json "$RUNS_DIR"/run-*.json "$RUNS_DIR"/machine.json
kept=()
for f in "${GOT[@]}"; do
    cp "$f" "$RUNS_DIR/"
    kept+=("$RUNS_DIR/$(basename "$f")")
done
python3 "$REPO/bench/summarize.py" machine "$RUNS_DIR/machine.json" --commit "$COMMIT" "${PRE[@]}"
# The cost guard's counts on the same binary, for the page (bench/guard.sh; its exit status is
# scripts/test.sh's business, not the report's).
log "cost guard (bench/guard.py) on $BIN"
python3 "$REPO/bench/guard.py" --server "$BIN" --loadgen "$REPO/build/bench/loadgen" >"$RUNS_DIR/guard.txt" ||
    log "the cost guard reported figures past the baseline or could not measure (docs/bench-runs/guard.txt)"
summarize "${kept[@]}"
