import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  decodeJsonPrediction,
  decodeOutcomeMessage,
  decodePredictionMessage,
  encodeAvroEvent,
  encodeDriftEventAvro,
  encodeJson,
  encodeRetrainRequestAvro,
  EventEncodeError,
} from "../../../src/events/codec.ts";
import type { DecodeContext } from "../../../src/events/codec.ts";
import {
  ConfluentFrameError,
  frameConfluent,
  JSON_SCHEMA_WRITER,
  parseConfluentFrame,
  UnreadableSchema,
  type SchemaKey,
  type WriterSchema,
} from "../../../src/events/confluent-framing.ts";
import { REJECTION_REASONS } from "../../../src/events/decode-result.ts";
import { avroTypeForSchema, loadAvroSchema, loadAvroType } from "../../../src/events/schema-files.ts";
import type { DriftEvent, RetrainRequest } from "../../../src/events/types.ts";
import {
  ajvErrorPaths,
  avroErrorPaths,
  readCodecFixture,
  validFixtures,
  withIsoTimestampNormalised,
  zodErrorPaths,
} from "./contract-validators.ts";
import { mulberry32 } from "../../support/random.ts";

const predictionType = loadAvroType("prediction-event");
const outcomeType = loadAvroType("outcome-event");
const known = new Map<SchemaKey, WriterSchema>([
  [42, predictionType],
  [7, predictionType],
  [4294967295, predictionType],
  [9, outcomeType],
]);
const ctx: DecodeContext = { schemaForId: (id) => known.get(id), maxMessageBytes: 1024 * 1024 };

const hex = (s: string) => Uint8Array.from(Buffer.from(s, "hex"));
const utf8 = (s: string) => new TextEncoder().encode(s);

/** seeded so failures reproduce */
const prng = mulberry32;

interface CodecCase {
  name: string;
  schemaId: number;
  hex: string;
  decoded: Record<string, unknown>;
}
const framedCases = (readCodecFixture("prediction-avro-framed.json") as { cases: CodecCase[] }).cases;

describe("Confluent-framed Avro predictions decode to the committed values", () => {
  for (const c of framedCases) {
    it(`${c.name}: schema id ${c.schemaId} and the decoded event match the fixture`, () => {
      const bytes = hex(c.hex);
      expect(parseConfluentFrame(bytes).schemaId).toBe(c.schemaId);
      expect(decodePredictionMessage(bytes, ctx)).toEqual({ ok: true, format: "avro", schemaId: c.schemaId, event: c.decoded });
    });
    it(`${c.name}: avsc re-encodes the decoded value to the same bytes`, () => {
      const body = predictionType.toBuffer(c.decoded);
      expect(Buffer.from(frameConfluent(c.schemaId, body)).toString("hex")).toBe(c.hex);
      expect(Buffer.from(encodeAvroEvent("prediction-event", c.schemaId, c.decoded)).toString("hex")).toBe(c.hex);
    });
  }
});

describe("Confluent framing", () => {
  it("frames as magic byte 0, big-endian id, body", () => {
    expect(Array.from(frameConfluent(258, Uint8Array.of(9, 8)))).toEqual([0, 0, 0, 1, 2, 9, 8]);
    expect(parseConfluentFrame(Uint8Array.of(0, 0, 0, 1, 2, 9, 8))).toEqual({ schemaId: 258, body: Uint8Array.of(9, 8) });
  });
  it("rejects frames shorter than 5 bytes, a wrong magic byte and ids that are not uint32", () => {
    expect(() => parseConfluentFrame(Uint8Array.of(0, 0, 0, 1))).toThrow(ConfluentFrameError);
    expect(() => parseConfluentFrame(Uint8Array.of(1, 0, 0, 0, 1))).toThrow(/magic byte/);
    expect(() => frameConfluent(-1, new Uint8Array())).toThrow(ConfluentFrameError);
    expect(() => frameConfluent(2 ** 32, new Uint8Array())).toThrow(ConfluentFrameError);
  });
});

