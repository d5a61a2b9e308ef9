// Message codecs. Decoding tells Confluent-framed messages (Avro, Protobuf, or JSON under a JSON Schema id) from plain
// JSON per message and never throws: every failure is a Rejected value with a closed reason (design §4, "bad
// input never stops the stream").
// Validation on this hot path is the constraint check compiled from the .avsc files; zod (schemas.ts)
// is the same contract for tests and tools.
import { compileAvroConstraints, describeViolation, violationField } from "./avro-constraints.ts";
import type { ValueCheck } from "./avro-constraints.ts";
import { compileFastAccept } from "./avro-fast-accept.ts";
import { AvroBodyError, avroBodyDecoder } from "./avro-decoder.ts";
import {
  CONFLUENT_HEADER_BYTES,
  CONFLUENT_MAGIC_BYTE,
  confluentSchemaId,
  frameConfluent,
  isAvroWriterType,
  UnreadableSchema,
  type SchemaKey,
  type WriterSchema,
} from "./confluent-framing.ts";
import { ProtobufWriter } from "./protobuf-writer.ts";
import {
  apicurioSchemaKey,
  describeSchemaKey,
  readSchemaNamingHeader,
  type ApicurioIdKind,
  type SchemaNamingHeader,
} from "./schema-id-headers.ts";
import { APICURIO_FRAME_BYTES, apicurioFrameId, readApicurioProtobufRef } from "./apicurio-value-frame.ts";
import type { DecodeResult, MessageFormat, Rejected, RejectionReason } from "./decode-result.ts";
import { loadAvroSchema, loadAvroType } from "./schema-files.ts";
import type { ContractName } from "./schema-files.ts";
import { parseIsoTimestamp } from "./timestamp.ts";
import { nonFiniteTokenIn } from "./json-non-finite.ts";
import { canonicalPrediction } from "./canonical-prediction.ts";
import { predictionScanLimits, scanJsonPrediction, type PredictionScanLimits } from "./json-prediction-scanner.ts";
import type { BaselineEvent, DriftEvent, FeatureValue, OutcomeEvent, PredictionEvent, RetrainRequest } from "./types.ts";
import { DetectorError } from "../errors/detector-error.ts";

export interface DecodeContext {
  /** the writer schema for a registry id or schema GUID, or undefined when not (yet) fetched */
  schemaForId(id: SchemaKey): WriterSchema | undefined;
  maxMessageBytes: number;
  /** what the 8-byte id of Apicurio's frame without headers is (apicurio-value-frame.ts); globalId when unset */
  apicurioUseId?: ApicurioIdKind;
}

type Fields = Record<string, unknown>;

interface Contract<E> {
  readonly check: () => ValueCheck;
  /** the event read straight from JSON bytes when it is valid and of the common shape (json-prediction-scanner.ts) */
  readonly scan?: (bytes: Uint8Array, start: number, end: number) => E | undefined;
  /** builds the canonical event from a validated record: optional fields absent or null are omitted */
  readonly canonical: (fields: Fields) => E;
}

/** The generated yes/no check first (avro-fast-accept.ts); the one that names the violation only when it says no. */
export function compileContractCheck(schema: unknown): ValueCheck {
  const accept = compileFastAccept(schema);
  const explain = compileAvroConstraints(schema);
  return (value) => (accept(value) ? undefined : explain(value));
}

function lazyCheck(name: ContractName): () => ValueCheck {
  let check: ValueCheck | undefined;
  return () => (check ??= compileContractCheck(loadAvroSchema(name)));
}

let predictionLimits: PredictionScanLimits | null | undefined;

const predictionContract: Contract<PredictionEvent> = {
  check: lazyCheck("prediction-event"),
  scan: (bytes, start, end) => {
    if (predictionLimits === undefined) predictionLimits = predictionScanLimits(loadAvroSchema("prediction-event")) ?? null;
    return predictionLimits === null ? undefined : scanJsonPrediction(bytes, start, predictionLimits, end);
  },
  canonical: (f) =>
    canonicalPrediction(
      f.eventId as string,
      f.modelId as string,
      f.modelVersion as string,
      f.timestamp as number,
      f.prediction as number | null | undefined,
      f.predictedClass as string | null | undefined,
      f.confidence as number | null | undefined,
      f.latencyMs as number | null | undefined,
      f.features as Record<string, FeatureValue> | null | undefined,
      f.attributes as Record<string, string> | null | undefined,
    ),
};

