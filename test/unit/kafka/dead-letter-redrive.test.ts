// Which records of the dead-letter topic `dead-letters redrive` sends back, and where: the dead letters as the
// relay writes them (deadLetterEntry, fitDeadLetter, deadLetterFallback), read back as a consumer sees them.
import { describe, expect, it } from "vitest";
import { deadLetterEntry, deadLetterFallback, fitDeadLetter, outputFallback, redriveDecision } from "../../../src/kafka/dead-letter.ts";
import { schemaGuidHeader, VALUE_SCHEMA_ID_HEADER } from "../../../src/events/confluent-framing.ts";
import type { OutboxEntry } from "../../../src/state/port.ts";

const filter = { reason: "unknown_schema_id", sourceTopics: ["ml.predictions", "ml.outcomes"] };
const value = Buffer.from([0, 0, 0, 0, 7, 2, 101]);

function deadLetter(topic: string, reason: string, bytes: Uint8Array = value, maxValueBytes = 1024): OutboxEntry {
  return deadLetterEntry(
    "ml.predictions.dlq",
    { topic, partition: 2, offset: "41", key: Buffer.from("fraud-scorer"), value: bytes },
    { reason, message: "schema id 7 is not known", schemaId: 7 },
    maxValueBytes,
  );
}

/** The record a consumer of the DLQ topic reads for an entry the relay sent whole. */
function asRead(entry: OutboxEntry) {
  const message = fitDeadLetter(entry);
  if (message === null) throw new Error("does not fit");
  return message;
}

describe("dead-letters redrive: which dead letters go back", () => {
  it("a dead letter of the reason goes back to its source topic and partition, key and value as they were, traced by its id", () => {
    expect(redriveDecision(asRead(deadLetter("ml.predictions", "unknown_schema_id")), filter)).toEqual({
      kind: "redrive",
      topic: "ml.predictions",
      partition: 2,
      key: Buffer.from("fraud-scorer"),
      value,
      headers: { "redriven-from": "dlq:ml.predictions:2:41" },
    });
    expect(redriveDecision(asRead(deadLetter("ml.outcomes", "unknown_schema_id")), filter)).toMatchObject({
      kind: "redrive",
      topic: "ml.outcomes",
    });
  });

  it("a bare body whose schema is named by its __value_schema_id header keeps that header, and goes back with it byte for byte", () => {
    const header = schemaGuidHeader("0f8a2b4c-1d3e-4f50-8a6b-7c8d9e0f1a2b", Uint8Array.of(0));
    const entry = deadLetterEntry(
      "ml.predictions.dlq",
      {
        topic: "ml.predictions",
        partition: 2,
        offset: "41",
        key: null,
        value: Uint8Array.of(2, 101),
        headers: { [VALUE_SCHEMA_ID_HEADER]: header, traceparent: "00-abc" },
      },
      { reason: "unknown_schema_id", message: "schema GUID 0f8a2b4c-… is not known", schemaId: "0f8a2b4c-1d3e-4f50-8a6b-7c8d9e0f1a2b" },
      1024,
    );
    expect(entry.headers["source-value-schema-id"]).toBe(Buffer.from(header).toString("base64"));
    expect(entry.headers["schema-id"]).toBe("0f8a2b4c-1d3e-4f50-8a6b-7c8d9e0f1a2b");
    expect(entry.headers.traceparent).toBeUndefined();
    expect(redriveDecision(asRead(entry), filter)).toEqual({
      kind: "redrive",
      topic: "ml.predictions",
      partition: 2,
      key: null,
      value: Buffer.from([2, 101]),
      headers: { "redriven-from": "dlq:ml.predictions:2:41", [VALUE_SCHEMA_ID_HEADER]: Buffer.from(header) },
    });
  });

  it("a bare body whose schema Apicurio's headers name keeps them (the id and the encoding), and goes back with them byte for byte", () => {
    const globalId = Buffer.from("0000000000000003", "hex");
    const entry = deadLetterEntry(
      "ml.predictions.dlq",
      {
        topic: "ml.predictions",
        partition: 2,
        offset: "41",
        key: null,
        value: Uint8Array.of(2, 101),
        headers: {
          "apicurio.value.globalId": globalId,
          "apicurio.value.encoding": Buffer.from("BINARY"),
          "apicurio.key.globalId": globalId,
        },
      },
      { reason: "unknown_schema_id", message: "Apicurio globalId 3 is not known", schemaId: "globalId:3" },
      1024,
    );
    expect(entry.headers["source-header-apicurio.value.globalId"]).toBe(globalId.toString("base64"));
    expect(entry.headers["source-header-apicurio.value.encoding"]).toBe(Buffer.from("BINARY").toString("base64"));
    expect(entry.headers["schema-id"]).toBe("globalId:3");
    expect(Object.keys(entry.headers).filter((k) => k.includes("apicurio.key"))).toEqual([]);
    expect(redriveDecision(asRead(entry), filter)).toMatchObject({
      kind: "redrive",
      headers: {
        "redriven-from": "dlq:ml.predictions:2:41",
        "apicurio.value.globalId": globalId,
        "apicurio.value.encoding": Buffer.from("BINARY"),
      },
    });
  });

  it("another reason, or a source topic that is not an input of the detector, is passed over", () => {
    expect(redriveDecision(asRead(deadLetter("ml.predictions", "schema_violation")), filter)).toEqual({ kind: "other" });
    expect(redriveDecision(asRead(deadLetter("other.topic", "unknown_schema_id")), filter)).toEqual({ kind: "other" });
    expect(
      redriveDecision(asRead(deadLetter("ml.outcomes", "unknown_schema_id")), { ...filter, sourceTopics: ["ml.predictions"] }),
    ).toEqual({
      kind: "other",
    });
  });

  it("a truncated value or a delivery fallback is not sent back: the DLQ does not hold the whole message", () => {
    const big = deadLetter("ml.predictions", "unknown_schema_id", new Uint8Array(2000), 100);
    expect(redriveDecision(asRead(big), filter)).toEqual({ kind: "not-redrivable", why: "its value was truncated (2000 bytes)" });
    const fallback = deadLetterFallback(deadLetter("ml.predictions", "unknown_schema_id"), {
      cause: "MESSAGE_TOO_LARGE",
      detail: "too large",
    });
    expect(redriveDecision(fallback, filter)).toEqual({ kind: "not-redrivable", why: "a delivery fallback: the DLQ holds no value" });
  });

  it("an output that could not be delivered is never sent to an input topic", () => {
    const output: OutboxEntry = {
      id: "drift:x",
      kind: "drift",
      topic: "ml.drift-events",
      key: null,
      value: new Uint8Array(10),
      headers: {},
    };
    const record = outputFallback(output, { topic: "ml.predictions", partition: 0 }, { cause: "MESSAGE_TOO_LARGE", detail: "" });
    expect(redriveDecision(record, { ...filter, reason: "output_undeliverable" })).toEqual({
      kind: "not-redrivable",
      why: "a delivery fallback: the DLQ holds no value",
    });
  });
});
