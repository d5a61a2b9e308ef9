// A yes/no check compiled from a parsed .avsc into one generated JavaScript function per type, for the hot
// path: property reads by literal name and direct calls V8 can inline, ~10× cheaper than the closures of
// avro-constraints.ts. It only answers "valid?"; avro-constraints.ts (which says what is wrong and where) runs
// when it says no. It is never more lenient: true here implies no violation there (the tests check both on
// the same values), so the .avsc stays the single source of truth.
// The generated source holds only identifiers and numbers made here and JSON-quoted field names; patterns
// and enum symbols are passed in as values, never spliced into code.
import { codePointLengthWithin } from "./avro-constraints.ts";
import { CODE_GENERATION_ALLOWED } from "./code-generation.ts";

export type FastAccept = (value: unknown) => boolean;

type JsonObject = { readonly [key: string]: unknown };

const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null;

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;
// as avro-constraints.ts: avsc's long accepts |n| <= 2^52 only
const LONG_LIMIT = 4503599627370496;
const PRIMITIVES = new Set(["null", "boolean", "int", "long", "float", "double", "bytes", "string"]);

type Kind = "null" | "boolean" | "number" | "string" | "bytes" | "array" | "object";

interface Generated {
  /** name of the generated function */
  fn: string;
  kind: Kind;
}

/** A finite number attribute, or undefined; anything else makes the schema unusable here. */
function numberAttr(schema: JsonObject, key: string): number | undefined {
  const v = schema[key];
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v)) throw new Error(`attribute ${key} must be a finite number`);
  return v;
}

const literal = (n: number): string => (Object.is(n, -0) ? "0" : String(n));

class Generator {
  private readonly functions: string[] = [];
  /** values the generated code refers to as V[i] (regular expressions, enum symbol sets) */
  readonly values: unknown[] = [];
  private readonly named = new Map<string, Generated>();

  source(root: Generated): string {
    return `${this.functions.join("\n")}\nreturn ${root.fn};`;
  }

  private define(kind: Kind, body: string): Generated {
    const fn = `f${this.functions.length}`;
    this.functions.push(`function ${fn}(v) {\n${body}\n}`);
    return { fn, kind };
  }

  private value(v: unknown): string {
    this.values.push(v);
    return `V[${this.values.length - 1}]`;
  }

  compile(schema: unknown, namespace: string | undefined): Generated {
    if (typeof schema === "string") return this.compileName(schema, namespace, { type: schema });
    if (Array.isArray(schema)) return this.compileUnion(schema, namespace);
    if (!isObject(schema)) throw new Error("schema must be a name, a union or an object");
    const type = schema["type"];
    if (typeof type !== "string") return this.compile(type, namespace);
    switch (type) {
      case "record":
      case "error":
        return this.compileRecord(schema, namespace);
      case "enum": {
        const symbols = schema["symbols"];
        if (!Array.isArray(symbols)) throw new Error("enum without symbols");
        return this.register(schema, namespace, this.define("string", `return ${this.value(new Set<unknown>(symbols))}.has(v);`));
      }
      case "fixed": {
        const size = numberAttr(schema, "size") ?? -1;
        return this.register(schema, namespace, this.define("bytes", `return v instanceof Uint8Array && v.length === ${literal(size)};`));
      }
      case "array": {
        const items = this.compile(schema["items"], namespace);
        const maxItems = numberAttr(schema, "maxItems");
        return this.define(
          "array",
          [
            "if (!Array.isArray(v)) return false;",
            maxItems === undefined ? "" : `if (v.length > ${literal(maxItems)}) return false;`,
            `for (let i = 0; i < v.length; i++) if (!${items.fn}(v[i])) return false;`,
            "return true;",
          ].join("\n"),
        );
      }
      case "map": {
        const values = this.compile(schema["values"], namespace);
        const maxEntries = numberAttr(schema, "maxEntries");
        const keyMin = numberAttr(schema, "keyMinLength") ?? 0;
        const keyMax = numberAttr(schema, "keyMaxLength") ?? Number.MAX_SAFE_INTEGER;
        return this.define(
          "object",
          [
            "if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) return false;",
            "let entries = 0;",
            "for (const key in v) {",
            "  if (!Object.hasOwn(v, key)) continue;",
            maxEntries === undefined ? "" : `  if (++entries > ${literal(maxEntries)}) return false;`,
            `  if (!within(key, ${literal(keyMin)}, ${literal(keyMax)})) return false;`,
            `  if (!${values.fn}(v[key])) return false;`,
            "}",
            "return true;",
          ].join("\n"),
        );
      }
      default:
        return this.compileName(type, namespace, schema);
    }
  }

  private compileName(name: string, namespace: string | undefined, schema: JsonObject): Generated {
    if (PRIMITIVES.has(name)) return this.compilePrimitive(name, schema);
    const found = this.named.get(name) ?? (namespace !== undefined ? this.named.get(`${namespace}.${name}`) : undefined);
    if (found === undefined) throw new Error(`unknown type ${name}`);
    return found;
  }

