// The detection engine: pure, synchronous, no I/O. The shell (Kafka pipeline or `replay`) feeds it events of
// one partition in offset order; it keeps all state in plain data (PartitionState) and returns outputs.
// For speed the state is updated in place; the engine is its only writer, and it records which models
// changed (dirtyHot/dirtyCold) so the shell persists only those.
//
// Determinism: every decision depends only on the sequence of events (event time, not wall-clock), so the
// same input gives the same windows, statuses and output ids however it is batched, crashed or replayed.
// The one exception is the future bound on event time (windows/event-time.ts), checked against a wall
// clock value the shell passes in; its verdict is persisted with the offset, so it is still decided once.
import type { DriftEvent, IncidentRef, PredictionEvent, Status } from "../events/types.ts";
import type { ModelSettings } from "./settings.ts";
import { baselineFromWindows, type Baseline } from "../baseline/baseline.ts";
import { createRollingBaseline, pushRollingWindow, rollingBaselineOf, type RollingBaseline } from "../baseline/rolling.ts";
import {
  addToWindow,
  closeOrMergeForward,
  closeWindow,
  compactClosedWindow,
  windowId,
  createOpenWindow,
  isFull,
  reachesDeadline,
  type ClosedWindow,
  type OpenWindow,
} from "../windows/window.ts";
import { judgeEventTime, type EventTimeBounds, type PendingForwardJump } from "../windows/event-time.ts";
import { createFeatureRegistry, type FeatureRegistry, type SignalLimits } from "../windows/signals.ts";
import { evaluateWindow, type WindowEvaluation } from "./evaluate.ts";
import { createHysteresis, nextHysteresis, type HysteresisState } from "./hysteresis.ts";
import { createRetrainState, decideRetrain, type RetrainState } from "./retrain.ts";
import { nextIncident, type IncidentState } from "./incident.ts";
import { decideMaxAgeRetrain } from "./max-age.ts";
import { dependenceFactors, dispersionScores, MIN_DEPENDENCE_WINDOWS } from "./dependence.ts";
import { deterministicId } from "./ids.ts";
import type { ModelOutcomeState, PerformanceWindowClosed } from "../outcomes/tracker.ts";
import { estimatedAccuracyOf, outcomeLimitsOf, outcomesFlowing, trackPredictionOutcome } from "./performance-engine.ts";
import { addToCapture, isCaptureComplete, referenceFromCapture, type ReferenceCapture } from "../baseline/capture.ts";
import { seasonOf } from "../baseline/season.ts";
import { referenceForWindow, sameSlotRolling } from "../baseline/slot-baseline.ts";
import { addEventToSegments, attributeSegments, chooseSegments, createSegmentRegistry, type SegmentRegistry } from "../windows/segments.ts";
import type { PendingPrediction } from "../outcomes/join.ts";
import { attributeToSegmentMix } from "./segments.ts";
import { cdfModelMemo } from "../sketch/cdf-model.ts";
import { DriftOutput, RetrainOutput } from "./outputs.ts";
import type { TDigest } from "../sketch/tdigest.ts";

export interface EngineLimits extends SignalLimits {
  /** models not configured under `models.*` tracked per partition; beyond it the longest idle is evicted */
  maxModels: number;
  maxVersionsPerModel: number;
}

export interface EngineContext {
  settingsFor(modelId: string): ModelSettings;
  limits: EngineLimits;
  /** models configured under `models.*`: always admitted, never evicted, not counted against maxModels */
  configuredModels: ReadonlySet<string>;
  eventTime: EventTimeBounds;
  /** wall-clock for `emittedAt`/`requestedAt` only; never used in decisions */
  clock(): number;
  /** an imported reference baseline for a model version, when one exists */
  importedReference?(modelId: string, modelVersion: string): Baseline | undefined;
  /**
   * The shell feeds this partition's outcomes (outcome-engine.ts): accepted predictions of models with
   * `performance.enabled` wait for their outcome. Off, the engine keeps no outcome state at all.
   */
  outcomes?: boolean;
}

