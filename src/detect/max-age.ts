// Age-based retraining (`retrain.maxAgeMs`, off by default): a reference whose data ends longer ago than
// maxAgeMs of event time raises one RetrainRequest with reason `max_age` — once per reference (the engine
// records the reference id it asked for), not once per window or per cooldown. Like drift requests it
// waits for the model's event-time cooldown; the service's Redis lock bounds it across replicas.
import type { RetrainRequest } from "../events/types.ts";
import type { Baseline } from "../baseline/baseline.ts";
import type { ClosedWindow } from "../windows/window.ts";
import { deterministicId } from "./ids.ts";

export interface MaxAgeInput {
  modelId: string;
  modelVersion: string;
  reference: Baseline | null;
  /** id of the reference a max_age request was already raised for (null: none) */
  requestedFor: string | null;
  window: ClosedWindow;
  maxAgeMs: number | undefined;
  /** the model's event-time cooldown (RetrainState.cooldownUntil) and its length */
  cooldownUntil: number;
  cooldownMs: number;
  requestedAt: number;
}

/** Event time from the end of the reference's data to the end of `window`. */
export function referenceAgeMs(reference: Pick<Baseline, "end">, window: Pick<ClosedWindow, "end">): number {
  return window.end - reference.end;
}

export function decideMaxAgeRetrain(input: MaxAgeInput): RetrainRequest | null {
  const { reference, window, maxAgeMs } = input;
  if (maxAgeMs === undefined || reference === null || input.requestedFor === reference.id) return null;
  const ageMs = referenceAgeMs(reference, window);
  if (ageMs <= maxAgeMs || window.end < input.cooldownUntil) return null;
  return {
    type: "retrain",
    requestId: deterministicId("retrain", input.modelId, input.modelVersion, "max_age", reference.id, window.id, window.lastEventId),
    modelId: input.modelId,
    modelVersion: input.modelVersion,
    reason: "max_age",
    severity: "warning",
    evidence: { signals: [], windows: [window.id], statistics: { "baseline:reference": { ageMs, maxAgeMs } } },
    cooldownUntil: window.end + input.cooldownMs,
    requestedAt: input.requestedAt,
    incidentId: null,
  };
}
