#!/usr/bin/env bash
# Export benchmark: time and peak memory of `trialdesk export` over a large finished trial, on
# SQLite and (copied there with `trialdesk copy`, itself timed) on PostgreSQL.
#
#   bash benches/export/run.sh target/release/trialdesk [PARTICIPANTS]
#
# 83,334 participants give 1,000,008 long rows (4 time points x 3 instruments). BENCH_POSTGRES
# (default postgres://postgres@127.0.0.1:5432) names the PostgreSQL server; BENCH_POSTGRES=none
# skips it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="${1:?path to the trialdesk binary}"
n="${2:-83334}"
dir="${BENCH_DIR:-/tmp/trialdesk-bench/export}"
pg="${BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}"
rm -rf "$dir" && mkdir -p "$dir"
db="$dir/trialdesk.db"
[ -x /usr/bin/time ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null; }
"$bin" --database-url "$db" migrate >/dev/null
python3 "$here/make_db.py" "$db" "$n"

# One line per run: wall time and peak memory of a command, from GNU time.
measure() {
  local label="$1"; shift
  /usr/bin/time -v -o "$dir/time.txt" "$@" >/dev/null
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$dir/time.txt")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$dir/time.txt")
  echo "| $label | wall $wall | peak RSS $rss MB |"
}

export_to() {
  local url="$1" out="$2"
  mkdir -p "$out"
  measure "export, all six files ($url)" "$bin" --database-url "$url" export --out "$out"
  local rows=$(($(wc -l < "$out/long.csv") - 1))
  echo "|   $rows long rows; long.csv $(du -h "$out/long.csv" | cut -f1), long.parquet $(du -h "$out/long.parquet" | cut -f1) |"
}

export_to "$db" "$dir/out-sqlite"
if [ "$pg" != none ]; then
  name="trialdesk_bench_export"
  psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name" >/dev/null
  measure "copy SQLite -> PostgreSQL ($n participants)" "$bin" copy --from "$db" --to "$pg/$name?sslmode=disable"
  export_to "$pg/$name?sslmode=disable" "$dir/out-postgres"
  cmp "$dir/out-sqlite/long.csv" "$dir/out-postgres/long.csv" && echo "|   the long files are identical |"
  psql "$pg/postgres" -qc "DROP DATABASE $name" >/dev/null
fi
