// A PredictionEvent read straight from JSON bytes and checked as it is read, for the common shape (see
// json-scanner.ts): the hot path of every JSON prediction, in the service and in replay. The limits come from
// schemas/prediction-event.avsc (predictionScanLimits), so the .avsc stays the one source of the contract.
// It only ever accepts: anything it does not take — a violation, an ISO timestamp, a duplicate field,
// an escape — gives undefined, and the general path (JSON.parse and the compiled constraint check) decides
// and explains. Accepted events equal the general path's, field for field and key for key (the tests compare
// both on every fixture line and on thousands of mutations).
import type { FeatureValue, PredictionEvent } from "./types.ts";
import { canonicalPrediction } from "./canonical-prediction.ts";
import {
  asciiBytes,
  CLOSE_BRACE,
  COLON,
  JsonScanner,
  OPEN_BRACE,
  QUOTE,
  newShape,
  NOT_SIMPLE,
  type NotSimple,
  type ObjectRule,
  type Shape,
} from "./json-scanner.ts";

interface LengthLimits {
  min: number;
  max: number;
}

/** What the scanner checks, read from the prediction-event .avsc. */
export interface PredictionScanLimits {
  eventId: LengthLimits;
  modelId: LengthLimits & { pattern: RegExp };
  modelVersion: LengthLimits;
  predictedClass: LengthLimits;
  confidence: { min: number; max: number };
  latencyMs: { min: number; max: number };
  prediction: { min: number; max: number };
  features: ObjectRule;
  attributes: ObjectRule;
  /** model ids seen to pass modelId's pattern: they repeat, so the pattern runs once per id (bounded) */
  acceptedModelIds: Set<string>;
}

const FIELDS = [
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
] as const;
const REQUIRED = 4; // the first four, without an Avro default
// avsc's long holds |n| <= 2^52 (as avro-constraints.ts)
const LONG_LIMIT = 4503599627370496;

type Json = { readonly [key: string]: unknown };
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** `t` when it is an object with no keys but `allowed`. */
function only(t: unknown, allowed: readonly string[]): Json | undefined {
  if (!isObject(t)) return undefined;
  return Object.keys(t).every((k) => allowed.includes(k)) ? t : undefined;
}

const num = (v: unknown, fallback: number): number | undefined => (v === undefined ? fallback : typeof v === "number" ? v : undefined);

function stringLimits(t: unknown): (LengthLimits & { pattern?: string }) | undefined {
  if (t === "string") return { min: 0, max: Number.MAX_SAFE_INTEGER };
  const o = only(t, ["type", "minLength", "maxLength", "pattern"]);
  if (o?.type !== "string") return undefined;
  const min = num(o.minLength, 0);
  const max = num(o.maxLength, Number.MAX_SAFE_INTEGER);
  if (min === undefined || max === undefined || (o.pattern !== undefined && typeof o.pattern !== "string")) return undefined;
  return o.pattern === undefined ? { min, max } : { min, max, pattern: o.pattern };
}

function doubleLimits(t: unknown): { min: number; max: number } | undefined {
  if (t === "double") return { min: -Infinity, max: Infinity };
  const o = only(t, ["type", "minimum", "maximum"]);
  if (o?.type !== "double") return undefined;
  const min = num(o.minimum, -Infinity);
  const max = num(o.maximum, Infinity);
  return min === undefined || max === undefined ? undefined : { min, max };
}

/** The non-null branch of ["null", T]. */
function nullable(t: unknown): unknown {
  return Array.isArray(t) && t.length === 2 && t[0] === "null" ? t[1] : undefined;
}

function mapRule(t: unknown, values: ObjectRule["values"], maxStringLength: number): ObjectRule | undefined {
  const o = only(t, ["type", "values", "maxEntries", "keyMinLength", "keyMaxLength"]);
  if (o?.type !== "map") return undefined;
  const maxEntries = num(o.maxEntries, Number.MAX_SAFE_INTEGER);
  const keyMinLength = num(o.keyMinLength, 0);
  const keyMaxLength = num(o.keyMaxLength, Number.MAX_SAFE_INTEGER);
  if (maxEntries === undefined || keyMinLength === undefined || keyMaxLength === undefined) return undefined;
  return { values, maxStringLength, maxEntries, keyMinLength, keyMaxLength };
}

/**
 * The scanner's limits from the prediction-event schema, or undefined when the schema has anything the
 * scanner does not check (another field, type or constraint): then every message takes the general path.
 */
