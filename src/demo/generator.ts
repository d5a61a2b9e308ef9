// Demo prediction stream: realistic, seeded PredictionEvents for the three demo models (models.ts), with
// optional drift injected from a given per-model event index on. Pure: event i depends only on
// (options, i), so a stream can be generated in pieces, from the middle, or forever.
import type { FeatureValue, PredictionEvent } from "../events/types.ts";
import { DEMO_MODELS, type DemoModelSpec, type FeatureSpec, type FeatureValues, type ModelOutput } from "./models.ts";
import { createRng, hashInts, poisson, standardNormal, weightedIndex, type Rng } from "./random.ts";
import { DetectorError } from "../errors/detector-error.ts";

/** From per-model event `fromIndex` on (until `untilIndex`, exclusive, when given), a numeric feature moves by `shiftSigma` standard deviations
 * (normal: in value space; lognormal: in log space, so ×exp(shiftSigma·σ); poisson: mean + shiftSigma·√mean). */
export interface FeatureShiftDrift {
  kind: "feature-shift";
  modelId: string;
  feature: string;
  fromIndex: number;
  untilIndex?: number;
  shiftSigma: number;
}

/** From per-model event `fromIndex` on (until `untilIndex`, exclusive, when given), a share `share` of the events that are not already `category`
 * become `category`: for the predicted class (no `feature`) or for a categorical feature. */
export interface ClassShareDrift {
  kind: "class-share";
  modelId: string;
  feature?: string;
  category: string;
  fromIndex: number;
  untilIndex?: number;
  share: number;
}

export type DemoDrift = FeatureShiftDrift | ClassShareDrift;

export interface DemoStreamOptions {
  seed: number;
  /** event time of event 0, epoch millis */
  startTime: number;
  /** event-time rate of the whole stream (all models together) */
  eventsPerSecond: number;
  /** the models, interleaved round-robin: event i belongs to models[i % models.length] */
  models?: readonly DemoModelSpec[];
  /** probability that a feature value is logged as null */
  missingRate?: number;
  drifts?: readonly DemoDrift[];
}

export class DemoConfigError extends DetectorError<{ modelId?: string; feature?: string }> {
  constructor(message: string, context: { modelId?: string; feature?: string }) {
    super(message, context);
  }
}

export const DEFAULT_MISSING_RATE = 0.01;
/** 2026-01-01T00:00:00Z: event time of the bundled demo file */
export const DEMO_START_TIME = Date.UTC(2026, 0, 1);

/** The README's default drift: fraud-scorer's `amount` moves +0.5σ in log space (amounts ×1.6). */
export function defaultFeatureDrift(fromIndex: number, shiftSigma = 0.5): FeatureShiftDrift {
  return { kind: "feature-shift", modelId: "fraud-scorer", feature: "amount", fromIndex, shiftSigma };
}

/** Checks drifts name existing models/features of a kind they apply to; throws DemoConfigError. */
export function validateDrifts(drifts: readonly DemoDrift[], models: readonly DemoModelSpec[] = DEMO_MODELS): void {
  for (const d of drifts) {
    const model = models.find((m) => m.modelId === d.modelId);
    if (!model)
      throw new DemoConfigError(`drift names unknown model "${d.modelId}" (known: ${models.map((m) => m.modelId).join(", ")})`, {
        modelId: d.modelId,
      });
    if (!Number.isInteger(d.fromIndex) || d.fromIndex < 0)
      throw new DemoConfigError(`drift fromIndex must be a non-negative integer, got ${d.fromIndex}`, { modelId: d.modelId });
    if (d.untilIndex !== undefined && !(Number.isInteger(d.untilIndex) && d.untilIndex > d.fromIndex))
      throw new DemoConfigError(`drift untilIndex must be an integer > fromIndex (${d.fromIndex}), got ${d.untilIndex}`, {
        modelId: d.modelId,
      });
    if (d.kind === "feature-shift") {
      const f = model.features.find((s) => s.name === d.feature);
      if (!f) throw new DemoConfigError(`model ${d.modelId} has no feature "${d.feature}"`, { modelId: d.modelId, feature: d.feature });
      if (f.kind !== "normal" && f.kind !== "lognormal" && f.kind !== "poisson")
        throw new DemoConfigError(
          `feature ${d.modelId}/${d.feature} is ${f.kind}; a σ shift needs a normal, lognormal or poisson feature`,
          { modelId: d.modelId, feature: d.feature },
        );
      if (!Number.isFinite(d.shiftSigma))
        throw new DemoConfigError(`shiftSigma must be finite`, { modelId: d.modelId, feature: d.feature });
    } else {
      if (!(d.share >= 0 && d.share <= 1))
        throw new DemoConfigError(`class-share drift share must be in [0, 1], got ${d.share}`, { modelId: d.modelId });
      if (d.feature === undefined) {
        if (model.kind !== "classifier" || !model.classes?.includes(d.category))
          throw new DemoConfigError(`model ${d.modelId} has no class "${d.category}"`, { modelId: d.modelId });
      } else {
        const f = model.features.find((s) => s.name === d.feature);
        if (!f || f.kind !== "categorical" || !f.values.includes(d.category))
          throw new DemoConfigError(`model ${d.modelId} has no categorical feature "${d.feature}" with category "${d.category}"`, {
            modelId: d.modelId,
            feature: d.feature,
          });
      }
    }
  }
}

