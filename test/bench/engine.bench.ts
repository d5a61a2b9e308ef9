// Engine throughput (issue 3): pre-parsed events with 3 core signals + 10 numeric features, on one core,
// against baselines measured in the same run (a loop that only touches each event; JSON.parse alone).
// Run: npx tsx test/bench/engine.bench.ts   — prints one JSON object per line.
import { resolveConfig } from "../../src/config/load.ts";
import { engineContextFrom } from "../../src/config/engine-context.ts";
import { applyPrediction, createPartitionState } from "../../src/detect/engine.ts";
import { decodePredictionMessage } from "../../src/events/codec.ts";
import type { PredictionEvent } from "../../src/events/types.ts";
import { STREAM_WALL_CLOCK_MS } from "../support/engine-streams.ts";
import { seededRandom } from "../support/random.ts";

const N = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const r = seededRandom(7);
const events: PredictionEvent[] = [];
for (let i = 0; i < N; i++) {
  const features: Record<string, number> = {};
  for (let f = 0; f < 10; f++) features[`f${f}`] = r.normal(f, 1 + f / 10);
  events.push({
    eventId: `e${i}`,
    modelId: `model-${i % 3}`,
    modelVersion: "v1",
    timestamp: 1_763_769_600_000 + i * 10,
    prediction: r.uniform(),
    confidence: Math.round(r.uniform() * 100) / 100,
    latencyMs: Math.exp(r.normal(2.5, 0.4)),
    features,
  });
}
const encoder = new TextEncoder();
const lines = events.slice(0, Math.min(N, 300_000)).map((e) => encoder.encode(JSON.stringify(e)));

function report(bench: string, count: number, ns: bigint, extra: Record<string, unknown> = {}) {
  const seconds = Number(ns) / 1e9;
  console.log(
    JSON.stringify({
      bench,
      events: count,
      seconds: +seconds.toFixed(3),
      eventsPerSec: Math.round(count / seconds),
      nsPerEvent: +((seconds * 1e9) / count).toFixed(1),
      ...extra,
    }),
  );
}

function time(fn: () => void): bigint {
  const t0 = process.hrtime.bigint();
  fn();
  return process.hrtime.bigint() - t0;
}

// baseline 1: touching every event (the floor any per-event work sits on)
let sink = 0;
report(
  "baseline: loop over pre-parsed events",
  N,
  time(() => {
    for (const e of events) sink += e.timestamp & 1;
  }),
);

// baseline 2: JSON.parse of the same events
report(
  "baseline: JSON.parse",
  lines.length,
  time(() => {
    const dec = new TextDecoder();
    for (const b of lines) sink += (JSON.parse(dec.decode(b)) as PredictionEvent).timestamp & 1;
  }),
);

const config = resolveConfig({});
for (let round = 0; round < 2; round++) {
  const state = createPartitionState(0);
  const ctx = engineContextFrom(config, () => 0);
  let outputs = 0;
  const ns = time(() => {
    for (let i = 0; i < events.length; i++)
      outputs += applyPrediction(state, events[i], String(i), ctx, STREAM_WALL_CLOCK_MS).outputs.length;
  });
  report(`engine: pre-parsed events, 13 signals${round === 0 ? " (warm-up round)" : ""}`, N, ns, {
    windowsClosed: state.counters.windowsClosed,
    outputs,
  });
}

// segments (README "Segments"): one attribute key with 4 values, so every event also feeds the mix and
// one segment's 13 signals; the same events as above with an attribute added, against the round above
{
  const regions = ["eu", "us", "latam", "apac"];
  const segmented = events.map((e, i) => ({ ...e, attributes: { region: regions[i % 4] } }));
  const segmentConfig = resolveConfig({ defaults: { segments: { keys: ["region"] } } });
  const state = createPartitionState(0);
  const ctx = engineContextFrom(segmentConfig, () => 0);
  const ns = time(() => {
    for (let i = 0; i < segmented.length; i++) applyPrediction(state, segmented[i], String(i), ctx, STREAM_WALL_CLOCK_MS);
  });
  report("engine: pre-parsed events, 13 signals + segments (1 key, 4 segments)", N, ns, { windowsClosed: state.counters.windowsClosed });
}

{
  const state = createPartitionState(0);
  const ctx = engineContextFrom(config, () => 0);
  const decodeContext = { schemaForId: () => undefined, maxMessageBytes: 1 << 20 };
  let rejected = 0;
  const ns = time(() => {
    for (let i = 0; i < lines.length; i++) {
      const d = decodePredictionMessage(lines[i], decodeContext);
      if (d.ok) applyPrediction(state, d.event, String(i), ctx, STREAM_WALL_CLOCK_MS);
      else rejected++;
    }
  });
  report("engine: JSON decode + validate + engine", lines.length, ns, { rejected });
}
if (sink === -1) console.log(sink);