export interface VersionState {
  modelVersion: string;
  window: OpenWindow;
  registry: FeatureRegistry;
  /** closed windows collected to build the reference; emptied once the reference exists */
  warmup: ClosedWindow[];
  /** the reference being captured by duration or season (baseline/capture.ts); null otherwise */
  capture: ReferenceCapture | null;
  reference: Baseline | null;
  rolling: RollingBaseline;
  hysteresis: HysteresisState;
  /** the drift incident in progress (or the drifted windows that may raise one), null when all is ok */
  incident: IncidentState | null;
  windowsClosed: number;
  /** largest event time of the version (-Infinity before its first event) */
  lastEventTime: number;
  /** the segments per attribute key, or their discovery in the first window; only with `segments.keys` configured */
  segments?: SegmentRegistry;
  /** the last window closed (what `drift-detector status` shows); null before the first */
  lastWindow: LastWindow | null;
  /** id of the reference a `max_age` retrain request was raised for (once per reference) */
  maxAgeRequestedFor: string | null;
}

export interface LastWindow {
  id: string;
  start: number;
  end: number;
  count: number;
  /** the window's own evaluated level; null when it was not evaluated (warmup) */
  level: Status | null;
  /** label-free accuracy estimate from its confidence; absent before the version has a performance reference */
  estimatedAccuracy?: number;
}

export interface ModelState {
  modelId: string;
  versions: Map<string, VersionState>;
  retrain: RetrainState;
  /** the join and performance windows (performance-engine.ts); absent until outcomes are fed */
  outcomes?: ModelOutcomeState;
}

export interface PartitionCounters {
  accepted: number;
  late: number;
  /** events dropped because the partition already tracks maxModels models */
  modelLimit: number;
  /** events refused because their event time was outside the accepted range (windows/event-time.ts) */
  timestampOutOfRange: number;
  /** unconfigured models evicted (longest idle by event time) to admit a new one over maxModels */
  modelsEvicted: number;
  windowsClosed: number;
  windowsMergedForward: number;
}

export interface PartitionState {
  partition: number;
  /** largest event time accepted in the partition: its watermark (-Infinity before the first event) */
  maxEventTime: number;
  /** smallest deadline among open windows (Infinity when none) — avoids scanning models per event */
  nextDeadline: number;
  /** a jump of event time ahead of the watermark waiting for confirmation (windows/event-time.ts) */
  pendingForwardJump: PendingForwardJump | null;
  models: Map<string, ModelState>;
  counters: PartitionCounters;
  /** models whose open window changed / whose baselines or statuses changed since the last persist */
  dirtyHot: Set<string>;
  dirtyCold: Set<string>;
  /** models whose outcome state (ModelState.outcomes) changed since the last persist */
  dirtyOutcomes: Set<string>;
  /** models evicted since the last persist: their stored records are deleted with the next write */
  evicted: Set<string>;
}

/** What a closed window produced — the metrics read this, outputs are derived from it. */
export interface WindowClosed {
  kind: "window";
  modelId: string;
  modelVersion: string;
  window: ClosedWindow;
  /** null during warmup (no reference yet) */
  evaluation: WindowEvaluation | null;
  status: Status;
  previousStatus: Status;
  reference: Baseline | null;
  /** feature values this version has left out at maxFeaturesPerModel so far (cumulative) */
  featureValuesDropped: number;
  /** label-free accuracy estimate from confidence (performance-engine.ts); absent before a performance reference */
  estimatedAccuracy?: number;
  /** set on the window whose close pinned a captured reference */
  referencePinned?: ReferencePinned;
}

/** A captured reference, as pinned: the shell warns when its dependence factors could not be measured. */
export interface ReferencePinned {
  id: string;
  /** windows the reference was captured from */
  windows: number;
  /** false: fewer than MIN_DEPENDENCE_WINDOWS windows, so every signal's dependence factor is 1 (events assumed independent) */
  dependenceMeasured: boolean;
}

function referencePinned(reference: Baseline, windows: number): ReferencePinned {
  return { id: reference.id, windows, dependenceMeasured: windows >= MIN_DEPENDENCE_WINDOWS };
}

export type EngineOutput = WindowClosed | PerformanceWindowClosed | DriftOutput | RetrainOutput;

export function createPartitionCounters(): PartitionCounters {
  return { accepted: 0, late: 0, modelLimit: 0, timestampOutOfRange: 0, modelsEvicted: 0, windowsClosed: 0, windowsMergedForward: 0 };
}

