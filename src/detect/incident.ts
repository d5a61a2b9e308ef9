// Drift incidents (design §4): an incident runs from the model status leaving ok to its return. Its id is
// derived from the first window of the run of drifted windows that raised the status, so replays and
// other batchings give the same id. DriftEvents are emitted when the status changes, when the set of
// drifting signals changes, and while nothing changes at most every `reportEveryWindows` windows.
import type { IncidentRef, Status } from "../events/types.ts";
import type { ClosedWindow } from "../windows/window.ts";
import type { SignalEvaluation, WindowEvaluation } from "./evaluate.ts";
import { STATUS_RANK } from "./evaluate.ts";
import { deterministicId } from "./ids.ts";

/** Evidence at the last retrain request of an incident: a further request needs materially worse evidence. */
export interface IncidentRetrainRecord {
  requests: number;
  /** signals critical by their distribution test (not a data-quality test) in the requests so far */
  critical: string[];
  /** largest driving effect size of a distribution test (W1, L∞, performance) at a request so far */
  effect: number;
}

export interface IncidentState {
  id: string;
  /** event time of the first drifted window */
  start: number;
  startWindow: string;
  /** evaluated windows since the start, this one included */
  windows: number;
  /** false while the drifted windows have not raised the status yet (hysteresis) */
  open: boolean;
  peakStatus: Status;
  peakSignal: string;
  peakStatistic: string;
  peakValue: number;
  /** drifting signals at the last DriftEvent, sorted */
  reported: string[];
  windowsSinceReport: number;
  retrain: IncidentRetrainRecord;
}

export interface IncidentStep {
  state: IncidentState | null;
  /** whether this window's evaluation is published as a DriftEvent */
  report: boolean;
  /** the incident this window belongs to (also for the recovery event that ends it) */
  incident: IncidentRef | null;
}

function driftingSignals(signals: readonly SignalEvaluation[]): string[] {
  return signals.filter((s) => s.status !== "ok").map((s) => s.signal);
}

function updatePeak(state: IncidentState, signals: readonly SignalEvaluation[], status: Status): void {
  if (STATUS_RANK[status] > STATUS_RANK[state.peakStatus]) state.peakStatus = status;
  for (const s of signals) {
    if (s.status === "ok") continue;
    if (state.peakSignal === "" || s.effect > state.peakValue) {
      state.peakSignal = s.signal;
      state.peakStatistic = s.threshold.statistic;
      state.peakValue = s.effect;
    }
  }
}

/** The parts of a window an incident reads (a prediction window or a performance window). */
export type IncidentWindow = Pick<ClosedWindow, "id" | "start" | "end" | "firstEventId" | "lastEventId">;

export function incidentRef(state: IncidentState, window: IncidentWindow, ended: boolean): IncidentRef {
  return {
    id: state.id,
    start: state.start,
    startWindow: state.startWindow,
    windows: state.windows,
    durationMs: Math.max(0, window.end - state.start),
    peakStatus: state.peakStatus,
    peakSignal: state.peakSignal,
    peakStatistic: state.peakStatistic,
    peakValue: state.peakValue,
    ended,
  };
}

function freshIncident(modelId: string, modelVersion: string, window: IncidentWindow): IncidentState {
  return {
    id: deterministicId("incident", modelId, modelVersion, window.id, window.firstEventId, window.lastEventId),
    start: window.start,
    startWindow: window.id,
    windows: 0,
    open: false,
    peakStatus: "ok",
    peakSignal: "",
    peakStatistic: "",
    peakValue: 0,
    reported: [],
    windowsSinceReport: 0,
    retrain: { requests: 0, critical: [], effect: 0 },
  };
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Advance the incident of a model version by one evaluated window (status after hysteresis). Pure. */
export function nextIncident(
  current: IncidentState | null,
  modelId: string,
  modelVersion: string,
  window: IncidentWindow,
  evaluation: Pick<WindowEvaluation, "signals" | "level">,
  status: Status,
  previousStatus: Status,
  reportEveryWindows: number,
): IncidentStep {
  const drifting = driftingSignals(evaluation.signals);
  if (status === "ok" && previousStatus === "ok") {
    // drifted windows that have not (yet) raised the status: remember where the run began
    if (evaluation.level === "ok") return { state: null, report: false, incident: null };
    const pending: IncidentState = { ...(current ?? freshIncident(modelId, modelVersion, window)) };
    pending.windows++;
    updatePeak(pending, evaluation.signals, "ok");
    return { state: pending, report: false, incident: null };
  }
  const base = current ?? freshIncident(modelId, modelVersion, window);
  const next: IncidentState = { ...base, open: true, windows: base.windows + 1, windowsSinceReport: base.windowsSinceReport + 1 };
  updatePeak(next, evaluation.signals, status);
  if (status === "ok") return { state: null, report: true, incident: incidentRef(next, window, true) };
  const report = status !== previousStatus || !sameSet(drifting, next.reported) || next.windowsSinceReport >= reportEveryWindows;
  if (report) {
    next.reported = drifting;
    next.windowsSinceReport = 0;
  }
  return { state: next, report, incident: incidentRef(next, window, false) };
}
