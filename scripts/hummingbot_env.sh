#!/usr/bin/env bash
# The Hummingbot environment for the backtest cross-check: Python 3.12 + hummingbot==20260922 in
# $UPTRADE_HB_VENV (default .hbvenv). Idempotent; about 5 minutes the first time (Cython build).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${UPTRADE_HB_VENV:-.hbvenv}
HB_VERSION=20260922
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import hummingbot" 2>/dev/null; then
  echo "== Hummingbot environment ready: $VENV"
  exit 0
fi
PY312=""
for candidate in ${PYTHON312:-} "$HOME"/.pyenv/versions/3.12*/bin/python /root/.pyenv/versions/3.12*/bin/python \
  "$(command -v python3.12 || true)"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ] \
    && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then
    PY312=$candidate
    break
  fi
done
if [ -z "$PY312" ]; then
  echo "== no Python 3.12 found (set PYTHON312): the Hummingbot cross-check cannot run here" >&2
  exit 1
fi
echo "== creating $VENV with $("$PY312" --version) and hummingbot==$HB_VERSION"
"$PY312" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
# hummingbot pins decibel-python-sdk (websockets>=14); left alone pip backtracks web3/injective-py
# to releases that need websockets<14 and fails, so those two are pinned to compatible releases
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "hummingbot==$HB_VERSION" "web3>=7.10" \
  "injective-py==1.16.2"
"$VENV/bin/python" -c "import hummingbot, numba, numpy; print('== hummingbot ready: numba', numba.__version__, 'numpy', numpy.__version__)"
