// Apicurio Registry's serdes with their headers off (apicurio.registry.headers.enabled=false) put the id in the
// value: 0x00, the id as an 8-byte big-endian long, then the body; the Protobuf serializer's body starts with a
// delimited Ref naming the message. The bytes here are the ones the real serializers (2.4.2.Final,
// deploy/examples/java/ApicurioProducer.java with HEADERS=0) wrote to the broker: test/fixtures/apicurio/.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { avroTypeForSchema } from "../../../src/events/schema-files.ts";
import { decodePredictionMessage, type DecodeContext } from "../../../src/events/codec.ts";
import { JSON_SCHEMA_WRITER, type SchemaKey, type WriterSchema } from "../../../src/events/confluent-framing.ts";
import { apicurioFrameId, readApicurioProtobufRef } from "../../../src/events/apicurio-value-frame.ts";
import { ProtobufWriter } from "../../../src/events/protobuf-writer.ts";
import { APICURIO_PRODUCER_FIRST_EVENT } from "../../support/apicurio-producer-event.ts";

const fixture = JSON.parse(readFileSync(new URL("../../fixtures/apicurio/serde-without-headers.json", import.meta.url), "utf8")) as {
  avro: { globalId: number; schema: string; value: string };
  protobuf: { globalId: number; schema: string; value: string };
};
const avroValue = Buffer.from(fixture.avro.value, "hex");
const protobufValue = Buffer.from(fixture.protobuf.value, "hex");
const avroWriter = avroTypeForSchema(JSON.parse(fixture.avro.schema), []);
const protobufWriter = new ProtobufWriter(fixture.protobuf.schema);

function context(schemas: [SchemaKey, WriterSchema][], apicurioUseId?: "globalId" | "contentId"): DecodeContext {
  const byKey = new Map(schemas);
  return { schemaForId: (id) => byKey.get(id), maxMessageBytes: 1 << 20, ...(apicurioUseId === undefined ? {} : { apicurioUseId }) };
}

const FIRST_EVENT = APICURIO_PRODUCER_FIRST_EVENT;

describe("Apicurio's serdes without headers: 0x00 and an 8-byte id in the value", () => {
  it("the Avro serializer's value decodes under the globalId its 8 bytes hold", () => {
    expect(apicurioFrameId(avroValue)).toBe(fixture.avro.globalId);
    expect(decodePredictionMessage(avroValue, context([["globalId:1", avroWriter]]))).toEqual({
      ok: true,
      format: "avro",
      schemaId: "globalId:1",
      event: FIRST_EVENT,
    });
  });

  it("with schemaRegistry.apicurioUseId contentId the same 8 bytes are a contentId", () => {
    const ctx = context([["contentId:1", avroWriter]], "contentId");
    expect(decodePredictionMessage(avroValue, ctx)).toMatchObject({ ok: true, schemaId: "contentId:1", event: FIRST_EVENT });
  });

  it("the Protobuf serializer's value: the message its Ref names, decoded from the bytes after the Ref", () => {
    expect(readApicurioProtobufRef(protobufValue.subarray(9))).toEqual({
      name: "PredictionEvent",
      message: protobufValue.subarray(9 + 18),
    });
    expect(decodePredictionMessage(protobufValue, context([["globalId:30", protobufWriter]]))).toEqual({
      ok: true,
      format: "protobuf",
      schemaId: "globalId:30",
      event: FIRST_EVENT,
    });
  });

  it("JSON under a JSON Schema artifact is the bytes after the id", () => {
    const json = Buffer.concat([Buffer.from("000000000000000002", "hex"), Buffer.from(JSON.stringify(FIRST_EVENT))]);
    expect(decodePredictionMessage(json, context([["globalId:2", JSON_SCHEMA_WRITER]]))).toMatchObject({
      ok: true,
      format: "json",
      schemaId: "globalId:2",
      event: FIRST_EVENT,
    });
  });

  it("an id the registry does not know is unknown_schema_id naming the Apicurio id and where it was read", () => {
    expect(decodePredictionMessage(avroValue, context([]))).toEqual({
      ok: false,
      reason: "unknown_schema_id",
      schemaId: "globalId:1",
      message:
        "Apicurio globalId 1 is not known (read from the value's 8-byte id, as Apicurio's serde writes it without headers; a producer with apicurio.registry.use-id=contentId needs schemaRegistry.apicurioUseId: contentId)",
    });
  });

  it("a frame too short for the 8-byte id, or an id of 0, is unknown_format saying so", () => {
    expect(decodePredictionMessage(Buffer.from("0000000000", "hex"), context([]))).toEqual({
      ok: false,
      reason: "unknown_format",
      message: "an Apicurio frame (0x00 and an 8-byte id) has at least 9 bytes, got 5",
    });
    expect(decodePredictionMessage(Buffer.from("00000000000000000014", "hex"), context([]))).toEqual({
      ok: false,
      reason: "unknown_format",
      message: "the value starts with 0x00 and nine zero bytes: neither a Confluent schema id nor an Apicurio id is 0",
    });
  });

  it("a Protobuf body without a readable Ref is protobuf_decode_error saying what is wrong with it", () => {
    const frame = (ref: string) => Buffer.concat([protobufValue.subarray(0, 9), Buffer.from(ref, "hex"), protobufValue.subarray(27)]);
    const ctx = context([["globalId:30", protobufWriter]]);
    const cases: [string, string][] = [
      ["", "Apicurio's Ref: the body ends inside its length"],
      ["ff", "Apicurio's Ref: 1407 bytes announced, 101 left"],
      ["7f0a", "Apicurio's Ref: 127 bytes announced, 103 left"],
      ["00", "Apicurio's Ref names no message (field 1)"],
      ["020a7f", "Apicurio's Ref: a field runs past the Ref"],
      ["030b0000", "Apicurio's Ref: wire type 3 is not one a Ref holds"],
    ];
    for (const [ref, message] of cases) {
      const result = decodePredictionMessage(ref === "" ? protobufValue.subarray(0, 9) : frame(ref), ctx);
      expect(result, ref).toMatchObject({ ok: false, reason: "protobuf_decode_error", schemaId: "globalId:30" });
      expect(!result.ok && result.message, ref).toContain(`Protobuf body of Apicurio globalId 30: ${message}`);
    }
    // a Ref naming a message the schema lacks
    const missing = Buffer.concat([Buffer.from("09", "hex"), Buffer.from("0a074d697373696e67", "hex")]);
    expect(decodePredictionMessage(frame(missing.toString("hex")), ctx)).toMatchObject({
      ok: false,
      reason: "protobuf_decode_error",
      message: 'Protobuf body does not decode with schema globalId:30: the schema has no message named "Missing"',
    });
  });

  it("a Confluent frame with a schema id of 1 or more is still Confluent's", () => {
    const confluent = Buffer.concat([Buffer.from("0000000001", "hex"), avroValue.subarray(9)]);
    expect(decodePredictionMessage(confluent, context([[1, avroWriter]]))).toMatchObject({ ok: true, schemaId: 1, event: FIRST_EVENT });
  });
});
