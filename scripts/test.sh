#!/usr/bin/env bash
# The test command (README): the whole Rust suite on one database backend (browser tests and a
# schemathesis run against the OpenAPI document included), then a check of the document with
# openapi-spec-validator. What the tests need beyond
# Rust (Python tools, Chromium, two npm packages) is installed on first use.
#
#   scripts/test.sh                                  # SQLite (temp files; needs no PostgreSQL)
#   TRIALDESK_TEST_BACKEND=postgres scripts/test.sh  # PostgreSQL at 127.0.0.1:5432, user postgres
#
# TRIALDESK_TEST_POSTGRES_URL overrides the PostgreSQL server the tests create databases on.
set -euo pipefail
cd "$(dirname "$0")/.."

backend="${TRIALDESK_TEST_BACKEND:-sqlite}"
case "$backend" in
  sqlite) label="SQLite" ;;
  postgres)
    label="PostgreSQL"
    pg_url="${TRIALDESK_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
    hostport="${pg_url#*@}"; hostport="${hostport%%/*}"
    host="${hostport%%:*}"; port="${hostport##*:}"; [ "$port" = "$hostport" ] && port=5432
    if ! (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
      echo "error: PostgreSQL tests were asked for, but nothing listens on $host:$port" >&2
      exit 1
    fi ;;
  *) echo "error: TRIALDESK_TEST_BACKEND must be sqlite or postgres, not '$backend'" >&2; exit 2 ;;
esac
export TRIALDESK_TEST_BACKEND="$backend"

# Python tools the tests use, in a private virtualenv: aiosmtpd is the real SMTP server the
# outbox tests send to; openapi-spec-validator checks the API document; icalendar reads the
# calendar feeds as a calendar app would; schemathesis fuzzes the API against its document.
venv="${XDG_CACHE_HOME:-$HOME/.cache}/trialdesk/test-venv"
if [ ! -x "$venv/bin/openapi-spec-validator" ] || ! "$venv/bin/python" -c "import aiosmtpd, icalendar" 2>/dev/null \
  || [ "$("$venv/bin/st" --version 2>/dev/null)" != "st, version 4.32.5" ]; then
  if ! python3 -m venv "$venv" 2>/dev/null; then
    # A bare Debian has no python3-venv; install it when we may.
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv
      python3 -m venv "$venv"
    else
      echo "error: the tests need python3 with venv (Debian: apt-get install python3-venv)" >&2
      exit 1
    fi
  fi
  "$venv/bin/pip" install --quiet --disable-pip-version-check "openapi-spec-validator==0.7.2" "aiosmtpd==1.4.6" "icalendar==6.1.3" "schemathesis==4.32.5"
fi
export TRIALDESK_TEST_PYTHON="$venv/bin/python" TRIALDESK_TEST_SCHEMATHESIS="$venv/bin/st"

# Browser tests: Debian's Chromium, driven by playwright-core, with axe-core checking each page;
# the two npm packages go into a private folder, pinned by tests/browser/package-lock.json.
as_root_apt() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
  else
    echo "error: the test suite needs: $* (Debian: apt-get install $*)" >&2
    exit 1
  fi
}
chromium="${TRIALDESK_TEST_CHROMIUM:-/usr/bin/chromium}"
[ -x "$chromium" ] || as_root_apt chromium
command -v npm >/dev/null || as_root_apt nodejs npm
modules="${XDG_CACHE_HOME:-$HOME/.cache}/trialdesk/browser-test"
if ! cmp -s tests/browser/package-lock.json "$modules/package-lock.json" || [ ! -d "$modules/node_modules/axe-core" ]; then
  mkdir -p "$modules"
  cp tests/browser/package.json tests/browser/package-lock.json "$modules/"
  (cd "$modules" && npm ci --no-audit --no-fund --loglevel=error)
fi
export TRIALDESK_BROWSER_MODULES="$modules" TRIALDESK_TEST_CHROMIUM="$chromium"

# R, to prove exports open there with their load script (Debian's r-base-core), and to check the
# mixed models' small-sample inference against nlme::gls with emmeans, lmerTest and pbkrtest
# (Debian's r-cran-nlme, r-cran-emmeans, r-cran-lmertest, r-cran-pbkrtest).
rscript="${TRIALDESK_TEST_RSCRIPT:-/usr/bin/Rscript}"
[ -x "$rscript" ] || as_root_apt r-base-core
"$rscript" -e 'library(nlme); library(emmeans); library(lmerTest); library(pbkrtest)' >/dev/null 2>&1 \
  || as_root_apt r-cran-nlme r-cran-emmeans r-cran-lmertest r-cran-pbkrtest
