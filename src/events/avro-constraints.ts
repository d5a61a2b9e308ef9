// Compiles a parsed .avsc schema into a value check that enforces both the Avro structure and the
// constraint attributes Avro itself cannot express (minLength, maxLength, pattern, minimum, maximum,
// maxItems, maxEntries, keyMinLength, keyMaxLength) plus "doubles are finite". This keeps the .avsc
// the single source of truth: the same compiled check validates Avro-decoded records and JSON input
// on the hot path. Lengths count Unicode code points, as JSON Schema's maxLength does.
//
// Checks return `undefined` when the value is valid; the field path is only built on failure.
import { DetectorError } from "../errors/detector-error.ts";

export type ViolationReason = "schema_violation" | "non_finite_number";

export interface Violation {
  /** field names / map keys / array indices from the root to the offending value */
  readonly path: readonly (string | number)[];
  readonly reason: ViolationReason;
  readonly detail: string;
}

export type ValueCheck = (value: unknown) => Violation | undefined;

export class AvroSchemaError extends DetectorError<{ schemaFragment: unknown }> {
  constructor(message: string, schemaFragment: unknown) {
    super(message, { schemaFragment });
  }
}

/** "features.amount" for ["features", "amount"]; "" for the root. */
export function violationField(v: Violation): string {
  return v.path.join(".");
}

export function describeViolation(v: Violation): string {
  return v.path.length === 0 ? v.detail : `${violationField(v)}: ${v.detail}`;
}

type JsonObject = { readonly [key: string]: unknown };

/** A check with the JS value kind it accepts, so unions can dispatch instead of trying every branch. */
interface CompiledType {
  readonly kind: ValueKind;
  readonly label: string;
  check: ValueCheck;
}

type ValueKind = "null" | "boolean" | "number" | "string" | "bytes" | "array" | "object" | "other";

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;
// avsc's long accepts |n| <= 2^52 only; the contract follows it so "valid" means "encodable"
const LONG_LIMIT = 4503599627370496;

function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null;
}

function fail(reason: ViolationReason, detail: string): Violation {
  return { path: [], reason, detail };
}

function prefixed(segment: string | number, v: Violation): Violation {
  return { path: [segment, ...v.path], reason: v.reason, detail: v.detail };
}

export function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "nothing";
  if (Array.isArray(v)) return "array";
  if (v instanceof Uint8Array) return "bytes";
  if (typeof v === "number") {
    if (Number.isNaN(v)) return "NaN";
    if (!Number.isFinite(v)) return v > 0 ? "Infinity" : "-Infinity";
    return `number ${v}`;
  }
  if (typeof v === "string") return v.length > 40 ? `string of ${v.length} UTF-16 units` : `string ${JSON.stringify(v)}`;
  return typeof v;
}

/** Code-point length compared to bounds without counting when the UTF-16 length already decides. */
export function codePointLengthWithin(s: string, min: number, max: number): boolean {
  const units = s.length;
  // code points <= UTF-16 units <= 2 * code points
  if (units < min || (units + 1) >> 1 > max) return false;
  if (units <= max && units >= 2 * min) return true;
  let n = 0;
  for (const _ of s) n++;
  return n >= min && n <= max;
}

function numberAttr(schema: JsonObject, key: string): number | undefined {
  const v = schema[key];
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v)) throw new AvroSchemaError(`attribute ${key} must be a finite number`, schema);
  return v;
}

function stringCheck(schema: JsonObject): ValueCheck {
  const min = numberAttr(schema, "minLength") ?? 0;
  const max = numberAttr(schema, "maxLength") ?? Number.MAX_SAFE_INTEGER;
  const patternSource = schema["pattern"];
  if (patternSource !== undefined && typeof patternSource !== "string") throw new AvroSchemaError("pattern must be a string", schema);
  // "u" matches JSON Schema / ajv semantics
  const pattern = patternSource === undefined ? undefined : new RegExp(patternSource, "u");
  return (v) => {
    if (typeof v !== "string") return fail("schema_violation", `expected string, got ${describeValue(v)}`);
    if (!codePointLengthWithin(v, min, max)) {
      return fail("schema_violation", `length must be between ${min} and ${max} characters, got ${describeValue(v)}`);
    }
    if (pattern !== undefined && !pattern.test(v)) {
      return fail("schema_violation", `must match ${patternSource as string}, got ${describeValue(v)}`);
    }
    return undefined;
  };
}

