#!/usr/bin/env bash
# Report benchmark: the trial report over a finished trial (every item answered; 10,000
# participants by default, 120,000 long rows), as a statistician asks for it over the API: the
# first time after the server starts (read, described and modelled) and again while nothing
# changed (the cached report); then `trialdesk report`, which also draws and writes every chart.
#
#   bash benches/report/run.sh target/release/trialdesk [PARTICIPANTS]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="$(realpath "${1:?path to the trialdesk binary}")"
n="${2:-10000}"
dir="${BENCH_DIR:-/tmp/trialdesk-bench/report}"
port="${BENCH_PORT:-18097}"
rm -rf "$dir" && mkdir -p "$dir"
db="$dir/trialdesk.db"
"$bin" --database-url "$db" migrate >/dev/null
python3 "$here/../export/make_db.py" "$db" "$n"
once=$("$bin" --database-url "$db" user create --email bench@example.org --role statistician_unblinded --all-sites \
  | sed -n 's/^one-time password: //p')
token=$("$bin" --database-url "$db" token create --email bench@example.org --name bench | sed -n 's/^token (shown once): //p')

"$bin" --database-url "$db" serve --bind "127.0.0.1:$port" >"$dir/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
  sleep 0.1
done

# The account chooses its own password, as every new account must before reading anything.
curl -sf -o /dev/null -H "Authorization: Bearer $token" -H "Content-Type: application/json" \
  -d "{\"current_password\": \"$once\", \"new_password\": \"report bench password 2026\"}" \
  "http://127.0.0.1:$port/api/v1/auth/password"
for run in "first, built" "second, cached" "third, cached"; do
  curl -sf -o "$dir/summary.json" -w "| GET /api/v1/reports/summary ($run) | %{time_total} s |\n" \
    -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/reports/summary"
done
kill $server && wait $server 2>/dev/null || true
trap - EXIT

start=$(date +%s%N)
"$bin" --database-url "$db" report --out "$dir/report" >/dev/null
echo "| trialdesk report (with every chart) | $(( ($(date +%s%N) - start) / 1000000 )) ms |"
