#!/usr/bin/env bash
# test-on-debian.sh - runs the README's two commands on a freshly bootstrapped
# Debian, to prove the project on a release other than the host's:
#
#   1. debootstrap --variant=minbase SUITE from http://deb.debian.org/debian into
#      a new folder /var/tmp/time-server-chroot-SUITE.XXXXXX (a fresh root every
#      run), with /etc/hosts, the host's /etc/resolv.conf and apt sources for
#      SUITE, SUITE-updates and SUITE-security;
#   2. copies this source tree in (the working tree without build/, .git and
#      node_modules, so a source tarball works too);
#   3. the run command: `scripts/run.sh --port N` (N a free port) in the
#      background; waits for "Time server berjalan dan mendengarkan di port N...",
#      sends TIME over bash's /dev/tcp and expects `JAM hh:mm:ss` + CRLF, sends
#      SIGINT and expects exit 0 and "Server dihentikan.";
#   4. the test command for two presets: `scripts/test.sh debug io_uring` (the default build
#      on Asio's epoll reactor, then on its io_uring backend, which needs Boost 1.83).
# Both commands install their own packages with scripts/setup.sh, as on a
# developer's machine, so this also proves setup.sh on SUITE.
#
#   scripts/test-on-debian.sh            Debian 13 (trixie)
#   scripts/test-on-debian.sh bookworm   Debian 12
#
# Needs root (debootstrap, chroot, mount) and installs debootstrap on the host
# (scripts/setup.sh --debootstrap). Downloaded .debs are kept between runs in
# /var/cache/time-server-chroot/SUITE/ (TIME_SERVER_CHROOT_CACHE overrides), so a
# rerun downloads only what changed; the root itself is removed at the end,
# also on failure or Ctrl-C, after its mounts (/proc, /sys, /dev and below, the
# apt cache) are unmounted and any process still running inside is killed.
# Exits non-zero on any failure. Prints how long each phase took.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source_dir=$PWD

suite=${1:-trixie}
case $suite in
    bookworm | trixie) ;;
    *) echo "test-on-debian: unknown suite '$suite' (bookworm or trixie)" >&2; exit 2 ;;
esac
if ((EUID != 0)); then
    echo "test-on-debian: needs root (debootstrap, chroot, mount)" >&2
    exit 2
fi
mirror=http://deb.debian.org/debian
cache=${TIME_SERVER_CHROOT_CACHE:-/var/cache/time-server-chroot}/$suite

log() { echo "== test-on-debian [$suite]: $*" >&2; }
started=$(date +%s)
phase_started=$started
timings=()
phase_done() {
    local now
    now=$(date +%s)
    timings+=("$(printf '%-28s %4d s' "$1" $((now - phase_started)))")
    log "$1 took $((now - phase_started)) s"
    phase_started=$now
}