/**
 * A partition's state is made by a constructor, not an object literal: a literal that runs rarely (once per
 * partition load, once per replay) gets its allocation boilerplate only when it runs again, later in the
 * process, and that widens the recorded types of its fields; the per-event code V8 had compiled against them
 * (applyPrediction) was thrown away at the start of the next replay. A constructor's stores keep the types.
 */
class FreshPartitionState implements PartitionState {
  maxEventTime = Number.NEGATIVE_INFINITY;
  nextDeadline = Number.POSITIVE_INFINITY;
  pendingForwardJump: PendingForwardJump | null = null;
  models = new Map<string, ModelState>();
  counters = createPartitionCounters();
  dirtyHot = new Set<string>();
  dirtyCold = new Set<string>();
  dirtyOutcomes = new Set<string>();
  evicted = new Set<string>();

  constructor(readonly partition: number) {}
}

export function createPartitionState(partition: number): PartitionState {
  return new FreshPartitionState(partition);
}

export function createVersionState(modelVersion: string): VersionState {
  return {
    modelVersion,
    window: createOpenWindow(0),
    registry: createFeatureRegistry(),
    warmup: [],
    capture: null,
    reference: null,
    rolling: createRollingBaseline(),
    hysteresis: createHysteresis(),
    incident: null,
    windowsClosed: 0,
    lastEventTime: Number.NEGATIVE_INFINITY,
    lastWindow: null,
    maxAgeRequestedFor: null,
  };
}

/** Largest event time of any version of the model (-Infinity when it has none). */
function modelLastEventTime(model: ModelState): number {
  let last = Number.NEGATIVE_INFINITY;
  for (const v of model.versions.values()) if (v.lastEventTime > last) last = v.lastEventTime;
  return last;
}

/**
 * Makes room for a new unconfigured model: when maxModels unconfigured models are tracked, the one silent
 * longest by event time (ties: the smallest id) is evicted. Depends only on the state, so replay and a
 * restarted replica evict the same model. Returns the evicted id.
 */
function admitUnconfigured(state: PartitionState, ctx: EngineContext): string | undefined {
  let count = 0;
  let idle: ModelState | undefined;
  let idleTime = Number.POSITIVE_INFINITY;
  for (const m of state.models.values()) {
    if (ctx.configuredModels.has(m.modelId)) continue;
    count++;
    const t = modelLastEventTime(m);
    if (idle === undefined || t < idleTime || (t === idleTime && m.modelId < idle.modelId)) {
      idle = m;
      idleTime = t;
    }
  }
  if (count < ctx.limits.maxModels || idle === undefined) return undefined;
  state.models.delete(idle.modelId);
  state.dirtyHot.delete(idle.modelId);
  state.dirtyCold.delete(idle.modelId);
  state.dirtyOutcomes.delete(idle.modelId);
  state.evicted.add(idle.modelId);
  state.counters.modelsEvicted++;
  return idle.modelId;
}

function versionFor(
  state: PartitionState,
  event: PredictionEvent,
  ctx: EngineContext,
): { model: ModelState; version: VersionState; evicted?: string } {
  let model = state.models.get(event.modelId);
  let evicted: string | undefined;
  if (model === undefined) {
    if (!ctx.configuredModels.has(event.modelId)) evicted = admitUnconfigured(state, ctx);
    model = { modelId: event.modelId, versions: new Map(), retrain: createRetrainState() };
    state.models.set(event.modelId, model);
    state.dirtyCold.add(event.modelId);
  }
  let version = model.versions.get(event.modelVersion);
  if (version === undefined) {
    if (model.versions.size >= ctx.limits.maxVersionsPerModel) {
      // Evict the version that has been silent longest: canaries come and go, the cap bounds memory.
      let oldest: VersionState | undefined;
      for (const v of model.versions.values()) if (oldest === undefined || v.lastEventTime < oldest.lastEventTime) oldest = v;
      if (oldest !== undefined) model.versions.delete(oldest.modelVersion);
    }
    version = createVersionState(event.modelVersion);
    const imported = ctx.importedReference?.(event.modelId, event.modelVersion);
    if (imported !== undefined) version.reference = imported;
    model.versions.set(event.modelVersion, version);
    state.dirtyCold.add(event.modelId);
  }
  return evicted === undefined ? { model, version } : { model, version, evicted };
}

