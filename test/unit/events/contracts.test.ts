import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ZodObject } from "zod";
import type { ZodTypeAny } from "zod";
import { decodeOutcomeMessage, decodePredictionMessage } from "../../../src/events/codec.ts";
import type { DecodeContext } from "../../../src/events/codec.ts";
import { frameConfluent } from "../../../src/events/confluent-framing.ts";
import { avroBodyDecoder } from "../../../src/events/avro-decoder.ts";
import { lowerCamel, ProtobufWriter } from "../../../src/events/protobuf-writer.ts";
import { CONTRACT_NAMES, loadAvroSchema, loadAvroType, loadJsonSchema } from "../../../src/events/schema-files.ts";
import type { ContractName } from "../../../src/events/schema-files.ts";
import type { BaselineEvent, DriftEvent, OutcomeEvent, PredictionEvent, RetrainRequest } from "../../../src/events/types.ts";
import {
  ajvErrorPaths,
  avroErrorPaths,
  blames,
  invalidFixtures,
  validFixtures,
  withIsoTimestampNormalised,
  zodErrorPaths,
  zodSchemas,
} from "./contract-validators.ts";

const SCHEMA_ID = 11;
const ctx: DecodeContext = {
  schemaForId: (id) =>
    id === SCHEMA_ID ? loadAvroType("prediction-event") : id === SCHEMA_ID + 1 ? loadAvroType("outcome-event") : undefined,
  maxMessageBytes: 4 * 1024 * 1024,
};

function decodeJsonFor(contract: ContractName, value: unknown) {
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  return contract === "prediction-event" ? decodePredictionMessage(bytes, ctx) : decodeOutcomeMessage(bytes, ctx);
}

function decodeAvroFor(contract: ContractName, value: unknown) {
  // avsc writes anything structurally valid, so constraint violations reach the decoder's own check
  const body = loadAvroType(contract).toBuffer(value);
  const id = contract === "prediction-event" ? SCHEMA_ID : SCHEMA_ID + 1;
  const framed = frameConfluent(id, body);
  return contract === "prediction-event" ? decodePredictionMessage(framed, ctx) : decodeOutcomeMessage(framed, ctx);
}

const decodable = (c: ContractName) => c === "prediction-event" || c === "outcome-event";

describe("valid fixtures pass zod, JSON Schema, Avro and the decoder", () => {
  const fixtures = validFixtures();
  it("there are valid fixtures for every contract", () => {
    expect(new Set(fixtures.map((f) => f.contract))).toEqual(new Set(CONTRACT_NAMES));
  });
  for (const f of fixtures) {
    it(`${f.file} is accepted by all validators`, () => {
      expect(zodErrorPaths(f.contract, f.value)).toEqual([]);
      expect(ajvErrorPaths(f.contract, f.value)).toEqual([]);
      expect(avroErrorPaths(f.contract, withIsoTimestampNormalised(f.value))).toEqual([]);
      if (decodable(f.contract)) {
        const decoded = decodeJsonFor(f.contract, f.value);
        expect(decoded).toMatchObject({ ok: true, format: "json" });
      }
    });

    it(`${f.file} round-trips through Avro (avsc encode, detector decode and avsc decode)`, () => {
      const canonical = zodSchemas[f.contract].parse(f.value) as Record<string, unknown>;
      const type = loadAvroType(f.contract);
      const body = type.toBuffer(canonical);
      expect(type.fromBuffer(body)).toMatchObject(withoutNullish(canonical));
      const decoded = avroBodyDecoder(type)(body);
      // prediction features keep null (= missing); output contracts' optional records default to null
      const normalise = decodable(f.contract) ? withoutNullish : withoutNullishDeep;
      expect(normalise(decoded as Record<string, unknown>)).toEqual(normalise(canonical));
      if (decodable(f.contract)) {
        const viaJson = decodeJsonFor(f.contract, f.value);
        const viaAvro = decodeAvroFor(f.contract, canonical);
        expect(viaAvro).toMatchObject({ ok: true, format: "avro", schemaId: expect.any(Number) });
        // both formats yield the same canonical event
        expect(viaJson.ok && viaAvro.ok && viaAvro.event).toEqual(viaJson.ok && viaJson.event);
        expect(viaJson.ok && viaJson.event).toEqual(withoutNullish(canonical));
      }
    });
  }

  it("the ISO timestamp fixture decodes to epoch millis", () => {
    const iso = fixtures.find((f) => f.file === "prediction-iso-timestamp.json")!;
    expect(decodeJsonFor(iso.contract, iso.value)).toMatchObject({ ok: true, event: { timestamp: Date.UTC(2025, 10, 22, 0, 0, 0, 123) } });
  });
});

