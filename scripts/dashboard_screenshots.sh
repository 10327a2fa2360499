#!/usr/bin/env bash
# Regenerate the dashboard screenshots in docs/screenshots/ (light) and docs/screenshots/dark/
# by running the browser test (tests/e2e/test_dashboard.py) with PYBASE_SCREENSHOTS set.
# Needs what scripts/test.sh installs: .venv with the test extra, and Debian's chromium.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
run() {
    PYBASE_SCREENSHOTS="$1" PYBASE_COLOR_SCHEME="$2" .venv/bin/python -m pytest -q -p no:cacheprovider \
        tests/e2e/test_dashboard.py
}
rm -rf docs/screenshots
run docs/screenshots light
run docs/screenshots/dark dark
ls docs/screenshots docs/screenshots/dark