const outcomeContract: Contract<OutcomeEvent> = {
  check: lazyCheck("outcome-event"),
  canonical: (f) => {
    const event: OutcomeEvent = { eventId: f.eventId as string, modelId: f.modelId as string, timestamp: f.timestamp as number };
    if (f.actual != null) event.actual = f.actual as number;
    if (f.actualClass != null) event.actualClass = f.actualClass as string;
    return event;
  },
};

function reject(reason: RejectionReason, message: string, field?: string, schemaId?: SchemaKey): Rejected {
  const r: { ok: false; reason: RejectionReason; message: string; field?: string; schemaId?: SchemaKey } = { ok: false, reason, message };
  if (field !== undefined && field !== "") r.field = field;
  if (schemaId !== undefined) r.schemaId = schemaId;
  return r;
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * What a timestamp that is a number but not an integer most likely is: Python's time.time() (epoch seconds, a
 * float) or time.time() * 1000 (millis with a fraction). The contract wants integer epoch milliseconds.
 */
function timestampHint(value: unknown): string {
  if (typeof value !== "number" || Number.isInteger(value) || !Number.isFinite(value)) return "";
  return Math.abs(value) >= 1e9 && Math.abs(value) < 1e10
    ? " (this looks like epoch seconds, as Python's time.time() gives: send int(time.time() * 1000))"
    : " (epoch milliseconds as an integer: Python int(time.time() * 1000), JavaScript Date.now())";
}

function validate<E>(fields: Fields, contract: Contract<E>, format: MessageFormat, schemaId?: SchemaKey): DecodeResult<E> {
  const violation = contract.check()(fields);
  if (violation !== undefined) {
    const field = violationField(violation);
    const hint = field === "timestamp" ? timestampHint(fields.timestamp) : "";
    return reject(violation.reason, describeViolation(violation) + hint, field, schemaId);
  }
  const event = contract.canonical(fields);
  return schemaId === undefined ? { ok: true, event, format } : { ok: true, event, format, schemaId };
}

// ---- JSON ----------------------------------------------------------------------------------------

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const OPEN_BRACE = 0x7b;

function isJsonWhitespace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/** Index of the first byte of bytes[from, to) after an optional UTF-8 BOM and JSON whitespace. */
function jsonStart(bytes: Uint8Array, from: number, to: number): number {
  let i = to - from >= 3 && bytes[from] === 0xef && bytes[from + 1] === 0xbb && bytes[from + 2] === 0xbf ? from + 3 : from;
  while (i < to && isJsonWhitespace(bytes[i])) i++;
  return i;
}

/**
 * Kafka Connect's JsonConverter with schemas.enable (its default) wraps every value as {"schema", "payload"}:
 * a producer set up so is told so, rather than that eventId is missing.
 */
function isConnectEnvelope(fields: Fields): boolean {
  const keys = Object.keys(fields);
  return keys.length === 2 && "schema" in fields && "payload" in fields && typeof fields.payload === "object" && fields.payload !== null;
}

/**
 * kcat's `-J` envelope of a consumed record ({topic, partition, offset, tstype, ts, broker, headers, key,
 * payload}): what a topic dumped with `kcat -C -J` holds per line. The event is its payload.
 */
function isKcatEnvelope(fields: Fields): boolean {
  return (
    typeof fields.topic === "string" &&
    typeof fields.partition === "number" &&
    typeof fields.offset === "number" &&
    "payload" in fields &&
    !("eventId" in fields)
  );
}

const utf8Encoder = new TextEncoder();

