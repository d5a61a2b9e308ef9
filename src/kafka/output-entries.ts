// Outbox entries of the detector's outputs: the JSON event, keyed by modelId, with headers that name it
// (`event-id` / `request-id`, the deterministic id consumers deduplicate by) and say what it is about, so
// the relay (cooldown lock, metrics) and downstream routers never parse the payload.
import { encodeJson } from "../events/codec.ts";
import type { BaselineEvent, DriftEvent, RetrainRequest } from "../events/types.ts";
import type { OutboxEntry } from "../state/port.ts";

const utf8 = new TextEncoder();

export function driftOutboxEntry(topic: string, event: DriftEvent): OutboxEntry {
  return {
    id: event.eventId,
    kind: "drift",
    topic,
    key: utf8.encode(event.modelId),
    value: encodeJson(event),
    headers: { "event-id": event.eventId, "model-id": event.modelId, "model-version": event.modelVersion, status: event.status },
  };
}

export function retrainOutboxEntry(topic: string, request: RetrainRequest): OutboxEntry {
  return {
    id: request.requestId,
    kind: "retrain",
    topic,
    key: utf8.encode(request.modelId),
    value: encodeJson(request),
    headers: {
      "request-id": request.requestId,
      "model-id": request.modelId,
      "model-version": request.modelVersion,
      reason: request.reason,
    },
  };
}

export function baselineOutboxEntry(topic: string, event: BaselineEvent): OutboxEntry {
  return {
    id: event.eventId,
    kind: "baseline",
    topic,
    key: utf8.encode(event.modelId),
    value: encodeJson(event),
    headers: { "event-id": event.eventId, "model-id": event.modelId, "model-version": event.modelVersion, kind: event.kind },
  };
}
