#!/usr/bin/env bash
# test.sh - the project's whole test run, the one CI runs (.ci/run):
#   1. the Catch2 suite through CTest under GCC (debug), clang, ASan+UBSan and TSan,
#      with the distribution's default GCC and clang (scripts/setup.sh lists them),
#      and on Asio's io_uring backend (preset io_uring) where it can be built;
#   2. the libFuzzer target for a bounded time (FUZZ_SECONDS, default 60);
#   3. bench/guard.sh: instructions, allocations and system calls per request
#      against bench/baseline.json (counts, not times);
#   4. clang-format and clang-tidy checks, pinned to version 14 for one verdict
#      everywhere. Where that version is not packaged (Debian 13) they are
#      skipped with a line that says so; Debian 12 and Ubuntu 24.04 runs give
#      the verdict.
# Installs what is missing first (scripts/setup.sh --test). Idempotent.
#
#   scripts/test.sh             everything
#   scripts/test.sh debug asan  only these presets (no fuzz or static checks)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Each stage's line says how far into the run it starts, so a slow CI log shows
# where the time went.
stage() {
    echo "== test.sh [$((SECONDS / 60)) min $((SECONDS % 60)) s]: $*" >&2
}

scripts/setup.sh --test

presets=("$@")
full=0
if ((${#presets[@]} == 0)); then
    presets=(debug clang asan tsan)
    full=1
fi

for preset in "${presets[@]}"; do
    stage "$preset"
    cmake --workflow --preset "$preset"
done

# The io_uring backend (README, "The I/O backend") is tested wherever it can be
# built: Boost 1.83 or newer, and a kernel that allows io_uring. Elsewhere its
# configure step says why not, and that line is shown.
if ((full)); then
    if configure_output=$(cmake --preset io_uring 2>&1); then
        stage "io_uring"
        cmake --workflow --preset io_uring
    else
        stage "io_uring preset skipped: $(sed -n '/CMake Error/,/Call Stack/p' <<<"$configure_output" | sed '1d;$d' | tr -s ' \n' ' ')"
    fi
fi

if ((full)); then
    stage "fuzz (${FUZZ_SECONDS:-60} s)"
    cmake --preset fuzz -DFUZZ_SECONDS="${FUZZ_SECONDS:-60}"
    cmake --build --preset fuzz
    ctest --preset fuzz
    stage "cost guard (bench/guard.sh)"
    bench/guard.sh
    # setup.sh --test installs the pinned checkers wherever they are packaged.
    if [[ " $(scripts/setup.sh --test --list) " == *" clang-format-14 "* ]]; then
        stage "clang-format"
        scripts/check-format.sh
        stage "clang-tidy"
        scripts/run-tidy.sh build/clang
    else
        system=$(. /etc/os-release && echo "$PRETTY_NAME")
        stage "clang-format and clang-tidy skipped: pinned to version 14, which $system does not package; the verdict comes from the Debian 12 and Ubuntu 24.04 runs"
    fi
fi
stage "all passed"