/** Why the engine refused an event (the shell dead-letters it with this reason). */
export type EngineRejection = "timestamp_out_of_range";

/** What applying one event did: folded in on time or late, or refused; plus the outputs of closed windows. */
export type PredictionResult =
  | { outcome: "accepted" | "late"; outputs: EngineOutput[]; /** a model evicted to admit this one */ evicted?: string }
  | { outcome: EngineRejection; message: string; outputs: EngineOutput[] };

export function isRejected(result: PredictionResult): result is Extract<PredictionResult, { message: string }> {
  return result.outcome !== "accepted" && result.outcome !== "late";
}

/**
 * Apply one validated prediction event at input position `offset`; `wallClockMs` is the shell's wall clock
 * for the batch (replay: one fixed value), used only to bound event time. Returns what happened to it and
 * the outputs of any window it closed (in order). Events outside the accepted event times or whose model
 * exceeds the model limit are counted and refused.
 */
export function applyPrediction(
  state: PartitionState,
  event: PredictionEvent,
  offset: string,
  ctx: EngineContext,
  wallClockMs: number,
): PredictionResult {
  const verdict = judgeEventTime(event.timestamp, state.maxEventTime, wallClockMs, ctx.eventTime, state.pendingForwardJump);
  state.pendingForwardJump = verdict.pendingJump;
  if (!verdict.accepted) {
    state.counters.timestampOutOfRange++;
    return { outcome: "timestamp_out_of_range", message: verdict.message, outputs: [] };
  }
  // the common case, a known model version, without versionFor's result object
  let model = state.models.get(event.modelId);
  let version = model?.versions.get(event.modelVersion);
  let evicted: string | undefined;
  if (model === undefined || version === undefined) ({ model, version, evicted } = versionFor(state, event, ctx));
  const settings = ctx.settingsFor(event.modelId);
  let outputs = NO_OUTPUTS;
  const late = event.timestamp < state.maxEventTime - settings.window.allowedLatenessMs;
  if (late) state.counters.late++;
  if (event.timestamp > state.maxEventTime) state.maxEventTime = event.timestamp;

  // Late events never close windows by time: they are folded into the open window (documented in README).
  if (!late && reachesDeadline(version.window, event.timestamp)) {
    if (closeOrMergeForward(version.window, event.timestamp, settings.window) === "close") {
      outputs = withOutputs(outputs, finishWindow(state, model, version, settings, ctx));
    } else state.counters.windowsMergedForward++;
  }
  const wasEmpty = version.window.count === 0;
  addToWindow(version.window, event, offset, late, settings.window, version.registry, ctx.limits);
  const segments = settings.segments;
  if (segments !== undefined && segments.keys.length > 0) {
    addEventToSegments(
      version.window.signals,
      (version.segments ??= createSegmentRegistry()),
      version.registry,
      event,
      segments,
      ctx.limits,
    );
  }
  if (wasEmpty) {
    const expiry = version.window.deadline + settings.window.allowedLatenessMs;
    if (expiry < state.nextDeadline) state.nextDeadline = expiry;
  }
  if (event.timestamp > version.lastEventTime) version.lastEventTime = event.timestamp;
  state.counters.accepted++;
  state.dirtyHot.add(event.modelId);
  if (ctx.outcomes === true && settings.performance.enabled) {
    outputs = withOutputs(outputs, awaitOutcome(state, model, version, event, settings, ctx));
  }
  if (isFull(version.window, settings.window)) outputs = withOutputs(outputs, finishWindow(state, model, version, settings, ctx));

  // Windows of idle models close when the partition's event time passes their deadline (plus lateness).
  if (state.maxEventTime >= state.nextDeadline) outputs = withOutputs(outputs, closeExpiredWindows(state, ctx));
  if (evicted !== undefined) return { outcome: late ? "late" : "accepted", outputs, evicted };
  if (outputs === NO_OUTPUTS) return late ? LATE : ACCEPTED;
  return { outcome: late ? "late" : "accepted", outputs };
}

// Most events close no window: they share one empty output list and one result (frozen: nobody adds to them).
const NO_OUTPUTS = Object.freeze([]) as unknown as EngineOutput[];
const ACCEPTED: PredictionResult = Object.freeze({ outcome: "accepted", outputs: NO_OUTPUTS });
const LATE: PredictionResult = Object.freeze({ outcome: "late", outputs: NO_OUTPUTS });

