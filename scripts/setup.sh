#!/usr/bin/env bash
# setup.sh - installs what building and testing need, from the distribution's
# own packages, on the three systems the project is tested on (read from
# /etc/os-release):
#
#   Debian 12 (bookworm)   GCC 12, clang 14, Boost 1.81, Catch2 2.13, fmt 9, spdlog 1.10, CLI11 2.1
#   Debian 13 (trixie)     GCC 14, clang 19, Boost 1.83, Catch2 3.7, fmt 10, spdlog 1.15, CLI11 2.4
#   Ubuntu 24.04 (noble)   GCC 13, clang 18, Boost 1.83, Catch2 3.4, fmt 9, spdlog 1.12, CLI11 2.4
#
# Anywhere else it prints the packages to install by hand and exits 1.
# Idempotent: installs only what is missing (apt-get, through sudo when not
# root; `apt-get update` only when something is missing).
#
#   scripts/setup.sh                build dependencies: GCC, CMake, Ninja, pkg-config, Boost
#                                   headers with their CMake config, fmt, spdlog, CLI11, liburing
#                                   (the io_uring backend, src/operations/io_backend.cmake)
#   scripts/setup.sh --test         also what scripts/test.sh needs: Catch2, the distribution's
#                                   default clang and its libFuzzer runtime, python3, dpkg-dev,
#                                   systemd and haproxy (the package and deployment tests), valgrind
#                                   and linux-perf (bench/guard.sh; perf on Debian only), prometheus
#                                   (its server and promtool: tests/metrics, tests/alerts), and the
#                                   pinned clang-format-14 and clang-tidy-14 where the
#                                   distribution packages them (Debian 12, Ubuntu 24.04 in
#                                   universe; not Debian 13, where test.sh skips those checks)
#   scripts/setup.sh --debootstrap  also debootstrap, which only scripts/test-on-debian.sh needs,
#                                   on the host; it calls this itself. Kept out of --test so that
#                                   scripts/test.sh inside the chroot it builds does not install it.
#   scripts/setup.sh --list ...     prints the package list (for this system) instead of installing
#
# The options combine (`scripts/setup.sh --test --debootstrap`).
set -euo pipefail

want_test=0 want_debootstrap=0 list_only=0
for arg in "$@"; do
    case $arg in
        --test) want_test=1 ;;
        --debootstrap) want_debootstrap=1 ;;
        --list) list_only=1 ;;
        *) echo "setup.sh: unknown option $arg (--test, --debootstrap, --list)" >&2; exit 2 ;;
    esac
done

os_id=unknown os_version=unknown os_name="an unknown system (no /etc/os-release)"
if [[ -r /etc/os-release ]]; then
    # shellcheck disable=SC1091
    os_id=$(. /etc/os-release && echo "${ID:-unknown}")
    os_version=$(. /etc/os-release && echo "${VERSION_ID:-unknown}")
    os_name=$(. /etc/os-release && echo "${PRETTY_NAME:-$os_id $os_version}")
fi

# Per system: Boost headers that ship BoostConfig.cmake (find_package(Boost
# CONFIG)), the libFuzzer runtime of the default clang, and whether the pinned
# clang-format-14/clang-tidy-14 are packaged, and the perf package that fits any kernel.
case "$os_id:$os_version" in
    debian:12) boost=libboost1.81-dev fuzzer_runtime=libclang-rt-14-dev pinned_checkers=1 perf=linux-perf ;;
    debian:13) boost=libboost-dev fuzzer_runtime=libclang-rt-dev pinned_checkers=0 perf=linux-perf ;;
    ubuntu:24.04) boost=libboost-dev fuzzer_runtime=libclang-rt-18-dev pinned_checkers=1 perf="" ;;
    *) boost="" ;;
esac

packages=(g++ cmake ninja-build pkg-config "${boost:-libboost1.81-dev}" libfmt-dev libspdlog-dev libcli11-dev liburing-dev)
if ((want_test)); then
    # dpkg-dev (cpack's dpkg-shlibdeps), systemd (systemd-analyze,
    # systemd-socket-activate) and haproxy for the package and deployment tests.
    # file: CPackDeb refuses SHLIBDEPS without it, and minimal systems (debootstrap
    # minbase, container images) lack it.
    packages+=(catch2 clang "${fuzzer_runtime:-libclang-rt-14-dev}" python3 dpkg-dev file systemd haproxy)
    packages+=(telnet netcat-openbsd) # docs.transcript runs the README's session with them
    # tests/metrics scrapes the server with the distribution's Prometheus;
    # tests/alerts checks the alert rules with its promtool.
    packages+=(prometheus)
    # bench/guard.sh: valgrind (callgrind) always; perf for the system calls where the
    # distribution's perf matches any kernel (Ubuntu's is per kernel: the guard then
    # counts no system calls and says so).
    packages+=(valgrind ${perf:-})
    if ((${pinned_checkers:-1})); then
        packages+=(clang-format-14 clang-tidy-14)
    fi
fi
((want_debootstrap)) && packages+=(debootstrap)

if [[ -z $boost ]]; then
    echo "setup.sh: $os_name is not supported (Debian 12, Debian 13, Ubuntu 24.04 are); install by hand the equivalents of the Debian 12 packages: ${packages[*]}" >&2
    exit 1
fi
if ((list_only)); then
    echo "${packages[*]}"
    exit 0
fi

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$package")
    fi
done
((${#missing[@]} == 0)) && exit 0

echo "setup.sh: installing on $os_name: ${missing[*]}" >&2
sudo=()
if ((EUID != 0)); then
    command -v sudo >/dev/null || { echo "setup.sh: not root and no sudo; install: ${missing[*]}" >&2; exit 1; }
    sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