function numberCheck(schema: JsonObject, primitive: "int" | "long" | "float" | "double"): ValueCheck {
  const min = numberAttr(schema, "minimum");
  const max = numberAttr(schema, "maximum");
  const integral = primitive === "int" || primitive === "long";
  const lo = primitive === "int" ? INT_MIN : -LONG_LIMIT;
  const hi = primitive === "int" ? INT_MAX : LONG_LIMIT;
  return (v) => {
    if (typeof v !== "number") return fail("schema_violation", `expected ${primitive}, got ${describeValue(v)}`);
    if (!Number.isFinite(v)) return fail("non_finite_number", `expected a finite ${primitive}, got ${describeValue(v)}`);
    if (integral && (!Number.isInteger(v) || v < lo || v > hi)) {
      return fail(
        "schema_violation",
        `expected ${primitive === "int" ? "a 32-bit integer" : "an integer within ±2^52"}, got ${describeValue(v)}`,
      );
    }
    if (min !== undefined && v < min) return fail("schema_violation", `must be >= ${min}, got ${describeValue(v)}`);
    if (max !== undefined && v > max) return fail("schema_violation", `must be <= ${max}, got ${describeValue(v)}`);
    return undefined;
  };
}

const PRIMITIVES = new Set(["null", "boolean", "int", "long", "float", "double", "bytes", "string"]);

class Compiler {
  private readonly named = new Map<string, CompiledType>();

  compile(schema: unknown, namespace: string | undefined): CompiledType {
    if (typeof schema === "string") return this.compileName(schema, namespace, { type: schema });
    if (Array.isArray(schema)) return this.compileUnion(schema, namespace);
    if (!isObject(schema)) throw new AvroSchemaError("schema must be a name, a union or an object", schema);
    const type = schema["type"];
    if (typeof type !== "string") {
      // {"type": {...}} or {"type": [...]} nests a type
      return this.compile(type, namespace);
    }
    switch (type) {
      case "record":
      case "error":
        return this.compileRecord(schema, namespace);
      case "enum":
        return this.compileEnum(schema, namespace);
      case "fixed":
        return this.compileFixed(schema, namespace);
      case "array":
        return this.compileArray(schema, namespace);
      case "map":
        return this.compileMap(schema, namespace);
      default:
        return this.compileName(type, namespace, schema);
    }
  }

  private compileName(name: string, namespace: string | undefined, schema: JsonObject): CompiledType {
    if (PRIMITIVES.has(name)) return this.compilePrimitive(name, schema);
    const found = this.named.get(name) ?? (namespace !== undefined ? this.named.get(`${namespace}.${name}`) : undefined);
    if (found === undefined) throw new AvroSchemaError(`unknown type ${name}`, schema);
    return found;
  }

  private compilePrimitive(name: string, schema: JsonObject): CompiledType {
    switch (name) {
      case "null":
        return {
          kind: "null",
          label: "null",
          check: (v) => (v === null ? undefined : fail("schema_violation", `expected null, got ${describeValue(v)}`)),
        };
      case "boolean":
        return {
          kind: "boolean",
          label: "boolean",
          check: (v) => (typeof v === "boolean" ? undefined : fail("schema_violation", `expected boolean, got ${describeValue(v)}`)),
        };
      case "int":
      case "long":
      case "float":
      case "double":
        return { kind: "number", label: name, check: numberCheck(schema, name) };
      case "string":
        return { kind: "string", label: "string", check: stringCheck(schema) };
      default:
        return {
          kind: "bytes",
          label: "bytes",
          check: (v) => (v instanceof Uint8Array ? undefined : fail("schema_violation", `expected bytes, got ${describeValue(v)}`)),
        };
    }
  }

  private register(schema: JsonObject, namespace: string | undefined, compiled: CompiledType): string | undefined {
    const name = schema["name"];
    if (typeof name !== "string") throw new AvroSchemaError("named type without a name", schema);
    const ownNamespace = typeof schema["namespace"] === "string" ? schema["namespace"] : namespace;
    const fullName = name.includes(".") || ownNamespace === undefined ? name : `${ownNamespace}.${name}`;
    this.named.set(fullName, compiled);
    const lastDot = fullName.lastIndexOf(".");
    return lastDot < 0 ? undefined : fullName.slice(0, lastDot);
  }

  private compileRecord(schema: JsonObject, namespace: string | undefined): CompiledType {
    // registered before the fields so recursive records resolve to this (later filled) check
    const compiled: CompiledType = { kind: "object", label: String(schema["name"]), check: () => undefined };
    const recordNamespace = this.register(schema, namespace, compiled);
    const fields = schema["fields"];
    if (!Array.isArray(fields)) throw new AvroSchemaError("record without fields", schema);
    const fieldChecks = fields.map((field: unknown) => {
      if (!isObject(field) || typeof field["name"] !== "string") throw new AvroSchemaError("field without a name", field);
      return {
        name: field["name"],
        optional: Object.hasOwn(field, "default"),
        check: this.compile(field["type"], recordNamespace).check,
      };
    });
    compiled.check = (v) => {
      if (!isObject(v) || Array.isArray(v) || v instanceof Uint8Array) {
        return fail("schema_violation", `expected a ${compiled.label} record (object), got ${describeValue(v)}`);
      }
      for (const field of fieldChecks) {
        const value = v[field.name];
        if (value === undefined) {
          // a missing field takes its default (Avro reader semantics)
          if (field.optional) continue;
          return prefixed(field.name, fail("schema_violation", "required field is missing"));
        }
        const violation = field.check(value);
        if (violation !== undefined) return prefixed(field.name, violation);
      }
      return undefined;
    };
    return compiled;
  }

