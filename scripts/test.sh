#!/usr/bin/env bash
# The test command: own virtualenv, install with the dev extra, PostgreSQL up, ruff, pytest.
# Extra arguments go to pytest (e.g. `bash scripts/test.sh -k store`).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
VENV=${UPTRADE_VENV:-.venv}
PG_HOST=127.0.0.1
PG_PORT=5432

if [ ! -x "$VENV/bin/python" ]; then
  echo "== creating $VENV with $("$PYTHON" --version)"
  "$PYTHON" -m venv "$VENV"
fi
echo "== installing uptrade[dev]"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[dev]'

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

# Hummingbot's own engine (Python 3.12, its own venv) for the backtest cross-check tests
HB_VENV=${UPTRADE_HB_VENV:-.hbvenv}
case "$HB_VENV" in /*) ;; *) HB_VENV=$PWD/$HB_VENV ;; esac
if UPTRADE_HB_VENV="$HB_VENV" bash scripts/hummingbot_env.sh; then
  export UPTRADE_HB_PYTHON=${UPTRADE_HB_PYTHON:-$HB_VENV/bin/python}
else
  echo "== WARNING: no Hummingbot environment; the cross-check tests against it will be skipped" >&2
fi

export NUMBA_CACHE_DIR=${NUMBA_CACHE_DIR:-$PWD/.cache/numba}
echo "== ruff check"
"$VENV/bin/ruff" check .
if [ "$#" -gt 0 ]; then
  echo "== pytest $*"
  exec "$VENV/bin/python" -m pytest "$@"
fi
# The real-time scale test (100 feeds at 288x speed) measures lag in real seconds, so it runs in
# a process of its own, as the updater does in production, not after everything else in one.
echo "== pytest"
"$VENV/bin/python" -m pytest --ignore=tests/test_updater_scale.py
echo "== pytest: real-time updater scale test, own process"
"$VENV/bin/python" -m pytest tests/test_updater_scale.py
