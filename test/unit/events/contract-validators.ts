// The four validators of the event contracts, each reduced to "the dotted paths it blames" (empty = valid),
// so tests can demand that they agree and that each names the offending field.
import { readFileSync, readdirSync } from "node:fs";
import Ajv2020Module from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import type { ZodTypeAny } from "zod";
import { compileAvroConstraints, describeViolation, violationField } from "../../../src/events/avro-constraints.ts";
import { compileFastAccept, type FastAccept } from "../../../src/events/avro-fast-accept.ts";
import type { ValueCheck } from "../../../src/events/avro-constraints.ts";
import { loadAvroSchema, loadAvroType, loadJsonSchema } from "../../../src/events/schema-files.ts";
import type { ContractName } from "../../../src/events/schema-files.ts";
import {
  baselineEventSchema,
  driftEventSchema,
  outcomeEventSchema,
  predictionEventSchema,
  retrainRequestSchema,
} from "../../../src/events/schemas.ts";
import { parseIsoTimestamp } from "../../../src/events/timestamp.ts";

// ajv and ajv-formats are CommonJS: the default import is module.exports, which carries itself as `.default`
const Ajv2020 = Ajv2020Module.default;
const addFormats = addFormatsModule.default;

export const zodSchemas: Record<ContractName, ZodTypeAny> = {
  "prediction-event": predictionEventSchema,
  "outcome-event": outcomeEventSchema,
  "drift-event": driftEventSchema,
  "retrain-request": retrainRequestSchema,
  "baseline-event": baselineEventSchema,
};

const ajv = new Ajv2020({ allErrors: true, strict: true, strictNumbers: true, allowUnionTypes: true });
addFormats(ajv);
const ajvValidators = new Map<ContractName, ReturnType<typeof ajv.compile>>();
const avroChecks = new Map<ContractName, ValueCheck>();
const fastAccepts = new Map<ContractName, FastAccept>();

function ajvValidator(name: ContractName) {
  let v = ajvValidators.get(name);
  if (v === undefined) {
    v = ajv.compile(loadJsonSchema(name) as object);
    ajvValidators.set(name, v);
  }
  return v;
}

export function zodErrorPaths(name: ContractName, value: unknown): string[] {
  const result = zodSchemas[name].safeParse(value);
  return result.success ? [] : result.error.issues.map((i) => i.path.join("."));
}

export function ajvErrorPaths(name: ContractName, value: unknown): string[] {
  const validate = ajvValidator(name);
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => {
    const base = e.instancePath.split("/").slice(1).join(".");
    const missing = (e.params as { missingProperty?: string }).missingProperty;
    return missing === undefined ? base : base === "" ? missing : `${base}.${missing}`;
  });
}

/** "Avro validation": avsc's Type.isValid plus the constraint attributes of the .avsc. */
export function avroErrorPaths(name: ContractName, value: unknown): string[] {
  const paths: string[] = [];
  loadAvroType(name).isValid(value, { errorHook: (path: string[]) => paths.push(path.join(".")) });
  let check = avroChecks.get(name);
  if (check === undefined) {
    check = compileAvroConstraints(loadAvroSchema(name));
    avroChecks.set(name, check);
  }
  const violation = check(value);
  // the decoder's generated yes/no check (avro-fast-accept.ts) must agree with the explaining one on every value
  let accept = fastAccepts.get(name);
  if (accept === undefined) {
    accept = compileFastAccept(loadAvroSchema(name));
    fastAccepts.set(name, accept);
  }
  if (accept(value) !== (violation === undefined)) {
    throw new Error(
      `${name}: the fast check says ${accept(value) ? "valid" : "invalid"}, the constraint check ${violation === undefined ? "valid" : describeViolation(violation)}`,
    );
  }
  if (violation !== undefined) paths.push(violationField(violation));
  return paths;
}

/** The Avro side only carries epoch millis: the JSON decoder normalises ISO strings before it. */
export function withIsoTimestampNormalised(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  const ts = (value as { timestamp?: unknown }).timestamp;
  if (typeof ts !== "string") return value;
  const millis = parseIsoTimestamp(ts);
  return millis === undefined ? value : { ...value, timestamp: millis };
}

/** True when one of the blamed paths is the field or lies inside it. */
export function blames(paths: readonly string[], field: string): boolean {
  return paths.some((p) => p === field || p.startsWith(`${field}.`));
}

const fixturesDir = new URL("../../fixtures/events/", import.meta.url);

export interface ValidFixture {
  readonly file: string;
  readonly contract: ContractName;
  readonly value: Record<string, unknown>;
}

export interface InvalidFixture {
  readonly file: string;
  readonly contract: ContractName;
  readonly field: string;
  readonly note: string;
  readonly value: unknown;
}

function contractOfFile(file: string): ContractName {
  if (file.startsWith("prediction")) return "prediction-event";
  if (file.startsWith("outcome")) return "outcome-event";
  if (file.startsWith("drift")) return "drift-event";
  if (file.startsWith("retrain")) return "retrain-request";
  if (file.startsWith("baseline")) return "baseline-event";
  throw new Error(`fixture ${file} does not name its contract`);
}

function readJson(dir: string, file: string): unknown {
  return JSON.parse(readFileSync(new URL(`${dir}/${file}`, fixturesDir), "utf8")) as unknown;
}

export function validFixtures(): ValidFixture[] {
  return readdirSync(new URL("valid/", fixturesDir))
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((file) => ({ file, contract: contractOfFile(file), value: readJson("valid", file) as Record<string, unknown> }));
}

export function invalidFixtures(): InvalidFixture[] {
  return readdirSync(new URL("invalid/", fixturesDir))
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((file) => {
      const raw = readJson("invalid", file) as { contract: ContractName; field: string; note: string; event: unknown };
      return { file, contract: raw.contract, field: raw.field, note: raw.note, value: raw.event };
    });
}

export function readCodecFixture(file: string): unknown {
  return readJson("codec", file);
}
