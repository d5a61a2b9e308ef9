// Confluent-framed Protobuf predictions and outcomes as confluent-kafka's Python ProtobufSerializer writes them
// (test/fixtures/protobuf/make_fixtures.py: google's protobuf runtime encodes, Confluent's serializer frames and
// registers). The expected events are written out by hand from what the generator set.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decodeJsonPrediction, decodeOutcomeMessage, decodePredictionMessage, type DecodeContext } from "../../../src/events/codec.ts";
import { frameConfluent } from "../../../src/events/confluent-framing.ts";
import { lowerCamel, ProtobufSchemaError, ProtobufWriter, readMessageIndexes } from "../../../src/events/protobuf-writer.ts";
import { mulberry32 } from "../../support/random.ts";

interface Fixtures {
  subjects: Record<string, { id: number; schema: string; references: string[] }>;
  messages: Record<string, string>;
}
const fixtures = JSON.parse(readFileSync(new URL("../../fixtures/protobuf/confluent-python.json", import.meta.url), "utf8")) as Fixtures;
const text = (path: string) => readFileSync(new URL(path, import.meta.url), "utf8");
const predictionProto = text("../../../schemas/prediction-event.proto");
const outcomeProto = text("../../../schemas/outcome-event.proto");
const shopProto = text("../../fixtures/protobuf/shop-scored-request.proto");
const framed = (name: string) => Buffer.from(fixtures.messages[name], "hex");
const context = (writer: ProtobufWriter): DecodeContext => ({ schemaForId: () => writer, maxMessageBytes: 1 << 20 });

// the schemas as Python registered them (base64 FileDescriptorProtos) and as .proto text, which a registry
// such as Confluent's returns
const registered = {
  prediction: new ProtobufWriter(fixtures.subjects["predictions-value"].schema),
  outcome: new ProtobufWriter(fixtures.subjects["outcomes-value"].schema),
  shop: new ProtobufWriter(fixtures.subjects["predictions-shop-value"].schema),
};
const fromText = {
  prediction: new ProtobufWriter(predictionProto),
  outcome: new ProtobufWriter(outcomeProto),
  shop: new ProtobufWriter(shopProto),
};

const fullPrediction = {
  eventId: "e-1",
  modelId: "fraud-scorer",
  modelVersion: "2026-01-15",
  timestamp: 1767225600000,
  prediction: 0,
  predictedClass: "legit",
  confidence: 0.9001,
  latencyMs: 11.75,
  features: { amount: 62.48, country: "US", device_trusted: false, merchant_risk: null, unset: null },
  attributes: { region: "eu" },
};

describe("Confluent Protobuf message indexes", () => {
  it("a count of 0 stands for [0]; counts and indexes are zigzag varints", () => {
    expect(readMessageIndexes(Uint8Array.of(0x00, 0x0a))).toEqual({ path: [0], next: 1 });
    expect(readMessageIndexes(Uint8Array.of(0x02, 0x02))).toEqual({ path: [1], next: 2 });
    expect(readMessageIndexes(Uint8Array.of(0x04, 0x04, 0x02))).toEqual({ path: [2, 1], next: 3 });
    // index 64: zigzag 128, two varint bytes
    expect(readMessageIndexes(Uint8Array.of(0x02, 0x80, 0x01))).toEqual({ path: [64], next: 3 });
  });

  it("a negative count or index, a count over 32 and a body ending in a varint are errors, not paths", () => {
    expect(readMessageIndexes(Uint8Array.of(0x01))).toBe("message indexes: a count of -1 (0 to 32 expected)");
    expect(readMessageIndexes(Uint8Array.of(0x42))).toBe("message indexes: a count of 33 (0 to 32 expected)");
    expect(readMessageIndexes(Uint8Array.of(0x02, 0x03))).toBe("message indexes: a negative index -2");
    expect(readMessageIndexes(Uint8Array.of())).toBe("message indexes: the body ends inside a varint");
    expect(readMessageIndexes(Uint8Array.of(0x04, 0x02, 0x80))).toBe("message indexes: the body ends inside a varint");
  });

  it("field names read as protoc's JSON names", () => {
    expect(["event_id", "latency_ms", "predicted_class", "eventId", "timestamp", "a__b"].map(lowerCamel)).toEqual([
      "eventId",
      "latencyMs",
      "predictedClass",
      "eventId",
      "timestamp",
      "aB",
    ]);
  });
});

