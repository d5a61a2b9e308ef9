// Config file schema (YAML or JSON) validated by zod. Every key has a default, so an empty file is valid.
// `models.<modelId>` overrides any part of `defaults` for one model (deep merge).
import { z } from "zod";
import { redisSecurityShape, registrySecurityShape, saslSchema, secretRefSchema, tlsSchema } from "./security.ts";

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();
const probability = z.number().gt(0).lt(1);

const floorsSchema = z
  .object({
    warning: z.number().nonnegative(),
    critical: z.number().nonnegative(),
  })
  .strict()
  .refine((f) => f.critical >= f.warning, { message: "critical floor must be >= warning floor" });

export const modelSettingsSchema = z
  .object({
    window: z
      .object({
        maxEvents: positiveInt.default(1000),
        maxDurationMs: positiveInt.default(300_000),
        minEvents: positiveInt.default(100),
        /** events older than the partition's max event time minus this are "late" */
        allowedLatenessMs: nonNegativeInt.default(60_000),
      })
      .strict()
      .default({}),
    baseline: z
      .object({
        warmupWindows: positiveInt.default(5),
        rollingWindows: positiveInt.default(24),
        /** event time the captured reference spans (e.g. 604 800 000 = 7 days); with warmupWindows the later wins */
        referenceDurationMs: positiveInt.optional(),
        /** compare each window with the reference windows of the same slot (UTC + seasonOffsetMs) */
        seasonality: z.enum(["none", "hourOfDay", "dayOfWeek", "hourOfWeek", "monthOfYear"]).default("none"),
        /** added to event time before slots are taken (a time zone: 3 600 000 = UTC+1); within ±1 day */
        seasonOffsetMs: z.number().int().min(-86_400_000).max(86_400_000).default(0),
        /** a slot with fewer reference windows falls back to the whole reference */
        minSlotWindows: z.number().int().min(2).default(3),
      })
      .strict()
      .default({}),
    detection: z
      .object({
        falseAlarmRate: probability.default(0.001),
        consecutiveWindows: positiveInt.default(2),
        /** while an incident goes on unchanged (same status, same drifting signals), a DriftEvent every this many windows */
        reportEveryWindows: positiveInt.default(12),
        correction: z.enum(["bonferroni", "benjamini-hochberg"]).default("bonferroni"),
        /** a signal needs this many non-missing values on both sides to be tested */
        minSignalCount: positiveInt.default(30),
        /** effect-size floors: Wasserstein-1 / σ_ref for numbers */
        numericFloors: floorsSchema.default({ warning: 0.1, critical: 0.2 }),
        /** effect-size floors: L∞ of class shares for categories */
        categoricalFloors: floorsSchema.default({ warning: 0.05, critical: 0.08 }),
        /** effect-size floors: absolute change of a feature's missing share */
        missingShareFloors: floorsSchema.default({ warning: 0.05, critical: 0.1 }),
        /** effect-size floors: share of numeric values outside the reference range */
        outOfRangeFloors: floorsSchema.default({ warning: 0.05, critical: 0.1 }),
        /** effect-size floors: share of categories unseen in the reference */
        unseenShareFloors: floorsSchema.default({ warning: 0.05, critical: 0.1 }),
        /** effect-size floors: rise of the share of values of the wrong type */
        typeChangeFloors: floorsSchema.default({ warning: 0.01, critical: 0.05 }),
      })
      .strict()
      .default({}),
    retrain: z
      .object({
        consecutiveWindows: positiveInt.default(3),
        cooldownMs: positiveInt.default(43_200_000),
        /** signals whose critical drift may trigger a retrain; empty = any signal */
        signals: z.array(z.string()).default([]),
        /** a reference older than this (event time since its data ends) raises one `max_age` request; unset = off */
        maxAgeMs: positiveInt.optional(),
      })
      .strict()
      .default({}),
    performance: z
      .object({
        /** opt in: predictions of this model wait for outcomes (the join state is rewritten whole each chunk,
         *  so it is off unless the model's outcomes are published) */
        enabled: z.boolean().default(false),
        /** how long (event time) a prediction waits for its outcome, and an early outcome for its prediction */
        labelDelayMs: positiveInt.default(604_800_000),
        /** bound on predictions waiting for an outcome per model; the oldest are expired beyond it */
        maxPending: positiveInt.default(200_000),
        /** bound on outcomes waiting for their prediction per model */
        maxEarlyOutcomes: positiveInt.default(10_000),
        /** a performance window closes at this many joined outcomes … */
        maxOutcomes: positiveInt.default(1000),
        /** … or after this much outcome event time (when it has minOutcomes) */
        maxDurationMs: positiveInt.default(3_600_000),
        minOutcomes: positiveInt.default(100),
        /** performance reference = the first N performance windows of a version */
        referenceWindows: positiveInt.default(5),
        /** drop of accuracy against the reference's (absolute) */
        accuracyFloors: floorsSchema.default({ warning: 0.02, critical: 0.05 }),
        /** rise of MAE relative to the reference's MAE */
        maeFloors: floorsSchema.default({ warning: 0.1, critical: 0.25 }),
        /** absolute thresholds: a window below minAccuracy / above maxMae is critical */
        minAccuracy: z.number().min(0).max(1).optional(),
        maxMae: z.number().nonnegative().optional(),
        /** equal-width confidence bins of the calibration (ECE and the label-free estimate) */
        calibrationBins: z.number().int().min(2).max(100).default(10),
      })
      .strict()
      .default({}),
    /** per-segment drift and the segment mix for these `attributes` keys (README "Segments"); off by default */
    segments: z
      .object({
        keys: z
          .array(z.string().regex(/^[A-Za-z0-9._-]{1,32}$/u, "an attribute key of 1-32 characters A-Z a-z 0-9 . _ -"))
          .max(4)
          .refine((k) => new Set(k).size === k.length, { message: "attribute keys must be distinct" })
          .default([]),
        /** segments per key with signals of their own (first seen first); the rest are folded into __other__ */
        topK: z.number().int().min(1).max(49).default(10),
      })
      .strict()
      .default({}),
  })
  .strict();

