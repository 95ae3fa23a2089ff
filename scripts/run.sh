#!/usr/bin/env bash
# run.sh - builds the release preset and runs the server in the foreground.
# Every argument goes to time_server (default: port 45000; see --help).
#
#   scripts/run.sh                      serve on 0.0.0.0:45000
#   scripts/run.sh --port 46000 --utc   any time_server flags
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/setup.sh
cmake --preset release -DTIME_SERVER_BUILD_TESTS=OFF >/dev/null
cmake --build --preset release
exec build/release/bin/time_server "$@"