describe("telling formats apart and rejecting with a reason", () => {
  const minimal = { eventId: "e", modelId: "m", modelVersion: "1", timestamp: 5 };
  const cases: { name: string; bytes: Uint8Array | null; reason: string; field?: string; schemaId?: number }[] = [
    { name: "null value (tombstone)", bytes: null, reason: "empty" },
    { name: "zero bytes", bytes: new Uint8Array(0), reason: "empty" },
    { name: "only whitespace", bytes: utf8(" \n\t "), reason: "empty" },
    { name: "a JSON array", bytes: utf8("[1,2]"), reason: "unknown_format" },
    { name: "plain text", bytes: utf8("hello"), reason: "unknown_format" },
    { name: "a magic byte other than 0", bytes: Uint8Array.of(1, 0, 0, 0, 42, 2), reason: "unknown_format" },
    { name: "a frame of 3 bytes", bytes: Uint8Array.of(0, 0, 0), reason: "avro_decode_error" },
    { name: "an unknown schema id", bytes: Uint8Array.of(0, 0, 0, 0x30, 0x39, 2, 0x65), reason: "unknown_schema_id", schemaId: 12345 },
    { name: "truncated JSON", bytes: utf8('{"eventId":"e",'), reason: "invalid_json" },
    { name: "invalid UTF-8 in JSON", bytes: Uint8Array.of(0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d), reason: "invalid_utf8" },
    {
      name: "a 1e999 latency (Infinity after JSON.parse)",
      bytes: utf8('{"eventId":"e","modelId":"m","modelVersion":"1","timestamp":1,"latencyMs":1e999}'),
      reason: "non_finite_number",
      field: "latencyMs",
    },
    {
      name: "negative latency",
      bytes: utf8('{"eventId":"e","modelId":"m","modelVersion":"1","timestamp":1,"latencyMs":-1}'),
      reason: "schema_violation",
      field: "latencyMs",
    },
    {
      name: "an oversize message",
      bytes: utf8(JSON.stringify({ ...minimal, predictedClass: "x".repeat(1024 * 1024) })),
      reason: "oversize",
    },
    {
      name: "trailing bytes after an Avro body",
      bytes: Uint8Array.from([...encodeAvroEvent("prediction-event", 7, minimal), 0]),
      reason: "avro_decode_error",
      schemaId: 7,
    },
    {
      name: "an outcome schema id on the predictions topic",
      bytes: encodeAvroEvent("outcome-event", 9, { eventId: "e", modelId: "m", timestamp: 1 }),
      reason: "schema_violation",
      field: "modelVersion",
      schemaId: 9,
    },
  ];
  for (const c of cases) {
    it(`${c.name} is rejected as ${c.reason}`, () => {
      const result = decodePredictionMessage(c.bytes, ctx);
      expect(result).toMatchObject({ ok: false, reason: c.reason });
      if (!result.ok) {
        expect(result.field).toBe(c.field);
        expect(result.schemaId).toBe(c.schemaId);
        expect(result.message.length).toBeGreaterThan(0);
      }
    });
  }

  it("a timestamp with a fraction says what the contract wants, and when it looks like Python's time.time() seconds", () => {
    const stamped = (timestamp: number) => decodePredictionMessage(utf8(JSON.stringify({ ...minimal, timestamp })), ctx);
    const message = (timestamp: number) => {
      const r = stamped(timestamp);
      return r.ok ? "" : `${r.reason} ${r.field}: ${r.message}`;
    };
    expect(message(1_767_225_600.123)).toMatch(/^schema_violation timestamp: .*looks like epoch seconds.*int\(time\.time\(\) \* 1000\)\)$/);
    expect(message(1_767_225_600_123.456)).toMatch(/^schema_violation timestamp: .*\(epoch milliseconds as an integer: .*Date\.now\(\)\)$/);
    expect(stamped(1_767_225_600_123).ok).toBe(true);
  });

  it("a Kafka Connect JsonConverter envelope is rejected with what to change, for predictions and outcomes", () => {
    const schema = { type: "struct", fields: [{ type: "string", optional: false, field: "eventId" }], optional: false };
    const prediction = utf8(JSON.stringify({ schema, payload: minimal }));
    const outcome = utf8(JSON.stringify({ schema, payload: { eventId: "e", modelId: "m", timestamp: 5, actual: 1 } }));
    for (const result of [decodePredictionMessage(prediction, ctx), decodeOutcomeMessage(outcome, ctx)]) {
      expect(result).toMatchObject({ ok: false, reason: "schema_violation" });
      expect(result.ok ? "" : result.message).toMatch(/Kafka Connect JsonConverter envelope .*value\.converter\.schemas\.enable=false/);
    }
    // an event that merely has a field named payload is an event
    expect(decodePredictionMessage(utf8(JSON.stringify({ ...minimal, payload: {} })), ctx).ok).toBe(true);
  });

  it("a topic dumped with kcat -C -J: each envelope's payload is the event, the same as its JSON line; a tombstone is empty", () => {
    // 300 demo events and a tombstone, produced with kcat -P -K '|' (a header on the events, -Z for the
    // tombstone) and consumed with kcat -C -J -e by kcat 1.7.1 (Debian) from the real broker
    const envelopes = readFileSync(new URL("../../fixtures/replay/kcat-json-envelopes.jsonl", import.meta.url), "utf8")
      .trim()
      .split("\n");
    const lines = readFileSync(new URL("../../fixtures/demo/predictions.jsonl", import.meta.url), "utf8")
      .split("\n")
      .slice(0, 300);
    expect(envelopes).toHaveLength(301);
    for (let i = 0; i < 300; i++) {
      const plain = decodePredictionMessage(utf8(lines[i]), ctx);
      expect(plain.ok).toBe(true);
      expect(decodePredictionMessage(utf8(envelopes[i]), ctx)).toEqual(plain);
    }
    const tombstone = decodePredictionMessage(utf8(envelopes[300]), ctx);
    expect(tombstone).toMatchObject({ ok: false, reason: "empty" });
    expect(!tombstone.ok && tombstone.message).toMatch(
      /^a kcat -J record \(kcat\.fixture partition 0 offset 300\) with no payload \(a tombstone\)$/,
    );
  });

  it("a kcat -J payload that kcat decoded itself (-s value=avro) is the event; framed bytes written as text are named", () => {
    const envelope = {
      topic: "t",
      partition: 0,
      offset: 7,
      tstype: "create",
      ts: 1,
      broker: 1,
      key: "m",
      payload: minimal,
      value_schema_id: 3,
    };
    expect(decodePredictionMessage(utf8(JSON.stringify(envelope)), ctx)).toMatchObject({ ok: true, event: minimal });
    const failed = { ...envelope, payload: null, payload_error: "Invalid CP1 magic byte 123" };
    expect(decodePredictionMessage(utf8(JSON.stringify(failed)), ctx)).toMatchObject({
      ok: false,
      reason: "empty",
      message: "a kcat -J record (t partition 0 offset 7) with no payload: kcat could not decode it (Invalid CP1 magic byte 123)",
    });
    const framedText = { ...envelope, payload: "\u0000\u0000\u0000\u0000\u0007\u0002e" };
    expect(decodePredictionMessage(utf8(JSON.stringify(framedText)), ctx)).toMatchObject({
      ok: false,
      reason: "unknown_format",
      message:
        "a kcat -J record (t partition 0 offset 7) whose payload is not a JSON event: it is Confluent-framed, which kcat -J writes as text; dump it with kcat -s value=avro",
    });
    // an event with fields named like the envelope's is an event
    expect(decodePredictionMessage(utf8(JSON.stringify({ ...minimal, topic: "x", partition: 1, offset: 2, payload: "y" })), ctx).ok).toBe(
      true,
    );
  });

  it("Python's NaN / Infinity / -Infinity tokens are rejected as non_finite_number naming the field, not as invalid JSON", () => {
    // written by Python's json.dumps (test/fixtures/events/python/make_non_finite.py)
    const fixture = new URL("../../fixtures/events/python/non-finite.jsonl", import.meta.url);
    const cases = readFileSync(fixture, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { field: string; line: string });
    expect(cases).toHaveLength(4);
    for (const c of cases) {
      const result = decodePredictionMessage(utf8(c.line), ctx);
      expect({ field: c.field, result }).toMatchObject({
        field: c.field,
        result: { ok: false, reason: "non_finite_number", field: c.field },
      });
      expect(result.ok ? "" : result.message).toMatch(
        /is not JSON \(Python's json\.dumps writes float\("(nan|inf|-inf)"\) so\): send null/,
      );
    }
    // a bare word that is not one of them is still invalid JSON
    expect(
      decodePredictionMessage(utf8('{"eventId":"e","modelId":"m","modelVersion":"1","timestamp":1,"prediction":nan}'), ctx),
    ).toMatchObject({
      ok: false,
      reason: "invalid_json",
    });
  });

  it("a writer schema's timestamp-micros and timestamp-nanos (Spark, BigQuery) decode to epoch millis, rounded down", () => {
    const withUnit = (logicalType: string) => {
      const schema = JSON.parse(JSON.stringify(loadAvroSchema("prediction-event"))) as { fields: { name: string; type: unknown }[] };
      schema.fields.find((f) => f.name === "timestamp")!.type = ["null", { type: "long", logicalType }];
      return avroTypeForSchema(schema);
    };
    // nanoseconds of today exceed 2^53 (exact doubles): avsc cannot write them, so an earlier time for that unit
    for (const [logicalType, raw, millis] of [
      ["timestamp-micros", 1_767_225_600_123_999, 1_767_225_600_123],
      ["timestamp-nanos", 5_000_000_123_999_999, 5_000_000_123],
      ["timestamp-millis", 1_767_225_600_123, 1_767_225_600_123],
    ] as const) {
      const type = withUnit(logicalType);
      const body = type.toBuffer({
        ...minimal,
        timestamp: raw,
        prediction: null,
        predictedClass: null,
        confidence: null,
        latencyMs: null,
        features: null,
        attributes: null,
      });
      const result = decodePredictionMessage(frameConfluent(3, body), { schemaForId: () => type, maxMessageBytes: 1 << 20 });
      expect({ logicalType, result }).toMatchObject({ logicalType, result: { ok: true, event: { timestamp: millis } } });
    }
  });

  it("JSON with a BOM and leading whitespace is accepted", () => {
    const bytes = Uint8Array.from([0xef, 0xbb, 0xbf, 0x20, 0x0a, ...utf8(JSON.stringify(minimal))]);
    expect(decodePredictionMessage(bytes, ctx)).toEqual({ ok: true, format: "json", event: minimal });
    expect(decodeJsonPrediction(bytes)).toEqual({ ok: true, format: "json", event: minimal });
  });

  it("ISO-8601 timestamps are normalised to millis; offsets and fractions count", () => {
    const at = (ts: string) => decodeJsonPrediction(utf8(JSON.stringify({ ...minimal, timestamp: ts })));
    expect(at("2025-11-22T01:00:00.9999+01:00")).toMatchObject({ ok: true, event: { timestamp: Date.UTC(2025, 10, 22, 0, 0, 0, 999) } });
    expect(at("2025-11-22T00:00:00Z")).toMatchObject({ ok: true, event: { timestamp: 1763769600000 } });
    expect(at("22/11/2025")).toMatchObject({ ok: false, reason: "schema_violation", field: "timestamp" });
  });

  it("outcomes decode from JSON and Avro", () => {
    const outcome = { eventId: "e", modelId: "m", timestamp: 3, actual: 1.5 };
    expect(decodeOutcomeMessage(utf8(JSON.stringify(outcome)), ctx)).toEqual({ ok: true, format: "json", event: outcome });
    expect(decodeOutcomeMessage(encodeAvroEvent("outcome-event", 9, outcome), ctx)).toEqual({
      ok: true,
      format: "avro",
      schemaId: 9,
      event: outcome,
    });
    expect(decodeOutcomeMessage(utf8('{"eventId":"e","modelId":"m","timestamp":3,"actual":"x"}'), ctx)).toMatchObject({
      ok: false,
      field: "actual",
    });
  });

  it("an unknown schema id costs no decoding and is answered again after the schema arrives", () => {
    const bytes = encodeAvroEvent("prediction-event", 500, minimal);
    const registry = new Map<SchemaKey, typeof predictionType>();
    const lazyCtx: DecodeContext = { schemaForId: (id) => registry.get(id), maxMessageBytes: 1024 };
    expect(decodePredictionMessage(bytes, lazyCtx)).toMatchObject({ ok: false, reason: "unknown_schema_id", schemaId: 500 });
    registry.set(500, predictionType);
    expect(decodePredictionMessage(bytes, lazyCtx)).toEqual({ ok: true, format: "avro", schemaId: 500, event: minimal });
  });

  it("a frame under a JSON Schema id (Confluent's JSON Schema serializers) carries JSON: the same event as plain JSON, with the id", () => {
    const json = utf8(
      '{"eventId":"e1","modelId":"m","modelVersion":"v1","timestamp":1763769600000,"features":{"amount":12.5,"country":"NL"}}',
    );
    const jsonSchemaCtx: DecodeContext = { schemaForId: (id) => (id === 11 ? JSON_SCHEMA_WRITER : undefined), maxMessageBytes: 1024 };
    const plain = decodePredictionMessage(json, jsonSchemaCtx);
    expect(plain).toMatchObject({ ok: true, format: "json" });
    expect(decodePredictionMessage(frameConfluent(11, json), jsonSchemaCtx)).toEqual({ ...plain, schemaId: 11 });
    // outcomes too, and a payload that breaks the contract is rejected as plain JSON would be, naming the id
    const outcome = utf8('{"eventId":"e1","modelId":"m","timestamp":1763769600500,"actual":1}');
    expect(decodeOutcomeMessage(frameConfluent(11, outcome), jsonSchemaCtx)).toMatchObject({ ok: true, format: "json", schemaId: 11 });
    const badTimestamp = utf8('{"eventId":"e1","modelId":"m","modelVersion":"v1","timestamp":"soon"}');
    expect(decodePredictionMessage(frameConfluent(11, badTimestamp), jsonSchemaCtx)).toMatchObject({
      ok: false,
      reason: "schema_violation",
      field: "timestamp",
      schemaId: 11,
    });
    expect(decodePredictionMessage(frameConfluent(11, utf8("[1,2]")), jsonSchemaCtx)).toMatchObject({
      ok: false,
      reason: "unknown_format",
      schemaId: 11,
    });
    expect(decodePredictionMessage(frameConfluent(11, new Uint8Array()), jsonSchemaCtx)).toMatchObject({ ok: false, reason: "empty" });
  });

  it("a frame under a schema the detector cannot read is refused with the reason, not as an unknown id", () => {
    const unreadable = new UnreadableSchema("PROTOBUF", "imports common/ids.proto, which is not among the schema's references");
    const protobufCtx: DecodeContext = { schemaForId: () => unreadable, maxMessageBytes: 1024 };
    const result = decodePredictionMessage(frameConfluent(12, Uint8Array.of(0, 10, 2, 101, 49)), protobufCtx);
    expect(result).toMatchObject({ ok: false, reason: "unknown_format", schemaId: 12 });
    expect(!result.ok && result.message).toBe(
      "schema 12 is a Protobuf schema the detector cannot read: imports common/ids.proto, which is not among the schema's references",
    );
  });

  it("a schema lookup that throws is an unknown schema id, not an exception", () => {
    const throwing: DecodeContext = {
      schemaForId: () => {
        throw new Error("registry down");
      },
      maxMessageBytes: 1024,
    };
    expect(decodePredictionMessage(encodeAvroEvent("prediction-event", 1, minimal), throwing)).toMatchObject({
      ok: false,
      reason: "unknown_schema_id",
      schemaId: 1,
    });
  });
});