/** The event of a kcat -J envelope: its payload, JSON text (or, from kcat -s avro, a JSON object). */
function decodeKcatPayload<E>(fields: Fields, contract: Contract<E>, depth: number): DecodeResult<E> {
  const payload = fields.payload;
  const where = `kcat -J record (${String(fields.topic)} partition ${String(fields.partition)} offset ${String(fields.offset)})`;
  if (payload === null) {
    const error = typeof fields.payload_error === "string" ? `: kcat could not decode it (${fields.payload_error})` : " (a tombstone)";
    return reject("empty", `a ${where} with no payload${error}`);
  }
  if (depth >= 2) return reject("unknown_format", `a ${where} wrapping another envelope`);
  if (typeof payload === "string") {
    if (payload.trimStart().startsWith("{")) return decodeJsonMessage(utf8Encoder.encode(payload), contract, depth + 1);
    const framed =
      payload.charCodeAt(0) === CONFLUENT_MAGIC_BYTE
        ? ": it is Confluent-framed, which kcat -J writes as text; dump it with kcat -s value=avro"
        : "";
    return reject("unknown_format", `a ${where} whose payload is not a JSON event${framed}`);
  }
  if (typeof payload === "object" && !Array.isArray(payload)) return decodeJsonFields(payload as Fields, contract, depth + 1);
  return reject("unknown_format", `a ${where} whose payload is not a JSON event`);
}

/** The JSON message bytes[…, end), whose "{" is at `start`. */
function decodeJson<E>(bytes: Uint8Array, start: number, end: number, contract: Contract<E>, depth = 0): DecodeResult<E> {
  let scanned: E | undefined;
  try {
    scanned = contract.scan?.(bytes, start, end);
  } catch {
    // a fault in the fast path must not cost an event: the general path decides
    scanned = undefined;
  }
  if (scanned !== undefined) return { ok: true, event: scanned, format: "json" };
  let text: string;
  try {
    text = utf8.decode(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end));
  } catch {
    return reject("invalid_utf8", "message is not valid UTF-8");
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    const nonFinite = nonFiniteTokenIn(text);
    if (nonFinite !== undefined) {
      const python = { NaN: "nan", Infinity: "inf", "-Infinity": "-inf" }[nonFinite.token];
      return reject(
        "non_finite_number",
        `${nonFinite.field}: ${nonFinite.token} is not JSON (Python's json.dumps writes float("${python}") so): send null for a missing value`,
        nonFinite.field,
      );
    }
    return reject("invalid_json", `message is not valid JSON: ${errorMessage(e)}`);
  }
  // the first byte was "{", so a successful parse is an object
  return decodeJsonFields(parsed as Fields, contract, depth);
}

/** A parsed JSON object as the event: envelopes unwrapped or named, an ISO timestamp read, then checked. */
function decodeJsonFields<E>(fields: Fields, contract: Contract<E>, depth: number): DecodeResult<E> {
  if (isKcatEnvelope(fields)) return decodeKcatPayload(fields, contract, depth);
  if (isConnectEnvelope(fields)) {
    return reject(
      "schema_violation",
      "a Kafka Connect JsonConverter envelope ({schema, payload}): the event is its payload; set value.converter.schemas.enable=false",
    );
  }
  const timestamp = fields.timestamp;
  if (typeof timestamp === "string") {
    const millis = parseIsoTimestamp(timestamp);
    if (millis === undefined) {
      return reject("schema_violation", "timestamp: expected epoch millis or an ISO-8601 date-time with offset", "timestamp");
    }
    fields.timestamp = millis;
  }
  return validate(fields, contract, "json");
}

/** Decodes a UTF-8 JSON prediction (optional BOM and leading whitespace allowed). Never throws. */
export function decodeJsonPrediction(bytes: Uint8Array): DecodeResult<PredictionEvent> {
  return decodeJsonMessage(bytes, predictionContract);
}

/** The general path alone (no scanner): what the tests hold the scanner's events against. */
export function decodeJsonPredictionGeneral(bytes: Uint8Array): DecodeResult<PredictionEvent> {
  return decodeJsonMessage(bytes, { check: predictionContract.check, canonical: predictionContract.canonical });
}

export function decodeJsonOutcome(bytes: Uint8Array): DecodeResult<OutcomeEvent> {
  return decodeJsonMessage(bytes, outcomeContract);
}

function decodeJsonMessage<E>(bytes: Uint8Array, contract: Contract<E>, depth = 0): DecodeResult<E> {
  try {
    const start = jsonStart(bytes, 0, bytes.length);
    if (start === bytes.length) return reject("empty", "message has no content");
    if (bytes[start] !== OPEN_BRACE) return reject("unknown_format", "a JSON event must be an object starting with {");
    return decodeJson(bytes, start, bytes.length, contract, depth);
  } catch (e) {
    return reject("invalid_json", `unexpected failure decoding JSON: ${errorMessage(e)}`);
  }
}

