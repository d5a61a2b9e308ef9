// The statistics of a window close against a pinned reference, on the demo stream's numeric signals
// (1 000-event windows, the first 5 of each model merged into the reference): with the reference's CDF
// models kept across closes (cdfModelMemo with lastingCdfModelOf, what the engine does) against rebuilding
// them at every close (a plain cdfModelMemo, what it did before), interleaved in the same run.
// Run: npx tsx test/bench/window-close.bench.ts   — prints one JSON object per line.
import { readFileSync } from "node:fs";
import { addNumeric, createNumericSketch, mergeNumericSketches, type NumericSketch } from "../../src/sketch/numeric-sketch.ts";
import { compactTDigest, flushTDigest, type TDigest } from "../../src/sketch/tdigest.ts";
import { cdfModelMemo } from "../../src/sketch/cdf-model.ts";
import { numericStatistics } from "../../src/stats/numeric.ts";

const WINDOW = 1000;
const WARMUP = 5;
const RUNS = Number(process.env.BENCH_RUNS ?? 30);

/** per model, per window, per numeric signal: the values in arrival order */
const byModel = new Map<string, Map<string, number[]>[]>();
const seen = new Map<string, number>();
for (const line of readFileSync("test/fixtures/demo/predictions.jsonl", "utf8").split("\n")) {
  if (line.trim() === "") continue;
  const e = JSON.parse(line) as { modelId: string; prediction?: number; confidence?: number; latencyMs?: number; features?: object };
  const n = seen.get(e.modelId) ?? 0;
  seen.set(e.modelId, n + 1);
  const windows = byModel.get(e.modelId) ?? [];
  byModel.set(e.modelId, windows);
  const w = (windows[Math.floor(n / WINDOW)] ??= new Map());
  const put = (signal: string, v: unknown) => {
    if (typeof v === "number") w.set(signal, [...(w.get(signal) ?? []), v]);
  };
  put("prediction", e.prediction);
  put("confidence", e.confidence);
  put("latency", e.latencyMs);
  for (const [k, v] of Object.entries(e.features ?? {})) put(`feature:${k}`, v);
}

function sketchOf(values: readonly number[]): NumericSketch {
  const s = createNumericSketch();
  for (const v of values) addNumeric(s, v);
  return s;
}

interface ModelCase {
  reference: Map<string, NumericSketch>;
  windows: Map<string, number[]>[];
}
const cases: ModelCase[] = [...byModel.values()].map((windows) => {
  const warmup = windows.slice(0, WARMUP).map((w) => new Map([...w].map(([k, v]) => [k, sketchOf(v)])));
  for (const w of warmup) for (const s of w.values()) compactTDigest(s.digest);
  const reference = new Map([...warmup[0].keys()].map((k) => [k, mergeNumericSketches(warmup.map((w) => w.get(k)!))]));
  return { reference, windows: windows.slice(WARMUP) };
});

/** ms to evaluate every later window's numeric signals against the reference (sketches built beforehand). */
function pass(keep: boolean): { ms: number; check: number } {
  const windows = cases.map((c) =>
    c.windows.map((w) => {
      const m = new Map([...w].map(([k, v]) => [k, sketchOf(v)]));
      for (const s of m.values()) flushTDigest(s.digest); // the window's sort is the same either way
      return m;
    }),
  );
  let check = 0;
  const t0 = process.hrtime.bigint();
  cases.forEach((c, i) => {
    const referenceDigests = new Set<TDigest>([...c.reference.values()].map((s) => s.digest));
    for (const w of windows[i]) {
      const models = keep ? cdfModelMemo(referenceDigests) : cdfModelMemo();
      for (const [signal, cur] of w) {
        const ref = c.reference.get(signal);
        if (ref !== undefined) check += numericStatistics(ref, cur, models).ks;
      }
    }
  });
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, check };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const kept: number[] = [];
const rebuilt: number[] = [];
pass(true);
pass(false);
for (let r = 0; r < RUNS; r++) {
  const [a, b] = r % 2 === 0 ? [pass(true), pass(false)] : [pass(false), pass(true)].reverse();
  if (a.check !== b.check) throw new Error("kept and rebuilt reference models gave different statistics");
  kept.push(a.ms);
  rebuilt.push(b.ms);
}
const windows = cases.reduce((n, c) => n + c.windows.length, 0);
console.log(
  JSON.stringify({
    bench: "window close: statistics against a pinned reference",
    windows,
    signals: cases.reduce((n, c) => n + c.reference.size, 0),
    msPerWindowKept: Number((median(kept) / windows).toFixed(3)),
    msPerWindowRebuilt: Number((median(rebuilt) / windows).toFixed(3)),
    ratio: Number((median(kept) / median(rebuilt)).toFixed(2)),
    runs: RUNS,
  }),
);