  private compilePrimitive(name: string, schema: JsonObject): Generated {
    switch (name) {
      case "null":
        return this.define("null", "return v === null;");
      case "boolean":
        return this.define("boolean", "return typeof v === 'boolean';");
      case "int":
      case "long":
      case "float":
      case "double": {
        const min = numberAttr(schema, "minimum");
        const max = numberAttr(schema, "maximum");
        const conditions = ["typeof v === 'number'", "Number.isFinite(v)"];
        if (name === "int") conditions.push("Number.isInteger(v)", `v >= ${INT_MIN}`, `v <= ${INT_MAX}`);
        if (name === "long") conditions.push("Number.isInteger(v)", `v >= ${-LONG_LIMIT}`, `v <= ${LONG_LIMIT}`);
        if (min !== undefined) conditions.push(`v >= ${literal(min)}`);
        if (max !== undefined) conditions.push(`v <= ${literal(max)}`);
        return this.define("number", `return ${conditions.join(" && ")};`);
      }
      case "string": {
        const min = numberAttr(schema, "minLength") ?? 0;
        const max = numberAttr(schema, "maxLength") ?? Number.MAX_SAFE_INTEGER;
        const pattern = schema["pattern"];
        if (pattern !== undefined && typeof pattern !== "string") throw new Error("pattern must be a string");
        const conditions = ["typeof v === 'string'", `within(v, ${literal(min)}, ${literal(max)})`];
        if (pattern !== undefined) conditions.push(`${this.value(new RegExp(pattern, "u"))}.test(v)`);
        return this.define("string", `return ${conditions.join(" && ")};`);
      }
      default:
        return this.define("bytes", "return v instanceof Uint8Array;");
    }
  }

  private register(schema: JsonObject, namespace: string | undefined, generated: Generated): Generated {
    const name = schema["name"];
    if (typeof name !== "string") throw new Error("named type without a name");
    const ownNamespace = typeof schema["namespace"] === "string" ? schema["namespace"] : namespace;
    this.named.set(name.includes(".") || ownNamespace === undefined ? name : `${ownNamespace}.${name}`, generated);
    return generated;
  }

  private compileRecord(schema: JsonObject, namespace: string | undefined): Generated {
    const name = schema["name"];
    if (typeof name !== "string") throw new Error("named type without a name");
    const ownNamespace = typeof schema["namespace"] === "string" ? schema["namespace"] : namespace;
    const fullName = name.includes(".") || ownNamespace === undefined ? name : `${ownNamespace}.${name}`;
    const lastDot = fullName.lastIndexOf(".");
    const recordNamespace = lastDot < 0 ? undefined : fullName.slice(0, lastDot);
    // reserved before the fields, so a recursive reference calls this record's function
    const generated: Generated = { fn: `f${this.functions.length}`, kind: "object" };
    this.functions.push("");
    this.named.set(fullName, generated);
    const fields = schema["fields"];
    if (!Array.isArray(fields)) throw new Error("record without fields");
    const lines = ["if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) return false;", "let x;"];
    for (const field of fields as unknown[]) {
      if (!isObject(field) || typeof field["name"] !== "string") throw new Error("field without a name");
      const type = this.compile(field["type"], recordNamespace);
      const optional = Object.hasOwn(field, "default");
      const read = `x = v[${JSON.stringify(field["name"])}];`;
      // a missing field takes its default (Avro reader semantics)
      lines.push(`${read} if (x === undefined) { ${optional ? "" : "return false;"} } else if (!${type.fn}(x)) return false;`);
    }
    lines.push("return true;");
    this.functions[Number(generated.fn.slice(1))] = `function ${generated.fn}(v) {\n${lines.join("\n")}\n}`;
    return generated;
  }

  private compileUnion(branches: readonly unknown[], namespace: string | undefined): Generated {
    const compiled = branches.map((b) => this.compile(b, namespace));
    // at most one branch per JS kind (avsc's rule); the first wins, as in avro-constraints.ts
    const branch = (kind: Kind): string => {
      const b = compiled.find((c) => c.kind === kind);
      return b === undefined ? "false" : `${b.fn}(v)`;
    };
    return this.define(
      "object",
      [
        "switch (typeof v) {",
        `  case 'number': return ${branch("number")};`,
        `  case 'string': return ${branch("string")};`,
        `  case 'boolean': return ${branch("boolean")};`,
        "  case 'object':",
        `    if (v === null) return ${branch("null")};`,
        `    if (Array.isArray(v)) return ${branch("array")};`,
        `    if (v instanceof Uint8Array) return ${branch("bytes")};`,
        `    return ${branch("object")};`,
        "  default: return false;",
        "}",
      ].join("\n"),
    );
  }
}

/** Compiles a parsed .avsc into a yes/no check: true only for values avro-constraints.ts finds no violation in. */
export function compileFastAccept(schema: unknown): FastAccept {
  // no generated check: every value goes to the check that names violations (same verdicts, slower)
  if (!CODE_GENERATION_ALLOWED) return () => false;
  const generator = new Generator();
  const root = generator.compile(schema, undefined);
  // generated from the schema (see the header)
  const build = new Function("V", "within", generator.source(root)) as (
    values: unknown[],
    within: typeof codePointLengthWithin,
  ) => FastAccept;
  return build(generator.values, codePointLengthWithin);
}