function withoutNullish(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));
}

/** Output contracts: absent and null optional fields are the same value at any depth (Avro writes the union default). */
function withoutNullishDeep(o: Record<string, unknown>): Record<string, unknown> {
  const strip = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(strip) : typeof v === "object" && v !== null ? withoutNullishDeep(v as Record<string, unknown>) : v;
  return Object.fromEntries(Object.entries(withoutNullish(o)).map(([k, v]) => [k, strip(v)]));
}

describe("invalid fixtures fail zod, JSON Schema, Avro and the decoder, each naming the field", () => {
  const fixtures = invalidFixtures();
  for (const f of fixtures) {
    it(`${f.file} (${f.note}) is rejected at ${f.field}`, () => {
      const zodPaths = zodErrorPaths(f.contract, f.value);
      const ajvPaths = ajvErrorPaths(f.contract, f.value);
      const avroPaths = avroErrorPaths(f.contract, withIsoTimestampNormalised(f.value));
      expect(zodPaths.length, "zod rejects").toBeGreaterThan(0);
      expect(ajvPaths.length, "JSON Schema rejects").toBeGreaterThan(0);
      expect(avroPaths.length, "Avro rejects").toBeGreaterThan(0);
      expect(blames(zodPaths, f.field), `zod blames ${f.field}: ${zodPaths.join(", ")}`).toBe(true);
      expect(blames(ajvPaths, f.field), `JSON Schema blames ${f.field}: ${ajvPaths.join(", ")}`).toBe(true);
      expect(blames(avroPaths, f.field), `Avro blames ${f.field}: ${avroPaths.join(", ")}`).toBe(true);
      if (decodable(f.contract)) {
        const decoded = decodeJsonFor(f.contract, f.value);
        expect(decoded.ok).toBe(false);
        if (!decoded.ok) {
          expect(decoded.reason).toBe("schema_violation");
          expect(blames([decoded.field ?? ""], f.field), `decoder blames ${f.field}: ${decoded.field}`).toBe(true);
          expect(decoded.message).toContain(decoded.field);
        }
      }
    });
  }
});