// ---- Avro ----------------------------------------------------------------------------------------

function decodeAvro<E>(bytes: Uint8Array, ctx: DecodeContext, contract: Contract<E>): DecodeResult<E> {
  const schemaId = confluentSchemaId(bytes);
  if (schemaId === undefined) {
    return reject("avro_decode_error", `Confluent frame needs ${CONFLUENT_HEADER_BYTES} header bytes, got ${bytes.length}`);
  }
  // registries number schemas from 1: a 0 is the high half of the 8-byte id of Apicurio's serde without headers
  if (schemaId === 0) return decodeApicurioFramed(bytes, ctx, contract);
  return decodeWithSchema(schemaId, bytes.subarray(CONFLUENT_HEADER_BYTES), undefined, ctx, contract);
}

/** Apicurio's Protobuf body without headers: a delimited Ref naming the message, then the message. */
const REF_IN_BODY: unique symbol = Symbol("Apicurio Ref in the body");

/** 0x00 and an 8-byte id (apicurio-value-frame.ts): the id is a globalId or, as configured, a contentId. */
function decodeApicurioFramed<E>(bytes: Uint8Array, ctx: DecodeContext, contract: Contract<E>): DecodeResult<E> {
  const id = apicurioFrameId(bytes);
  if (typeof id === "string") return reject("unknown_format", id);
  const key = apicurioSchemaKey(ctx.apicurioUseId ?? "globalId", id);
  return decodeWithSchema(key, bytes.subarray(APICURIO_FRAME_BYTES), REF_IN_BODY, ctx, contract);
}

const APICURIO_FRAME_HINT =
  " (read from the value's 8-byte id, as Apicurio's serde writes it without headers; a producer with apicurio.registry.use-id=contentId needs schemaRegistry.apicurioUseId: contentId)";

/** A message whose schema a header names (schema-id-headers.ts): the value is the bare body. */
function decodeHeaderNamed<E>(bytes: Uint8Array, header: SchemaNamingHeader, ctx: DecodeContext, contract: Contract<E>): DecodeResult<E> {
  const named = readSchemaNamingHeader(header);
  if (typeof named === "string") return reject("unknown_format", named);
  return decodeWithSchema(named.schema, bytes, named.protobufType ?? named.rest, ctx, contract);
}

/**
 * The body under writer schema `schemaId`; `protobufMessage` when a header, not the body's start, says which
 * message it is: the indexes (Confluent's), or the message's name (Apicurio's); REF_IN_BODY for Apicurio's frame.
 */
function decodeWithSchema<E>(
  schemaId: SchemaKey,
  body: Uint8Array,
  protobufMessage: Uint8Array | string | typeof REF_IN_BODY | undefined,
  ctx: DecodeContext,
  contract: Contract<E>,
): DecodeResult<E> {
  let writer: WriterSchema | undefined;
  try {
    writer = ctx.schemaForId(schemaId);
  } catch (e) {
    return reject("unknown_schema_id", `schema ${schemaId} lookup failed: ${errorMessage(e)}`, undefined, schemaId);
  }
  if (writer === undefined) {
    const hint = protobufMessage === REF_IN_BODY ? APICURIO_FRAME_HINT : "";
    return reject("unknown_schema_id", `${describeSchemaKey(schemaId)} is not known${hint}`, undefined, schemaId);
  }
  if (!isAvroWriterType(writer)) {
    if (writer instanceof ProtobufWriter) return decodeProtobuf(writer, schemaId, body, protobufMessage, contract);
    if (writer instanceof UnreadableSchema) {
      const kind = writer.schemaType === "AVRO" ? "an Avro" : "a Protobuf";
      return reject(
        "unknown_format",
        `schema ${schemaId} is ${kind} schema the detector cannot read: ${writer.reason}`,
        undefined,
        schemaId,
      );
    }
    return framedBy(schemaId, decodeJsonMessage(body, contract));
  }
  const writerType = writer;
  let record: unknown;
  try {
    record = avroBodyDecoder(writerType)(body);
  } catch (e) {
    if (e instanceof AvroBodyError) {
      const field = e.context.path.join(".");
      const message = `Avro body does not decode with schema ${schemaId}: ${field === "" ? "" : `${field}: `}${e.message}`;
      return reject(e.context.reason, message, field, schemaId);
    }
    return reject("avro_decode_error", `Avro body does not decode with schema ${schemaId}: ${errorMessage(e)}`, undefined, schemaId);
  }
  if (typeof record !== "object" || record === null || Array.isArray(record)) {
    return reject("schema_violation", `schema ${schemaId} does not describe a record`, undefined, schemaId);
  }
  return validate(record as Fields, contract, "avro", schemaId);
}

