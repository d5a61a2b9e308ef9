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
# from them (test/bench/report.ts), so documented numbers are never copied by hand. With files given
# (`npm run bench:docs -- test/bench/replay.bench.ts`) only those benchmarks' lines are replaced; the
# others stay from their last run, and benchmarks.md says which were rerun.
docs=0
if [ "${1:-}" = "--docs" ]; then docs=1; shift; fi
benches=("$@")
partial=1
[ "${#benches[@]}" -gt 0 ] || { benches=(test/bench/*.bench.ts); partial=0; }
results="$(mktemp)"
trap 'rm -f "$results"' EXIT
for bench in "${benches[@]}"; do
  echo "[bench] $bench (load average: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  npx tsx "$bench" | tee -a "$results"
done
if [ "$docs" -eq 1 ]; then
  if [ "$partial" -eq 1 ] && [ -f deploy/docs/benchmarks.jsonl ]; then
    # the previous lines of every benchmark that did not run now, then this run's
    merged="$(mktemp)"
    node -e '
      const fs = require("node:fs");
      const bench = (l) => { try { return JSON.parse(l).bench; } catch { return undefined; } };
      const fresh = fs.readFileSync(process.argv[2], "utf8").split("\n").filter((l) => l.trim() !== "");
      const rerun = new Set(fresh.map(bench));
      const kept = fs.readFileSync(process.argv[1], "utf8").split("\n").filter((l) => l.trim() !== "" && !rerun.has(bench(l)));
      fs.writeFileSync(process.argv[3], [...kept, ...fresh].join("\n") + "\n");
      console.log([...rerun].join(", "));
    ' deploy/docs/benchmarks.jsonl "$results" "$merged" >"$results.rerun"
    BENCH_RERUN="$(cat "$results.rerun")" && rm -f "$results.rerun"
    mv "$merged" deploy/docs/benchmarks.jsonl
    BENCH_RERUN="$BENCH_RERUN" npx tsx test/bench/report.ts deploy/docs/benchmarks.jsonl deploy/docs/benchmarks.md
  else
    cp "$results" deploy/docs/benchmarks.jsonl
    npx tsx test/bench/report.ts deploy/docs/benchmarks.jsonl deploy/docs/benchmarks.md
  fi
fi
