// Per model: the join of outcomes to predictions and, per model version, windows of joined outcomes
// evaluated as the `performance` signal against the version's performance reference. Pure; the shell
// (pipeline, replay) feeds it predictions and outcomes of one partition in order.
//
// A performance window closes at `maxOutcomes` joined outcomes, or when a joined outcome's event time
// reaches the window's start + `maxDurationMs` with at least `minOutcomes` in it (fewer: the window stays
// open for another maxDurationMs). A quiet window closes with the next joined outcome or at the end of a
// replay. The first `referenceWindows` windows of a version form its performance reference and its
// confidence calibration; they are not evaluated against anything but the absolute thresholds.
//
// Segments (issue 11): with `segments.keys` configured, each joined outcome also feeds the accumulator of
// its prediction's segment per key (`segment:<key>=<segment>/performance`, the segments the prediction
// window chose: top k + __other__, windows/segments.ts), in the same performance window. A segment with at
// least minOutcomes outcomes in the window is evaluated like the model (against its own part of the
// reference windows, at falseAlarmRate / number of segments evaluated), and the window's level is the worst
// of the model's and its segments': a drop confined to one segment raises the performance status and names
// that segment in the incident's DriftEvents and RetrainRequests.
import type { Status } from "../events/types.ts";
import type { ModelSettings } from "../detect/settings.ts";
import type { SignalEvaluation } from "../detect/evaluate.ts";
import { createHysteresis, nextHysteresis, type HysteresisState } from "../detect/hysteresis.ts";
import type { IncidentState } from "../detect/incident.ts";
import {
  addJoinedOutcome,
  createPerformanceAccumulator,
  summarizePerformance,
  type PerformanceAccumulator,
  type PerformanceSummary,
} from "./performance.ts";
import { evaluatePerformance, performanceReferenceFrom, type PerformanceReference } from "./performance-signal.ts";
import { STATUS_RANK } from "../detect/evaluate.ts";
import { confidenceCalibrationFrom, type ConfidenceCalibration } from "./estimated-performance.ts";
import {
  applyOutcome,
  createJoinState,
  registerPrediction,
  type JoinedOutcome,
  type JoinState,
  type OutcomeJumpBounds,
  type OutcomeInput,
  type PendingPrediction,
} from "./join.ts";

export interface OutcomeLimits {
  maxVersionsPerModel: number;
  /** classes tracked for recall; the rest under __other__ */
  maxCategories: number;
}

/** evidence: the distinct prediction windows a performance window's outcomes came from, newest kept */
const MAX_PREDICTION_WINDOWS = 16;

export interface PerformanceWindow {
  seq: number;
  /** outcome event time at which the window closes (start + maxDurationMs, extended when too small) */
  deadline: number;
  accumulator: PerformanceAccumulator;
  predictionWindows: string[];
  /** eventIds and outcome input positions of the first and last joined outcome: tie output ids to the input */
  firstEventId: string;
  lastEventId: string;
  firstOffset: string;
  lastOffset: string;
  /** per segment signal (`segment:<key>=<segment>/performance`): its outcomes; absent without segments */
  segments?: Map<string, PerformanceAccumulator>;
}

/**
 * The segment signals a joined outcome counts for: `segment:<key>=<segment>/performance` per key, from the
 * prediction's attribute values and its version's chosen segments (engine side); none while discovering.
 */
export type SegmentResolver = (modelVersion: string, segments: Readonly<Record<string, string>>) => string[];

/** Retrain streak of the performance signal (critical performance windows in a row) and their ids. */
export interface PerformanceRetrainStreak {
  count: number;
  windows: string[];
}

/** The last evaluated performance window of a version, as `drift-detector status` shows it. */
export interface LastPerformanceWindow {
  id: string;
  start: number;
  end: number;
  summary: PerformanceSummary;
  /** the window's own performance level before hysteresis; null when it held no classifier or regressor pair */
  level: Status | null;
  /** the segments evaluated in it (with segments configured): status and headline metrics */
  segments?: SegmentPerformance[];
}

