#!/usr/bin/env bash
# The test command: own virtualenv, install with the dev extra, PostgreSQL up, TimescaleDB (built
# from ../shared/vendor once per machine) and the Hummingbot environment (both cached under
# ~/.cache/uptrade), headless Chromium (apt), ruff (lint and format), mypy, pytest on both cores.
# Extra arguments go to pytest instead of the default selection (e.g. `bash scripts/test.sh -k store`).
# Prints the time of each phase at the end, whether the run passed or not.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
VENV=${UPTRADE_VENV:-.venv}
PG_HOST=127.0.0.1
PG_PORT=5432
export UPTRADE_CACHE=${UPTRADE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/uptrade}

PHASES=()
PHASE_START=$SECONDS
phase_done() {
  PHASES+=("$(printf '  %-44s %5d s' "$1" $((SECONDS - PHASE_START)))")
  PHASE_START=$SECONDS
}
report_phases() {
  local status=$?
  echo "== phases (total $SECONDS s)"
  for line in "${PHASES[@]}"; do echo "$line"; done
  return $status
}
trap report_phases EXIT

if [ ! -x "$VENV/bin/python" ]; then
  echo "== creating $VENV with $("$PYTHON" --version)"
  "$PYTHON" -m venv "$VENV"
fi
echo "== installing uptrade[dev]"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[dev]'
phase_done "virtualenv and install"

# Headless Chromium renders the HTML report (tests/test_report.py; the dashboard tests use it too).
# Installed from the distribution when missing; CI fails without it, elsewhere those tests skip.
if ! command -v chromium >/dev/null && command -v apt-get >/dev/null; then
  echo "== installing chromium (apt-get)"
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  apt_chromium() { $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; }
  apt_chromium || { $SUDO apt-get update -qq && apt_chromium; } || echo "== WARNING: apt-get could not install chromium" >&2
fi
if ! command -v chromium >/dev/null; then
  if [ "${CI:-}" = "true" ]; then
    echo "FATAL: no chromium (apt-get install chromium chromium-driver); CI does not skip the browser tests" >&2
    exit 1
  fi
  echo "== WARNING: no chromium; the browser tests will be skipped" >&2
fi
phase_done "chromium"

pg_up() {
  "$VENV/bin/python" - "$PG_HOST" "$PG_PORT" <<'PY' >/dev/null 2>&1
import sys, psycopg
psycopg.connect(host=sys.argv[1], port=int(sys.argv[2]), user="postgres", dbname="postgres", connect_timeout=3).close()
PY
}
if ! pg_up; then
  echo "== PostgreSQL is down at $PG_HOST:$PG_PORT: starting it"
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
  fi
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  if ! pg_up; then
    echo "FATAL: PostgreSQL is not reachable at $PG_HOST:$PG_PORT; the store tests need it." >&2
    exit 1
  fi
fi
echo "== PostgreSQL answers at $PG_HOST:$PG_PORT"
phase_done "PostgreSQL"

# provide VAR WHAT TESTS SCRIPT: run a build-once SCRIPT and export its last line as VAR. Without
# it CI fails (it never skips TESTS); elsewhere they are skipped with a warning.
provide() {
  local value
  if value=$(bash "$4" | tail -n 1) && [ -n "$value" ]; then
    export "$1=$value"
  elif [ "${CI:-}" = "true" ]; then
    echo "FATAL: no $2 ($4 said why above); CI does not skip $3" >&2
    exit 1
  else
    echo "== WARNING: no $2 ($4 said why above); $3 will be skipped" >&2
  fi
}
# TimescaleDB built from ../shared/vendor (once per machine, cached), in its own cluster on 5433.
provide UPTRADE_TEST_TIMESCALE_URL "TimescaleDB server" "the TimescaleDB tests" scripts/timescaledb.sh
phase_done "TimescaleDB (built once per machine)"
# Hummingbot's own engine (Python 3.12, its own venv in the cache) for the backtest cross-check
provide UPTRADE_HB_PYTHON "Hummingbot environment" "the cross-check against Hummingbot's engine" \
  scripts/hummingbot_env.sh
phase_done "Hummingbot environment (cached per machine)"

# numba checks only a function's own file: one cache per fingerprint of the kernel files, so a
# re-run after editing a callee in another file never loads stale machine code
export NUMBA_CACHE_DIR=${NUMBA_CACHE_DIR:-$PWD/.cache/numba/$(PYTHONPATH=src "$VENV/bin/python" -c 'from uptrade import kernel_fingerprint; print(kernel_fingerprint())')}
echo "== ruff check, ruff format --check"
"$VENV/bin/ruff" check .
"$VENV/bin/ruff" format --check .
phase_done "ruff"
echo "== mypy (src/uptrade, [tool.mypy] in pyproject.toml)"
# mypy's incremental cache is keyed on each file's content, so one per machine serves every clone
export MYPY_CACHE_DIR=${MYPY_CACHE_DIR:-$UPTRADE_CACHE/mypy}
"$VENV/bin/mypy"
phase_done "mypy"

if [ "$#" -gt 0 ]; then
  echo "== pytest $*"
  "$VENV/bin/python" -m pytest "$@"
  phase_done "pytest $*"
  exit 0
fi
# Two workers, one per core; every test is independent of the others and of the host's speed.
echo "== pytest (2 workers)"
"$VENV/bin/python" -m pytest -n 2 --dist loadgroup --durations=15
phase_done "pytest"
