// Apicurio Registry's own serdes name the schema in headers at their defaults (apicurio.registry.headers.enabled):
// `apicurio.value.globalId` (or `apicurio.value.contentId`) holds the id as an 8-byte big-endian long (Java's
// ByteBuffer.putLong, as DefaultHeadersHandler writes it), `apicurio.value.encoding` BINARY, and the value is the bare
// Avro body: the form in which the real serializer (2.4.2.Final, deploy/examples/java/ApicurioProducer.java)
// wrote them to the broker (test/integration/registry-apicurio.test.ts runs it end to end).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decodePredictionMessage, type DecodeContext } from "../../../src/events/codec.ts";
import { JSON_SCHEMA_WRITER, type SchemaKey, type WriterSchema } from "../../../src/events/confluent-framing.ts";
import { ProtobufWriter } from "../../../src/events/protobuf-writer.ts";
import { loadAvroType } from "../../../src/events/schema-files.ts";
import { APICURIO_PRODUCER_FIRST_EVENT } from "../../support/apicurio-producer-event.ts";
import { BARE_AVRO_BODY, MINIMAL_PREDICTION } from "../../support/bare-avro-body.ts";
import {
  apicurioIdOf,
  apicurioSchemaKey,
  describeSchemaKey,
  readSchemaNamingHeader,
  schemaNamingHeaderOf,
} from "../../../src/events/schema-id-headers.ts";

const minimal = MINIMAL_PREDICTION;
const avroBody = BARE_AVRO_BODY;
const long = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(n);
  return b;
};
const schemas = new Map<SchemaKey, WriterSchema>([
  ["globalId:1", loadAvroType("prediction-event")],
  ["contentId:4", loadAvroType("prediction-event")],
  ["globalId:2", JSON_SCHEMA_WRITER],
]);
const ctx: DecodeContext = { schemaForId: (id) => schemas.get(id), maxMessageBytes: 1 << 20 };

describe("Apicurio's id headers", () => {
  it("apicurio.value.globalId of 8 bytes names the global id; the encoding header comes along as text", () => {
    const header = schemaNamingHeaderOf({ "apicurio.value.globalId": long(1n), "apicurio.value.encoding": Buffer.from("BINARY") });
    expect(header).toEqual({ name: "apicurio.value.globalId", value: long(1n), encoding: "BINARY" });
    expect(readSchemaNamingHeader(header!)).toEqual({ schema: "globalId:1", rest: new Uint8Array(0) });
  });

  it("apicurio.value.contentId (the serde's apicurio.registry.use-id=contentId) names the content id", () => {
    const header = schemaNamingHeaderOf({ "apicurio.value.contentId": long(4n) });
    expect(readSchemaNamingHeader(header!)).toEqual({ schema: "contentId:4", rest: new Uint8Array(0) });
  });

  it("Confluent's __value_schema_id wins over Apicurio's; the globalId over the contentId; key headers are not read", () => {
    const confluent = Buffer.from("0000000007", "hex");
    expect(schemaNamingHeaderOf({ "apicurio.value.globalId": long(1n), __value_schema_id: confluent })?.name).toBe("__value_schema_id");
    expect(schemaNamingHeaderOf({ "apicurio.value.contentId": long(4n), "apicurio.value.globalId": long(1n) })?.name).toBe(
      "apicurio.value.globalId",
    );
    expect(schemaNamingHeaderOf({ "apicurio.key.globalId": long(1n) })).toBeUndefined();
  });

  it("a value of another length, a negative or too large id, and Avro's JSON encoding are errors that say so", () => {
    expect(readSchemaNamingHeader({ name: "apicurio.value.globalId", value: Buffer.from("00000001", "hex") })).toBe(
      "header apicurio.value.globalId has 4 bytes, not 8 (a big-endian long)",
    );
    expect(readSchemaNamingHeader({ name: "apicurio.value.globalId", value: long(-1n) })).toBe(
      "header apicurio.value.globalId holds -1, not an id the registry gives",
    );
    expect(readSchemaNamingHeader({ name: "apicurio.value.contentId", value: long(2n ** 60n) })).toMatch(/holds 1152921504606846976/);
    expect(readSchemaNamingHeader({ name: "apicurio.value.globalId", value: long(1n), encoding: "JSON" })).toBe(
      "header apicurio.value.encoding is \"JSON\": only BINARY (the Apicurio Avro serializer's default) is read, not Avro's JSON encoding",
    );
  });

  it("an encoding header as long as a message is read by its start only, and refused", () => {
    const header = schemaNamingHeaderOf({ "apicurio.value.globalId": long(1n), "apicurio.value.encoding": Buffer.alloc(900_000, 0x41) });
    expect(header?.encoding).toBe("A".repeat(64));
    expect(readSchemaNamingHeader(header!)).toMatch(/^header apicurio.value.encoding is "A{40}": only BINARY/);
  });

  it("keys: apicurioSchemaKey and apicurioIdOf are inverse, and never take a registry id or a GUID", () => {
    expect(apicurioIdOf(apicurioSchemaKey("globalId", 12))).toEqual({ kind: "globalId", id: 12 });
    expect(apicurioIdOf(7)).toBeUndefined();
    expect(apicurioIdOf("3f2a6c1e-9b7d-4e5f-8a1b-0c2d4e6f8091")).toBeUndefined();
    expect(describeSchemaKey("globalId:12")).toBe("Apicurio globalId 12");
    expect(describeSchemaKey(7)).toBe("schema id 7");
    expect(describeSchemaKey("3f2a6c1e-9b7d-4e5f-8a1b-0c2d4e6f8091")).toBe("schema GUID 3f2a6c1e-9b7d-4e5f-8a1b-0c2d4e6f8091");
  });
});