export interface SegmentPerformance {
  signal: string;
  status: Status;
  outcomes: number;
  accuracy?: number;
  referenceAccuracy?: number;
  mae?: number;
  referenceMae?: number;
}

function segmentPerformanceOf(e: SignalEvaluation): SegmentPerformance {
  const s = e.statistics;
  const out: SegmentPerformance = { signal: e.signal, status: e.status, outcomes: s.outcomes ?? 0 };
  for (const k of ["accuracy", "referenceAccuracy", "mae", "referenceMae"] as const) if (s[k] !== undefined) out[k] = s[k];
  return out;
}

export interface VersionPerformanceState {
  modelVersion: string;
  window: PerformanceWindow;
  /** closed windows collected for the reference; emptied once it exists */
  warmup: PerformanceAccumulator[];
  reference: PerformanceReference | null;
  calibration: ConfidenceCalibration | null;
  hysteresis: HysteresisState;
  /** the performance incident in progress (detect/incident.ts), null when performance is ok */
  incident: IncidentState | null;
  retrainStreak: PerformanceRetrainStreak;
  windowsClosed: number;
  lastOutcomeTime: number;
  /** the last closed performance window (absent in state written before it was kept) */
  lastWindow?: LastPerformanceWindow | null;
  /** per segment signal: its accumulators of the reference windows (like `warmup`); absent without segments */
  segmentWarmup?: Map<string, PerformanceAccumulator[]>;
  /** per segment signal: its performance reference; absent without segments */
  segmentReferences?: Map<string, PerformanceReference>;
}

export interface ModelOutcomeState {
  modelId: string;
  join: JoinState;
  versions: Map<string, VersionPerformanceState>;
}

export interface PerformanceWindowClosed {
  kind: "performance";
  modelId: string;
  modelVersion: string;
  windowId: string;
  start: number;
  end: number;
  predictionWindows: string[];
  firstEventId: string;
  lastEventId: string;
  firstOffset: string;
  lastOffset: string;
  summary: PerformanceSummary;
  /** null while the window holds no classifier or regressor pair */
  evaluation: SignalEvaluation | null;
  /** the segments evaluated (at least minOutcomes outcomes), by signal name; absent = none */
  segmentEvaluations?: SignalEvaluation[];
  /** the window's level, the worst of the evaluation's and the segments' statuses; absent = the evaluation's */
  level?: Status;
  /** performance status after hysteresis */
  status: Status;
  previousStatus: Status;
  reference: PerformanceReference | null;
}

export function createModelOutcomeState(modelId: string): ModelOutcomeState {
  return { modelId, join: createJoinState(), versions: new Map() };
}

function createPerformanceWindow(seq: number, settings: ModelSettings): PerformanceWindow {
  return {
    seq,
    deadline: 0,
    accumulator: createPerformanceAccumulator(settings.performance.calibrationBins),
    predictionWindows: [],
    firstEventId: "",
    lastEventId: "",
    firstOffset: "",
    lastOffset: "",
  };
}

export function performanceWindowId(modelId: string, modelVersion: string, seq: number): string {
  return `${modelId}/${modelVersion}/performance/${seq}`;
}

function versionFor(
  state: ModelOutcomeState,
  modelVersion: string,
  settings: ModelSettings,
  limits: OutcomeLimits,
): VersionPerformanceState {
  let v = state.versions.get(modelVersion);
  if (v !== undefined) return v;
  if (state.versions.size >= limits.maxVersionsPerModel) {
    let oldest: VersionPerformanceState | undefined;
    for (const x of state.versions.values()) if (oldest === undefined || x.lastOutcomeTime < oldest.lastOutcomeTime) oldest = x;
    if (oldest !== undefined) state.versions.delete(oldest.modelVersion);
  }
  v = {
    modelVersion,
    window: createPerformanceWindow(0, settings),
    warmup: [],
    reference: null,
    calibration: null,
    hysteresis: createHysteresis(),
    incident: null,
    retrainStreak: { count: 0, windows: [] },
    windowsClosed: 0,
    lastOutcomeTime: 0,
    lastWindow: null,
  };
  state.versions.set(modelVersion, v);
  return v;
}

