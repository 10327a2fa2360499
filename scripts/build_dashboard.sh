#!/usr/bin/env bash
# Build the admin dashboard (dashboard/, Preact + esbuild) into dashboard_static/, which pybase
# serves at /_/ and packs into its wheel and one-file binary.
#
#   scripts/build_dashboard.sh          npm ci (when dashboard/node_modules is missing) + build
#   scripts/build_dashboard.sh --check  build into a temp dir and fail if the committed
#                                       dashboard_static/ differs from the sources (CI)
#
# dashboard_static/ is committed, so `pip install .` needs no node; run this after editing
# dashboard/src and commit both. Needs node >= 18 and npm.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "node and npm are required to build the dashboard (Node.js 18 or newer)" >&2
    exit 1
fi
if [[ ! -d dashboard/node_modules/esbuild || "${DASHBOARD_NPM_CI:-}" == 1 ]]; then
    npm ci --prefix dashboard --no-audit --no-fund --loglevel=error
fi
node dashboard/build.mjs "$@"
