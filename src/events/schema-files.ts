// The only place in src/events that touches the file system: it reads the contract files in schemas/
// (the single source of truth) once, synchronously, like loading code. src/events/X.ts and dist/events/X.js
// both sit two levels below the package root, so one relative URL serves tsx and the build.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Type } from "avsc";
import { DetectorError } from "../errors/detector-error.ts";

export const CONTRACT_NAMES = ["prediction-event", "outcome-event", "drift-event", "retrain-request", "baseline-event"] as const;
export type ContractName = (typeof CONTRACT_NAMES)[number];

export class SchemaFileError extends DetectorError<{ file: string }> {
  constructor(message: string, file: string, options?: { cause?: unknown }) {
    super(message, { file }, options);
  }
}

const schemasDir = new URL("../../schemas/", import.meta.url);

function readSchemaFile(file: string): string {
  const url = new URL(file, schemasDir);
  try {
    return readFileSync(url, "utf8");
  } catch (cause) {
    throw new SchemaFileError(`cannot read schema file ${url.pathname}`, url.pathname, { cause });
  }
}

// avsc (~50 ms to load) only when an Avro type is needed: JSON events are checked against the parsed .avsc
const requireAvsc = () => createRequire(import.meta.url)("avsc") as typeof import("avsc");

const textCache = new Map<ContractName, string>();
const parsedCache = new Map<ContractName, unknown>();
const typeCache = new Map<ContractName, Type>();

/** The .avsc text as committed, e.g. for registering under `<topic>-value` in a schema registry. */
export function readAvroSchemaText(name: ContractName): string {
  let text = textCache.get(name);
  if (text === undefined) {
    text = readSchemaFile(`${name}.avsc`);
    textCache.set(name, text);
  }
  return text;
}

/** The parsed .avsc, including the constraint attributes avsc ignores. */
export function loadAvroSchema(name: ContractName): unknown {
  let parsed = parsedCache.get(name);
  if (parsed === undefined) {
    try {
      parsed = JSON.parse(readAvroSchemaText(name)) as unknown;
    } catch (cause) {
      throw new SchemaFileError(`schema file ${name}.avsc is not valid JSON`, `${name}.avsc`, { cause });
    }
    parsedCache.set(name, parsed);
  }
  return parsed;
}

/**
 * The avsc Type of a contract. Logical types are not registered, so timestamp-millis reads and writes as
 * a plain number of epoch millis (never a Date).
 */
export function loadAvroType(name: ContractName): Type {
  let type = typeCache.get(name);
  if (type === undefined) {
    type = requireAvsc().Type.forSchema(loadAvroSchema(name) as import("avsc").Schema);
    typeCache.set(name, type);
  }
  return type;
}

/** Epoch timestamps in units other than the contract's milliseconds: kept as logical types for the decoder. */
export const FINER_EPOCH_LOGICAL_TYPES = { "timestamp-micros": 1000, "timestamp-nanos": 1_000_000 } as const;
let finerEpochTypes: Record<string, new (...args: never[]) => unknown> | undefined;

/**
 * The avsc Type of a writer schema from the registry or an Avro container file's header. timestamp-micros and
 * timestamp-nanos (what Spark and BigQuery write) stay visible as logical types, so the decoder reads them as
 * epoch milliseconds (src/events/avro-decoder.ts); avsc would otherwise hand over their raw longs unmarked.
 * `references` are the schemas of the named types it uses from other registry subjects, each after the ones it
 * uses itself.
 */
export function avroTypeForSchema(schema: unknown, references: readonly unknown[] = []): Type {
  const avsc = requireAvsc();
  finerEpochTypes ??= Object.fromEntries(
    Object.keys(FINER_EPOCH_LOGICAL_TYPES).map((name) => [
      name,
      class extends avsc.types.LogicalType {
        override _fromValue(v: unknown): unknown {
          return v;
        }
        override _toValue(v: unknown): unknown {
          return v;
        }
      },
    ]),
  );
  // the named types each schema defines, for the ones after it to use by name
  const registry = {};
  const options = { logicalTypes: finerEpochTypes as never, registry };
  for (const reference of references) avsc.Type.forSchema(reference as import("avsc").Schema, options);
  return avsc.Type.forSchema(schema as import("avsc").Schema, options);
}

/** The JSON Schema of a contract, parsed (for ajv in tests and for publishing). */
export function loadJsonSchema(name: ContractName): unknown {
  const file = `${name}.schema.json`;
  try {
    return JSON.parse(readSchemaFile(file)) as unknown;
  } catch (cause) {
    if (cause instanceof SchemaFileError) throw cause;
    throw new SchemaFileError(`schema file ${file} is not valid JSON`, file, { cause });
  }
}
