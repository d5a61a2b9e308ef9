#!/usr/bin/env bash
# `npm run bench`: every benchmark in test/bench/, one JSON object per result line on stdout (progress on
# stderr). Each benchmark measures its own baseline in the same run. Benchmarks that need Redis use
# REDIS_URL when set, otherwise start a throwaway redis-server themselves.
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO_ROOT"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund >&2
fi
for bench in test/bench/*.bench.ts; do
  echo "[bench] $bench (load average: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  npx tsx "$bench"
done
