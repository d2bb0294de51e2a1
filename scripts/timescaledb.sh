#!/usr/bin/env bash
# TimescaleDB for the tests: the extension built from its source release in ../shared/vendor for the
# local PostgreSQL, and a cluster of its own on 127.0.0.1:$UPTRADE_TIMESCALE_PORT (default 5433)
# with it preloaded. Prints that cluster's URL as its last line.
#
# Idempotent, in three tiers: the extension already installed for this PostgreSQL is used as it is;
# else the files of an earlier build are copied back from $UPTRADE_CACHE (default ~/.cache/uptrade)
# /timescaledb-<version>-pg<server version> (seconds); else it is built (Debian's build tools, cmake,
# `make install` into that cache directory, then copied in: about 4 CPU minutes). A build counts only
# once its marker file is written; two runs at once wait for each other (flock). No registry that
# this machine reaches ships TimescaleDB, hence the build. Needs root (or sudo) to install files
# under /usr and to create the cluster; fails with the reason otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
TS_VERSION=2.28.3
TS_SHA256=ec2f7de0ba53a473c01e0a57e09053898c6b1f7487228caff0f1d31c8cb2dedb
VENDOR=${UPTRADE_VENDOR:-$PWD/../shared/vendor}
TARBALL=$VENDOR/timescaledb-$TS_VERSION.tar.gz
PORT=${UPTRADE_TIMESCALE_PORT:-5433}
CLUSTER=uptrade_tsdb
CACHE=${UPTRADE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/uptrade}

say() { echo "== timescaledb: $*" >&2; }
die() { echo "FATAL: timescaledb: $*" >&2; exit 1; }
SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null && sudo -n true 2>/dev/null || die "installing the extension and creating a cluster need root or password-less sudo"
  SUDO=sudo
fi
command -v pg_lsclusters >/dev/null || die "Debian's postgresql-common (pg_lsclusters, pg_createcluster) is not installed"
PG_MAJOR=${UPTRADE_PG_MAJOR:-$(pg_lsclusters -h | awk '{print $1}' | sort -n | tail -n 1)}
[ -n "$PG_MAJOR" ] || die "no PostgreSQL cluster on this machine to build against"
PG_BIN=/usr/lib/postgresql/$PG_MAJOR/bin
[ -x "$PG_BIN/postgres" ] || die "$PG_BIN/postgres not found"
PG_VERSION=$("$PG_BIN/postgres" --version | awk '{print $3}')   # e.g. 15.20
PKGLIB=/usr/lib/postgresql/$PG_MAJOR/lib
SHAREDIR=/usr/share/postgresql/$PG_MAJOR
STAGE=$CACHE/timescaledb-$TS_VERSION-pg$PG_VERSION
mkdir -p "$CACHE"
exec 9>"$CACHE/timescaledb.lock"
flock 9

installed() {
  [ -f "$PKGLIB/timescaledb-$TS_VERSION.so" ] && [ -f "$PKGLIB/timescaledb-tsl-$TS_VERSION.so" ] \
    && [ -f "$SHAREDIR/extension/timescaledb--$TS_VERSION.sql" ] \
    && grep -q "default_version = '$TS_VERSION'" "$SHAREDIR/extension/timescaledb.control"
}

