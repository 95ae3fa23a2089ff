#!/usr/bin/env bash
# check-format.sh - checks every tracked *.cpp and *.hpp against .clang-format
# with clang-format 14 (no file is changed). Lists the files that differ and
# exits 1 if there are any; `clang-format-14 -i FILE` fixes one.
# Usage: scripts/check-format.sh   (CLANG_FORMAT=... picks another binary)
set -euo pipefail

cd "$(dirname "$0")/.."
clang_format=${CLANG_FORMAT:-clang-format-14}
if ! command -v "$clang_format" >/dev/null; then
    echo "check-format: $clang_format not found (apt-get install clang-format-14)" >&2
    exit 2
fi

mapfile -t files < <(git ls-files -- '*.cpp' '*.hpp')
if [ "${#files[@]}" -eq 0 ]; then
    echo "check-format: no tracked *.cpp or *.hpp files" >&2
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
