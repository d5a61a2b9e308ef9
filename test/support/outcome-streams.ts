// Synthetic classifier streams with ground truth, for engine tests of the outcomes path (issue 11): prediction
// events and, a label delay later, their outcome events, merged in event-time order, and a runner that feeds
// them to the engine (applyPrediction / applyOutcome) as the shell does.
//
// Input x0 is a mixture: with share `lowConfidenceShare(i)` it comes from the decision boundary N(0, 0.5),
// otherwise from ±N(2.5, 0.7); score = σ(1.6·x0), predictedClass = score > 0.5, confidence = max(s, 1 − s).
// Labels: by default calibrated — P(actual = pos | x0) = score, so P(correct | confidence) = confidence and
// moving inputs (covariate shift) changes accuracy through confidence alone. `accuracy(i)` instead makes each
// prediction correct with that probability whatever its input (concept drift when it changes).
import type { OutcomeEvent, PredictionEvent } from "../../src/events/types.ts";
import type { ResolvedConfig } from "../../src/config/load.ts";
import { engineContextFrom } from "../../src/config/engine-context.ts";
import {
  applyPrediction,
  createPartitionState,
  flushOpenWindows,
  type EngineOutput,
  type PartitionState,
} from "../../src/detect/engine.ts";
import { applyOutcome, flushPerformance, type OutcomeResult } from "../../src/detect/outcome-engine.ts";
import { seededRandom } from "./random.ts";

export interface ClassifierStreamOptions {
  seed: number;
  count: number;
  modelId?: string;
  modelVersion?: string;
  startTime?: number;
  stepMs?: number;
  /** outcome time − prediction time */
  labelDelayMs?: number;
  lowConfidenceShare?: (index: number) => number;
  /** P(correct) of prediction i regardless of its input (given its attributes); absent: calibrated labels */
  accuracy?: (index: number, attributes: Record<string, string> | undefined) => number;
  /** the prediction's `attributes` (segments), by index */
  attributes?: (index: number) => Record<string, string>;
}

export type StreamInput = { kind: "prediction"; event: PredictionEvent; correct: boolean } | { kind: "outcome"; event: OutcomeEvent };

export function classifierStream(opts: ClassifierStreamOptions): StreamInput[] {
  const r = seededRandom(opts.seed);
  const start = opts.startTime ?? 1_763_769_600_000;
  const step = opts.stepMs ?? 100;
  const delay = opts.labelDelayMs ?? 600_000;
  const predictions: StreamInput[] = [];
  const outcomes: StreamInput[] = [];
  for (let i = 0; i < opts.count; i++) {
    const low = r.uniform() < (opts.lowConfidenceShare?.(i) ?? 0);
    const x0 = low ? r.normal(0, 0.5) : (r.uniform() < 0.5 ? -1 : 1) * r.normal(2.5, 0.7);
    const score = 1 / (1 + Math.exp(-1.6 * x0));
    const predictedClass = score > 0.5 ? "pos" : "neg";
    const confidence = Math.max(score, 1 - score);
    const u = r.uniform();
    const attributes = opts.attributes?.(i);
    let actualClass: string;
    let correct: boolean;
    if (opts.accuracy === undefined) {
      actualClass = u < score ? "pos" : "neg";
      correct = actualClass === predictedClass;
    } else {
      correct = u < opts.accuracy(i, attributes);
      actualClass = correct ? predictedClass : predictedClass === "pos" ? "neg" : "pos";
    }
    const eventId = `c-${opts.seed}-${i}`;
    const modelId = opts.modelId ?? "clf";
    const timestamp = start + i * step;
    predictions.push({
      kind: "prediction",
      correct,
      event: {
        eventId,
        modelId,
        modelVersion: opts.modelVersion ?? "v1",
        timestamp,
        prediction: score,
        predictedClass,
        confidence,
        latencyMs: Math.exp(r.normal(2.5, 0.4)),
        features: { x0, x1: r.normal(50, 10) },
        ...(attributes === undefined ? {} : { attributes }),
      },
    });
    outcomes.push({ kind: "outcome", event: { eventId, modelId, timestamp: timestamp + delay, actualClass } });
  }
  // merge by event time; at equal times the prediction first
  const merged: StreamInput[] = [];
  let o = 0;
  for (const p of predictions) {
    while (o < outcomes.length && outcomes[o].event.timestamp < p.event.timestamp) merged.push(outcomes[o++]);
    merged.push(p);
  }
  while (o < outcomes.length) merged.push(outcomes[o++]);
  return merged;
}

/** Wall clock handed to the engine: later than any event of these streams. */
export const OUTCOME_STREAM_WALL_CLOCK_MS = Date.UTC(2100, 0, 1);

export interface OutcomeRun {
  state: PartitionState;
  outputs: EngineOutput[];
  outcomeResults: OutcomeResult[];
}

/** Feed a merged stream to one partition's engine with outcomes on, then flush (as replay does at its end). */
export function runWithOutcomes(inputs: readonly StreamInput[], config: ResolvedConfig): OutcomeRun {
  const state = createPartitionState(0);
  const ctx = { ...engineContextFrom(config, () => 0), outcomes: true };
  const outputs: EngineOutput[] = [];
  const outcomeResults: OutcomeResult[] = [];
  let predictionOffset = 0;
  let outcomeOffset = 0;
  for (const input of inputs) {
    if (input.kind === "prediction") {
      outputs.push(...applyPrediction(state, input.event, String(predictionOffset++), ctx, OUTCOME_STREAM_WALL_CLOCK_MS).outputs);
    } else {
      const result = applyOutcome(state, input.event, String(outcomeOffset++), ctx, OUTCOME_STREAM_WALL_CLOCK_MS);
      outcomeResults.push(result);
      outputs.push(...result.outputs);
    }
  }
  outputs.push(...flushOpenWindows(state, ctx), ...flushPerformance(state, ctx));
  return { state, outputs, outcomeResults };
}
