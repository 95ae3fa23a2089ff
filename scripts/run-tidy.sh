#!/usr/bin/env bash
# run-tidy.sh - runs clang-tidy 14 with .clang-tidy over src/*.cpp (and the
# src/ headers they include); any finding fails the run (WarningsAsErrors).
# Usage: scripts/run-tidy.sh [BUILD_DIR]
#   BUILD_DIR holds a compile_commands.json from a clang build; without one the
#   `clang` preset is configured into a scratch directory (nothing is built:
#   the sources need no generated files).
#
# Pinned to clang-tidy-14 on purpose: newer releases add and change checks, so
# one pinned version gives one verdict on every machine. Debian 12 and Ubuntu
# 24.04 package it; Debian 13 does not, and there scripts/test.sh skips this
# check (the verdict comes from the other two). The files: `git ls-files` inside
# a git work tree, else the src/*.cpp on disk (a source tarball has no .git).
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
clang_tidy=${CLANG_TIDY:-clang-tidy-14}
if ! command -v "$clang_tidy" >/dev/null; then
    echo "run-tidy: $clang_tidy not found (apt-get install clang-tidy-14)" >&2
    exit 2
fi

build_dir=${1:-}
if [ -z "$build_dir" ]; then
    build_dir=${TMPDIR:-/tmp}/time-server-tidy-build
    if ! configure_log=$(cmake --preset clang -B "$build_dir" 2>&1); then
        echo "$configure_log" >&2
        echo "run-tidy: configuring the clang preset in $build_dir failed" >&2
        exit 2
    fi
fi
if [ ! -f "$build_dir/compile_commands.json" ]; then
    echo "run-tidy: no compile_commands.json in $build_dir (configure with CMAKE_EXPORT_COMPILE_COMMANDS=ON)" >&2
    exit 2
fi

if [ "$(git rev-parse --show-toplevel 2>/dev/null)" = "$(pwd -P)" ]; then
    mapfile -t sources < <(git ls-files -- 'src/*.cpp')
else
    mapfile -t sources < <(find src -type f -name '*.cpp' | LC_ALL=C sort)
fi
jobs=${TIDY_JOBS:-$(nproc)}
echo "run-tidy: $clang_tidy over ${#sources[@]} files in src/ ($build_dir/compile_commands.json)"

if command -v run-clang-tidy-14 >/dev/null; then
    # run-clang-tidy takes regular expressions; anchor each file's full path.
    regexes=()
    for source in "${sources[@]}"; do
        regexes+=("^${root//./\\.}/${source//./\\.}\$")
    done
    run-clang-tidy-14 -quiet -clang-tidy-binary "$(command -v "$clang_tidy")" -p "$build_dir" -j "$jobs" \
        "${regexes[@]}"
else
    status=0
    for source in "${sources[@]}"; do
        "$clang_tidy" --quiet -p "$build_dir" "$source" || status=1
    done
    exit "$status"
fi
