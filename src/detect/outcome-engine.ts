// Outcome events (ground truth) into the engine (issue 11): the counterpart of applyPrediction for the
// outcomes topic. Pure and synchronous like the rest of the engine; the shell feeds a partition's outcomes
// in offset order, interleaved with its predictions by the order it reads them, and persists
// ModelState.outcomes of the models in PartitionState.dirtyOutcomes with the offsets of both topics.
//
// An outcome is refused (dead-lettered by the shell) when its event time is outside the accepted range
// (windows/event-time.ts, the same bounds as predictions) or its model cannot be admitted (an unconfigured
// model while the partition tracks maxModels others that are not idle — admitted like a prediction's
// model otherwise). Everything else is counted in the model's join counters and reported: joined now,
// buffered until its prediction comes (early), a duplicate, or too late (after the label delay).
// Outcomes whose prediction never comes are counted `unknown` when they expire. An outcome far ahead of the
// model's outcome watermark moves it only once confirmed (outcomes/join.ts, counted `unconfirmedJumps`).
import type { OutcomeEvent } from "../events/types.ts";
import type { JoinCounters } from "../outcomes/join.ts";
import { flushPerformanceWindows, trackOutcome } from "../outcomes/tracker.ts";
import { acceptedEventTimes, describeEventTimeRefusal, isEventTimeAccepted } from "../windows/event-time.ts";
import { createRetrainState } from "./retrain.ts";
import type { EngineContext, EngineOutput, ModelState, PartitionState } from "./engine.ts";
import { outcomeLimitsOf, outcomeStateOf, performanceOutputs, segmentResolverOf } from "./performance-engine.ts";

export type OutcomeDisposition = "joined" | "early" | "duplicate" | "too_late";

export type OutcomeRejection = "timestamp_out_of_range" | "model_limit" | "performance_disabled";

export type OutcomeResult =
  | {
      outcome: OutcomeDisposition;
      outputs: EngineOutput[];
      /** how the model's join counters moved (expiries of other entries included) */
      counts: Partial<JoinCounters>;
    }
  | { outcome: OutcomeRejection; message: string; outputs: EngineOutput[] };

export function isOutcomeRejected(result: OutcomeResult): result is Extract<OutcomeResult, { message: string }> {
  return "message" in result;
}

function counterDelta(before: JoinCounters, after: JoinCounters): Partial<JoinCounters> {
  const delta: Partial<JoinCounters> = {};
  for (const k of Object.keys(after) as (keyof JoinCounters)[]) if (after[k] !== before[k]) delta[k] = after[k] - before[k];
  return delta;
}

function dispositionOf(delta: Partial<JoinCounters>): OutcomeDisposition {
  if ((delta.matched ?? 0) > 0) return "joined";
  if ((delta.tooLate ?? 0) > 0) return "too_late";
  if ((delta.duplicateOutcomes ?? 0) > 0) return "duplicate";
  return "early";
}

/** The outcome's model: tracked already, or admitted now (no versions until its first prediction). */
function modelFor(state: PartitionState, modelId: string, ctx: EngineContext): ModelState | undefined {
  const existing = state.models.get(modelId);
  if (existing !== undefined) return existing;
  if (!ctx.configuredModels.has(modelId)) {
    let unconfigured = 0;
    for (const m of state.models.values()) if (!ctx.configuredModels.has(m.modelId)) unconfigured++;
    // an outcome never evicts a model that has predictions: it waits (early) only when there is room
    if (unconfigured >= ctx.limits.maxModels) return undefined;
  }
  const model: ModelState = { modelId, versions: new Map(), retrain: createRetrainState() };
  state.models.set(modelId, model);
  state.dirtyCold.add(modelId);
  return model;
}

/**
 * Apply one validated outcome event at input position `offset` (of the outcomes topic); `wallClockMs` as for
 * applyPrediction. Returns what happened to it and the outputs of any performance window it closed.
 */
export function applyOutcome(
  state: PartitionState,
  outcome: OutcomeEvent,
  offset: string,
  ctx: EngineContext,
  wallClockMs: number,
): OutcomeResult {
  const accepted = acceptedEventTimes(state.maxEventTime, wallClockMs, ctx.eventTime);
  if (!isEventTimeAccepted(outcome.timestamp, accepted)) {
    return { outcome: "timestamp_out_of_range", message: describeEventTimeRefusal(outcome.timestamp, accepted), outputs: [] };
  }
  const settings = ctx.settingsFor(outcome.modelId);
  if (!settings.performance.enabled) {
    return { outcome: "performance_disabled", message: `model ${outcome.modelId} has performance.enabled false`, outputs: [] };
  }
  const model = modelFor(state, outcome.modelId, ctx);
  if (model === undefined) {
    state.counters.modelLimit++;
    return {
      outcome: "model_limit",
      message: `model ${outcome.modelId} is not tracked and the partition already tracks maxModels (${ctx.limits.maxModels}) models`,
      outputs: [],
    };
  }
  const outcomes = outcomeStateOf(model);
  const before = { ...outcomes.join.counters };
  const closed = trackOutcome(
    outcomes,
    {
      eventId: outcome.eventId,
      timestamp: outcome.timestamp,
      offset,
      actual: outcome.actual ?? null,
      actualClass: outcome.actualClass ?? null,
    },
    settings,
    outcomeLimitsOf(ctx.limits),
    segmentResolverOf(model),
    ctx.eventTime,
  );
  state.dirtyOutcomes.add(model.modelId);
  const outputs: EngineOutput[] = [];
  if (closed.length > 0) {
    state.dirtyCold.add(model.modelId);
    outputs.push(...performanceOutputs(model, closed, settings, state.partition, ctx.clock()));
  }
  const counts = counterDelta(before, outcomes.join.counters);
  return { outcome: dispositionOf(counts), outputs, counts };
}

/** End of input (replay): evaluate every open performance window with at least minOutcomes outcomes. */
export function flushPerformance(state: PartitionState, ctx: EngineContext): EngineOutput[] {
  const outputs: EngineOutput[] = [];
  const models = [...state.models.values()].sort((a, b) => (a.modelId < b.modelId ? -1 : a.modelId > b.modelId ? 1 : 0));
  for (const model of models) {
    if (model.outcomes === undefined) continue;
    const settings = ctx.settingsFor(model.modelId);
    const closed = flushPerformanceWindows(model.outcomes, settings, outcomeLimitsOf(ctx.limits));
    if (closed.length === 0) continue;
    state.dirtyOutcomes.add(model.modelId);
    state.dirtyCold.add(model.modelId);
    outputs.push(...performanceOutputs(model, closed, settings, state.partition, ctx.clock()));
  }
  return outputs;
}