export function predictionScanLimits(schema: unknown): PredictionScanLimits | undefined {
  if (!isObject(schema) || schema.type !== "record" || !Array.isArray(schema.fields)) return undefined;
  const fields = new Map<string, Json>();
  for (const f of schema.fields as unknown[]) if (isObject(f) && typeof f.name === "string") fields.set(f.name, f);
  if (
    fields.size !== FIELDS.length ||
    !FIELDS.every((name, i) => fields.has(name) && Object.hasOwn(fields.get(name)!, "default") === i >= REQUIRED)
  )
    return undefined;
  const type = (name: string): unknown => fields.get(name)!.type;
  const eventId = stringLimits(type("eventId"));
  const modelId = stringLimits(type("modelId"));
  const modelVersion = stringLimits(type("modelVersion"));
  const timestamp = only(type("timestamp"), ["type", "logicalType"]);
  const prediction = doubleLimits(nullable(type("prediction")));
  const predictedClass = stringLimits(nullable(type("predictedClass")));
  const confidence = doubleLimits(nullable(type("confidence")));
  const latencyMs = doubleLimits(nullable(type("latencyMs")));
  const featuresMap = only(nullable(type("features")), ["type", "values", "maxEntries", "keyMinLength", "keyMaxLength"]);
  const attributesMap = only(nullable(type("attributes")), ["type", "values", "maxEntries", "keyMinLength", "keyMaxLength"]);
  const featureValues = featuresMap?.values;
  const featureString =
    Array.isArray(featureValues) && featureValues.length === 4 && featureValues[0] === "null" && featureValues[1] === "double"
      ? featureValues[3] === "boolean"
        ? stringLimits(featureValues[2])
        : undefined
      : undefined;
  const attributeString = stringLimits(attributesMap?.values);
  const features =
    featureString === undefined || featureString.min > 0 || featureString.pattern !== undefined
      ? undefined
      : mapRule(featuresMap, "scalar", featureString.max);
  const attributes =
    attributeString === undefined || attributeString.min > 0 || attributeString.pattern !== undefined
      ? undefined
      : mapRule(attributesMap, "string", attributeString.max);
  if (
    eventId === undefined ||
    eventId.pattern !== undefined ||
    modelId?.pattern === undefined ||
    modelVersion === undefined ||
    modelVersion.pattern !== undefined ||
    timestamp?.type !== "long" ||
    prediction === undefined ||
    predictedClass === undefined ||
    predictedClass.pattern !== undefined ||
    predictedClass.min > 0 ||
    confidence === undefined ||
    latencyMs === undefined ||
    features === undefined ||
    attributes === undefined
  )
    return undefined;
  return {
    eventId,
    modelId: { min: modelId.min, max: modelId.max, pattern: new RegExp(modelId.pattern, "u") },
    modelVersion,
    predictedClass,
    confidence,
    latencyMs,
    prediction,
    features,
    attributes,
    acceptedModelIds: new Set(),
  };
}

const UNKNOWN = FIELDS.length;
const START = FIELDS.length + 1;
const FIELD_BYTES = FIELDS.map(asciiBytes);
const FIELD_INDEX = new Map<string, number>(FIELDS.map((name, i) => [name, i]));
/** The field that followed field i (or the start) in the last message: usually the one that follows now. */
const nextField = new Int8Array(FIELDS.length + 2).fill(-1);
/** Where the keys of features and attributes start, per model (each model sends its own keys, in its own order). */
interface ModelRoots {
  features: Shape;
  attributes: Shape;
}
const rootsByModel = new Map<string, ModelRoots>();
const MAX_MODEL_ROOTS = 256;
const SHARED_ROOTS: ModelRoots = { features: newShape(), attributes: newShape() };

function rootsOf(modelId: string): ModelRoots {
  let roots = rootsByModel.get(modelId);
  if (roots === undefined) {
    if (rootsByModel.size >= MAX_MODEL_ROOTS) return SHARED_ROOTS;
    roots = { features: newShape(), attributes: newShape() };
    rootsByModel.set(modelId, roots);
  }
  return roots;
}
const scanner = new JsonScanner();
const MAX_ACCEPTED_MODEL_IDS = 256;

/** `value` when it is null or a number within `range`; NOT_SIMPLE for anything else. */
function nullOrNumberIn(value: unknown, range: { min: number; max: number }): number | null | NotSimple {
  return value === null || (typeof value === "number" && value >= range.min && value <= range.max) ? value : NOT_SIMPLE;
}

/**
 * The PredictionEvent in bytes[start, end) (start: its "{", after any BOM and whitespace), or undefined when
 * the message is anything but a valid event of the common shape. ASCII only here, so lengths in UTF-16 units
 * are lengths in code points, as the schema counts them.
 */