describe("Confluent Protobuf predictions (schemas/prediction-event.proto)", () => {
  for (const [how, writer] of [
    ["as registered (a base64 FileDescriptorProto)", registered.prediction],
    ["as .proto text", fromText.prediction],
  ] as const) {
    it(`decode to the event the producer set, ${how}: a set 0 prediction is 0, unset and null_value features are missing`, () => {
      expect(decodePredictionMessage(framed("prediction"), context(writer))).toEqual({
        ok: true,
        format: "protobuf",
        schemaId: 1,
        event: fullPrediction,
      });
      // the same event as its JSON line
      const json = decodeJsonPrediction(new TextEncoder().encode(JSON.stringify(fullPrediction)));
      expect(json.ok && json.event).toEqual(fullPrediction);
    });

    it(`leave unset optional fields out and an empty map as none, ${how}`, () => {
      expect(decodePredictionMessage(framed("prediction-minimal"), context(writer))).toEqual({
        ok: true,
        format: "protobuf",
        schemaId: 1,
        event: { eventId: "e-2", modelId: "churn-model", modelVersion: "v3", timestamp: 1767225600033 },
      });
    });

    it(`are checked against the contract like Avro and JSON, ${how}`, () => {
      expect(decodePredictionMessage(framed("prediction-invalid"), context(writer))).toEqual({
        ok: false,
        reason: "schema_violation",
        field: "modelId",
        schemaId: 1,
        message: 'modelId: must match ^[A-Za-z0-9._-]{1,64}$, got string "bad model id"',
      });
    });
  }

  it("the detector's .proto has presence for every optional contract field: no warning", () => {
    expect(fromText.prediction.warnings).toEqual([]);
    expect(registered.prediction.warnings).toEqual([]);
  });

  it("a body cut short or a message index the schema does not have is a protobuf_decode_error naming the schema", () => {
    const whole = framed("prediction");
    const cut = decodePredictionMessage(whole.subarray(0, whole.length - 3), context(registered.prediction));
    expect(cut).toMatchObject({ ok: false, reason: "protobuf_decode_error", schemaId: 1 });
    expect(!cut.ok && cut.message).toMatch(/^Protobuf body does not decode with schema 1: PredictionEvent does not decode: /);
    // index 5 of a file with two messages
    const noSuch = decodePredictionMessage(frameConfluent(1, Uint8Array.of(0x02, 0x0a, 0x0a, 0x00)), context(registered.prediction));
    expect(noSuch).toEqual({
      ok: false,
      reason: "protobuf_decode_error",
      schemaId: 1,
      message: "Protobuf body does not decode with schema 1: message indexes [5]: the schema has no message at index 5",
    });
  });

  it("never throw, on 5 000 random bodies and 5 000 corruptions of a real one", () => {
    const rnd = mulberry32(9);
    const whole = framed("prediction");
    for (let i = 0; i < 10_000; i++) {
      let bytes: Uint8Array;
      if (i % 2 === 0) {
        bytes = new Uint8Array(5 + Math.floor(rnd() * 80));
        for (let j = 5; j < bytes.length; j++) bytes[j] = Math.floor(rnd() * 256);
      } else {
        bytes = Uint8Array.from(whole);
        for (let k = 0; k < 3; k++) bytes[5 + Math.floor(rnd() * (bytes.length - 5))] = Math.floor(rnd() * 256);
      }
      bytes.set([0, 0, 0, 0, 1], 0);
      const result = decodePredictionMessage(bytes, context(registered.prediction));
      if (!result.ok) expect(["protobuf_decode_error", "schema_violation", "non_finite_number", "invalid_utf8"]).toContain(result.reason);
    }
  });
});

