// The `performance` signal inside the engine (issue 11): predictions wait for their outcomes, joined outcomes
// fill performance windows (outcomes/tracker.ts), and each evaluated performance window goes through the
// same incident and retrain rules as a prediction window — a performance incident of its own per model
// version, DriftEvents on its changes, and RetrainRequests with reason `performance`. Pure; the engine
// (engine.ts, outcome-engine.ts) calls it. Kept apart from engine.ts so the prediction path stays readable.
//
// Shape of the state (read by `status`): ModelState.outcomes (absent until the shell feeds outcomes) holds
// the join (pending predictions, early outcomes, counters) and per version: the open performance window,
// the performance reference and its confidence calibration, the performance hysteresis (status), the
// performance incident and the performance retrain streak. The cooldown is the model's, shared with drift.
import type { DriftEvent, Status } from "../events/types.ts";
import type { ModelSettings } from "./settings.ts";
import type { SignalEvaluation } from "./evaluate.ts";
import { STATUS_RANK } from "./evaluate.ts";
import { decideRetrain, type RetrainState } from "./retrain.ts";
import { nextIncident, type IncidentWindow } from "./incident.ts";
import { deterministicId } from "./ids.ts";
import type { NumericSketch } from "../sketch/numeric-sketch.ts";
import { estimateAccuracy } from "../outcomes/estimated-performance.ts";
import {
  createModelOutcomeState,
  trackPrediction,
  type ModelOutcomeState,
  type OutcomeLimits,
  type PerformanceWindowClosed,
  type VersionPerformanceState,
} from "../outcomes/tracker.ts";
import type { PendingPrediction } from "../outcomes/join.ts";
import type { SegmentResolver } from "../outcomes/tracker.ts";
import { isDiscoveringSegments, segmentOfValue, segmentSignal, type SegmentRegistry } from "../windows/segments.ts";
import { PERFORMANCE_SIGNAL } from "../outcomes/performance-signal.ts";
import { DriftOutput, RetrainOutput } from "./outputs.ts";

export type PerformanceOutput = PerformanceWindowClosed | DriftOutput | RetrainOutput;

/** The parts of a model (engine.ts' ModelState) the performance signal reads and writes. */
export interface PerformanceModel {
  modelId: string;
  retrain: RetrainState;
  outcomes?: ModelOutcomeState;
  /** the versions' segment registries (engine.ts VersionState), to resolve a joined prediction's segments */
  versions?: ReadonlyMap<string, { segments?: SegmentRegistry }>;
}

/**
 * A joined prediction's segment signals: per key its attribute value among the segments its version chose
 * (top k, else __other__); none while that version still discovers them or has no registry.
 */
export function segmentResolverOf(model: PerformanceModel): SegmentResolver {
  return (modelVersion, segments) => {
    const registry = model.versions?.get(modelVersion)?.segments;
    if (registry === undefined || isDiscoveringSegments(registry)) return [];
    const out: string[] = [];
    for (const [key, value] of Object.entries(segments)) {
      const segment = segmentOfValue(registry, key, value);
      if (segment !== null) out.push(segmentSignal(key, segment, PERFORMANCE_SIGNAL));
    }
    return out;
  };
}

export function outcomeLimitsOf(limits: { maxVersionsPerModel: number; maxCategories: number }): OutcomeLimits {
  return { maxVersionsPerModel: limits.maxVersionsPerModel, maxCategories: limits.maxCategories };
}

/** The model's outcome state, created on first use. */
export function outcomeStateOf(model: PerformanceModel): ModelOutcomeState {
  if (model.outcomes === undefined) model.outcomes = createModelOutcomeState(model.modelId);
  return model.outcomes;
}

/** Register an accepted prediction to wait for its outcome; outputs of performance windows it closed (an early outcome joined). */
export function trackPredictionOutcome(
  model: PerformanceModel,
  eventId: string,
  prediction: PendingPrediction,
  settings: ModelSettings,
  limits: OutcomeLimits,
  partition: number,
  emittedAt: number,
): PerformanceOutput[] {
  const closed = trackPrediction(outcomeStateOf(model), eventId, prediction, settings, limits, segmentResolverOf(model));
  return closed.length === 0 ? [] : performanceOutputs(model, closed, settings, partition, emittedAt);
}

/**
 * Outcomes flow for a model version when it has closed a performance window and joined an outcome within the
 * label delay before `at` (event time): then drift alone retrains only on `retrain.signals`.
 */
export function outcomesFlowing(model: PerformanceModel, modelVersion: string, at: number, settings: ModelSettings): boolean {
  const v = model.outcomes?.versions.get(modelVersion);
  return v !== undefined && v.windowsClosed > 0 && v.lastOutcomeTime >= at - settings.performance.labelDelayMs;
}