describe("values JSON files cannot hold are rejected by every validator", () => {
  const base = { eventId: "e", modelId: "m", modelVersion: "1", timestamp: 1763769600000 };
  const twoMegabytes = "x".repeat(2 * 1024 * 1024);
  const cases: { name: string; contract: ContractName; field: string; value: unknown; reason: string }[] = [
    {
      name: "NaN confidence",
      contract: "prediction-event",
      field: "confidence",
      value: { ...base, confidence: NaN },
      reason: "non_finite_number",
    },
    {
      name: "Infinity prediction",
      contract: "prediction-event",
      field: "prediction",
      value: { ...base, prediction: Infinity },
      reason: "non_finite_number",
    },
    {
      name: "-Infinity latency",
      contract: "prediction-event",
      field: "latencyMs",
      value: { ...base, latencyMs: -Infinity },
      reason: "non_finite_number",
    },
    {
      name: "NaN feature value",
      contract: "prediction-event",
      field: "features.amount",
      value: { ...base, features: { amount: NaN } },
      reason: "non_finite_number",
    },
    {
      name: "NaN timestamp",
      contract: "prediction-event",
      field: "timestamp",
      value: { ...base, timestamp: NaN },
      reason: "non_finite_number",
    },
    {
      name: "2 MB predictedClass",
      contract: "prediction-event",
      field: "predictedClass",
      value: { ...base, predictedClass: twoMegabytes },
      reason: "schema_violation",
    },
    {
      name: "2 MB feature value",
      contract: "prediction-event",
      field: "features.text",
      value: { ...base, features: { text: twoMegabytes } },
      reason: "schema_violation",
    },
    {
      name: "NaN actual",
      contract: "outcome-event",
      field: "actual",
      value: { eventId: "e", modelId: "m", timestamp: 1, actual: NaN },
      reason: "non_finite_number",
    },
  ];
  for (const c of cases) {
    it(`${c.name} is rejected at ${c.field} with ${c.reason}`, () => {
      expect(blames(zodErrorPaths(c.contract, c.value), c.field)).toBe(true);
      expect(blames(ajvErrorPaths(c.contract, c.value), c.field)).toBe(true);
      expect(blames(avroErrorPaths(c.contract, c.value), c.field)).toBe(true);
      if (Number.isNaN((c.value as { timestamp: number }).timestamp)) return; // a long cannot carry NaN
      const decoded = decodeAvroFor(c.contract, c.value);
      expect(decoded).toMatchObject({ ok: false, reason: c.reason, field: c.field, schemaId: expect.any(Number) });
    });
  }

  it("NaN and Infinity statistics in drift events and retrain requests are rejected", () => {
    const drift = validFixtures().find((f) => f.file === "drift-event.json")!.value as unknown as DriftEvent;
    const bad = { ...drift, signals: [{ ...drift.signals[0], statistics: { psi: NaN } }] };
    expect(blames(zodErrorPaths("drift-event", bad), "signals.0.statistics.psi")).toBe(true);
    expect(blames(ajvErrorPaths("drift-event", bad), "signals.0.statistics.psi")).toBe(true);
    expect(blames(avroErrorPaths("drift-event", bad), "signals.0.statistics.psi")).toBe(true);
    const retrain = validFixtures().find((f) => f.file === "retrain-request.json")!.value as unknown as RetrainRequest;
    const badRetrain = { ...retrain, evidence: { ...retrain.evidence, statistics: { "feature:amount": { psi: Infinity } } } };
    expect(blames(zodErrorPaths("retrain-request", badRetrain), "evidence.statistics.feature:amount.psi")).toBe(true);
    expect(blames(ajvErrorPaths("retrain-request", badRetrain), "evidence.statistics.feature:amount.psi")).toBe(true);
    expect(blames(avroErrorPaths("retrain-request", badRetrain), "evidence.statistics.feature:amount.psi")).toBe(true);
  });
});

// ---- field names ---------------------------------------------------------------------------------

type Json = Record<string, unknown>;

/** Field names of an Avro record, nested records (also inside arrays/maps/unions) under "parent.field". */
function avroFieldNames(schema: unknown, prefix = "", named = new Map<string, unknown>()): string[] {
  if (Array.isArray(schema)) return schema.flatMap((s) => avroFieldNames(s, prefix, named));
  if (typeof schema !== "object" || schema === null) return [];
  const s = schema as Json;
  if (typeof s.type === "object") return avroFieldNames(s.type, prefix, named);
  if (s.type === "array") return avroFieldNames(s.items, prefix, named);
  if (s.type === "map") return avroFieldNames(s.values, prefix, named);
  if (s.type !== "record") return [];
  return (s.fields as Json[]).flatMap((f) => [
    `${prefix}${f.name as string}`,
    ...avroFieldNames(f.type, `${prefix}${f.name as string}.`, named),
  ]);
}

function jsonSchemaFieldNames(schema: unknown, prefix = ""): string[] {
  if (typeof schema !== "object" || schema === null) return [];
  const s = schema as Json;
  if (s.items !== undefined) return jsonSchemaFieldNames(s.items, prefix);
  if (s.properties === undefined) return [];
  return Object.entries(s.properties as Json).flatMap(([name, sub]) => [
    `${prefix}${name}`,
    ...jsonSchemaFieldNames(sub, `${prefix}${name}.`),
  ]);
}

function zodFieldNames(schema: ZodTypeAny, prefix = ""): string[] {
  let s: ZodTypeAny = schema;
  // unwrap optional/nullable/array/effects to reach an object
  for (;;) {
    const def = s._def as { innerType?: ZodTypeAny; type?: ZodTypeAny; schema?: ZodTypeAny };
    const inner = def.innerType ?? (def.type instanceof Object && "_def" in def.type ? def.type : undefined) ?? def.schema;
    if (s instanceof ZodObject || inner === undefined) break;
    s = inner;
  }
  if (!(s instanceof ZodObject)) return [];
  return Object.entries(s.shape as Record<string, ZodTypeAny>).flatMap(([name, sub]) => [
    `${prefix}${name}`,
    ...zodFieldNames(sub, `${prefix}${name}.`),
  ]);
}