/** One model's section as the file gives it; the engine gets it as detect/settings.ts' ModelSettings. */
export type ModelSettingsConfig = z.infer<typeof modelSettingsSchema>;

export const configSchema = z
  .object({
    kafka: z
      .object({
        brokers: z.array(z.string().min(1)).min(1).default(["127.0.0.1:19092"]),
        clientId: z.string().min(1).default("drift-detector"),
        groupId: z.string().min(1).default("drift-detector"),
        topics: z
          .object({
            predictions: z.string().min(1).default("ml.predictions"),
            outcomes: z.string().min(1).default("ml.outcomes"),
            drift: z.string().min(1).default("ml.drift-events"),
            retrain: z.string().min(1).default("ml.retrain-requests"),
            /** BaselineEvents: operator changes of references (`baseline repin`) */
            baseline: z.string().min(1).default("ml.baseline-events"),
            deadLetter: z.string().min(1).default("ml.predictions.dlq"),
          })
          .strict()
          .default({}),
        createTopics: z.boolean().default(true),
        partitions: positiveInt.default(3),
        /** replication of the topics it creates; absent: the brokers' default.replication.factor */
        replicationFactor: positiveInt.optional(),
        /** output encoding: avro needs schemaRegistry.url */
        outputFormat: z.enum(["json", "avro"]).default("json"),
        /** how long the group waits for a silent (crashed) member before moving its partitions */
        sessionTimeoutMs: z.number().int().min(6_000).max(300_000).default(30_000),
        /** an assigned partition whose records wait this long without it moving is stalled: not ready, and on /metrics */
        partitionStallAfterMs: z.number().int().min(5_000).max(3_600_000).default(60_000),
        /** TLS to the brokers (present = on; certFile + keyFile = mutual TLS) */
        ssl: tlsSchema.optional(),
        /** SASL authentication (SASL_SSL with ssl, SASL_PLAINTEXT without) */
        sasl: saslSchema.optional(),
      })
      .strict()
      .default({}),
    redis: z
      .object({
        url: z.string().min(1).default("redis://127.0.0.1:16379"),
        keyPrefix: z.string().min(1).default("dd"),
        /** the URL is a node of a Redis Cluster (the others are discovered from it) */
        cluster: z.boolean().default(false),
        /** the URL is a Redis Sentinel: the master is the one it monitors under masterName, found again after a failover */
        sentinel: z
          .object({
            masterName: z.string().min(1),
            /** more Sentinels of the same deployment, host:port */
            sentinels: z.array(z.string().regex(/^[^\s:]+:\d+$/, "host:port")).default([]),
            /** the Sentinels' own password (requirepass of the Sentinels), if they have one */
            password: secretRefSchema.optional(),
          })
          .strict()
          .optional(),
        ...redisSecurityShape,
      })
      .strict()
      .refine((r) => !(r.cluster && r.sentinel !== undefined), { message: "cluster and sentinel exclude each other", path: ["sentinel"] })
      .default({}),
    schemaRegistry: z
      .object({
        url: z.string().url().optional(),
        /** the id in the value of Apicurio's serdes without headers: apicurio.registry.use-id of the producers */
        apicurioUseId: z.enum(["globalId", "contentId"]).default("globalId"),
        ...registrySecurityShape,
      })
      .strict()
      .default({}),
    metrics: z
      .object({ port: z.number().int().min(0).max(65535).default(9464) })
      .strict()
      .default({}),
    limits: z
      .object({
        maxModels: positiveInt.default(1000),
        maxVersionsPerModel: positiveInt.default(5),
        maxFeaturesPerModel: positiveInt.default(100),
        maxCategories: positiveInt.default(50),
        maxMessageBytes: positiveInt.default(1_048_576),
      })
      .strict()
      .default({}),
    /** bounds on event time (windows/event-time.ts); out-of-range events are dead-lettered */
    eventTime: z
      .object({
        /** later than the wall clock plus this: refused (as Kafka's log.message.timestamp.after.max.ms, 1 h) */
        maxFutureSkewMs: z
          .number()
          .int()
          .min(0)
          .max(2 ** 52)
          .default(3_600_000),
        /** older than the partition's watermark minus this: refused (7 days) */
        maxPastSkewMs: z
          .number()
          .int()
          .min(0)
          .max(2 ** 52)
          .default(604_800_000),
        /** a jump ahead of the watermark by more than this needs confirmation (7 days: beyond maxPastSkewMs a
         *  jump would refuse all on-time traffic after it) */
        maxForwardJumpMs: z
          .number()
          .int()
          .min(0)
          .max(2 ** 52)
          .default(604_800_000),
        /** events in a row at about the jumped time that confirm it; the last is accepted (1: accept at once) */
        forwardJumpConfirmations: positiveInt.max(1000).default(3),
      })
      .strict()
      .default({}),
    defaults: modelSettingsSchema.default({}),
    /** per-model overrides of `defaults`; validated after merging */
    models: z.record(z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "model ids match [A-Za-z0-9._-]{1,64}"), z.unknown()).default({}),
  })
  .strict();

export type DetectorConfig = z.infer<typeof configSchema>;