build() {
  [ -f "$TARBALL" ] || die "the source release $TARBALL is missing (../shared/vendor beside the clone)"
  echo "$TS_SHA256  $TARBALL" | sha256sum -c --status || die "$TARBALL does not match its sha256 $TS_SHA256"
  local need=()
  [ -x "$PG_BIN/pg_config" ] && [ -f "/usr/include/postgresql/$PG_MAJOR/server/postgres.h" ] \
    || need+=("postgresql-server-dev-$PG_MAJOR")
  command -v cmake >/dev/null || need+=(cmake)
  command -v make >/dev/null && command -v gcc >/dev/null || need+=(build-essential)
  [ -f /usr/include/openssl/ssl.h ] || need+=(libssl-dev)
  [ -f /usr/include/krb5.h ] || need+=(libkrb5-dev)
  if [ "${#need[@]}" -gt 0 ]; then
    say "installing build tools: ${need[*]}"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >&2 \
      || { $SUDO apt-get update -q >&2 && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >&2; } \
      || die "could not install ${need[*]} from Debian's packages"
  fi
  say "building $TS_VERSION for PostgreSQL $PG_VERSION (once per machine; about 4 CPU minutes)"
  local work
  work=$(mktemp -d "$CACHE/timescaledb-build.XXXXXX")
  tar -xzf "$TARBALL" -C "$work"
  (
    cd "$work/timescaledb-$TS_VERSION"
    ./bootstrap -DPG_CONFIG="$PG_BIN/pg_config" -DREGRESS_CHECKS=OFF -DTAP_CHECKS=OFF \
      -DWARNINGS_AS_ERRORS=OFF -DAPACHE_ONLY=OFF -DSEND_TELEMETRY_DEFAULT=OFF -DCMAKE_BUILD_TYPE=Release
    cd build
    make -j"$(nproc)"
    rm -rf "$STAGE"
    make install DESTDIR="$STAGE"
  ) >"$work.log" 2>&1 || { tail -n 30 "$work.log" >&2; die "the build failed; full log: $work.log"; }
  rm -rf "$work" "$work.log"
  touch "$STAGE/.uptrade-ready"
}

if installed; then
  say "$TS_VERSION is installed for PostgreSQL $PG_MAJOR"
else
  [ -f "$STAGE/.uptrade-ready" ] || build
  say "installing $TS_VERSION from $STAGE"
  $SUDO cp -a "$STAGE/usr/." /usr/
  installed || die "the files in $STAGE do not give an installed $TS_VERSION"
fi
exec 9>&-   # the lock guards the files only; a server started below must not inherit it

# The cluster: created once, preloading the extension, trust on loopback (a test server).
if ! pg_lsclusters -h | awk -v v="$PG_MAJOR" -v c="$CLUSTER" '$1 == v && $2 == c {found=1} END {exit !found}'; then
  say "creating cluster $PG_MAJOR/$CLUSTER on port $PORT"
  $SUDO pg_createcluster "$PG_MAJOR" "$CLUSTER" -p "$PORT" \
    -o shared_preload_libraries=timescaledb -o timescaledb.telemetry_level=off \
    -o max_worker_processes=16 \
    -- --auth-local=trust --auth-host=trust >&2 || die "pg_createcluster failed"
fi
CONF=/etc/postgresql/$PG_MAJOR/$CLUSTER/postgresql.conf
grep -Eq "^shared_preload_libraries *= *'?timescaledb" "$CONF" || die "$CONF does not preload timescaledb"
if ! pg_lsclusters -h | awk -v v="$PG_MAJOR" -v c="$CLUSTER" '$1 == v && $2 == c && $4 == "online" {found=1} END {exit !found}'; then
  say "starting cluster $PG_MAJOR/$CLUSTER"
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$PG_MAJOR" "$CLUSTER" start >&2 \
    || die "the cluster did not start; see /var/log/postgresql/postgresql-$PG_MAJOR-$CLUSTER.log"
fi
for _ in $(seq 1 30); do
  "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" && break
  sleep 1
done
"$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" || die "nothing answers on 127.0.0.1:$PORT"
PRELOADED=$(psql -X -A -t -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -c 'SHOW shared_preload_libraries')
case "$PRELOADED" in
  *timescaledb*) ;;
  *) die "the server on port $PORT does not preload timescaledb (restart it: pg_ctlcluster $PG_MAJOR $CLUSTER restart)" ;;
esac
say "cluster $PG_MAJOR/$CLUSTER answers on 127.0.0.1:$PORT with $TS_VERSION preloaded"
echo "postgresql://postgres@127.0.0.1:$PORT/postgres"
