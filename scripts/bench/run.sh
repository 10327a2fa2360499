#!/usr/bin/env bash
# Entry point of the pybase vs PocketBase benchmark: installs wrk if missing, then runs bench.py.
#   scripts/bench/run.sh [--quick] [--profile] [--pb /path/to/pocketbase] ...
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if ! command -v wrk >/dev/null 2>&1; then
  echo "wrk not found; installing it with apt-get" >&2
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && apt-get install -y -qq wrk
  else
    sudo apt-get update -qq && sudo apt-get install -y -qq wrk
  fi
fi

for arg in "$@"; do
  if [ "$arg" = "--profile" ] && ! command -v py-spy >/dev/null 2>&1; then
    echo "py-spy not found; installing it with pip" >&2
    python3 -m pip install -q py-spy
  fi
done

exec python3 "$here/bench.py" "$@"
