#!/usr/bin/env bash
# check-format.sh - checks every *.cpp and *.hpp against .clang-format with
# clang-format 14 (no file is changed). Lists the files that differ and exits 1
# if there are any; `clang-format-14 -i FILE` fixes one.
# Usage: scripts/check-format.sh   (CLANG_FORMAT=... picks another binary)
#
# Pinned to clang-format-14 on purpose: each clang-format release formats some
# constructs differently, so one pinned version gives one verdict on every
# machine. Debian 12 and Ubuntu 24.04 package it; Debian 13 does not, and there
# scripts/test.sh skips this check (the verdict comes from the other two).
#
# The files: `git ls-files` inside a git work tree; in a source tarball without
# .git, the same *.cpp/*.hpp found under src tests tools bench (build/ excluded).
set -euo pipefail

cd "$(dirname "$0")/.."
clang_format=${CLANG_FORMAT:-clang-format-14}
if ! command -v "$clang_format" >/dev/null; then
    echo "check-format: $clang_format not found (apt-get install clang-format-14)" >&2
    exit 2
fi

if [ "$(git rev-parse --show-toplevel 2>/dev/null)" = "$(pwd -P)" ]; then
    mapfile -t files < <(git ls-files -- '*.cpp' '*.hpp')
else
    mapfile -t files < <(find src tests tools bench \( -name build -o -name node_modules -o -name .git \) -prune \
        -o -type f \( -name '*.cpp' -o -name '*.hpp' \) -print 2>/dev/null | LC_ALL=C sort)
fi
if [ "${#files[@]}" -eq 0 ]; then
    echo "check-format: no *.cpp or *.hpp files found" >&2
    exit 2
fi

offenders=()
for file in "${files[@]}"; do
    if ! "$clang_format" --style=file --dry-run -Werror "$file" >/dev/null 2>&1; then
        offenders+=("$file")
    fi
done

if [ "${#offenders[@]}" -gt 0 ]; then
    echo "check-format: ${#offenders[@]} of ${#files[@]} files need clang-format:" >&2
    printf '  %s\n' "${offenders[@]}" >&2
    echo "fix with: $clang_format -i ${offenders[*]}" >&2
    exit 1
fi
echo "check-format: ${#files[@]} files formatted"