describe("Confluent Protobuf outcomes (schemas/outcome-event.proto)", () => {
  it("decode to the outcome the producer set, as registered and as .proto text", () => {
    const outcome = { eventId: "e-1", modelId: "fraud-scorer", timestamp: 1767229200000, actualClass: "fraud" };
    for (const writer of [registered.outcome, fromText.outcome]) {
      expect(decodeOutcomeMessage(framed("outcome"), context(writer))).toEqual({
        ok: true,
        format: "protobuf",
        schemaId: 2,
        event: outcome,
      });
    }
  });
});

describe("a producer's own Protobuf message (test/fixtures/protobuf/shop-scored-request.proto)", () => {
  const shopEvent = {
    eventId: "e-4",
    modelId: "fraud-scorer",
    modelVersion: "2026-01-15",
    // google.protobuf.Timestamp 1767225600 s + 250 999 999 ns, to whole milliseconds
    timestamp: 1767225600250,
    // a double without presence, unset: its default
    prediction: 0,
    predictedClass: "FRAUD",
    confidence: 0.75,
    // google.protobuf.Struct
    features: { amount: 12.5, country: "NL", vip: true, missing: null },
    attributes: { region: "eu" },
  };

  it("is read by field name: the second message, other numbers, an extra field, Timestamp, Struct and an enum", () => {
    for (const writer of [registered.shop, fromText.shop]) {
      expect(decodePredictionMessage(framed("shop"), context(writer))).toEqual({
        ok: true,
        format: "protobuf",
        schemaId: 3,
        event: shopEvent,
      });
    }
  });

  it("warns that its confidence and prediction have no presence", () => {
    const warnings = [
      "ScoredRequest.confidence has no presence (proto3 without `optional`): an unset value reads as 0, not as none",
      "ScoredRequest.prediction has no presence (proto3 without `optional`): an unset value reads as 0, not as none",
    ];
    expect(registered.shop.warnings).toEqual(warnings);
    expect(fromText.shop.warnings).toEqual(warnings);
  });

  it("a nested message after a map field: found by the descriptor's order (which counts the map's entry), refused from text", () => {
    expect(decodePredictionMessage(framed("shop-nested"), context(registered.shop))).toEqual({
      ok: true,
      format: "protobuf",
      schemaId: 3,
      event: { eventId: "e-5", modelId: "eta-regressor", modelVersion: "2026.02.1", timestamp: 1767225600066, prediction: 25.12 },
    });
    const fromProtoText = decodePredictionMessage(framed("shop-nested"), context(fromText.shop));
    expect(fromProtoText).toMatchObject({ ok: false, reason: "protobuf_decode_error", schemaId: 3 });
    expect(!fromProtoText.ok && fromProtoText.message).toContain("message indexes [2, 1] name a nested message of Batch");
  });
});

describe("Protobuf schemas that cannot be read", () => {
  it("text that does not parse, an import that is not among the references, and a base64 that is no descriptor throw ProtobufSchemaError", () => {
    expect(() => new ProtobufWriter('syntax = "proto3"; message P { string id = }')).toThrow(ProtobufSchemaError);
    expect(() => new ProtobufWriter('syntax = "proto3"; import "common/ids.proto"; message P { common.Id id = 1; }')).toThrow(
      "imports common/ids.proto, which is not among the schema's references",
    );
    expect(() => new ProtobufWriter("bm90IGEgZGVzY3JpcHRvcg==")).toThrow(ProtobufSchemaError);
  });

  it("a reference that defines a message of the schema again is an error of the schema, not of protobufjs", () => {
    const twice = { name: "p.proto", schema: 'syntax = "proto3"; message P { string a = 1; }' };
    expect(() => new ProtobufWriter('syntax = "proto3"; import "p.proto"; message P { string b = 1; }', [twice])).toThrow(
      /^the schema does not resolve: duplicate name 'P'/,
    );
  });

  it("an import among the references resolves", () => {
    const ids = {
      name: "common/ids.proto",
      schema: 'syntax = "proto3"; package common; message Ids { string event_id = 1; string model_id = 2; }',
    };
    const writer = new ProtobufWriter(
      'syntax = "proto3"; import "common/ids.proto"; message P { common.Ids ids = 1; int64 timestamp = 2; }',
      [ids],
    );
    const type = writer.messageAt([0]);
    expect(typeof type !== "string" && type.name).toBe("P");
  });
});
