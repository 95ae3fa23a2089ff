#!/usr/bin/env bash
# check_deb.sh BUILD_DIR VERSION - the .deb as a user gets it: makes it from
# BUILD_DIR with cpack, unpacks it into a scratch root, and checks that the
# programs run from there, that the units name the installed paths, and that
# systemd-analyze finds the units valid (verify) and locked down to "OK" or
# better (security). Prints the exposure level. Exit 1 on any failure.
set -euo pipefail
build=${1:?usage: check_deb.sh BUILD_DIR VERSION}
version=${2:?usage: check_deb.sh BUILD_DIR VERSION}
work=$(mktemp -d "${TMPDIR:-/tmp}/time-server-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "check_deb: $*" >&2; exit 1; }

if ! cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/out" >"$work/cpack.log" 2>&1; then
    cat "$work/cpack.log" >&2
    fail "cpack -G DEB failed"
fi
debs=("$work"/out/time-server_"$version"_*.deb)
[[ -f ${debs[0]} ]] || fail "no time-server_${version}_*.deb in $(ls "$work/out")"
deb=${debs[0]}
echo "check_deb: $(basename "$deb"), Depends: $(dpkg-deb -f "$deb" Depends)"
[[ -n $(dpkg-deb -f "$deb" Depends) ]] || fail "no Depends: dpkg-shlibdeps found no libraries"

root=$work/root
dpkg-deb -x "$deb" "$root"
for program in time_server time_client time_bench; do
    [[ -x $root/usr/bin/$program ]] || fail "no /usr/bin/$program in the package"
done
[[ $("$root/usr/bin/time_server" --version) == "time_server $version ("*")" ]] || fail "time_server --version"
units=$root/usr/lib/systemd/system
grep -qx 'ExecStart=/usr/bin/time_server' "$units/time-server.service" || fail "ExecStart is not /usr/bin/time_server"
grep -qx 'ListenStream=45000' "$units/time-server.socket" || fail "the socket does not listen on 45000"
for doc in README.md protocol.md deploy.md; do
    [[ -s $root/usr/share/doc/time-server/$doc ]] || fail "no $doc under /usr/share/doc/time-server"
done

# systemd-analyze resolves the units' dependencies (sockets.target, ...) in the
# root, so it gets the host's own units beside ours.
cp -a -n /usr/lib/systemd/system/. "$units/"
verify=$(systemd-analyze verify --root="$root" time-server.socket time-server.service 2>&1) ||
    fail "systemd-analyze verify: $verify"
[[ -z $verify ]] || fail "systemd-analyze verify warns: $verify"
level=$(systemd-analyze security --offline=true --root="$root" time-server.service 2>&1 |
    grep 'Overall exposure level for time-server.service') || fail "systemd-analyze security said nothing"
echo "check_deb: ${level#→ }"
[[ $level =~ \ (OK|SAFE)\  ]] || fail "not locked down to OK or better: $level"