describe("hostile Avro bodies are rejected without allocating or looping on their counts", () => {
  // eventId "a", modelId "m", modelVersion "v", timestamp 0, four null optionals, then features = map
  const prefix = [0x02, 0x61, 0x02, 0x6d, 0x02, 0x76, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02];
  const hugeCount = [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]; // zig-zag 2^55 - 1
  it("a map claiming 2^55 entries", () => {
    const started = performance.now();
    const result = decodePredictionMessage(frameConfluent(7, Uint8Array.from([...prefix, ...hugeCount, 0x02, 0x61, 0x00])), ctx);
    expect(result).toMatchObject({ ok: false, reason: "avro_decode_error", field: "features", schemaId: 7 });
    expect(performance.now() - started).toBeLessThan(50);
  });
  it("a string claiming more bytes than the message has", () => {
    expect(decodePredictionMessage(frameConfluent(7, Uint8Array.of(0xfe, 0xff, 0x7f, 0x61)), ctx)).toMatchObject({
      ok: false,
      reason: "avro_decode_error",
      field: "eventId",
    });
  });
  it("a negative string length, an out-of-range union index and invalid UTF-8", () => {
    expect(decodePredictionMessage(frameConfluent(7, Uint8Array.of(0x01)), ctx)).toMatchObject({
      reason: "avro_decode_error",
      field: "eventId",
    });
    expect(decodePredictionMessage(frameConfluent(7, Uint8Array.from([...prefix.slice(0, 7), 0x08])), ctx)).toMatchObject({
      reason: "avro_decode_error",
      field: "prediction",
    });
    expect(decodePredictionMessage(frameConfluent(7, Uint8Array.of(0x02, 0xff)), ctx)).toMatchObject({
      reason: "invalid_utf8",
      field: "eventId",
    });
  });
  it("a map key __proto__ stays an entry and does not replace the prototype", () => {
    const result = decodePredictionMessage(
      encodeAvroEvent("prediction-event", 7, {
        eventId: "e",
        modelId: "m",
        modelVersion: "1",
        timestamp: 1,
        features: JSON.parse('{"__proto__": 1}'),
      }),
      ctx,
    );
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(Object.getPrototypeOf(result.event.features)).toBe(Object.prototype);
      expect(Object.keys(result.event.features!)).toEqual(["__proto__"]);
    }
  });
});

