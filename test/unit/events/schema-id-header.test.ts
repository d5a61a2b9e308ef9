// The schema named in header `__value_schema_id` instead of the value's first bytes (Confluent Platform 8's
// schema ID in headers): 0x01 and a 16-byte GUID (or 0x00 and a 4-byte id), then a Protobuf message's indexes;
// the value is the bare body. The header bytes follow confluent-kafka-python's SchemaId.guid_to_bytes; the
// Protobuf bodies are the real serializer's (test/fixtures/protobuf/confluent-python.json) with their frame split off.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decodeOutcomeMessage, decodePredictionMessage, type DecodeContext } from "../../../src/events/codec.ts";
import {
  guidText,
  JSON_SCHEMA_WRITER,
  readSchemaIdHeader,
  schemaGuidHeader,
  VALUE_SCHEMA_ID_HEADER,
  type SchemaKey,
  type WriterSchema,
} from "../../../src/events/confluent-framing.ts";
import { ProtobufWriter, readMessageIndexes } from "../../../src/events/protobuf-writer.ts";
import { loadAvroType } from "../../../src/events/schema-files.ts";
import { BARE_AVRO_BODY, MINIMAL_PREDICTION } from "../../support/bare-avro-body.ts";
import { schemaNamingHeaderOf, type SchemaNamingHeader } from "../../../src/events/schema-id-headers.ts";

const GUID = "3f2a6c1e-9b7d-4e5f-8a1b-0c2d4e6f8091";
const GUID_BYTES = "3f2a6c1e9b7d4e5f8a1b0c2d4e6f8091";
const PROTOBUF_GUID = "0b5e7d21-8c3a-4f60-9e12-7a4b6c8d0e2f";
const JSON_GUID = "c0ffee00-1234-4abc-9def-001122334455";

interface Fixtures {
  subjects: Record<string, { id: number; schema: string }>;
  messages: Record<string, string>;
}
const fixtures = JSON.parse(readFileSync(new URL("../../fixtures/protobuf/confluent-python.json", import.meta.url), "utf8")) as Fixtures;
const shopWriter = new ProtobufWriter(fixtures.subjects["predictions-shop-value"].schema);

const minimal = MINIMAL_PREDICTION;
const avroBody = BARE_AVRO_BODY;
const schemas = new Map<SchemaKey, WriterSchema>([
  [GUID, loadAvroType("prediction-event")],
  [7, loadAvroType("prediction-event")],
  [PROTOBUF_GUID, shopWriter],
  [JSON_GUID, JSON_SCHEMA_WRITER],
]);
const ctx: DecodeContext = { schemaForId: (id) => schemas.get(id), maxMessageBytes: 1 << 20 };
const hex = (s: string) => Uint8Array.from(Buffer.from(s, "hex"));
const named = (value: Uint8Array): SchemaNamingHeader => ({ name: VALUE_SCHEMA_ID_HEADER, value });

