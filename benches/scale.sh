#!/usr/bin/env bash
# Randomisation and survey submissions through HTTP, on SQLite and on PostgreSQL, one after the
# other in one run on one machine (the rows docs/benchmarks.md compares side by side).
#
#   bash benches/scale.sh            # 4,000 participants per run; BENCH_PARTICIPANTS to change it
#
# PostgreSQL at 127.0.0.1:5432 (BENCH_POSTGRES_URL to change it), with durable commits.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never BENCH_PARTICIPANTS="${BENCH_PARTICIPANTS:-4000}"
cargo bench --no-run --bench randomisation --bench surveys
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u +%F)"
for bench in randomisation surveys; do
  for backend in sqlite postgres; do
    BENCH_BACKEND=$backend cargo bench -q --bench "$bench" 2>/dev/null | grep '^|' | sed "s/^/$bench /"
  done
done