/** `outputs` followed by `more`: a fresh list the first time (never the shared empty one). */
function withOutputs(outputs: EngineOutput[], more: EngineOutput[]): EngineOutput[] {
  if (more.length === 0) return outputs;
  if (outputs === NO_OUTPUTS) return [...more]; // rare (a window closed): a copy, so `more` stays its caller's
  outputs.push(...more);
  return outputs;
}

/** Close every open window whose deadline the partition's watermark (max event time − lateness) passed. */
export function closeExpiredWindows(state: PartitionState, ctx: EngineContext): EngineOutput[] {
  const outputs: EngineOutput[] = [];
  let next = Number.POSITIVE_INFINITY;
  // Sorted, so the order of outputs does not depend on the order models were loaded from the store.
  const models = [...state.models.values()].sort((a, b) => (a.modelId < b.modelId ? -1 : a.modelId > b.modelId ? 1 : 0));
  for (const model of models) {
    const settings = ctx.settingsFor(model.modelId);
    const watermark = state.maxEventTime - settings.window.allowedLatenessMs;
    for (const version of model.versions.values()) {
      const w = version.window;
      if (w.count > 0 && w.deadline <= watermark) {
        if (closeOrMergeForward(w, watermark, settings.window) === "close")
          outputs.push(...finishWindow(state, model, version, settings, ctx));
        else {
          state.counters.windowsMergedForward++;
          state.dirtyHot.add(model.modelId);
        }
      }
      const d = version.window.count > 0 ? version.window.deadline + settings.window.allowedLatenessMs : Number.POSITIVE_INFINITY;
      if (d < next) next = d;
    }
  }
  state.nextDeadline = next;
  return outputs;
}

/** End of input (replay): evaluate every open window that has at least minEvents events. */
export function flushOpenWindows(state: PartitionState, ctx: EngineContext): EngineOutput[] {
  const outputs: EngineOutput[] = [];
  const models = [...state.models.values()].sort((a, b) => (a.modelId < b.modelId ? -1 : a.modelId > b.modelId ? 1 : 0));
  for (const model of models) {
    const settings = ctx.settingsFor(model.modelId);
    for (const version of model.versions.values()) {
      if (version.window.count >= settings.window.minEvents) outputs.push(...finishWindow(state, model, version, settings, ctx));
    }
  }
  return outputs;
}

/** The accepted prediction waits for its outcome (or joins one that came first). */
function awaitOutcome(
  state: PartitionState,
  model: ModelState,
  version: VersionState,
  event: PredictionEvent,
  settings: ModelSettings,
  ctx: EngineContext,
): EngineOutput[] {
  state.dirtyOutcomes.add(model.modelId);
  const pending: PendingPrediction = {
    modelVersion: version.modelVersion,
    windowId: windowId(model.modelId, version.modelVersion, state.partition, version.window.seq),
    timestamp: event.timestamp,
    predictedClass: event.predictedClass ?? null,
    prediction: event.prediction ?? null,
    confidence: event.confidence ?? null,
  };
  // the attribute values, resolved to segments when the outcome joins (the segments may be chosen by then)
  const segments = settings.segments === undefined ? {} : attributeSegments(settings.segments, event);
  if (Object.keys(segments).length > 0) pending.segments = segments;
  const outputs = trackPredictionOutcome(
    model,
    event.eventId,
    pending,
    settings,
    outcomeLimitsOf(ctx.limits),
    state.partition,
    ctx.clock(),
  );
  if (outputs.length > 0) state.dirtyCold.add(model.modelId);
  return outputs;
}

