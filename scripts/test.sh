#!/usr/bin/env bash
# test.sh - the project's whole test run, the one CI runs (.ci/run):
#   1. the Catch2 suite through CTest under GCC (debug), clang, ASan+UBSan and TSan,
#      with the distribution's default GCC and clang (scripts/setup.sh lists them),
#      and once more on the epoll reactor where the default build uses io_uring;
#   2. the libFuzzer target for a bounded time (FUZZ_SECONDS, default 60);
#   3. clang-format and clang-tidy checks, pinned to version 14 for one verdict
#      everywhere. Where that version is not packaged (Debian 13) they are
#      skipped with a line that says so; Debian 12 and Ubuntu 24.04 runs give
#      the verdict.
# Installs what is missing first (scripts/setup.sh --test). Idempotent.
#
#   scripts/test.sh             everything
#   scripts/test.sh debug asan  only these presets (no fuzz or static checks)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/setup.sh --test

presets=("$@")
full=0
if ((${#presets[@]} == 0)); then
    presets=(debug clang asan tsan)
    full=1
fi

for preset in "${presets[@]}"; do
    echo "== test.sh: $preset" >&2
    cmake --workflow --preset "$preset"
done

# Where the default build runs on io_uring (Boost 1.83 and newer, a kernel that
# allows it: src/io_backend.cmake), the epoll reactor is what other machines
# and containers get, so it is tested too.
if ((full)) && grep -qx 'TIME_SERVER_IO_BACKEND_CHOSEN:INTERNAL=io_uring' build/debug/CMakeCache.txt; then
    echo "== test.sh: epoll (the default build here runs on io_uring)" >&2
    cmake --workflow --preset epoll
fi

if ((full)); then
    echo "== test.sh: fuzz (${FUZZ_SECONDS:-60} s)" >&2
    cmake --preset fuzz -DFUZZ_SECONDS="${FUZZ_SECONDS:-60}"
    cmake --build --preset fuzz
    ctest --preset fuzz
    # setup.sh --test installs the pinned checkers wherever they are packaged.
    if [[ " $(scripts/setup.sh --test --list) " == *" clang-format-14 "* ]]; then
        echo "== test.sh: clang-format" >&2
        scripts/check-format.sh
        echo "== test.sh: clang-tidy" >&2
        scripts/run-tidy.sh build/clang
    else
        system=$(. /etc/os-release && echo "$PRETTY_NAME")
        echo "== test.sh: clang-format and clang-tidy skipped: pinned to version 14, which $system does not package; the verdict comes from the Debian 12 and Ubuntu 24.04 runs" >&2
    fi
fi
echo "== test.sh: all passed" >&2
