#!/usr/bin/env bash
# Regenerate the dashboard screenshots in docs/screenshots/ (light) and docs/screenshots/dark/
# by running the browser test's main walk (tests/e2e/test_dashboard.py) with PYBASE_SCREENSHOTS
# set. docs/screenshots/ is replaced only when both runs pass.
# Needs what scripts/test.sh installs: .venv with the test extra, and Debian's chromium.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
run() {
    PYBASE_SCREENSHOTS="$1" PYBASE_COLOR_SCHEME="$2" .venv/bin/python -m pytest -q -p no:cacheprovider \
        tests/e2e/test_dashboard.py -k test_dashboard_end_to_end
}
run "$out/screenshots" light
run "$out/screenshots/dark" dark
rm -rf docs/screenshots
mkdir -p docs
cp -r "$out/screenshots" docs/screenshots
ls docs/screenshots docs/screenshots/dark