function finishWindow(
  state: PartitionState,
  model: ModelState,
  version: VersionState,
  settings: ModelSettings,
  ctx: EngineContext,
): EngineOutput[] {
  const closed = closeWindow(version.window, model.modelId, version.modelVersion, state.partition);
  version.window = createOpenWindow(closed.seq + 1);
  // the window that discovered the segments (windows/segments.ts) closed: the next ones keep them
  if (version.segments !== undefined && settings.segments !== undefined) chooseSegments(version.segments, settings.segments, ctx.limits);
  version.windowsClosed++;
  state.counters.windowsClosed++;
  state.dirtyHot.add(model.modelId);
  state.dirtyCold.add(model.modelId);

  const outputs: EngineOutput[] = [];
  const previousStatus = version.hysteresis.status;
  const season = seasonOf(settings.baseline.seasonality, settings.baseline.seasonOffsetMs);
  // a capture by duration is complete once a window starts a whole span after the first
  let pinned: ReferencePinned | undefined;
  if (version.reference === null && version.capture !== null && isCaptureComplete(version.capture, settings.baseline, closed.start))
    pinned = pinCapture(version, version.capture, model.modelId);
  let evaluation: WindowEvaluation | null = null;
  const rolling = rollingBaselineOf(version.rolling, model.modelId, version.modelVersion, ctx.limits);
  const reference =
    version.reference === null ? null : referenceForWindow(version.reference, closed, season, settings.baseline.minSlotWindows);
  // each digest's CDF model built once for the evaluation and the dispersion scores (nothing changes them in
  // between); the pinned reference's digests never change, so theirs are kept from one window to the next
  const referenceDigests = new Set<TDigest>();
  for (const s of reference?.signals.numeric.values() ?? []) referenceDigests.add(s.digest);
  const models = cdfModelMemo(referenceDigests);
  if (reference !== null) {
    const baselines: Baseline[] = [reference];
    const recent =
      season === null ? rolling : sameSlotRolling(version.rolling.windows, closed, season, model.modelId, version.modelVersion, ctx.limits);
    if (recent !== null) baselines.push(recent);
    evaluation = evaluateWindow(closed.signals, baselines, settings, new Map(Object.entries(reference.dependence ?? {})), models);
    if (evaluation !== null && (settings.segments?.keys.length ?? 0) > 0) evaluation = attributeToSegmentMix(evaluation, baselines);
  }
  // how far this window is from the windows before it: calibrates significance under dependence
  if (rolling !== null) closed.dispersion = dispersionScores(closed.signals, rolling.signals, settings.detection.minSignalCount, models);
  models.release();
  if (evaluation !== null) {
    version.hysteresis = nextHysteresis(version.hysteresis, evaluation.level, settings.detection.consecutiveWindows);
  }
  const status = version.hysteresis.status;
  const windowClosed: WindowClosed = {
    kind: "window",
    modelId: model.modelId,
    modelVersion: version.modelVersion,
    window: closed,
    evaluation,
    status,
    previousStatus,
    reference: version.reference,
    featureValuesDropped: version.registry.droppedValues,
    // both set below when they apply: listed here so every window output has one hidden class (a property
    // added to some of them made the processor's loop over outputs deoptimise when such a one came late)
    estimatedAccuracy: undefined,
    referencePinned: undefined,
  };
  const estimate = estimatedAccuracyOf(model, version.modelVersion, closed.signals.numeric.get("confidence"));
  if (estimate !== undefined) windowClosed.estimatedAccuracy = estimate;
  outputs.push(windowClosed);

  if (evaluation !== null) {
    const step = nextIncident(
      version.incident,
      model.modelId,
      version.modelVersion,
      closed,
      evaluation,
      status,
      previousStatus,
      settings.detection.reportEveryWindows,
    );
    if (step.report) {
      outputs.push(
        new DriftOutput(
          driftEventFor(
            model.modelId,
            version.modelVersion,
            closed,
            evaluation,
            status,
            previousStatus,
            step.incident,
            ctx.clock(),
            windowClosed.estimatedAccuracy,
          ),
        ),
      );
    }
    const open = step.state !== null && step.state.open ? step.state : null;
    const decision = decideRetrain(
      model.retrain,
      model.modelId,
      version.modelVersion,
      status,
      closed,
      evaluation.signals,
      settings,
      ctx.clock(),
      open,
      { reason: "drift", outcomesFlowing: outcomesFlowing(model, version.modelVersion, closed.end, settings) },
    );
    model.retrain = decision.state;
    if (decision.request !== null) outputs.push(new RetrainOutput(decision.request));
    else {
      const aged = decideMaxAgeRetrain({
        modelId: model.modelId,
        modelVersion: version.modelVersion,
        reference: version.reference,
        requestedFor: version.maxAgeRequestedFor,
        window: closed,
        maxAgeMs: settings.retrain.maxAgeMs,
        cooldownUntil: model.retrain.cooldownUntil,
        cooldownMs: settings.retrain.cooldownMs,
        requestedAt: ctx.clock(),
      });
      if (aged !== null) {
        outputs.push(new RetrainOutput(aged));
        version.maxAgeRequestedFor = version.reference?.id ?? null;
        model.retrain = { ...model.retrain, cooldownUntil: aged.cooldownUntil, lastRequestId: aged.requestId };
      }
    }
    version.incident = step.state === null ? null : { ...step.state, retrain: decision.incidentRetrain };
  }

  version.lastWindow = {
    id: closed.id,
    start: closed.start,
    end: closed.end,
    count: closed.count,
    level: evaluation === null ? null : evaluation.level,
    ...(estimate === undefined ? {} : { estimatedAccuracy: estimate }),
  };
  compactClosedWindow(closed);
  // Baselines move after the evaluation, so a window is never compared with itself.
  if (version.reference === null && (version.capture !== null || capturesBySpanOrSeason(settings))) {
    // an earlier config's warmup list (none in a fresh version) is folded in first, in order
    for (const w of [...version.warmup, closed])
      version.capture = addToCapture(version.capture, w, season, settings.detection.minSignalCount, ctx.limits);
    version.warmup = [];
    if (isCaptureComplete(version.capture!, settings.baseline, null)) pinned = pinCapture(version, version.capture!, model.modelId);
  } else if (version.reference === null) {
    version.warmup.push(closed);
    if (version.warmup.length >= settings.baseline.warmupWindows) {
      // the dependence factors are pinned with the reference, so a later slow drift cannot raise them
      const reference = baselineFromWindows("reference", model.modelId, version.modelVersion, version.warmup, ctx.limits);
      version.reference = { ...reference, dependence: Object.fromEntries(dependenceFactors(version.warmup)) };
      pinned = referencePinned(version.reference, version.warmup.length);
      version.warmup = [];
    }
  }
  if (pinned !== undefined) windowClosed.referencePinned = pinned;
  // Windows evaluated as drifted never enter the rolling baseline, so a burst cannot become "recent
  // behaviour" and keep the incident alive after it ended.
  if (evaluation === null || evaluation.level === "ok")
    pushRollingWindow(version.rolling, closed, settings.baseline.rollingWindows, ctx.limits);
  return outputs;
}