  private compileEnum(schema: JsonObject, namespace: string | undefined): CompiledType {
    const symbols = schema["symbols"];
    if (!Array.isArray(symbols) || !symbols.every((s) => typeof s === "string")) throw new AvroSchemaError("enum without symbols", schema);
    const allowed = new Set<unknown>(symbols);
    const compiled: CompiledType = {
      kind: "string",
      label: String(schema["name"]),
      check: (v) =>
        allowed.has(v) ? undefined : fail("schema_violation", `expected one of ${symbols.join(" | ")}, got ${describeValue(v)}`),
    };
    this.register(schema, namespace, compiled);
    return compiled;
  }

  private compileFixed(schema: JsonObject, namespace: string | undefined): CompiledType {
    const size = numberAttr(schema, "size");
    const compiled: CompiledType = {
      kind: "bytes",
      label: String(schema["name"]),
      check: (v) =>
        v instanceof Uint8Array && v.length === size
          ? undefined
          : fail("schema_violation", `expected ${size} bytes, got ${describeValue(v)}`),
    };
    this.register(schema, namespace, compiled);
    return compiled;
  }

  private compileArray(schema: JsonObject, namespace: string | undefined): CompiledType {
    const items = this.compile(schema["items"], namespace).check;
    const maxItems = numberAttr(schema, "maxItems") ?? Number.MAX_SAFE_INTEGER;
    return {
      kind: "array",
      label: "array",
      check: (v) => {
        if (!Array.isArray(v)) return fail("schema_violation", `expected array, got ${describeValue(v)}`);
        if (v.length > maxItems) return fail("schema_violation", `at most ${maxItems} items allowed, got ${v.length}`);
        for (let i = 0; i < v.length; i++) {
          const violation = items(v[i]);
          if (violation !== undefined) return prefixed(i, violation);
        }
        return undefined;
      },
    };
  }

  private compileMap(schema: JsonObject, namespace: string | undefined): CompiledType {
    const values = this.compile(schema["values"], namespace).check;
    const maxEntries = numberAttr(schema, "maxEntries") ?? Number.MAX_SAFE_INTEGER;
    const keyMin = numberAttr(schema, "keyMinLength") ?? 0;
    const keyMax = numberAttr(schema, "keyMaxLength") ?? Number.MAX_SAFE_INTEGER;
    return {
      kind: "object",
      label: "map",
      check: (v) => {
        if (!isObject(v) || Array.isArray(v) || v instanceof Uint8Array) {
          return fail("schema_violation", `expected map (object), got ${describeValue(v)}`);
        }
        let entries = 0;
        for (const key in v) {
          if (!Object.hasOwn(v, key)) continue;
          if (++entries > maxEntries) return fail("schema_violation", `at most ${maxEntries} entries allowed`);
          if (!codePointLengthWithin(key, keyMin, keyMax)) {
            return prefixed(key, fail("schema_violation", `key length must be between ${keyMin} and ${keyMax} characters`));
          }
          const violation = values(v[key]);
          if (violation !== undefined) return prefixed(key, violation);
        }
        return undefined;
      },
    };
  }

  private compileUnion(branches: readonly unknown[], namespace: string | undefined): CompiledType {
    const compiled = branches.map((b) => this.compile(b, namespace));
    // Avro unions hold at most one branch per JS kind when unwrapped (avsc's rule); the first wins
    const label = compiled.map((b) => b.label).join(" | ");
    const branchOf = (kind: ValueKind): ValueCheck =>
      compiled.find((b) => b.kind === kind)?.check ?? ((v) => fail("schema_violation", `expected ${label}, got ${describeValue(v)}`));
    // one variable per kind: a switch on typeof is cheaper than a Map lookup on this hot path
    const onNull = branchOf("null");
    const onBoolean = branchOf("boolean");
    const onNumber = branchOf("number");
    const onString = branchOf("string");
    const onOther = branchOf("other");
    const onArray = branchOf("array");
    const onBytes = branchOf("bytes");
    const onRecordOrMap = branchOf("object");
    const onObject = (v: unknown): Violation | undefined =>
      Array.isArray(v) ? onArray(v) : v instanceof Uint8Array ? onBytes(v) : onRecordOrMap(v);
    return {
      kind: "object",
      label,
      check: (v) => {
        switch (typeof v) {
          case "number":
            return onNumber(v);
          case "string":
            return onString(v);
          case "boolean":
            return onBoolean(v);
          case "object":
            return v === null ? onNull(v) : onObject(v);
          default:
            return onOther(v);
        }
      },
    };
  }
}

/** Compiles a parsed .avsc (record or any other type) into a check of values against it. */
export function compileAvroConstraints(schema: unknown): ValueCheck {
  return new Compiler().compile(schema, undefined).check;
}