function roundTo(x: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
}

function clamp(x: number, min = -Infinity, max = Infinity): number {
  return Math.min(max, Math.max(min, x));
}

function drawFeature(spec: FeatureSpec, rng: Rng, shiftSigma: number): number | string | boolean {
  switch (spec.kind) {
    case "normal":
      return roundTo(clamp(spec.mean + spec.sd * (standardNormal(rng) + shiftSigma), spec.min, spec.max), spec.decimals);
    case "lognormal":
      return roundTo(Math.exp(spec.mu + spec.sigma * (standardNormal(rng) + shiftSigma)), spec.decimals);
    case "poisson":
      return (spec.offset ?? 0) + poisson(rng, Math.max(0, spec.mean + shiftSigma * Math.sqrt(spec.mean)));
    case "weighted-int":
      return spec.from + weightedIndex(rng, spec.weights);
    case "categorical":
      return spec.values[weightedIndex(rng, spec.weights)];
    case "boolean":
      return rng.next() < spec.pTrue;
  }
}

/** A binary classifier's output after its predicted class was switched to `category`. */
function switchClass(out: ModelOutput, model: DemoModelSpec, category: string): ModelOutput {
  if (out.predictedClass === category || !model.classes) return out;
  const p = Math.round((1 - out.prediction) * 10_000) / 10_000; // P(positive) mirrors when the decision flips
  return { prediction: p, predictedClass: category, confidence: Math.max(p, 1 - p) };
}

/** Short, stable, unique event id: 16 hex chars from (seed, index), then the index in base 36. */
function eventIdFor(seed: number, index: number): string {
  const a = hashInts(seed, index, 1).toString(16).padStart(8, "0");
  const b = hashInts(seed, index, 2).toString(16).padStart(8, "0");
  return `${a}${b}-${index.toString(36)}`;
}

/** Event `index` of the stream (0-based, across all models). */
export function demoEvent(index: number, options: DemoStreamOptions): PredictionEvent {
  const models = options.models ?? DEMO_MODELS;
  const model = models[index % models.length];
  const modelIndex = Math.floor(index / models.length);
  const missingRate = options.missingRate ?? DEFAULT_MISSING_RATE;
  const active = (options.drifts ?? []).filter(
    (d) => d.modelId === model.modelId && modelIndex >= d.fromIndex && (d.untilIndex === undefined || modelIndex < d.untilIndex),
  );
  const rng = createRng(hashInts(options.seed, index));
  // Class-share drifts draw from their own generator: with or without them, every other value is the same.
  const driftRng = createRng(hashInts(options.seed, index, 3));

  const values: FeatureValues = {};
  for (const spec of model.features) {
    let shift = 0;
    for (const d of active) if (d.kind === "feature-shift" && d.feature === spec.name) shift += d.shiftSigma;
    let value = drawFeature(spec, rng, shift);
    for (const d of active) if (d.kind === "class-share" && d.feature === spec.name && driftRng.next() < d.share) value = d.category;
    values[spec.name] = value;
  }

  let output = model.score(values, rng);
  for (const d of active) {
    if (d.kind === "class-share" && d.feature === undefined && driftRng.next() < d.share) output = switchClass(output, model, d.category);
  }

  // Missing values are a logging problem: the model saw the value, the event carries null.
  const features: Record<string, FeatureValue> = {};
  for (const spec of model.features) features[spec.name] = rng.next() < missingRate ? null : values[spec.name];

  const attributes: Record<string, string> = {};
  for (const [name, a] of Object.entries(model.attributes)) attributes[name] = a.values[weightedIndex(rng, a.weights)];

  const event: PredictionEvent = {
    eventId: eventIdFor(options.seed, index),
    modelId: model.modelId,
    modelVersion: model.modelVersion,
    timestamp: options.startTime + Math.floor((index * 1000) / options.eventsPerSecond),
    prediction: roundTo(output.prediction, model.kind === "regressor" ? 2 : 4),
  };
  if (output.predictedClass !== undefined) event.predictedClass = output.predictedClass;
  if (output.confidence !== undefined) event.confidence = roundTo(output.confidence, 4);
  event.latencyMs = roundTo(Math.exp(Math.log(model.latency.medianMs) + model.latency.sigma * standardNormal(rng)), 2);
  event.features = features;
  event.attributes = attributes;
  return event;
}

/** Events [from, from + count) of the stream. */
export function* demoEvents(options: DemoStreamOptions, count: number, from = 0): Generator<PredictionEvent> {
  validateDrifts(options.drifts ?? [], options.models ?? DEMO_MODELS);
  for (let i = from; i < from + count; i++) yield demoEvent(i, options);
}
