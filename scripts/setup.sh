#!/usr/bin/env bash
# setup.sh - installs what building and testing need, from Debian's packages.
# Idempotent: installs only what is missing (apt-get; through sudo when not root).
#
#   scripts/setup.sh            build dependencies (GCC, CMake, Ninja, Boost.Asio, fmt, spdlog, CLI11)
#   scripts/setup.sh --test     also the test and check tools (Catch2, clang 14 with libFuzzer,
#                               clang-tidy, clang-format)
set -euo pipefail

packages=(g++ cmake ninja-build pkg-config libboost1.81-dev libfmt-dev libspdlog-dev libcli11-dev)
if [[ ${1:-} == --test ]]; then
    packages+=(catch2 clang-14 libclang-rt-14-dev clang-tidy-14 clang-format-14 python3)
fi

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$package")
    fi
done
((${#missing[@]} == 0)) && exit 0

echo "setup.sh: installing ${missing[*]}" >&2
sudo=()
if ((EUID != 0)); then
    command -v sudo >/dev/null || { echo "setup.sh: not root and no sudo; install: ${missing[*]}" >&2; exit 1; }
    sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