describe("decoding never throws", () => {
  const valid = [
    ...framedCases.map((c) => hex(c.hex)),
    ...validFixtures()
      .filter((f) => f.contract === "prediction-event")
      .map((f) => utf8(JSON.stringify(f.value))),
  ];
  const reasons = new Set<string>(REJECTION_REASONS);
  function assertWellFormed(bytes: Uint8Array | null) {
    const result = decodePredictionMessage(bytes, ctx);
    if (result.ok) expect(zodErrorPaths("prediction-event", result.event)).toEqual([]);
    else expect(reasons.has(result.reason), result.reason).toBe(true);
  }

  it("on 20 000 random byte strings (half starting 0x00, some starting {)", () => {
    const rnd = prng(1);
    for (let i = 0; i < 20_000; i++) {
      const bytes = new Uint8Array(Math.floor(rnd() * 64));
      for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(rnd() * 256);
      if (bytes.length > 0 && rnd() < 0.5) bytes[0] = 0;
      else if (bytes.length > 0 && rnd() < 0.2) bytes[0] = 0x7b;
      // point the frame at a known schema most of the time so bodies get decoded
      if (bytes.length >= 5 && bytes[0] === 0 && rnd() < 0.8) bytes.set([0, 0, 0, 42], 1);
      assertWellFormed(bytes);
    }
  });

  it("on every truncation and 5 000 byte flips of valid messages", () => {
    const rnd = prng(2);
    for (const message of valid) {
      for (let n = 0; n <= message.length; n++) assertWellFormed(message.subarray(0, n));
    }
    for (let i = 0; i < 5_000; i++) {
      const message = Uint8Array.from(valid[Math.floor(rnd() * valid.length)]);
      const flips = 1 + Math.floor(rnd() * 3);
      for (let f = 0; f < flips; f++) message[Math.floor(rnd() * message.length)] = Math.floor(rnd() * 256);
      assertWellFormed(message);
    }
  });
});

