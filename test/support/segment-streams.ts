// Segments streams (issue 11): three regions whose features differ, with a mix that may change by window
// (a burst: one region scored far more often) and an optional shift of one feature within one region.
import type { PredictionEvent } from "../../src/events/types.ts";
import { seededRandom } from "./random.ts";

export type Region = "eu" | "us" | "latam";
export const SEGMENT_STREAM_START = 1_763_769_600_000;
/** reference shares: eu 60 %, us 30 %, latam 10 % */
export const NORMAL_MIX: Record<Region, number> = { eu: 0.6, us: 0.3, latam: 0.1 };
/** the burst: latam from 10 % to 60 %, the others in their old proportion */
export const BURST_MIX: Record<Region, number> = { eu: (0.6 * 0.4) / 0.9, us: (0.3 * 0.4) / 0.9, latam: 0.6 };
// per region: mean of "amount" (σ 1), share of channel "web", mean of the score's logit
const AMOUNT_MEAN: Record<Region, number> = { eu: 0, us: 1, latam: 3 };
const WEB_SHARE: Record<Region, number> = { eu: 0.7, us: 0.5, latam: 0.2 };
const SCORE_MEAN: Record<Region, number> = { eu: -1, us: 0, latam: 1 };

export interface RegionStreamSpec {
  seed: number;
  windows: number;
  /** events per window of the stream (the config's window.maxEvents) */
  perWindow?: number;
  modelId?: string;
  mix: (window: number) => Record<Region, number>;
  /** shift of "amount" in σ for one region, by window */
  shift?: (window: number, region: Region) => number;
}

export function* regionStream(spec: RegionStreamSpec): Generator<PredictionEvent> {
  const r = seededRandom(spec.seed);
  const perWindow = spec.perWindow ?? 1000;
  for (let i = 0; i < spec.windows * perWindow; i++) {
    const w = Math.floor(i / perWindow);
    const mix = spec.mix(w);
    const u = r.uniform();
    const region: Region = u < mix.eu ? "eu" : u < mix.eu + mix.us ? "us" : "latam";
    const score = 1 / (1 + Math.exp(-r.normal(SCORE_MEAN[region], 1)));
    yield {
      eventId: `e-${spec.seed}-${i}`,
      modelId: spec.modelId ?? "m",
      modelVersion: "v1",
      timestamp: SEGMENT_STREAM_START + i * 100,
      prediction: score,
      confidence: Math.max(score, 1 - score),
      latencyMs: Math.exp(r.normal(2.5, 0.4)),
      features: {
        amount: r.normal(AMOUNT_MEAN[region] + (spec.shift?.(w, region) ?? 0), 1),
        age: r.normal(40, 10),
        channel: r.uniform() < WEB_SHARE[region] ? "web" : "app",
      },
      attributes: { region, tenant: `t${r.int(3)}` },
    };
  }
}

/** 5 warmup windows, 10 ordinary, 5 of burst (windows 15..19), then ordinary again */
export const burstMix = (w: number): Record<Region, number> => (w >= 15 && w < 20 ? BURST_MIX : NORMAL_MIX);
