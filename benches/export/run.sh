#!/usr/bin/env bash
# Export benchmark: time and peak memory of `trialdesk export` over a large finished trial.
#
#   bash benches/export/run.sh target/release/trialdesk [PARTICIPANTS]
#
# 83,334 participants give 1,000,008 long rows (4 time points x 3 instruments).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="${1:?path to the trialdesk binary}"
n="${2:-83334}"
dir="${BENCH_DIR:-/tmp/trialdesk-bench/export}"
rm -rf "$dir" && mkdir -p "$dir/out"
db="$dir/trialdesk.db"
[ -x /usr/bin/time ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null; }
"$bin" --database-url "$db" migrate >/dev/null
python3 "$here/make_db.py" "$db" "$n"
/usr/bin/time -v -o "$dir/time.txt" "$bin" --database-url "$db" export --out "$dir/out" >/dev/null
wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$dir/time.txt")
rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$dir/time.txt")
rows=$(($(wc -l < "$dir/out/long.csv") - 1))
echo "| $rows long rows | all six files | wall $wall | peak RSS $rss MB | long.csv $(du -h "$dir/out/long.csv" | cut -f1), long.parquet $(du -h "$dir/out/long.parquet" | cut -f1) |"
