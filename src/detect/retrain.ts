// Retrain policy (design §4 "Retrain requests"): a request when the model stays critical for
// `retrain.consecutiveWindows` windows on a trigger signal — once per drift incident, plus a further
// one only when the evidence became materially worse than at the incident's last request (a critical
// signal not named before, or the driving effect size at least doubled). Never merely because time
// passed: the cooldown (`cooldownMs` of event time per model) is an upper bound on the rate, not a
// timer. The service adds a Redis lock on top so the cooldown also holds across replicas.
//
// Performance-first (issue 11): the trigger signals depend on the policy. Reason `performance`: the
// `performance` signal of a performance window (detect/performance-engine.ts). Reason `drift`: while
// outcomes flow for the version, only the signals named in `retrain.signals` (none when empty); without
// outcomes, the signals in `retrain.signals`, or any signal when it is empty (the rules before outcomes).
import type { RetrainReason, RetrainRequest, Status } from "../events/types.ts";
import type { ModelSettings } from "./settings.ts";
import type { ClosedWindow } from "../windows/window.ts";
import type { SignalEvaluation } from "./evaluate.ts";
import type { IncidentRetrainRecord } from "./incident.ts";
import { deterministicId } from "./ids.ts";
import { isSegmentMixSignal, parseSegmentSignal } from "../windows/segments.ts";

export interface RetrainState {
  /** consecutive evaluated windows with model status critical on a retrain signal */
  criticalStreak: number;
  /** window ids of the current streak (evidence), newest last, at most consecutiveWindows kept */
  streakWindows: string[];
  /** event time until which no new request is raised for this model */
  cooldownUntil: number;
  lastRequestId: string | null;
}

/** No cooldown yet: below every event time the schema allows (±2⁵²), negative epoch millis included. */
const NO_COOLDOWN = Number.MIN_SAFE_INTEGER;

export function createRetrainState(): RetrainState {
  return { criticalStreak: 0, streakWindows: [], cooldownUntil: NO_COOLDOWN, lastRequestId: null };
}

/** What may raise a request: drift windows (outcomes flowing or not) or performance windows. */
export interface RetrainPolicy {
  reason: Extract<RetrainReason, "drift" | "performance">;
  /** drift only: outcomes flow for the version, so drift alone retrains only on `retrain.signals` */
  outcomesFlowing: boolean;
}

export const DRIFT_RETRAIN_POLICY: RetrainPolicy = { reason: "drift", outcomesFlowing: false };

/** The parts of a window a request names: its id, its end (cooldown) and its first/last eventIds (request id). */
export type RetrainWindow = Pick<ClosedWindow, "id" | "end" | "firstEventId" | "lastEventId">;

function triggeringSignals(signals: readonly SignalEvaluation[], settings: ModelSettings, policy: RetrainPolicy): SignalEvaluation[] {
  const wanted = settings.retrain.signals;
  // a change of segment mix says who is scored, not that the model got worse: only when configured by name
  const triggers = (s: SignalEvaluation): boolean => {
    if (policy.reason === "performance") return s.signal === "performance" || parseSegmentSignal(s.signal)?.signal === "performance";
    if (policy.outcomesFlowing) return wanted.includes(s.signal);
    return wanted.length === 0 ? !isSegmentMixSignal(s.signal) : wanted.includes(s.signal);
  };
  return signals.filter((s) => s.status === "critical" && triggers(s));
}

export interface RetrainDecision {
  state: RetrainState;
  request: RetrainRequest | null;
  /** the incident's retrain record after this window */
  incidentRetrain: IncidentRetrainRecord;
}

/**
 * Whether triggers are materially worse than the evidence of the incident's earlier requests. Only signals
 * critical by their distribution test (W1, L∞, performance) count: a data-quality test (values outside the
 * reference range, unseen categories, missing, type change) joining a running incident is no new evidence
 * (README "Retrain requests"; deploy/docs/statistics.md, "Data quality during an incident").
 */
function materiallyWorse(record: IncidentRetrainRecord, triggers: readonly SignalEvaluation[]): boolean {
  if (record.requests === 0) return true;
  const distribution = distributionTriggers(triggers);
  if (distribution.some((s) => !record.critical.includes(s.signal))) return true;
  return record.effect > 0 && drivingEffect(distribution) >= 2 * record.effect;
}

function distributionTriggers(triggers: readonly SignalEvaluation[]): SignalEvaluation[] {
  return triggers.filter((s) => s.dataQuality !== true);
}

/** Largest effect size among the triggers gated by their distribution test (effects of shares are not comparable). */
function drivingEffect(triggers: readonly SignalEvaluation[]): number {
  return distributionTriggers(triggers).reduce((m, s) => Math.max(m, s.effect), 0);
}

export function decideRetrain(
  state: RetrainState,
  modelId: string,
  modelVersion: string,
  status: Status,
  window: RetrainWindow,
  signals: readonly SignalEvaluation[],
  settings: ModelSettings,
  requestedAt: number,
  incident: { id: string; retrain: IncidentRetrainRecord } | null,
  policy: RetrainPolicy = DRIFT_RETRAIN_POLICY,
): RetrainDecision {
  const record = incident?.retrain ?? { requests: 0, critical: [], effect: 0 };
  const triggers = status === "critical" && incident !== null ? triggeringSignals(signals, settings, policy) : [];
  if (triggers.length === 0) return { state: { ...state, criticalStreak: 0, streakWindows: [] }, request: null, incidentRetrain: record };
  const needed = settings.retrain.consecutiveWindows;
  const streakWindows = [...state.streakWindows, window.id].slice(-needed);
  const next: RetrainState = { ...state, criticalStreak: state.criticalStreak + 1, streakWindows };
  if (next.criticalStreak < needed || window.end < state.cooldownUntil || !materiallyWorse(record, triggers)) {
    return { state: next, request: null, incidentRetrain: record };
  }
  // the window's first/last eventIds make the id depend on the data, not only on window numbers
  const requestId = deterministicId("retrain", modelId, modelVersion, policy.reason, window.id, window.firstEventId, window.lastEventId);
  const statistics: Record<string, Record<string, number>> = {};
  for (const s of triggers) statistics[s.signal] = s.statistics;
  const request: RetrainRequest = {
    type: "retrain",
    requestId,
    modelId,
    modelVersion,
    reason: policy.reason,
    severity: "critical",
    evidence: { signals: triggers.map((s) => s.signal), windows: streakWindows, statistics },
    cooldownUntil: window.end + settings.retrain.cooldownMs,
    requestedAt,
    incidentId: incident?.id ?? null,
  };
  const incidentRetrain: IncidentRetrainRecord = {
    requests: record.requests + 1,
    critical: [...new Set([...record.critical, ...distributionTriggers(triggers).map((s) => s.signal)])].sort(),
    effect: Math.max(record.effect, drivingEffect(triggers)),
  };
  return { state: { ...next, cooldownUntil: request.cooldownUntil, lastRequestId: requestId }, request, incidentRetrain };
}