function closePerformanceWindow(
  state: ModelOutcomeState,
  v: VersionPerformanceState,
  settings: ModelSettings,
  limits: OutcomeLimits,
): PerformanceWindowClosed {
  const w = v.window;
  const acc = w.accumulator;
  const previousStatus = v.hysteresis.status;
  const evaluation = evaluatePerformance(acc, v.reference, settings.performance, settings.detection.falseAlarmRate);
  const segmentEvaluations = evaluation === null ? [] : evaluateSegments(v, settings);
  let level: Status = evaluation?.status ?? "ok";
  for (const s of segmentEvaluations) if (STATUS_RANK[s.status] > STATUS_RANK[level]) level = s.status;
  if (evaluation !== null) v.hysteresis = nextHysteresis(v.hysteresis, level, settings.detection.consecutiveWindows);
  const closed: PerformanceWindowClosed = {
    kind: "performance",
    modelId: state.modelId,
    modelVersion: v.modelVersion,
    windowId: performanceWindowId(state.modelId, v.modelVersion, w.seq),
    start: acc.start,
    end: acc.end,
    predictionWindows: w.predictionWindows,
    firstEventId: w.firstEventId,
    lastEventId: w.lastEventId,
    firstOffset: w.firstOffset,
    lastOffset: w.lastOffset,
    summary: summarizePerformance(acc),
    evaluation,
    segmentEvaluations,
    level,
    status: v.hysteresis.status,
    previousStatus,
    reference: v.reference,
  };
  v.windowsClosed++;
  v.lastWindow = {
    id: closed.windowId,
    start: closed.start,
    end: closed.end,
    summary: closed.summary,
    level: evaluation === null ? null : level,
  };
  if (segmentEvaluations.length > 0) v.lastWindow.segments = segmentEvaluations.map(segmentPerformanceOf);
  v.window = createPerformanceWindow(w.seq + 1, settings);
  // The reference moves after the evaluation, so a window is never compared with itself.
  if (v.reference === null) {
    v.warmup.push(acc);
    if (w.segments !== undefined) {
      const warmup = (v.segmentWarmup ??= new Map());
      for (const [signal, a] of w.segments) warmup.set(signal, [...(warmup.get(signal) ?? []), a]);
    }
    if (v.warmup.length >= settings.performance.referenceWindows) {
      const id = `${state.modelId}/${v.modelVersion}/performance-reference/${w.seq}`;
      const bins = settings.performance.calibrationBins;
      v.reference = performanceReferenceFrom(id, v.warmup, bins, limits.maxCategories);
      v.calibration = confidenceCalibrationFrom(v.reference.total.calibration);
      v.warmup = [];
      if (v.segmentWarmup !== undefined) {
        const references = new Map<string, PerformanceReference>();
        for (const signal of [...v.segmentWarmup.keys()].sort()) {
          references.set(
            signal,
            performanceReferenceFrom(`${id}/${signal}`, v.segmentWarmup.get(signal) ?? [], bins, limits.maxCategories),
          );
        }
        v.segmentReferences = references;
        delete v.segmentWarmup;
      }
    }
  }
  return closed;
}

/** The open window's segments with at least minOutcomes outcomes, each against its reference, Bonferroni over them. */
function evaluateSegments(v: VersionPerformanceState, settings: ModelSettings): SignalEvaluation[] {
  const segments = v.window.segments;
  if (segments === undefined) return [];
  const p = settings.performance;
  const evaluated = [...segments.keys()].sort().filter((signal) => (segments.get(signal)?.outcomes ?? 0) >= p.minOutcomes);
  const alpha = settings.detection.falseAlarmRate / Math.max(1, evaluated.length);
  const out: SignalEvaluation[] = [];
  for (const signal of evaluated) {
    const e = evaluatePerformance(segments.get(signal)!, v.segmentReferences?.get(signal) ?? null, p, alpha);
    if (e !== null) out.push({ ...e, signal });
  }
  return out;
}

