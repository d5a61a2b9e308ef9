// Synthetic prediction streams for engine tests and benchmarks: 3 core signals (prediction, confidence,
// latency) + 10 features of different distributions, with optional drift in one feature or one class share.
import type { PredictionEvent } from "../../src/events/types.ts";
import { seededRandom } from "./random.ts";

export interface StreamOptions {
  seed: number;
  modelId?: string;
  modelVersion?: string;
  startTime?: number;
  /** event-time step between events */
  stepMs?: number;
  /** shift of feature "x0" (standard normal) in σ, as a function of the event index */
  shiftSigma?: (index: number) => number;
  /** share moved from class "a" to class "b" of feature "segment" (as a fraction), by event index */
  classShift?: (index: number) => number;
}

const COUNTRIES = ["NL", "DE", "FR", "US", "GB", "ES"];

export function* predictionStream(count: number, opts: StreamOptions): Generator<PredictionEvent> {
  const r = seededRandom(opts.seed);
  const start = opts.startTime ?? 1_763_769_600_000;
  const step = opts.stepMs ?? 100;
  for (let i = 0; i < count; i++) {
    const shift = opts.shiftSigma?.(i) ?? 0;
    const moved = opts.classShift?.(i) ?? 0;
    const u = r.uniform();
    // segment: a 40 %, b 30 %, c 20 %, d 10 %; `moved` of the total is taken from a and given to b
    const segment = u < 0.4 - moved ? "a" : u < 0.7 ? "b" : u < 0.9 ? "c" : "d";
    const score = 1 / (1 + Math.exp(-r.normal(0, 1.5)));
    yield {
      eventId: `e-${opts.seed}-${i}`,
      modelId: opts.modelId ?? "m",
      modelVersion: opts.modelVersion ?? "v1",
      timestamp: start + i * step,
      prediction: score,
      predictedClass: score > 0.5 ? "pos" : "neg",
      confidence: Math.round(Math.max(score, 1 - score) * 100) / 100,
      latencyMs: Math.exp(r.normal(2.5, 0.4)),
      features: {
        x0: r.normal(shift, 1),
        x1: r.normal(50, 10),
        amount: Math.exp(r.normal(4, 1)),
        u: r.uniform() * 10,
        wait: -Math.log(1 - r.uniform()) * 3,
        bimodal: r.uniform() < 0.3 ? r.normal(-2, 0.5) : r.normal(3, 1),
        visits: r.int(8),
        segment,
        country: COUNTRIES[r.int(COUNTRIES.length)],
        flag: r.uniform() < 0.2,
      },
    };
  }
}

/** Wall clock handed to the engine in tests of these streams: later than any of their events. */
export const STREAM_WALL_CLOCK_MS = Date.UTC(2100, 0, 1);