// The TypeScript types' keys, checked by the compiler to be complete (an omission or extra key fails tsc).
type Exactly<T, Keys extends readonly (keyof T)[]> = Exclude<keyof T, Keys[number]> extends never ? Keys : never;
const predictionKeys = [
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
const outcomeKeys = ["eventId", "modelId", "timestamp", "actual", "actualClass"] as const;
const driftKeys = [
  "type",
  "eventId",
  "modelId",
  "modelVersion",
  "status",
  "previousStatus",
  "window",
  "baseline",
  "signals",
  "emittedAt",
  "incident",
  "dataQuality",
  "estimatedAccuracy",
] as const;
const retrainKeys = [
  "type",
  "requestId",
  "modelId",
  "modelVersion",
  "reason",
  "severity",
  "evidence",
  "cooldownUntil",
  "requestedAt",
  "incidentId",
  "note",
] as const;
const baselineKeys = [
  "type",
  "eventId",
  "kind",
  "modelId",
  "modelVersion",
  "partition",
  "requestId",
  "requestedAt",
  "previousReference",
  "endedIncidentId",
  "capture",
  "emittedAt",
] as const;
const typeKeys: Record<ContractName, readonly string[]> = {
  "prediction-event": predictionKeys satisfies Exactly<PredictionEvent, typeof predictionKeys>,
  "outcome-event": outcomeKeys satisfies Exactly<OutcomeEvent, typeof outcomeKeys>,
  "drift-event": driftKeys satisfies Exactly<DriftEvent, typeof driftKeys>,
  "retrain-request": retrainKeys satisfies Exactly<RetrainRequest, typeof retrainKeys>,
  "baseline-event": baselineKeys satisfies Exactly<BaselineEvent, typeof baselineKeys>,
};

describe("the schema files, zod and the TypeScript types list the same fields", () => {
  for (const name of CONTRACT_NAMES) {
    it(`${name}: Avro, JSON Schema and zod have the same (nested) field names`, () => {
      const avro = avroFieldNames(loadAvroSchema(name)).sort();
      expect(jsonSchemaFieldNames(loadJsonSchema(name)).sort()).toEqual(avro);
      expect(zodFieldNames(zodSchemas[name]).sort()).toEqual(avro);
    });
    it(`${name}: the top-level Avro fields are the keys of the TypeScript type`, () => {
      const topLevel = avroFieldNames(loadAvroSchema(name)).filter((f) => !f.includes("."));
      expect(topLevel.sort()).toEqual([...typeKeys[name]].sort());
    });
    it(`${name}: required fields agree between Avro (no default) and JSON Schema`, () => {
      const avro = loadAvroSchema(name) as { fields: Json[] };
      const requiredAvro = avro.fields.filter((f) => !Object.hasOwn(f, "default")).map((f) => f.name);
      expect(((loadJsonSchema(name) as Json).required as string[]).slice().sort()).toEqual((requiredAvro as string[]).sort());
    });
  }
});

describe("the Protobuf contracts (schemas/*.proto) have the Avro fields", () => {
  // Avro type of a top-level field (the non-null branch of an optional one) → the .proto type it is written as
  const protoType: Record<string, string> = { string: "string", long: "int64", double: "double", map: "map" };
  for (const name of ["prediction-event", "outcome-event"] as const) {
    it(`${name}.proto: one field per Avro field, by JSON name, of the same type; optional ones with presence`, () => {
      const writer = new ProtobufWriter(readFileSync(new URL(`../../../schemas/${name}.proto`, import.meta.url), "utf8"));
      const type = writer.messageAt([0]);
      if (typeof type === "string") throw new Error(type);
      const proto = type.fieldsArray.map((f) => ({
        name: lowerCamel(f.name),
        type: f.map ? "map" : f.type,
        presence: f.map || Boolean(f.hasPresence),
      }));
      const avro = (loadAvroSchema(name) as { fields: { name: string; type: Json; default?: unknown }[] }).fields.map((f) => {
        const branch = Array.isArray(f.type) ? f.type.find((t) => t !== "null") : f.type;
        const avroType = typeof branch === "string" ? branch : ((branch as { type: string }).type as string);
        return { name: f.name, type: protoType[avroType], presence: Object.hasOwn(f, "default") };
      });
      expect(proto).toEqual(avro);
    });
  }
});