// ---- Protobuf ------------------------------------------------------------------------------------

function decodeProtobuf<E>(
  writer: ProtobufWriter,
  schemaId: SchemaKey,
  body: Uint8Array,
  message: Uint8Array | string | typeof REF_IN_BODY | undefined,
  contract: Contract<E>,
): DecodeResult<E> {
  if (message === REF_IN_BODY) {
    const ref = readApicurioProtobufRef(body);
    if (typeof ref === "string")
      return reject("protobuf_decode_error", `Protobuf body of ${describeSchemaKey(schemaId)}: ${ref}`, undefined, schemaId);
    return decodeProtobuf(writer, schemaId, ref.message, ref.name, contract);
  }
  const record = typeof message === "string" ? writer.decodeNamed(body, message) : writer.decode(body, message);
  if (!record.ok)
    return reject(record.reason, `Protobuf body does not decode with schema ${schemaId}: ${record.message}`, record.field, schemaId);
  const fields = record.fields;
  if (typeof fields.timestamp === "string") {
    // a string timestamp reads as JSON's does
    const millis = parseIsoTimestamp(fields.timestamp);
    if (millis === undefined) {
      return reject("schema_violation", "timestamp: expected epoch millis or an ISO-8601 date-time with offset", "timestamp", schemaId);
    }
    fields.timestamp = millis;
  }
  return validate(fields, contract, "protobuf", schemaId);
}

/** A result of a framed message's body, with the frame's schema id. */
function framedBy<E>(schemaId: SchemaKey, result: DecodeResult<E>): DecodeResult<E> {
  return { ...result, schemaId };
}

// ---- Either --------------------------------------------------------------------------------------

function decodeMessage<E>(
  bytes: Uint8Array | null,
  ctx: DecodeContext,
  contract: Contract<E>,
  schemaIdHeader: SchemaNamingHeader | undefined,
): DecodeResult<E> {
  if (bytes === null) return reject("empty", "message has no value (null or zero bytes)");
  if (schemaIdHeader === undefined) return decodeMessageIn(bytes, 0, bytes.length, ctx, contract);
  try {
    if (bytes.length === 0) return reject("empty", "message has no value (null or zero bytes)");
    if (bytes.length > ctx.maxMessageBytes) {
      return reject("oversize", `message has ${bytes.length} bytes, more than maxMessageBytes ${ctx.maxMessageBytes}`);
    }
    // the header names the schema, as Confluent's deserializers read it: before any magic byte in the value
    return decodeHeaderNamed(bytes, schemaIdHeader, ctx, contract);
  } catch (e) {
    return reject("unknown_format", `unexpected failure decoding message: ${errorMessage(e)}`);
  }
}

/** The message bytes[from, to). */
function decodeMessageIn<E>(bytes: Uint8Array, from: number, to: number, ctx: DecodeContext, contract: Contract<E>): DecodeResult<E> {
  try {
    const length = to - from;
    if (length === 0) return reject("empty", "message has no value (null or zero bytes)");
    if (length > ctx.maxMessageBytes) {
      return reject("oversize", `message has ${length} bytes, more than maxMessageBytes ${ctx.maxMessageBytes}`);
    }
    if (bytes[from] === CONFLUENT_MAGIC_BYTE) return decodeAvro(length === bytes.length ? bytes : bytes.subarray(from, to), ctx, contract);
    const start = jsonStart(bytes, from, to);
    if (start === to) return reject("empty", "message is only whitespace");
    if (bytes[start] === OPEN_BRACE) return decodeJson(bytes, start, to, contract);
    return reject(
      "unknown_format",
      `message is neither Confluent-framed Avro (0x00) nor a JSON object (first byte 0x${bytes[from].toString(16).padStart(2, "0")})`,
    );
  } catch (e) {
    // unreachable by design; the stream must keep moving even so
    return reject("unknown_format", `unexpected failure decoding message: ${errorMessage(e)}`);
  }
}