/** Whether the reference is captured by baseline/capture.ts (a duration or a season) rather than as a window list. */
function capturesBySpanOrSeason(settings: ModelSettings): boolean {
  return settings.baseline.referenceDurationMs !== undefined || settings.baseline.seasonality !== "none";
}

function pinCapture(version: VersionState, capture: ReferenceCapture, modelId: string): ReferencePinned {
  const reference = referenceFromCapture(capture, modelId, version.modelVersion, "warmup");
  version.reference = reference;
  version.capture = null;
  return referencePinned(reference, capture.windows);
}

function driftEventFor(
  modelId: string,
  modelVersion: string,
  window: ClosedWindow,
  evaluation: WindowEvaluation,
  status: Status,
  previousStatus: Status,
  incident: IncidentRef | null,
  emittedAt: number,
  estimatedAccuracy: number | undefined,
): DriftEvent {
  const baseline = evaluation.drivingBaseline;
  // Signals that moved; a recovery event (status ok) carries none.
  const signals = evaluation.signals
    .filter((s) => s.status !== "ok")
    .map((s) => ({
      signal: s.signal,
      kind: s.kind,
      status: s.status,
      statistics: s.statistics,
      threshold: s.threshold,
      baseline: s.baseline,
    }));
  return {
    type: "drift",
    eventId: deterministicId("drift", modelId, modelVersion, window.id, window.firstEventId, window.lastEventId, status),
    modelId,
    modelVersion,
    status,
    previousStatus,
    window: {
      id: window.id,
      start: window.start,
      end: window.end,
      count: window.count,
      partition: window.partition,
      firstOffset: window.firstOffset,
      lastOffset: window.lastOffset,
    },
    baseline: { kind: baseline.kind, id: baseline.id, count: baseline.count },
    signals,
    emittedAt,
    incident,
    dataQuality: evaluation.dataQuality,
    ...(estimatedAccuracy === undefined ? {} : { estimatedAccuracy }),
  };
}