function addJoined(
  state: ModelOutcomeState,
  joined: JoinedOutcome,
  settings: ModelSettings,
  limits: OutcomeLimits,
  resolveSegments?: SegmentResolver,
): PerformanceWindowClosed[] {
  const out: PerformanceWindowClosed[] = [];
  const v = versionFor(state, joined.modelVersion, settings, limits);
  const p = settings.performance;
  let w = v.window;
  if (w.accumulator.outcomes > 0 && joined.outcomeTime >= w.deadline) {
    if (w.accumulator.outcomes >= p.minOutcomes) {
      out.push(closePerformanceWindow(state, v, settings, limits));
      w = v.window;
    } else {
      while (w.deadline <= joined.outcomeTime) w.deadline += p.maxDurationMs;
    }
  }
  if (w.accumulator.outcomes === 0) {
    w.deadline = joined.outcomeTime + p.maxDurationMs;
    w.firstEventId = joined.eventId;
    w.firstOffset = joined.outcomeOffset;
  }
  w.lastEventId = joined.eventId;
  w.lastOffset = joined.outcomeOffset;
  addJoinedOutcome(w.accumulator, joined, limits.maxCategories);
  if (joined.segments !== undefined && resolveSegments !== undefined) {
    for (const signal of resolveSegments(joined.modelVersion, joined.segments)) {
      const segments = (w.segments ??= new Map());
      let a = segments.get(signal);
      if (a === undefined) segments.set(signal, (a = createPerformanceAccumulator(p.calibrationBins)));
      addJoinedOutcome(a, joined, limits.maxCategories);
    }
  }
  if (!w.predictionWindows.includes(joined.windowId)) {
    w.predictionWindows.push(joined.windowId);
    if (w.predictionWindows.length > MAX_PREDICTION_WINDOWS) w.predictionWindows.shift();
  }
  if (joined.outcomeTime > v.lastOutcomeTime) v.lastOutcomeTime = joined.outcomeTime;
  if (w.accumulator.outcomes >= p.maxOutcomes) out.push(closePerformanceWindow(state, v, settings, limits));
  return out;
}

/** A prediction of this model waits for its outcome (or joins an outcome that came first). */
export function trackPrediction(
  state: ModelOutcomeState,
  eventId: string,
  prediction: PendingPrediction,
  settings: ModelSettings,
  limits: OutcomeLimits,
  resolveSegments?: SegmentResolver,
): PerformanceWindowClosed[] {
  const joined = registerPrediction(state.join, eventId, prediction, settings.performance);
  return joined === null ? [] : addJoined(state, joined, settings, limits, resolveSegments);
}

/** An outcome of this model: joined to its prediction when that is waiting, else buffered or counted. */
export function trackOutcome(
  state: ModelOutcomeState,
  outcome: OutcomeInput,
  settings: ModelSettings,
  limits: OutcomeLimits,
  resolveSegments?: SegmentResolver,
  jumpBounds?: OutcomeJumpBounds,
): PerformanceWindowClosed[] {
  const joined = applyOutcome(state.join, outcome, settings.performance, jumpBounds);
  return joined === null ? [] : addJoined(state, joined, settings, limits, resolveSegments);
}

/** End of input (replay): evaluate every open performance window with at least minOutcomes outcomes. */
export function flushPerformanceWindows(
  state: ModelOutcomeState,
  settings: ModelSettings,
  limits: OutcomeLimits,
): PerformanceWindowClosed[] {
  const out: PerformanceWindowClosed[] = [];
  const versions = [...state.versions.values()].sort((a, b) =>
    a.modelVersion < b.modelVersion ? -1 : a.modelVersion > b.modelVersion ? 1 : 0,
  );
  for (const v of versions) {
    if (v.window.accumulator.outcomes >= settings.performance.minOutcomes) out.push(closePerformanceWindow(state, v, settings, limits));
  }
  return out;
}