describe("the hot-path check, zod, JSON Schema and Avro agree on mutated events", () => {
  const pool: unknown[] = [
    null,
    true,
    false,
    0,
    -1,
    0.5,
    1,
    1.5,
    1e20,
    4503599627370497,
    -0.01,
    1763769600000,
    "",
    "a",
    "a b",
    "x".repeat(64),
    "x".repeat(65),
    "x".repeat(128),
    "x".repeat(129),
    "😀".repeat(128),
    "😀".repeat(129),
    "y".repeat(256),
    "y".repeat(257),
    "z".repeat(1025),
    "2025-11-22T00:00:00Z",
    "2025-02-29T00:00:00Z",
    [],
    [1],
    {},
    { a: 1 },
    { a: "b" },
    { a: { b: 1 } },
    { "": 1 },
    { a: null, b: true },
  ];
  const fields = [
    "eventId",
    "modelId",
    "modelVersion",
    "timestamp",
    "prediction",
    "predictedClass",
    "confidence",
    "latencyMs",
    "features",
    "attributes",
    "extra",
  ];
  it("on 3 000 random single- and double-field mutations of valid predictions", () => {
    const rnd = prng(3);
    const bases = validFixtures()
      .filter((f) => f.contract === "prediction-event")
      .map((f) => f.value);
    let accepted = 0;
    for (let i = 0; i < 3_000; i++) {
      const event: Record<string, unknown> = structuredClone(bases[Math.floor(rnd() * bases.length)]);
      for (let m = 0; m < 1 + Math.floor(rnd() * 2); m++) {
        const field = fields[Math.floor(rnd() * fields.length)];
        const value = structuredClone(pool[Math.floor(rnd() * pool.length)]);
        if (rnd() < 0.3 && (field === "features" || field === "attributes")) {
          event[field] = { ...((event[field] as object | null) ?? {}), k: value };
        } else if (rnd() < 0.1) delete event[field];
        else event[field] = value;
      }
      const verdicts = {
        zod: zodErrorPaths("prediction-event", event).length === 0,
        jsonSchema: ajvErrorPaths("prediction-event", event).length === 0,
        avro: avroErrorPaths("prediction-event", withIsoTimestampNormalised(event)).length === 0,
        decoder: decodeJsonPrediction(utf8(JSON.stringify(event))).ok,
      };
      expect(verdicts, JSON.stringify(event).slice(0, 300)).toEqual({
        zod: verdicts.decoder,
        jsonSchema: verdicts.decoder,
        avro: verdicts.decoder,
        decoder: verdicts.decoder,
      });
      if (verdicts.decoder) accepted++;
    }
    // the mutations exercise both outcomes
    expect(accepted).toBeGreaterThan(300);
    expect(accepted).toBeLessThan(2_700);
  });
});