export function scanJsonPrediction(
  bytes: Uint8Array,
  start: number,
  limits: PredictionScanLimits,
  end: number = bytes.length,
): PredictionEvent | undefined {
  const s = scanner;
  s.reset(bytes, start, end);
  if (!s.expect(OPEN_BRACE) || bytes[s.pos] === CLOSE_BRACE) return undefined;
  let eventId = "";
  let modelId = "";
  let modelVersion = "";
  let timestamp = 0;
  let prediction: number | null = null;
  let predictedClass: string | null = null;
  let confidence: number | null = null;
  let latencyMs: number | null = null;
  let features: Record<string, FeatureValue> | null = null;
  let attributes: Record<string, string> | null = null;
  let seen = 0;
  let previous = START;
  // modelId comes before features in the schema's order; when it does not, the shared roots serve
  let roots: ModelRoots | undefined;
  for (;;) {
    if (bytes[s.pos] !== QUOTE) return undefined;
    let field = nextField[previous];
    if (field < 0 || field >= UNKNOWN || !s.atKey(FIELD_BYTES[field])) {
      // the schema's order, skipping absent fields; then any order
      field = -1;
      for (let i = previous >= UNKNOWN ? 0 : previous + 1; i < UNKNOWN; i++) {
        if (s.atKey(FIELD_BYTES[i])) {
          field = i;
          break;
        }
      }
      if (field < 0) {
        const key = s.readString();
        if (key === NOT_SIMPLE) return undefined;
        field = FIELD_INDEX.get(key) ?? UNKNOWN;
      }
      nextField[previous] = field;
    }
    if (field < UNKNOWN) {
      // a repeated field: JSON.parse keeps the last; the general path decides
      if ((seen & (1 << field)) !== 0) return undefined;
      seen |= 1 << field;
    }
    if (!s.expect(COLON)) return undefined;
    // the value first, by its first byte, through one call of each reader (one copy of each in the optimised
    // code: V8 compiles this function sooner and in less time); then the field's own check
    const b = bytes[s.pos];
    let value: unknown;
    if (b === QUOTE) value = field === 0 ? s.readUniqueString() : s.readString();
    else if (b === OPEN_BRACE) {
      if (field === 8) value = s.readObject((roots ??= rootsOf(modelId)).features, limits.features);
      else if (field === 9) value = s.readObject((roots ??= rootsOf(modelId)).attributes, limits.attributes);
      else value = field === UNKNOWN ? s.readValue() : NOT_SIMPLE;
    } else value = s.readScalar();
    if (value === NOT_SIMPLE) return undefined;
    switch (field) {
      case 0: {
        if (typeof value !== "string" || value.length < limits.eventId.min || value.length > limits.eventId.max) return undefined;
        eventId = value;
        break;
      }
      case 1: {
        if (typeof value !== "string") return undefined;
        const accepted = limits.acceptedModelIds;
        if (!accepted.has(value)) {
          const m = limits.modelId;
          if (value.length < m.min || value.length > m.max || !m.pattern.test(value)) return undefined;
          if (accepted.size >= MAX_ACCEPTED_MODEL_IDS) accepted.clear();
          accepted.add(value);
        }
        modelId = value;
        break;
      }
      case 2: {
        if (typeof value !== "string" || value.length < limits.modelVersion.min || value.length > limits.modelVersion.max) return undefined;
        modelVersion = value;
        break;
      }
      case 3: {
        // an ISO-8601 string takes the general path
        if (typeof value !== "number" || !Number.isInteger(value) || value < -LONG_LIMIT || value > LONG_LIMIT) return undefined;
        timestamp = value;
        break;
      }
      case 4: {
        const v = nullOrNumberIn(value, limits.prediction);
        if (v === NOT_SIMPLE) return undefined;
        prediction = v;
        break;
      }
      case 5: {
        if (value !== null && (typeof value !== "string" || value.length > limits.predictedClass.max)) return undefined;
        predictedClass = value;
        break;
      }
      case 6: {
        const v = nullOrNumberIn(value, limits.confidence);
        if (v === NOT_SIMPLE) return undefined;
        confidence = v;
        break;
      }
      case 7: {
        const v = nullOrNumberIn(value, limits.latencyMs);
        if (v === NOT_SIMPLE) return undefined;
        latencyMs = v;
        break;
      }
      case 8: {
        if (value !== null && b !== OPEN_BRACE) return undefined;
        features = value as Record<string, FeatureValue> | null;
        break;
      }
      case 9: {
        if (value !== null && b !== OPEN_BRACE) return undefined;
        attributes = value as Record<string, string> | null;
        break;
      }
      default:
        // a field the schema does not have: ignored, as the general path ignores it
        break;
    }
    const more = s.memberEnd();
    if (more === NOT_SIMPLE) return undefined;
    previous = field;
    if (!more) break;
  }
  if ((seen & 0b1111) !== 0b1111 || !s.atEnd()) return undefined;
  return canonicalPrediction(
    eventId,
    modelId,
    modelVersion,
    timestamp,
    prediction,
    predictedClass,
    confidence,
    latencyMs,
    features,
    attributes,
  );
}
