#!/usr/bin/env bash
# guard.sh - the cost of a request, counted, against bench/baseline.json: instructions and
# heap allocations per request under callgrind (pingpong c=50, pipeline c=10 p=64) and, where
# perf may read the syscall tracepoints, system calls per request (pingpong c=1 and c=50), all
# on the release build with --threads 1 --log-level off. Exits 1 when a figure rises past its
# tolerance (bench/guard.py: 5 % for instructions and allocations; a few hundredths of a
# system call), printing each figure against its baseline and `guard: N/N within baseline`.
# scripts/test.sh runs it in the full run; about 1.5 minutes plus the build.
#
#   bench/guard.sh            measure and compare
#   bench/guard.sh --update   measure and write the figures as this system's baseline: a
#                             deliberate commit, with the reason in its message
#
# Installs what is missing first (scripts/setup.sh --test: valgrind, linux-perf).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/setup.sh --test
cmake --preset release >/dev/null
cmake --build --preset release --target time_server
mkdir -p build/bench
gcc -O2 -std=c11 -Wall -Wextra -Wshadow -o build/bench/loadgen bench/loadgen/loadgen.c -lpthread
exec python3 bench/guard.py --server build/release/bin/time_server --loadgen build/bench/loadgen "$@"
