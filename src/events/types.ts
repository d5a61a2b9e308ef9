// TypeScript shapes of the event contracts (design §3). schemas/*.avsc and schemas/*.schema.json are the
// source of truth; test/unit/events/contracts.test.ts proves zod, JSON Schema and Avro agree with them.

export type FeatureValue = number | string | boolean | null;

export interface PredictionEvent {
  eventId: string;
  modelId: string;
  modelVersion: string;
  /** event time, epoch millis (JSON input may give ISO-8601; decoders normalise to millis) */
  timestamp: number;
  prediction?: number | null;
  predictedClass?: string | null;
  confidence?: number | null;
  latencyMs?: number | null;
  features?: Record<string, FeatureValue> | null;
  attributes?: Record<string, string> | null;
}

export interface OutcomeEvent {
  eventId: string;
  modelId: string;
  timestamp: number;
  actual?: number | null;
  actualClass?: string | null;
}

export type Status = "ok" | "warning" | "critical";

export interface WindowRef {
  id: string;
  start: number;
  end: number;
  count: number;
  partition: number;
  firstOffset: string;
  lastOffset: string;
}

export interface BaselineRef {
  kind: "reference" | "rolling";
  id: string;
  count: number;
}

export type SignalKind = "numeric" | "categorical";

export interface SignalResult {
  signal: string;
  kind: SignalKind;
  status: Status;
  /** statistic name → value (numeric: psi, ks, ksPValue, wasserstein, jsDistance, hellinger, meanShiftSigma, …) */
  statistics: Record<string, number>;
  threshold: { statistic: string; value: number };
  /** the baseline this signal's statistics were computed against (absent in events before incidents existed) */
  baseline?: BaselineRef | null;
}

/** The drift incident a DriftEvent belongs to: from the status leaving ok to its return. */
export interface IncidentRef {
  /** deterministic: derived from the first drifted window of the incident */
  id: string;
  /** event time the incident started (start of its first drifted window) */
  start: number;
  startWindow: string;
  /** evaluated windows since the start, this one included */
  windows: number;
  /** event time from the start to the end of this window */
  durationMs: number;
  /** worst model status so far */
  peakStatus: Status;
  /** the largest effect size among drifting signals so far, and what it was */
  peakSignal: string;
  peakStatistic: string;
  peakValue: number;
  /** true on the recovery event that ends the incident */
  ended: boolean;
}

export interface DriftEvent {
  type: "drift";
  eventId: string;
  modelId: string;
  modelVersion: string;
  status: Status;
  previousStatus: Status;
  window: WindowRef;
  baseline: BaselineRef;
  signals: SignalResult[];
  emittedAt: number;
  incident?: IncidentRef | null;
  /** worst data-quality test of the window (missing, out-of-range, unseen and type-change shares) */
  dataQuality?: Status | null;
  /** label-free accuracy estimate of the window from its confidence (classifiers with outcomes flowing) */
  estimatedAccuracy?: number | null;
}

export type RetrainReason = "drift" | "performance" | "manual" | "max_age";

export interface RetrainEvidence {
  signals: string[];
  windows: string[];
  /** signal → statistic name → value, from the window that triggered the request */
  statistics: Record<string, Record<string, number>>;
}

export interface RetrainRequest {
  type: "retrain";
  requestId: string;
  modelId: string;
  modelVersion: string;
  reason: RetrainReason;
  severity: Status;
  evidence: RetrainEvidence;
  cooldownUntil: number;
  requestedAt: number;
  /** the drift incident that raised the request */
  incidentId?: string | null;
  /** the operator's reason of a manual request (`drift-detector retrain --reason`) */
  note?: string | null;
}

/** How the reference of a re-pinned model version is captured again (the model's baseline settings then). */
export interface CaptureRuleRef {
  warmupWindows: number;
  referenceDurationMs: number | null;
  seasonality: "none" | "hourOfDay" | "dayOfWeek" | "hourOfWeek" | "monthOfYear";
}

/**
 * A change of a model version's reference made by an operator (`baseline repin`, `baseline reset`), on the
 * baseline topic: the pinned reference was dropped in this partition and a new one is captured from the
 * windows that close from now on, by `capture`.
 */
export interface BaselineEvent {
  type: "baseline";
  /** deterministic: request, model version and partition */
  eventId: string;
  /** repinned: `baseline repin` (ends an open incident); reset: `baseline reset` (keeps status and incident) */
  kind: "reference_repinned" | "reference_reset";
  modelId: string;
  modelVersion: string;
  partition: number;
  /** the operator's request (one request reaches every partition of the predictions topic) */
  requestId: string;
  requestedAt: number;
  /** the reference that was dropped; null when the version was still capturing one */
  previousReference: BaselineRef | null;
  /** the drift incident the re-pin ended, if one was open */
  endedIncidentId?: string | null;
  capture: CaptureRuleRef;
  emittedAt: number;
}