root=""
server_pid=""
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    if [[ -n $root && -d $root ]]; then
        # Processes still running inside (the server after a failed check, a
        # build interrupted by Ctrl-C): each has the chroot as its root.
        local pid pids=()
        for pid in /proc/[0-9]*; do
            [[ $(readlink "$pid/root" 2>/dev/null) == "$root" ]] && pids+=("${pid#/proc/}")
        done
        if ((${#pids[@]})); then
            kill -KILL "${pids[@]}" 2>/dev/null || true
            sleep 1
        fi
        # Deepest mount first; a lazy unmount if one is still busy.
        local mounts
        mapfile -t mounts < <(findmnt -rn -o TARGET | grep -F "$root/" | sort -r)
        for mount in "${mounts[@]}"; do
            umount "$mount" 2>/dev/null || umount -l "$mount" || true
        done
        if findmnt -rn -o TARGET | grep -qF "$root/"; then
            echo "test-on-debian: mounts remain under $root; not removing it" >&2
            status=1
        else
            rm -rf --one-file-system "$root"
        fi
    fi
    if ((${#timings[@]})); then
        log "timings:"
        printf '   %s\n' "${timings[@]}" >&2
        log "total $(($(date +%s) - started)) s, exit $status"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "installing debootstrap on the host if missing"
scripts/setup.sh --debootstrap

mkdir -p "$cache/debootstrap" "$cache/apt"
root=$(mktemp -d "/var/tmp/time-server-chroot-$suite.XXXXXX")
chmod 755 "$root"
phase_done "host setup"

log "debootstrap --variant=minbase $suite into $root"
if ! debootstrap --variant=minbase --cache-dir="$cache/debootstrap" "$suite" "$root" "$mirror" \
    >"$root.debootstrap.log" 2>&1; then
    tail -n 30 "$root.debootstrap.log" >&2
    cat "$root/debootstrap/debootstrap.log" >&2 2>/dev/null || true
    rm -f "$root.debootstrap.log"
    echo "test-on-debian: debootstrap failed" >&2
    exit 1
fi
rm -f "$root.debootstrap.log"
printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror $suite main
deb $mirror $suite-updates main
deb http://deb.debian.org/debian-security $suite-security main
EOF
# A root thrown away at the end needs no fsync per unpacked file.
echo force-unsafe-io >"$root/etc/dpkg/dpkg.cfg.d/time-server-unsafe-io"
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --rbind /dev "$root/dev" # /dev/pts and /dev/shm with it
mount --make-rslave "$root/dev"
# Packages apt downloads inside are kept on the host for the next run.
mount --bind "$cache/apt" "$root/var/cache/apt/archives"
phase_done "debootstrap"

mkdir "$root/src"
tar -C "$source_dir" --exclude=./build --exclude=./.git --exclude=./scripts/actionlint/node_modules -cf - . |
    tar -C "$root/src" -xf -
phase_done "copy the sources"

# in_chroot 'COMMAND': runs COMMAND with bash in /src inside the root, with a
# clean environment. exec_in_chroot does the same by exec: run in the
# background (`exec_in_chroot ... &`), $! is then the command itself (and the
# server, since run.sh execs it), so a signal sent to $! reaches it.
exec_in_chroot() {
    exec env -i HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}" \
        chroot "$root" /bin/bash -c "cd /src && $1"
}
in_chroot() {
    (exec_in_chroot "$1")
}

# A port nothing listens on (the chroot shares the host's network).
port=""
for _ in $(seq 50); do
    candidate=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
        port=$candidate
        break
    fi
done
[[ -n $port ]] || { echo "test-on-debian: found no free port" >&2; exit 1; }

log "run command: scripts/run.sh --port $port (installs, builds release, serves)"
run_log=$root/run.log
exec_in_chroot "exec scripts/run.sh --port $port" >"$run_log" 2>&1 &
server_pid=$!
ready="Time server berjalan dan mendengarkan di port $port..."
until grep -qF -- "$ready" "$run_log"; do
    if ! kill -0 "$server_pid" 2>/dev/null; then
        tail -n 40 "$run_log" >&2
        echo "test-on-debian: scripts/run.sh exited before the server was ready" >&2
        exit 1
    fi
    if (($(date +%s) - phase_started > 1800)); then
        tail -n 40 "$run_log" >&2
        echo "test-on-debian: the server was not ready after 30 minutes" >&2
        exit 1
    fi
    sleep 1
done
phase_done "run: setup + release build"

exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'TIME\n' >&3
reply=""
IFS= read -r -t 5 reply <&3 || true
exec 3>&-
if [[ ! $reply =~ ^JAM\ [0-2][0-9]:[0-5][0-9]:[0-5][0-9]$'\r'$ ]]; then
    echo "test-on-debian: TIME got $(printf '%q' "$reply"), want 'JAM hh:mm:ss\\r'" >&2
    tail -n 20 "$run_log" >&2
    exit 1
fi
log "TIME answered: ${reply%$'\r'}"
kill -INT "$server_pid"
for _ in $(seq 100); do
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$server_pid" 2>/dev/null; then
    tail -n 20 "$run_log" >&2
    echo "test-on-debian: the server still runs 10 s after SIGINT" >&2
    exit 1
fi
server_status=0
wait "$server_pid" || server_status=$?
server_pid=""
if ((server_status != 0)) || ! grep -q ' - Server dihentikan\.$' "$run_log"; then
    tail -n 20 "$run_log" >&2
    echo "test-on-debian: after SIGINT the server exited $server_status (want 0 and 'Server dihentikan.')" >&2
    exit 1
fi
log "SIGINT: exit 0, 'Server dihentikan.' logged"
phase_done "run: TIME and SIGINT"

log "test command: scripts/test.sh debug io_uring"
if ! in_chroot "scripts/test.sh debug io_uring"; then
    echo "test-on-debian: scripts/test.sh debug io_uring failed on $suite" >&2
    exit 1
fi
phase_done "test: scripts/test.sh debug io_uring"

# The package, as docs/deploy.md says: cpack -G DEB from the release build
# that the run command made, installed with apt, run, and its units checked.
log "package: cpack -G DEB, apt install, time_server --version, systemd-analyze"
if ! in_chroot 'set -e
    rm -rf /tmp/time-server-deb
    cpack -G DEB --config build/release/CPackConfig.cmake -B /tmp/time-server-deb >/dev/null
    apt-get install -y -qq /tmp/time-server-deb/time-server_*.deb >/dev/null
    version=$(time_server --version)
    echo "installed: $version"
    [[ $version == "time_server $(sed -n "s/^ *VERSION \([0-9.]*\)$/\1/p" CMakeLists.txt) ("*")" ]]
    # The backend of the default build (src/operations/io_backend.cmake).
    [[ $version == *"(epoll)" ]]
    verify=$(systemd-analyze verify /usr/lib/systemd/system/time-server.socket /usr/lib/systemd/system/time-server.service 2>&1)
    test -z "$verify" || { echo "$verify"; exit 1; }
    systemd-analyze security --offline=true time-server.service | grep -E "Overall exposure level.* (OK|SAFE) "'; then
    echo "test-on-debian: the .deb did not install and run on $suite" >&2
    exit 1
fi
phase_done "package: apt install"
log "passed"