describe("encoders", () => {
  const drift = validFixtures().find((f) => f.file === "drift-event.json")!.value as unknown as DriftEvent;
  const retrain = validFixtures().find((f) => f.file === "retrain-request.json")!.value as unknown as RetrainRequest;
  it("encodeJson writes UTF-8 JSON that parses back to the event", () => {
    expect(JSON.parse(new TextDecoder().decode(encodeJson(drift)))).toEqual(drift);
  });
  it("drift events and retrain requests encode to framed Avro that avsc reads back", () => {
    const driftBytes = encodeDriftEventAvro(drift, 77);
    expect(parseConfluentFrame(driftBytes).schemaId).toBe(77);
    expect(loadAvroType("drift-event").fromBuffer(Buffer.from(parseConfluentFrame(driftBytes).body))).toMatchObject(drift);
    const retrainBytes = encodeRetrainRequestAvro(retrain, 78);
    expect(loadAvroType("retrain-request").fromBuffer(Buffer.from(parseConfluentFrame(retrainBytes).body))).toMatchObject(retrain);
  });
  it("an invalid output event throws EventEncodeError naming the field", () => {
    const bad = { ...drift, signals: [{ ...drift.signals[0], statistics: { psi: NaN } }] };
    expect(() => encodeDriftEventAvro(bad, 1)).toThrow(EventEncodeError);
    expect(() => encodeDriftEventAvro(bad, 1)).toThrow(/signals\.0\.statistics\.psi/);
  });
});