describe("a message whose schema Apicurio's headers name", () => {
  const headers = (id: bigint, extra: Record<string, Buffer> = {}) =>
    schemaNamingHeaderOf({ "apicurio.value.globalId": long(id), "apicurio.value.encoding": Buffer.from("BINARY"), ...extra });

  it("the bare Avro body decodes with the id's schema, and the result names it", () => {
    expect(decodePredictionMessage(avroBody, ctx, headers(1n))).toEqual({
      ok: true,
      format: "avro",
      schemaId: "globalId:1",
      event: { ...minimal, confidence: 0.75, features: { amount: 12.5 } },
    });
    expect(decodePredictionMessage(avroBody, ctx, schemaNamingHeaderOf({ "apicurio.value.contentId": long(4n) }))).toMatchObject({
      ok: true,
      schemaId: "contentId:4",
    });
  });

  it("JSON under a JSON Schema artifact (Apicurio's JSON Schema serde): the plain JSON, checked against the contract", () => {
    const json = new TextEncoder().encode(JSON.stringify(minimal));
    expect(decodePredictionMessage(json, ctx, headers(2n))).toEqual({ ok: true, format: "json", schemaId: "globalId:2", event: minimal });
  });

  it("an id not yet fetched is unknown_schema_id naming it (the pipeline fetches it, then decodes again)", () => {
    expect(decodePredictionMessage(avroBody, ctx, headers(9n))).toEqual({
      ok: false,
      reason: "unknown_schema_id",
      schemaId: "globalId:9",
      message: "Apicurio globalId 9 is not known",
    });
  });

  it("a malformed id header or the JSON encoding is unknown_format saying why", () => {
    expect(decodePredictionMessage(avroBody, ctx, schemaNamingHeaderOf({ "apicurio.value.globalId": Buffer.from("01", "hex") }))).toEqual({
      ok: false,
      reason: "unknown_format",
      message: "header apicurio.value.globalId has 1 bytes, not 8 (a big-endian long)",
    });
    expect(decodePredictionMessage(avroBody, ctx, headers(1n, { "apicurio.value.encoding": Buffer.from("JSON") }))).toMatchObject({
      ok: false,
      reason: "unknown_format",
    });
  });
});

describe("Apicurio's own Protobuf serializer (bytes it wrote: test/fixtures/protobuf/apicurio-java.json)", () => {
  const fixture = JSON.parse(readFileSync(new URL("../../fixtures/protobuf/apicurio-java.json", import.meta.url), "utf8")) as {
    schema: string;
    headers: Record<string, string>;
    body: string;
  };
  const headers = {
    "apicurio.value.globalId": Buffer.from(fixture.headers["apicurio.value.globalId"], "hex"),
    "apicurio.value.msgType": Buffer.from(fixture.headers["apicurio.value.msgType"]),
    "apicurio.protobuf.type": Buffer.from(fixture.headers["apicurio.protobuf.type"]),
  };
  // the .proto text it registered writes the maps as map_entry messages
  const writer = new ProtobufWriter(fixture.schema);
  const protoCtx: DecodeContext = { schemaForId: (id) => (id === "globalId:29" ? writer : undefined), maxMessageBytes: 1 << 20 };

  it("the message named by apicurio.protobuf.type decodes from the bare body, maps and optional fields included", () => {
    const header = schemaNamingHeaderOf(headers);
    expect(header).toMatchObject({ name: "apicurio.value.globalId", protobufType: "PredictionEvent" });
    expect(decodePredictionMessage(Buffer.from(fixture.body, "hex"), protoCtx, header)).toEqual({
      ok: true,
      format: "protobuf",
      schemaId: "globalId:29",
      event: APICURIO_PRODUCER_FIRST_EVENT,
    });
  });

  it("a message name the schema does not have is protobuf_decode_error naming it; without the header the first message is read", () => {
    const other = schemaNamingHeaderOf({ ...headers, "apicurio.protobuf.type": Buffer.from("Missing") });
    expect(decodePredictionMessage(Buffer.from(fixture.body, "hex"), protoCtx, other)).toMatchObject({
      ok: false,
      reason: "protobuf_decode_error",
      message: 'Protobuf body does not decode with schema globalId:29: the schema has no message named "Missing"',
    });
    const unnamed = schemaNamingHeaderOf({ "apicurio.value.globalId": headers["apicurio.value.globalId"] });
    expect(decodePredictionMessage(Buffer.from(fixture.body, "hex"), protoCtx, unnamed)).toMatchObject({ ok: true, format: "protobuf" });
  });
});
