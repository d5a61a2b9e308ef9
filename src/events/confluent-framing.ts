// Confluent wire format: magic byte 0x00, 4-byte big-endian schema id, then the body: Avro, or JSON when the
// registry holds the id as a JSON Schema (Confluent's JSON Schema serializers: Python's JSONSerializer, Java's
// KafkaJsonSchemaSerializer), or Protobuf (message indexes, then the message: protobuf-writer.ts).
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
