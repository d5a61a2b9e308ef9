// A manual RetrainRequest (`drift-detector retrain`): reason `manual`, the operator's text as `note`. Its
// id is derived from the model, version, text and request time, so the same invocation (retried by the
// idempotent producer) is one request downstream, and another invocation is another request.
import type { RetrainRequest, Status } from "../events/types.ts";
import { deterministicId } from "./ids.ts";

export interface ManualRetrainInput {
  modelId: string;
  modelVersion: string;
  note: string;
  /** the version's current status (ok when the detector holds no state of it) */
  severity: Status;
  /** wall clock of the request, and the cooldown it starts */
  requestedAt: number;
  cooldownMs: number;
  /** the version's open incident, if any */
  incidentId: string | null;
  /** the version's last closed window, if known (evidence) */
  lastWindow: string | null;
}

export function manualRetrainRequest(input: ManualRetrainInput): RetrainRequest {
  return {
    type: "retrain",
    requestId: deterministicId("retrain", input.modelId, input.modelVersion, "manual", input.note, input.requestedAt),
    modelId: input.modelId,
    modelVersion: input.modelVersion,
    reason: "manual",
    severity: input.severity,
    evidence: { signals: [], windows: input.lastWindow === null ? [] : [input.lastWindow], statistics: {} },
    cooldownUntil: input.requestedAt + input.cooldownMs,
    requestedAt: input.requestedAt,
    incidentId: input.incidentId,
    note: input.note,
  };
}
