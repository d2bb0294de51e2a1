#!/usr/bin/env bash
# The Hummingbot environment for the backtest cross-check: Python 3.12 + hummingbot==20260922.
#
# It does not depend on the clone, so it lives in a cache directory under $HOME, keyed on its
# versions, and every clone and CI run reuses it: $UPTRADE_CACHE (default ~/.cache/uptrade)
# /hummingbot-<version>-py3.12, or $UPTRADE_HB_VENV. Idempotent; about 5 minutes the first time
# (Cython build), a second or so after. A build that was interrupted is started again from
# nothing (the environment counts as ready only once its marker file is written); two runs at
# once wait for each other (flock). Prints the environment's python as its last line.
set -euo pipefail
cd "$(dirname "$0")/.."
HB_VERSION=20260922
CACHE=${UPTRADE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/uptrade}
VENV=${UPTRADE_HB_VENV:-$CACHE/hummingbot-$HB_VERSION-py3.12}
READY=$VENV/.uptrade-ready
mkdir -p "$(dirname "$VENV")"

exec 9>"$VENV.lock"
flock 9
if [ -f "$READY" ] && "$VENV/bin/python" -c "import hummingbot" 2>/dev/null; then
  echo "== Hummingbot environment ready (cached): $VENV" >&2
  echo "$VENV/bin/python"
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
echo "== building $VENV with $("$PY312" --version) and hummingbot==$HB_VERSION (once per machine)" >&2
rm -rf "$VENV"
"$PY312" -m venv "$VENV"
{
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  # hummingbot pins decibel-python-sdk (websockets>=14); left alone pip backtracks web3/injective-py
  # to releases that need websockets<14 and fails, so those two are pinned to compatible releases
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "hummingbot==$HB_VERSION" "web3>=7.10" \
    "injective-py==1.16.2"
  "$VENV/bin/python" -c "import hummingbot, numba, numpy; print('== hummingbot ready: numba', numba.__version__, 'numpy', numpy.__version__)"
} >&2
touch "$READY"
echo "$VENV/bin/python"
