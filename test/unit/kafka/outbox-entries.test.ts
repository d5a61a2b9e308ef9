import { describe, expect, it } from "vitest";
import { deadLetterEntry } from "../../../src/kafka/dead-letter.ts";
import { driftOutboxEntry, retrainOutboxEntry } from "../../../src/kafka/output-entries.ts";
import { createOutputEncoder } from "../../../src/kafka/producer.ts";
import type { DriftEvent, RetrainRequest } from "../../../src/events/types.ts";

const drift = {
  type: "drift",
  eventId: "d-1",
  modelId: "fraud",
  modelVersion: "v2",
  status: "critical",
  previousStatus: "warning",
} as unknown as DriftEvent;
const retrain = { type: "retrain", requestId: "r-1", modelId: "fraud", modelVersion: "v2", reason: "drift" } as unknown as RetrainRequest;

describe("typed outbox entries", () => {
  it("a drift event is keyed by model and names its id, model, version and status in headers", () => {
    const entry = driftOutboxEntry("ml.drift-events", drift);
    expect(entry).toMatchObject({ id: "d-1", kind: "drift", topic: "ml.drift-events" });
    expect(Buffer.from(entry.key!).toString()).toBe("fraud");
    expect(entry.headers).toEqual({ "event-id": "d-1", "model-id": "fraud", "model-version": "v2", status: "critical" });
    expect(JSON.parse(Buffer.from(entry.value).toString())).toEqual(drift);
  });

  it("a retrain request names its request id and reason", () => {
    const entry = retrainOutboxEntry("ml.retrain-requests", retrain);
    expect(entry).toMatchObject({ id: "r-1", kind: "retrain" });
    expect(entry.headers).toEqual({ "request-id": "r-1", "model-id": "fraud", "model-version": "v2", reason: "drift" });
  });

  it("a dead letter keeps the original key and value bytes and carries reason and source in headers", () => {
    const key = Uint8Array.from([0, 255, 10]);
    const entry = deadLetterEntry(
      "ml.predictions.dlq",
      { topic: "ml.predictions", partition: 3, offset: "42", key, value: Uint8Array.from([1, 2, 3]), timestamp: "1700" },
      { reason: "schema_violation", message: "x".repeat(2_000), field: "timestamp" },
      1_000,
    );
    expect(entry).toMatchObject({ id: "dlq:ml.predictions:3:42", kind: "dead-letter", topic: "ml.predictions.dlq" });
    expect([...entry.key!]).toEqual([0, 255, 10]);
    expect([...entry.value]).toEqual([1, 2, 3]);
    expect(entry.headers).toEqual({
      reason: "schema_violation",
      "source-topic": "ml.predictions",
      "source-partition": "3",
      "source-offset": "42",
      error: "x".repeat(1_000),
      "dlq-id": "dlq:ml.predictions:3:42",
      field: "timestamp",
      "source-timestamp": "1700",
    });
  });

  it("a dead letter over the value limit is truncated and says so; a null key stays null", () => {
    const entry = deadLetterEntry(
      "dlq",
      { topic: "p", partition: 0, offset: "7", key: null, value: new Uint8Array(10) },
      { reason: "oversize", message: "big" },
      4,
    );
    expect(entry.key).toBeNull();
    expect(entry.value.length).toBe(4);
    expect(entry.headers).toMatchObject({ "value-truncated": "true", "original-size": "10" });
  });

  it("the JSON encoder publishes entries as they are, adding the content type to outputs only", () => {
    const encoder = createOutputEncoder();
    const encoded = encoder.encode(driftOutboxEntry("drift", drift));
    if (!encoded.ok) throw new Error(encoded.detail);
    const out = encoded.message;
    expect(out.key?.toString()).toBe("fraud");
    expect(out.headers).toEqual({
      "event-id": "d-1",
      "model-id": "fraud",
      "model-version": "v2",
      status: "critical",
      "content-type": "application/json",
    });
    const encodedDead = encoder.encode(
      deadLetterEntry(
        "dlq",
        { topic: "p", partition: 0, offset: "7", key: null, value: Uint8Array.from([9]) },
        { reason: "r", message: "m" },
        4,
      ),
    );
    if (!encodedDead.ok) throw new Error(encodedDead.detail);
    const dead = encodedDead.message;
    expect(dead.key).toBeNull();
    expect([...dead.value]).toEqual([9]);
    expect(dead.headers["content-type"]).toBeUndefined();
  });
});
