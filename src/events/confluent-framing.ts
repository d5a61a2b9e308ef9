// Confluent wire format: magic byte 0x00, 4-byte big-endian schema id, then the body: Avro, or JSON when the
// registry holds the id as a JSON Schema (Confluent's JSON Schema serializers: Python's JSONSerializer, Java's
// KafkaJsonSchemaSerializer), or Protobuf (message indexes, then the message: protobuf-writer.ts).
// Or the schema named in a header instead (Confluent Platform 8's "schema ID in headers": the serializers'
// header_schema_id_serializer / HeaderSchemaIdSerializer): header `__value_schema_id` holds 0x01 and the
// schema's 16-byte GUID (or 0x00 and a 4-byte id), then a Protobuf message's indexes; the value is the bare body.
import type { Type } from "avsc";
import { DetectorError } from "../errors/detector-error.ts";
import { ProtobufWriter } from "./protobuf-writer.ts";

export const CONFLUENT_MAGIC_BYTE = 0x00;
export const CONFLUENT_HEADER_BYTES = 5;
const MAX_SCHEMA_ID = 0xffffffff;

export class ConfluentFrameError extends DetectorError<{ byteLength: number }> {
  constructor(message: string, byteLength: number) {
    super(message, { byteLength });
  }
}

/** A registry schema of type JSON: the frame's body is the event as JSON. */
export const JSON_SCHEMA_WRITER = Object.freeze({ schemaType: "JSON" as const });
/**
 * A registry schema (Avro or Protobuf) that does not parse or resolve: its messages are refused with the
 * reason (schema ids are immutable, so asking the registry again gives the same schema).
 */
export class UnreadableSchema {
  constructor(
    readonly schemaType: "AVRO" | "PROTOBUF",
    readonly reason: string,
  ) {}
}
/** What a framed message's schema id stands for: an Avro writer type, a Protobuf schema, JSON, or unreadable. */
export type WriterSchema = Type | typeof JSON_SCHEMA_WRITER | ProtobufWriter | UnreadableSchema;

/** Whether the writer is an Avro type the body decodes with (an avsc Type), not another kind of writer. */
export function isAvroWriterType(writer: WriterSchema): writer is Type {
  return writer !== JSON_SCHEMA_WRITER && !(writer instanceof ProtobufWriter) && !(writer instanceof UnreadableSchema);
}

/**
 * A registry schema id, a schema GUID (lowercase, 8-4-4-4-12 hex) named by the schema-id header, or an Apicurio
 * id named by its headers (`globalId:7`, schema-id-headers.ts).
 */
export type SchemaKey = number | string;

export const VALUE_SCHEMA_ID_HEADER = "__value_schema_id";
const HEADER_MAGIC_ID = 0x00;
const HEADER_MAGIC_GUID = 0x01;
const GUID_BYTES = 16;

/** The schema a schema-id header names, and what follows it (a Protobuf message's indexes, else empty). */
export interface SchemaIdHeader {
  readonly schema: SchemaKey;
  readonly rest: Uint8Array;
  /** Apicurio's header apicurio.protobuf.type: the Protobuf message by name, instead of indexes */
  readonly protobufType?: string;
}

/** Kafka headers as the consumer gives them: a value per name, or several when the name repeats. */
export type MessageHeaders = Readonly<Record<string, Uint8Array | string | (Uint8Array | string)[] | undefined>>;

/** Reads a schema-id header value; a string says what is wrong with it. Never throws. */
export function readSchemaIdHeader(value: Uint8Array): SchemaIdHeader | string {
  if (value[0] === HEADER_MAGIC_GUID && value.length >= 1 + GUID_BYTES) {
    return { schema: guidText(value.subarray(1, 1 + GUID_BYTES)), rest: value.subarray(1 + GUID_BYTES) };
  }
  if (value[0] === HEADER_MAGIC_ID && value.length >= CONFLUENT_HEADER_BYTES) {
    return { schema: confluentSchemaId(value) as number, rest: value.subarray(CONFLUENT_HEADER_BYTES) };
  }
  if (value.length === 0) return `header ${VALUE_SCHEMA_ID_HEADER} is empty`;
  const magic = `0x${value[0].toString(16).padStart(2, "0")}`;
  return value[0] === HEADER_MAGIC_GUID || value[0] === HEADER_MAGIC_ID
    ? `header ${VALUE_SCHEMA_ID_HEADER} is cut short (${value.length} bytes after magic byte ${magic})`
    : `header ${VALUE_SCHEMA_ID_HEADER} starts with magic byte ${magic}, not 0x01 (a schema GUID) or 0x00 (a schema id)`;
}

/** `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` of 16 bytes, as the registry's /schemas/guids/{guid} takes it. */
export function guidText(bytes: Uint8Array): string {
  let hex = "";
  for (const b of bytes) hex += b.toString(16).padStart(2, "0");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The header value naming schema GUID `guid` (after it, a Protobuf message's `indexes` bytes). */
export function schemaGuidHeader(guid: string, indexes: Uint8Array = new Uint8Array(0)): Uint8Array {
  const hex = guid.replaceAll("-", "");
  if (!/^[0-9a-f]{32}$/iu.test(hex)) throw new ConfluentFrameError(`a schema GUID has 32 hex digits, got ${JSON.stringify(guid)}`, 0);
  const value = new Uint8Array(1 + GUID_BYTES + indexes.length);
  value[0] = HEADER_MAGIC_GUID;
  for (let i = 0; i < GUID_BYTES; i++) value[1 + i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  value.set(indexes, 1 + GUID_BYTES);
  return value;
}

export interface ConfluentFrame {
  readonly schemaId: number;
  /** a view into the framed bytes, not a copy */
  readonly body: Uint8Array;
}

export function frameConfluent(schemaId: number, body: Uint8Array): Uint8Array {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > MAX_SCHEMA_ID) {
    throw new ConfluentFrameError(`schema id must be an unsigned 32-bit integer, got ${schemaId}`, body.length);
  }
  const framed = new Uint8Array(CONFLUENT_HEADER_BYTES + body.length);
  framed[0] = CONFLUENT_MAGIC_BYTE;
  new DataView(framed.buffer).setUint32(1, schemaId, false);
  framed.set(body, CONFLUENT_HEADER_BYTES);
  return framed;
}

/** The schema id of a frame, or undefined when the bytes are not a Confluent frame. Never throws. */
export function confluentSchemaId(bytes: Uint8Array): number | undefined {
  if (bytes.length < CONFLUENT_HEADER_BYTES || bytes[0] !== CONFLUENT_MAGIC_BYTE) return undefined;
  // >>> 0 keeps ids >= 2^31 unsigned
  return ((bytes[1] << 24) | (bytes[2] << 16) | (bytes[3] << 8) | bytes[4]) >>> 0;
}

export function parseConfluentFrame(bytes: Uint8Array): ConfluentFrame {
  const schemaId = confluentSchemaId(bytes);
  if (schemaId === undefined) {
    throw new ConfluentFrameError(
      bytes.length < CONFLUENT_HEADER_BYTES
        ? `a Confluent frame has at least ${CONFLUENT_HEADER_BYTES} bytes, got ${bytes.length}`
        : `a Confluent frame starts with magic byte 0x00, got 0x${bytes[0].toString(16).padStart(2, "0")}`,
      bytes.length,
    );
  }
  return { schemaId, body: bytes.subarray(CONFLUENT_HEADER_BYTES) };
}