describe("the schema-id header's value", () => {
  it("0x01 and 16 bytes name a GUID, written 8-4-4-4-12 in lowercase; the bytes after it are kept", () => {
    expect(readSchemaIdHeader(hex(`01${GUID_BYTES}0202`))).toEqual({ schema: GUID, rest: hex("0202") });
    expect(guidText(hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"))).toBe("ffffffff-ffff-ffff-ffff-ffffffffffff");
  });

  it("0x00 and 4 bytes name a registry id, unsigned", () => {
    expect(readSchemaIdHeader(hex("00000000070000"))).toEqual({ schema: 7, rest: hex("0000") });
    expect(readSchemaIdHeader(hex("00ffffffff"))).toEqual({ schema: 4294967295, rest: new Uint8Array(0) });
  });

  it("an empty value, another magic byte and a value cut short are errors that say so", () => {
    expect(readSchemaIdHeader(new Uint8Array(0))).toBe("header __value_schema_id is empty");
    expect(readSchemaIdHeader(hex(`02${GUID_BYTES}`))).toBe(
      "header __value_schema_id starts with magic byte 0x02, not 0x01 (a schema GUID) or 0x00 (a schema id)",
    );
    expect(readSchemaIdHeader(hex("013f2a6c1e"))).toBe("header __value_schema_id is cut short (5 bytes after magic byte 0x01)");
    expect(readSchemaIdHeader(hex("000007"))).toBe("header __value_schema_id is cut short (3 bytes after magic byte 0x00)");
  });

  it("schemaGuidHeader writes what readSchemaIdHeader reads, and refuses what is not a GUID", () => {
    expect(Buffer.from(schemaGuidHeader(GUID, hex("00"))).toString("hex")).toBe(`01${GUID_BYTES}00`);
    expect(() => schemaGuidHeader("not-a-guid")).toThrow(/32 hex digits/);
  });

  it("is found among a message's headers: absent, a Buffer, the first of repeated ones, or text one byte per character", () => {
    expect(schemaNamingHeaderOf(undefined)).toBeUndefined();
    expect(schemaNamingHeaderOf({ other: Buffer.from("x") })).toBeUndefined();
    const a = Buffer.from(`01${GUID_BYTES}`, "hex");
    expect(schemaNamingHeaderOf({ __value_schema_id: a })).toEqual(named(a));
    expect(schemaNamingHeaderOf({ __value_schema_id: [a, Buffer.from("00000000", "hex")] })?.value).toBe(a);
    expect(Array.from(schemaNamingHeaderOf({ __value_schema_id: "\u0000\u0000\u0000\u0000\u0007" })!.value)).toEqual([0, 0, 0, 0, 7]);
  });
});

describe("a message whose schema the header names", () => {
  it("Avro: the bare body decodes with the GUID's schema, and the result names the GUID", () => {
    expect(decodePredictionMessage(avroBody, ctx, named(schemaGuidHeader(GUID)))).toEqual({
      ok: true,
      format: "avro",
      schemaId: GUID,
      event: { ...minimal, confidence: 0.75, features: { amount: 12.5 } },
    });
  });

  it("Avro under a 4-byte id in the header: the same event, named by the id", () => {
    const result = decodePredictionMessage(avroBody, ctx, named(hex("0000000007")));
    expect(result).toMatchObject({ ok: true, format: "avro", schemaId: 7 });
  });

  it("Protobuf: the header's message indexes pick the message, as in the frame the serializer wrote ([1]: the second message)", () => {
    const framed = hex(fixtures.messages.shop);
    const indexes = readMessageIndexes(framed.subarray(5));
    if (typeof indexes === "string") throw new Error(indexes);
    expect(indexes.path).toEqual([1]);
    const header = schemaGuidHeader(PROTOBUF_GUID, framed.subarray(5, 5 + indexes.next));
    const inFrame = decodePredictionMessage(framed, { schemaForId: () => shopWriter, maxMessageBytes: 1 << 20 });
    const inHeader = decodePredictionMessage(framed.subarray(5 + indexes.next), ctx, named(header));
    expect(inFrame.ok).toBe(true);
    expect(inHeader).toEqual({ ...inFrame, schemaId: PROTOBUF_GUID });
  });

  it("Protobuf with no indexes after the GUID reads the first message ([0])", () => {
    const predictionWriter = new ProtobufWriter(fixtures.subjects["predictions-value"].schema);
    const framed = hex(fixtures.messages.prediction);
    // the serializer wrote [0] as one 0 byte after the schema id
    expect(framed[5]).toBe(0);
    const inFrame = decodePredictionMessage(framed, { schemaForId: () => predictionWriter, maxMessageBytes: 1 << 20 });
    const headerCtx: DecodeContext = { schemaForId: () => predictionWriter, maxMessageBytes: 1 << 20 };
    expect(inFrame.ok).toBe(true);
    expect(decodePredictionMessage(framed.subarray(6), headerCtx, named(schemaGuidHeader(PROTOBUF_GUID)))).toEqual({
      ...inFrame,
      schemaId: PROTOBUF_GUID,
    });
  });

  it("JSON under a JSON Schema GUID: the plain JSON value, checked against the contract", () => {
    const json = new TextEncoder().encode(JSON.stringify(minimal));
    expect(decodePredictionMessage(json, ctx, named(schemaGuidHeader(JSON_GUID)))).toEqual({
      ok: true,
      format: "json",
      schemaId: JSON_GUID,
      event: minimal,
    });
  });

  it("the header is read before the value's first byte: a bare Avro body starting 0x00 is not taken for a frame", () => {
    // an event id of length 0 makes the Avro body start with 0x00
    const body = loadAvroType("prediction-event").toBuffer({
      ...minimal,
      eventId: "",
      prediction: null,
      predictedClass: null,
      confidence: null,
      latencyMs: null,
      features: null,
      attributes: null,
    });
    expect(body[0]).toBe(0);
    const result = decodePredictionMessage(body, ctx, named(schemaGuidHeader(GUID)));
    expect(result).toMatchObject({ ok: false, reason: "schema_violation", schemaId: GUID });
  });

  it("an unknown GUID is unknown_schema_id naming the GUID (the pipeline fetches it, then decodes again)", () => {
    const other = "11111111-2222-4333-8444-555555555555";
    expect(decodePredictionMessage(avroBody, ctx, named(schemaGuidHeader(other)))).toMatchObject({
      ok: false,
      reason: "unknown_schema_id",
      schemaId: other,
      message: `schema GUID ${other} is not known`,
    });
  });

  it("a header that names no schema is unknown_format, saying what is wrong with it; no value is empty, too large is oversize", () => {
    expect(decodePredictionMessage(avroBody, ctx, named(hex("02")))).toEqual({
      ok: false,
      reason: "unknown_format",
      message: "header __value_schema_id starts with magic byte 0x02, not 0x01 (a schema GUID) or 0x00 (a schema id)",
    });
    expect(decodePredictionMessage(new Uint8Array(0), ctx, named(schemaGuidHeader(GUID)))).toMatchObject({ ok: false, reason: "empty" });
    expect(decodePredictionMessage(null, ctx, named(schemaGuidHeader(GUID)))).toMatchObject({ ok: false, reason: "empty" });
    const small: DecodeContext = { ...ctx, maxMessageBytes: 8 };
    expect(decodePredictionMessage(avroBody, small, named(schemaGuidHeader(GUID)))).toMatchObject({ ok: false, reason: "oversize" });
  });

  it("outcomes read the header the same way", () => {
    const outcomeGuid = "22222222-3333-4444-8555-666666666666";
    const body = loadAvroType("outcome-event").toBuffer({
      eventId: "e-1",
      modelId: "fraud-scorer",
      timestamp: 1767225600000,
      actual: 1,
      actualClass: null,
    });
    const outcomeCtx: DecodeContext = {
      schemaForId: (id) => (id === outcomeGuid ? loadAvroType("outcome-event") : undefined),
      maxMessageBytes: 1024,
    };
    expect(decodeOutcomeMessage(body, outcomeCtx, named(schemaGuidHeader(outcomeGuid)))).toMatchObject({
      ok: true,
      format: "avro",
      schemaId: outcomeGuid,
    });
  });
});
