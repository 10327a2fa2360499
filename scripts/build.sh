#!/usr/bin/env bash
# Build the one-file binary dist/pybase with PyInstaller (spec: build.spec), after the dashboard
# (scripts/build_dashboard.sh) when node is available.
#
# Uses the virtualenv .venv (created if missing; override with PYTHON=/path/to/python to build
# with another interpreter) and installs pybase with its "build" extra (PyInstaller) when
# something is missing. Safe to run again: it rebuilds dist/pybase in place.
# Build your own binary: PYBASE_ENTRY=myapp.py PYBASE_NAME=myapp scripts/build.sh (see build.spec).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

if [[ -n "${PYTHON:-}" ]]; then
    py="$PYTHON"
else
    if [[ ! -x .venv/bin/python ]]; then
        echo "==> creating .venv"
        python3 -m venv .venv
    fi
    py=.venv/bin/python
fi

if ! "$py" -c 'import PyInstaller, falcon, waitress, sqlalchemy, quickjs, bcrypt, jwt, orjson, watchdog, itsdangerous, sqlglot' 2>/dev/null; then
    echo "==> installing pybase and PyInstaller into $("$py" -c 'import sys; print(sys.prefix)')"
    "$py" -m pip install --quiet -e '.[build]'
fi

# The dashboard is rebuilt from dashboard/ when node is there; else the committed build is packed.
# PYBASE_PACK_DASHBOARD=1 packs the committed build as it is (scripts/test.sh, which has checked it
# against its sources already and builds while tests read dashboard_static/).
if [[ -n "${PYBASE_PACK_DASHBOARD:-}" ]]; then
    echo "==> packing the committed dashboard_static/ as it is (PYBASE_PACK_DASHBOARD)"
elif command -v node >/dev/null && command -v npm >/dev/null; then
    scripts/build_dashboard.sh
else
    echo "==> node is missing: packing the committed dashboard_static/ as it is"
fi

name="${PYBASE_NAME:-pybase}"
echo "==> building dist/$name with PyInstaller $("$py" -m PyInstaller --version)"
"$py" -m PyInstaller --noconfirm --log-level WARN --distpath dist --workpath "build/$name" build.spec
test -x "dist/$name"
if [[ -z "${PYBASE_ENTRY:-}" ]]; then
    echo "==> built dist/$name ($(du -h "dist/$name" | cut -f1)): $("dist/$name" version)"
else
    echo "==> built dist/$name ($(du -h "dist/$name" | cut -f1)) from $PYBASE_ENTRY"
fi
