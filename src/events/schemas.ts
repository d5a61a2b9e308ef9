// zod validators of the event contracts. The .avsc files are the source of truth;
// test/unit/events/contracts.test.ts proves these accept and reject exactly what the Avro constraint
// check and the JSON Schemas do, and the type assertions at the bottom keep them in step with types.ts.
// The hot path does not use zod (see codec.ts); these serve config-time checks, tools and the tests.
import { z } from "zod";
import { codePointLengthWithin } from "./avro-constraints.ts";
import { modelIdSchema } from "./model-id.ts";
import { parseIsoTimestamp } from "./timestamp.ts";
import type { BaselineEvent, DriftEvent, OutcomeEvent, PredictionEvent, RetrainRequest } from "./types.ts";

/** A string whose length in Unicode code points (JSON Schema's measure) is within [min, max]. */
function text(min: number, max: number) {
  return z.string().refine((s) => codePointLengthWithin(s, min, max), {
    message: `length must be between ${min} and ${max} characters`,
  });
}

const finite = z.number().finite();
/** An Avro long as avsc accepts it: an integer within ±2^52 (epoch millis up to year 144 683). */
const safeInteger = z.number().int().min(-4503599627370496).max(4503599627370496);

export { modelIdSchema };
const eventIdSchema = text(1, 128);
const modelVersionSchema = text(1, 64);

/** Epoch millis, or an ISO-8601 date-time with offset normalised to epoch millis. */
export const timestampSchema = z.union([
  safeInteger,
  z.string().transform((s, ctx) => {
    const millis = parseIsoTimestamp(s);
    if (millis === undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: "expected epoch millis or an ISO-8601 date-time with offset" });
      return z.NEVER;
    }
    return millis;
  }),
]);

const featureName = text(1, 128);
const featureValue = z.union([finite, text(0, 1024), z.boolean(), z.null()]);

function boundedRecord<V extends z.ZodTypeAny>(key: z.ZodType<string>, value: V, maxEntries: number) {
  return z.record(key, value).refine((r) => Object.keys(r).length <= maxEntries, { message: `at most ${maxEntries} entries allowed` });
}

export const predictionEventSchema = z.object({
  eventId: eventIdSchema,
  modelId: modelIdSchema,
  modelVersion: modelVersionSchema,
  timestamp: timestampSchema,
  prediction: finite.nullish(),
  predictedClass: text(0, 256).nullish(),
  confidence: finite.min(0).max(1).nullish(),
  latencyMs: finite.min(0).nullish(),
  features: boundedRecord(featureName, featureValue, 1000).nullish(),
  attributes: boundedRecord(text(1, 128), text(0, 128), 32).nullish(),
});

export const outcomeEventSchema = z.object({
  eventId: eventIdSchema,
  modelId: modelIdSchema,
  timestamp: timestampSchema,
  actual: finite.nullish(),
  actualClass: text(0, 256).nullish(),
});

export const statusSchema = z.enum(["ok", "warning", "critical"]);
const kafkaOffset = z.string().regex(/^[0-9]{1,20}$/u, "must be a decimal Kafka offset");
const count = safeInteger.min(0);
const statistics = z.record(text(1, 64), finite);

export const windowRefSchema = z.object({
  id: text(1, 256),
  start: safeInteger,
  end: safeInteger,
  count,
  partition: z.number().int().min(0).max(2147483647),
  firstOffset: kafkaOffset,
  lastOffset: kafkaOffset,
});

export const baselineRefSchema = z.object({
  kind: z.enum(["reference", "rolling"]),
  id: text(1, 256),
  count,
});

export const signalResultSchema = z.object({
  signal: text(1, 256),
  kind: z.enum(["numeric", "categorical"]),
  status: statusSchema,
  statistics,
  threshold: z.object({ statistic: text(1, 64), value: finite }),
  baseline: baselineRefSchema.nullish(),
});

export const incidentRefSchema = z.object({
  id: text(1, 128),
  start: safeInteger,
  startWindow: text(1, 256),
  windows: count,
  durationMs: count,
  peakStatus: statusSchema,
  peakSignal: text(0, 256),
  peakStatistic: text(0, 64),
  peakValue: finite,
  ended: z.boolean(),
});

export const driftEventSchema = z.object({
  type: z.literal("drift"),
  eventId: eventIdSchema,
  modelId: modelIdSchema,
  modelVersion: modelVersionSchema,
  status: statusSchema,
  previousStatus: statusSchema,
  window: windowRefSchema,
  baseline: baselineRefSchema,
  signals: z.array(signalResultSchema),
  emittedAt: safeInteger,
  incident: incidentRefSchema.nullish(),
  dataQuality: statusSchema.nullish(),
  estimatedAccuracy: z.number().min(0).max(1).nullish(),
});

export const retrainRequestSchema = z.object({
  type: z.literal("retrain"),
  requestId: eventIdSchema,
  modelId: modelIdSchema,
  modelVersion: modelVersionSchema,
  reason: z.enum(["drift", "performance", "manual", "max_age"]),
  severity: statusSchema,
  evidence: z.object({
    signals: z.array(text(1, 256)),
    windows: z.array(text(1, 256)),
    statistics: z.record(text(1, 256), statistics),
  }),
  cooldownUntil: safeInteger,
  requestedAt: safeInteger,
  incidentId: text(1, 128).nullish(),
  note: text(1, 1024).nullish(),
});

export const baselineEventSchema = z.object({
  type: z.literal("baseline"),
  eventId: eventIdSchema,
  kind: z.enum(["reference_repinned", "reference_reset"]),
  modelId: modelIdSchema,
  modelVersion: modelVersionSchema,
  partition: count,
  requestId: text(1, 128),
  requestedAt: safeInteger,
  previousReference: baselineRefSchema.nullable(),
  endedIncidentId: text(1, 128).nullish(),
  capture: z.object({
    warmupWindows: count,
    referenceDurationMs: count.nullable(),
    seasonality: z.enum(["none", "hourOfDay", "dayOfWeek", "hourOfWeek", "monthOfYear"]),
  }),
  emittedAt: safeInteger,
});

// Compile-time agreement with types.ts: parsed output fits the types, and every value of the types is
// an acceptable input shape.
type Holds<T extends true> = T;
export type _PredictionAgrees = Holds<
  z.infer<typeof predictionEventSchema> extends PredictionEvent
    ? PredictionEvent extends z.input<typeof predictionEventSchema>
      ? true
      : false
    : false
>;
export type _OutcomeAgrees = Holds<
  z.infer<typeof outcomeEventSchema> extends OutcomeEvent ? (OutcomeEvent extends z.input<typeof outcomeEventSchema> ? true : false) : false
>;
export type _DriftAgrees = Holds<
  z.infer<typeof driftEventSchema> extends DriftEvent ? (DriftEvent extends z.input<typeof driftEventSchema> ? true : false) : false
>;
export type _RetrainAgrees = Holds<
  z.infer<typeof retrainRequestSchema> extends RetrainRequest
    ? RetrainRequest extends z.input<typeof retrainRequestSchema>
      ? true
      : false
    : false
>;
export type _BaselineAgrees = Holds<
  z.infer<typeof baselineEventSchema> extends BaselineEvent
    ? BaselineEvent extends z.input<typeof baselineEventSchema>
      ? true
      : false
    : false
>;