/** Performance status (after hysteresis) of a model version; ok when it has no performance state. */
export function performanceStatusOf(model: PerformanceModel, modelVersion: string): Status {
  return model.outcomes?.versions.get(modelVersion)?.hysteresis.status ?? "ok";
}

/** The worse of a version's drift status and its performance status: the model status the metrics export. */
export function combinedStatus(driftStatus: Status, performanceStatus: Status): Status {
  return STATUS_RANK[performanceStatus] > STATUS_RANK[driftStatus] ? performanceStatus : driftStatus;
}

/**
 * Label-free accuracy estimate of a prediction window from its confidence sketch and the version's
 * calibration (outcomes/estimated-performance.ts); undefined before the version has a performance reference.
 */
export function estimatedAccuracyOf(
  model: PerformanceModel,
  modelVersion: string,
  confidence: NumericSketch | undefined,
): number | undefined {
  const calibration = model.outcomes?.versions.get(modelVersion)?.calibration ?? null;
  if (calibration === null || confidence === undefined) return undefined;
  return estimateAccuracy(calibration, confidence) ?? undefined;
}

function incidentWindow(c: PerformanceWindowClosed): IncidentWindow {
  return { id: c.windowId, start: c.start, end: c.end, firstEventId: c.firstEventId, lastEventId: c.lastEventId };
}

function performanceDriftEvent(
  c: PerformanceWindowClosed,
  evaluation: SignalEvaluation,
  partition: number,
  incident: DriftEvent["incident"],
  emittedAt: number,
): DriftEvent {
  // the model's performance signal always (while not ok), and each segment whose own status is not ok
  const evaluations = [evaluation, ...(c.segmentEvaluations ?? []).filter((s) => s.status !== "ok")];
  const signals =
    c.status === "ok"
      ? []
      : evaluations.map((e) => ({
          signal: e.signal,
          kind: e.kind,
          status: e.status,
          statistics: e.statistics,
          threshold: e.threshold,
          baseline: e.baseline,
        }));
  return {
    type: "drift",
    eventId: deterministicId("drift", c.modelId, c.modelVersion, c.windowId, c.firstEventId, c.lastEventId, c.status),
    modelId: c.modelId,
    modelVersion: c.modelVersion,
    status: c.status,
    previousStatus: c.previousStatus,
    window: {
      id: c.windowId,
      start: c.start,
      end: c.end,
      count: c.summary.outcomes,
      partition,
      // outcome input positions (the outcomes topic's offsets)
      firstOffset: c.firstOffset === "" ? "0" : c.firstOffset,
      lastOffset: c.lastOffset === "" ? "0" : c.lastOffset,
    },
    baseline: evaluation.baseline,
    signals,
    emittedAt,
    incident,
  };
}

/** Incidents, DriftEvents and RetrainRequests of closed performance windows, in order, after each window. */
export function performanceOutputs(
  model: PerformanceModel,
  closed: readonly PerformanceWindowClosed[],
  settings: ModelSettings,
  partition: number,
  emittedAt: number,
): PerformanceOutput[] {
  const out: PerformanceOutput[] = [];
  for (const c of closed) {
    out.push(c);
    const v: VersionPerformanceState | undefined = model.outcomes?.versions.get(c.modelVersion);
    if (c.evaluation === null || v === undefined) continue;
    const window = incidentWindow(c);
    const signals = [c.evaluation, ...(c.segmentEvaluations ?? [])];
    const step = nextIncident(
      v.incident,
      c.modelId,
      c.modelVersion,
      window,
      { signals, level: c.level ?? c.evaluation.status },
      c.status,
      c.previousStatus,
      settings.detection.reportEveryWindows,
    );
    if (step.report) out.push(new DriftOutput(performanceDriftEvent(c, c.evaluation, partition, step.incident, emittedAt)));
    const open = step.state !== null && step.state.open ? step.state : null;
    // the performance streak is the version's own; the cooldown is the model's, shared with drift requests
    const decision = decideRetrain(
      { ...model.retrain, criticalStreak: v.retrainStreak.count, streakWindows: v.retrainStreak.windows },
      c.modelId,
      c.modelVersion,
      c.status,
      { id: c.windowId, end: c.end, firstEventId: c.firstEventId, lastEventId: c.lastEventId },
      signals,
      settings,
      emittedAt,
      open,
      { reason: "performance", outcomesFlowing: true },
    );
    model.retrain = { ...model.retrain, cooldownUntil: decision.state.cooldownUntil, lastRequestId: decision.state.lastRequestId };
    v.retrainStreak = { count: decision.state.criticalStreak, windows: decision.state.streakWindows };
    if (decision.request !== null) out.push(new RetrainOutput(decision.request));
    v.incident = step.state === null ? null : { ...step.state, retrain: decision.incidentRetrain };
  }
  return out;
}
