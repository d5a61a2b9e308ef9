#!/usr/bin/env bash
# `npm run bench [-- --docs] [files]`: every benchmark in test/bench/ (or the files given), one JSON object per result line on stdout (progress on
# stderr). Each benchmark measures its own baseline in the same run. Benchmarks that need Redis use
# REDIS_URL when set, otherwise start a throwaway redis-server themselves.
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO_ROOT"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund >&2
fi
# --docs: also keep the JSON lines in deploy/docs/benchmarks.jsonl and regenerate deploy/docs/benchmarks.md
# from them (test/bench/report.ts), so documented numbers are never copied by hand.
docs=0
if [ "${1:-}" = "--docs" ]; then docs=1; shift; fi
benches=("$@")
[ "${#benches[@]}" -gt 0 ] || benches=(test/bench/*.bench.ts)
results="$(mktemp)"
trap 'rm -f "$results"' EXIT
for bench in "${benches[@]}"; do
  echo "[bench] $bench (load average: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  npx tsx "$bench" | tee -a "$results"
done
if [ "$docs" -eq 1 ]; then
  cp "$results" deploy/docs/benchmarks.jsonl
  npx tsx test/bench/report.ts deploy/docs/benchmarks.jsonl deploy/docs/benchmarks.md
fi
