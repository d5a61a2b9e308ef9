// What decoding one Kafka message yields: an event, or a rejection whose reason becomes the DLQ header
// and the `reason` label of the rejected-events counter (a closed set, so the label stays bounded).
import type { SchemaKey } from "./confluent-framing.ts";

export const REJECTION_REASONS = [
  "empty",
  "oversize",
  "invalid_utf8",
  "invalid_json",
  "unknown_format",
  "unknown_schema_id",
  "avro_decode_error",
  /** a Confluent Protobuf frame whose message indexes or message do not decode with its schema */
  "protobuf_decode_error",
  "schema_violation",
  "non_finite_number",
  /** a record marked as a control record (events/control-record.ts) that is not a valid one */
  "invalid_control",
] as const;

export type RejectionReason = (typeof REJECTION_REASONS)[number];

export type MessageFormat = "json" | "avro" | "protobuf";

export interface Decoded<E> {
  readonly ok: true;
  readonly event: E;
  readonly format: MessageFormat;
  /** set for Confluent-framed messages (Avro, Protobuf, or JSON under a JSON Schema id) */
  readonly schemaId?: SchemaKey;
}

export interface Rejected {
  readonly ok: false;
  readonly reason: RejectionReason;
  readonly message: string;
  /** dotted path of the offending field ("features.amount"), when one is to blame */
  readonly field?: string;
  /** set when the message was Confluent-framed, including for unknown_schema_id (fetch it, then retry) */
  readonly schemaId?: SchemaKey;
}

export type DecodeResult<E> = Decoded<E> | Rejected;