export TRIALDESK_TEST_RSCRIPT="$rscript"

# pdftotext (Debian's poppler-utils) reads the text back out of a participant's PDF consent copy.
command -v pdftotext >/dev/null || as_root_apt poppler-utils

# PostgreSQL pass: a primary and a streaming replica of our own, on other ports, for the read
# replica tests (tests/api/replica.rs). The machine's own server refuses replication connections,
# so a new cluster is made with initdb (as the postgres user: PostgreSQL refuses to run as root),
# copied with `pg_basebackup -R`, and both are stopped and removed when the tests end.
replication_dir=""
stop_replication() {
  [ -n "$replication_dir" ] || return 0
  for node in replica primary; do
    [ -f "$replication_dir/$node/postmaster.pid" ] && as_pg "$pgbin/pg_ctl" -D "$replication_dir/$node" -m immediate -w stop >/dev/null 2>&1 || true
  done
  rm -rf "$replication_dir"
}
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
free_port() {
  local port
  for port in $(seq "$1" $(( $1 + 200 ))); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
  echo "error: no free port from $1" >&2; exit 1
}
start_replication() {
  pgbin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  if [ ! -x "$pgbin/initdb" ] || [ ! -x "$pgbin/pg_basebackup" ]; then
    echo "error: the replica tests need PostgreSQL's server programs (initdb, pg_ctl, pg_basebackup) under /usr/lib/postgresql" >&2
    exit 1
  fi
  replication_dir="$(mktemp -d /tmp/trialdesk-replication.XXXXXX)"
  chmod 755 "$replication_dir"
  [ "$(id -u)" = 0 ] && chown postgres "$replication_dir"
  local primary_port replica_port options
  primary_port="$(free_port 55432)"
  as_pg "$pgbin/initdb" -D "$replication_dir/primary" -U postgres -A trust --no-sync >"$replication_dir/initdb.log" 2>&1 \
    || { cat "$replication_dir/initdb.log" >&2; exit 1; }
  echo "host replication postgres 127.0.0.1/32 trust" >> "$replication_dir/primary/pg_hba.conf"
  options="-c listen_addresses=127.0.0.1 -c unix_socket_directories=$replication_dir -c wal_level=replica -c max_wal_senders=4 -c hot_standby=on -c fsync=off -c synchronous_commit=off"
  as_pg "$pgbin/pg_ctl" -D "$replication_dir/primary" -o "-p $primary_port $options" -l "$replication_dir/primary.log" -w start >/dev/null
  as_pg "$pgbin/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U postgres -D "$replication_dir/replica" -R -X stream
  replica_port="$(free_port $(( primary_port + 1 )))"
  as_pg "$pgbin/pg_ctl" -D "$replication_dir/replica" -o "-p $replica_port $options" -l "$replication_dir/replica.log" -w start >/dev/null
  export TRIALDESK_TEST_PRIMARY_URL="postgres://postgres@127.0.0.1:$primary_port/postgres?sslmode=disable"
  export TRIALDESK_TEST_REPLICA_URL="postgres://postgres@127.0.0.1:$replica_port/postgres?sslmode=disable"
  echo "== PostgreSQL primary on port $primary_port, streaming replica on port $replica_port (for tests/api/replica.rs)"
}

log="$(mktemp)"
trap 'rm -f "$log"; stop_replication' EXIT
[ "$backend" = postgres ] && start_replication
echo "== Rust test suite on $label"
cargo test --workspace --color never 2>&1 | tee "$log"
passed=$(awk '/^test result:/ {for (i = 1; i <= NF; i++) if ($(i+1) ~ /^passed/) s += $i} END {print s + 0}' "$log")
# The integration tests (tests/api) are the ones that run against the database backend.
db_passed=$(awk '/Running tests\/api\/main.rs/ {f = 1} f && /^test result:/ {for (i = 1; i <= NF; i++) if ($(i+1) ~ /^passed/) print $i; exit}' "$log")

echo "== OpenAPI document check (openapi-spec-validator)"
spec="$(mktemp --suffix=.json)"
# The binary the tests just built: `cargo run` would build it again in another profile.
"${CARGO_TARGET_DIR:-target}/debug/trialdesk" openapi > "$spec"
"$venv/bin/openapi-spec-validator" "$spec"
rm -f "$spec"

echo "$label: ${db_passed:-0} database tests passed (tests/api; $passed tests in all)"