/**
 * Decodes one message of the predictions topic: Confluent-framed Avro when the first byte is 0x00, JSON
 * when the first non-whitespace byte (after an optional BOM) is "{", rejected otherwise; with a header naming
 * the schema (schemaNamingHeaderOf: Confluent's `__value_schema_id`, Apicurio's ids), the body of that schema.
 * Never throws.
 */
export function decodePredictionMessage(
  bytes: Uint8Array | null,
  ctx: DecodeContext,
  schemaIdHeader?: SchemaNamingHeader,
): DecodeResult<PredictionEvent> {
  return decodeMessage(bytes, ctx, predictionContract, schemaIdHeader);
}

/**
 * As decodePredictionMessage, of the message bytes[from, to) (a line of a larger buffer, without a view made
 * for it). Never reads past `to` to accept: same results as decodePredictionMessage(bytes.subarray(from, to)).
 */
export function decodePredictionMessageIn(bytes: Uint8Array, from: number, to: number, ctx: DecodeContext): DecodeResult<PredictionEvent> {
  return decodeMessageIn(bytes, from, to, ctx, predictionContract);
}

/** As decodePredictionMessage, for the outcomes topic. Never throws. */
export function decodeOutcomeMessage(
  bytes: Uint8Array | null,
  ctx: DecodeContext,
  schemaIdHeader?: SchemaNamingHeader,
): DecodeResult<OutcomeEvent> {
  return decodeMessage(bytes, ctx, outcomeContract, schemaIdHeader);
}

// ---- Encoding ------------------------------------------------------------------------------------

export class EventEncodeError extends DetectorError<{ contract: ContractName; field: string | undefined }> {
  constructor(message: string, contract: ContractName, field: string | undefined) {
    super(message, { contract, field });
  }
}

const encoder = new TextEncoder();

/** UTF-8 JSON bytes of an event (validate first: JSON.stringify writes NaN as null). */
export function encodeJson(event: PredictionEvent | OutcomeEvent | DriftEvent | RetrainRequest | BaselineEvent): Uint8Array {
  return encoder.encode(JSON.stringify(event));
}

const encodeChecks = new Map<ContractName, ValueCheck>();

/**
 * Validates `value` against a contract's .avsc (structure and constraints) and returns the
 * Confluent-framed Avro bytes for `schemaId`. Throws EventEncodeError on an invalid value: the detector's
 * own output being invalid is a bug, not input to route around.
 */
export function encodeAvroEvent(name: ContractName, schemaId: number, value: object): Uint8Array {
  let check = encodeChecks.get(name);
  if (check === undefined) {
    check = compileContractCheck(loadAvroSchema(name));
    encodeChecks.set(name, check);
  }
  const violation = check(value);
  if (violation !== undefined) throw new EventEncodeError(`${name}: ${describeViolation(violation)}`, name, violationField(violation));
  return frameConfluent(schemaId, loadAvroType(name).toBuffer(value));
}

export function encodeDriftEventAvro(event: DriftEvent, schemaId: number): Uint8Array {
  return encodeAvroEvent("drift-event", schemaId, event);
}

export function encodeBaselineEventAvro(event: BaselineEvent, schemaId: number): Uint8Array {
  return encodeAvroEvent("baseline-event", schemaId, event);
}

export function encodeRetrainRequestAvro(event: RetrainRequest, schemaId: number): Uint8Array {
  return encodeAvroEvent("retrain-request", schemaId, event);
}

export function encodePredictionAvro(event: PredictionEvent, schemaId: number): Uint8Array {
  return encodeAvroEvent("prediction-event", schemaId, event);
}

export function encodeOutcomeAvro(event: OutcomeEvent, schemaId: number): Uint8Array {
  return encodeAvroEvent("outcome-event", schemaId, event);
}
