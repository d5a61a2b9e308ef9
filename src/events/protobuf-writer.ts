// A Protobuf writer schema from a schema registry, and the records of its messages. Confluent's Protobuf
// serializers (Java's KafkaProtobufSerializer, confluent-kafka's ProtobufSerializer, Go's) frame a message
// as magic byte, schema id, the message indexes (which message of the schema file: a zigzag varint count,
// then that many zigzag varint indexes, a count of 0 standing for [0]) and the message. The registry returns
// the schema as .proto text, or, as registered by Python's serializer, a base64 FileDescriptorProto.
// The message's fields are read by name, as an Avro writer's are: each field's lowerCamelCase (event_id →
// eventId) is the contract's field, so field numbers, order and extra fields of a producer's own message do
// not matter. The record is then checked against the contract like JSON and Avro records (codec.ts).
// protobufjs (the Protobuf library of @kafkajs/confluent-schema-registry) loads only when a Protobuf schema
// is first met.
import { createRequire } from "node:module";
import type * as Protobuf from "protobufjs";
import { DetectorError } from "../errors/detector-error.ts";

/** A schema file the writer schema imports, as the registry's references name it. */
export interface ProtobufSchemaFile {
  /** the import path, e.g. "common/ids.proto" */
  readonly name: string;
  readonly schema: string;
}

export class ProtobufSchemaError extends DetectorError<{ file: string }> {
  constructor(message: string, file: string, options?: { cause?: unknown }) {
    super(message, { file }, options);
  }
}

/** What a Protobuf body decodes to: the record's fields by contract name, or why not. */
export type ProtobufRecord =
  | { readonly ok: true; readonly fields: Record<string, unknown> }
  | {
      readonly ok: false;
      readonly reason: "protobuf_decode_error" | "schema_violation";
      readonly message: string;
      readonly field?: string;
    };

type ProtobufModule = typeof Protobuf;
type DescriptorModule = { FileDescriptorProto: Protobuf.Type };
let protobufModule: ProtobufModule | undefined;
let descriptorModule: DescriptorModule | undefined;
const requireHere = createRequire(import.meta.url);
const protobuf = (): ProtobufModule => (protobufModule ??= requireHere("protobufjs") as ProtobufModule);
// extends protobufjs' Root with fromDescriptor
const descriptors = (): DescriptorModule => (descriptorModule ??= requireHere("protobufjs/ext/descriptor") as DescriptorModule);

const MAX_INDEXES = 32;
const WELL_KNOWN_PREFIX = "google/protobuf/";

/** One top-level or nested message type of the file, with the message types nested in it, in descriptor order. */
interface MessageNode {
  readonly type: Protobuf.Type;
  /** undefined when the descriptor order of the nested types is not known (text with map fields: see below) */
  readonly nested: readonly MessageNode[] | undefined;
}

/**
 * A registry's Protobuf schema, parsed. Construction throws ProtobufSchemaError when the schema does not
 * parse or does not resolve (an import neither well-known nor among the references).
 */
export class ProtobufWriter {
  readonly schemaType = "PROTOBUF";
  private readonly messages: readonly MessageNode[];
  /** contract-relevant observations about the schema, for a log line when it is loaded */
  readonly warnings: readonly string[];

  constructor(schema: string, references: readonly ProtobufSchemaFile[] = []) {
    const base64 = isBase64Descriptor(schema);
    this.messages = base64 ? fromDescriptors(schema, references) : fromText(schema, references);
    this.warnings = presenceWarnings(this.messages);
  }

  /** The message type the indexes name, or a message saying why none. */
  messageAt(indexes: readonly number[]): Protobuf.Type | string {
    let nodes: readonly MessageNode[] | undefined = this.messages;
    let node: MessageNode | undefined;
    for (const index of indexes) {
      if (nodes === undefined) {
        return `message indexes [${indexes.join(", ")}] name a nested message of ${node?.type.name ?? "?"}, whose nested order is not known from .proto text with map fields: serialize a top-level message`;
      }
      node = nodes[index];
      if (node === undefined) return `message indexes [${indexes.join(", ")}]: the schema has no message at index ${index}`;
      nodes = node.nested;
    }
    return node === undefined ? "no message indexes" : node.type;
  }

  /** The message type of that name (short, as Apicurio's header gives it, or full), or a message saying why none. */
  messageNamed(name: string): Protobuf.Type | string {
    const search = (nodes: readonly MessageNode[]): Protobuf.Type | undefined => {
      for (const node of nodes) if (node.type.name === name || node.type.fullName === `.${name}`) return node.type;
      for (const node of nodes) {
        const found = node.nested === undefined ? undefined : search(node.nested);
        if (found !== undefined) return found;
      }
      return undefined;
    };
    return search(this.messages) ?? `the schema has no message named ${JSON.stringify(name.slice(0, 200))}`;
  }

  /**
   * The record of a framed body (message indexes, then the message), or of a bare message whose indexes are
   * given apart (`indexes`: what follows the GUID in a schema-id header; none there means [0]). Never throws.
   */
  decode(body: Uint8Array, indexes?: Uint8Array): ProtobufRecord {
    const read =
      indexes === undefined ? readMessageIndexes(body) : indexes.length === 0 ? { path: [0], next: 0 } : readMessageIndexes(indexes);
    if (typeof read === "string") return { ok: false, reason: "protobuf_decode_error", message: read };
    const type = this.messageAt(read.path);
    if (typeof type === "string") return { ok: false, reason: "protobuf_decode_error", message: type };
    return decodeAs(type, indexes === undefined ? body.subarray(read.next) : body);
  }

  /** The record of a bare message of the named type (Apicurio's header apicurio.protobuf.type). Never throws. */
  decodeNamed(body: Uint8Array, name: string): ProtobufRecord {
    const type = this.messageNamed(name);
    if (typeof type === "string") return { ok: false, reason: "protobuf_decode_error", message: type };
    return decodeAs(type, body);
  }
}

function decodeAs(type: Protobuf.Type, bytes: Uint8Array): ProtobufRecord {
  let message: Protobuf.Message;
  try {
    message = type.decode(bytes);
  } catch (e) {
    return {
      ok: false,
      reason: "protobuf_decode_error",
      message: `${type.name} does not decode: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
  return contractFields(type, message);
}

/** Confluent's message indexes at the start of `body`: [0] when the count is 0. */
export function readMessageIndexes(body: Uint8Array): { path: number[]; next: number } | string {
  let pos = 0;
  const next = (): number | undefined => {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (pos >= body.length) return undefined;
      const b = body[pos++];
      value |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return (value >>> 1) ^ -(value & 1);
    }
    return undefined;
  };
  const count = next();
  if (count === undefined) return "message indexes: the body ends inside a varint";
  if (count === 0) return { path: [0], next: pos };
  if (count < 0 || count > MAX_INDEXES) return `message indexes: a count of ${count} (0 to ${MAX_INDEXES} expected)`;
  const path: number[] = [];
  for (let i = 0; i < count; i++) {
    const index = next();
    if (index === undefined) return "message indexes: the body ends inside a varint";
    if (index < 0) return `message indexes: a negative index ${index}`;
    path.push(index);
  }
  return { path, next: pos };
}

function isBase64Descriptor(schema: string): boolean {
  const trimmed = schema.trim();
  return trimmed.length > 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(trimmed);
}

/** The root with protobufjs' copies of the well-known types the file imports (google/protobuf/*.proto). */
function addWellKnown(root: Protobuf.Root, imports: readonly string[]): void {
  const pb = protobuf();
  for (const name of imports) {
    if (!name.startsWith(WELL_KNOWN_PREFIX)) continue;
    const json = pb.common.get(name);
    if (json === null) throw new ProtobufSchemaError(`imports ${name}, a well-known type protobufjs does not have`, name);
    root.addJSON(json.nested ?? {});
  }
}

function fromText(schema: string, references: readonly ProtobufSchemaFile[]): MessageNode[] {
  const pb = protobuf();
  // parsed alone first: its top-level messages, in order, without the imported files' types
  let own: Protobuf.IParserResult;
  try {
    own = pb.parse(schema, new pb.Root(), { keepCase: true, alternateCommentMode: true });
  } catch (cause) {
    throw new ProtobufSchemaError(`the .proto text does not parse: ${errorText(cause)}`, "<schema>", { cause });
  }
  const root = new pb.Root();
  const pending = [...(own.imports ?? []), ...(own.weakImports ?? [])];
  const parsed = new Set<string>();
  while (pending.length > 0) {
    const name = pending.pop() as string;
    if (parsed.has(name)) continue;
    parsed.add(name);
    if (name.startsWith(WELL_KNOWN_PREFIX)) {
      addWellKnown(root, [name]);
      continue;
    }
    const file = references.find((r) => r.name === name);
    if (file === undefined) throw new ProtobufSchemaError(`imports ${name}, which is not among the schema's references`, name);
    try {
      const result = pb.parse(file.schema, root, { keepCase: true, alternateCommentMode: true });
      pending.push(...(result.imports ?? []), ...(result.weakImports ?? []));
    } catch (cause) {
      throw new ProtobufSchemaError(`the referenced ${name} does not parse: ${errorText(cause)}`, name, { cause });
    }
  }
  try {
    pb.parse(schema, root, { keepCase: true, alternateCommentMode: true });
    root.resolveAll();
  } catch (cause) {
    throw new ProtobufSchemaError(`the schema does not resolve: ${errorText(cause)}`, "<schema>", { cause });
  }
  const ownScope = own.package === undefined ? own.root : own.root.lookup(own.package);
  const scope = own.package === undefined ? root : root.lookup(own.package);
  if (!(ownScope instanceof pb.Namespace) || !(scope instanceof pb.Namespace)) return [];
  const textNode = (ownType: Protobuf.Type, type: Protobuf.Type): MessageNode => {
    // Confluent counts the map fields' entry messages among the nested types, in declaration order, which
    // protobufjs does not keep: with a map field the nested order is unknown
    const nested = ownType.fieldsArray.some((f) => f.map)
      ? undefined
      : nestedTypes(ownType).map((t) => textNode(t, type.get(t.name) as Protobuf.Type));
    return { type, nested };
  };
  return nestedTypes(ownScope).map((t) => textNode(t, scope.get(t.name) as Protobuf.Type));
}

function nestedTypes(scope: Protobuf.Namespace): Protobuf.Type[] {
  const pb = protobuf();
  return scope.nestedArray.filter((x): x is Protobuf.Type => x instanceof pb.Type);
}

interface DescriptorMessage {
  name: string;
  nestedType?: DescriptorMessage[];
  options?: { mapEntry?: boolean };
}
interface FileDescriptor {
  name?: string;
  package?: string;
  dependency?: string[];
  messageType?: DescriptorMessage[];
}

type DescriptorRoot = { fromDescriptor(set: { file: unknown[] }): Protobuf.Root };
type DescribableRoot = { toDescriptor(syntax: string): { file: unknown[] } };

function fromDescriptors(schema: string, references: readonly ProtobufSchemaFile[]): MessageNode[] {
  const pb = protobuf();
  const { FileDescriptorProto } = descriptors(); // also gives Root its fromDescriptor and toDescriptor
  const decodeFile = (text: string, name: string): FileDescriptor => {
    try {
      return FileDescriptorProto.toObject(FileDescriptorProto.decode(Buffer.from(text.trim(), "base64")), {
        defaults: false,
      }) as FileDescriptor;
    } catch (cause) {
      throw new ProtobufSchemaError(`${name} is neither .proto text nor a base64 FileDescriptorProto: ${errorText(cause)}`, name, {
        cause,
      });
    }
  };
  const main = decodeFile(schema, "<schema>");
  const files: FileDescriptor[] = [];
  const seen = new Set<string>();
  const wellKnown: string[] = [];
  const addDependencies = (file: FileDescriptor): void => {
    for (const name of file.dependency ?? []) {
      if (seen.has(name)) continue;
      seen.add(name);
      if (name.startsWith(WELL_KNOWN_PREFIX)) {
        wellKnown.push(name);
        continue;
      }
      const ref = references.find((r) => r.name === name);
      if (ref === undefined) throw new ProtobufSchemaError(`imports ${name}, which is not among the schema's references`, name);
      const dep = isBase64Descriptor(ref.schema) ? decodeFile(ref.schema, name) : undefined;
      if (dep === undefined) throw new ProtobufSchemaError(`the referenced ${name} is .proto text under a base64 schema`, name);
      addDependencies(dep);
      files.push(dep);
    }
  };
  addDependencies(main);
  files.push(main);
  let root: Protobuf.Root;
  try {
    // fromDescriptor resolves at once, so the well-known types go in as descriptors of their own
    const known = new pb.Root();
    addWellKnown(known, wellKnown);
    known.resolveAll();
    const knownFiles = wellKnown.length === 0 ? [] : (known as unknown as DescribableRoot).toDescriptor("proto3").file;
    root = (pb.Root as unknown as DescriptorRoot).fromDescriptor({ file: [...knownFiles, ...files] });
  } catch (cause) {
    if (cause instanceof ProtobufSchemaError) throw cause;
    throw new ProtobufSchemaError(`the descriptor does not resolve: ${errorText(cause)}`, "<schema>", { cause });
  }
  const prefix = main.package === undefined || main.package === "" ? "" : main.package + ".";
  const node = (message: DescriptorMessage, path: string): MessageNode => {
    const type = root.lookupType(path);
    // the descriptor lists the map entry messages among the nested types, as Confluent counts them
    return { type, nested: (message.nestedType ?? []).map((m) => node(m, `${path}.${m.name}`)) };
  };
  return (main.messageType ?? []).map((m) => node(m, prefix + m.name));
}

// the contract's optional fields, which a proto3 field without `optional` cannot leave unset
const OPTIONAL_CONTRACT_FIELDS = new Set(["prediction", "predictedClass", "confidence", "latencyMs", "actual", "actualClass"]);
// every field of the prediction and outcome contracts; a writer's other fields are not read (as JSON's and Avro's are not)
const CONTRACT_FIELDS = new Set([...OPTIONAL_CONTRACT_FIELDS, "eventId", "modelId", "modelVersion", "timestamp", "features", "attributes"]);

function presenceWarnings(messages: readonly MessageNode[]): string[] {
  const warnings: string[] = [];
  for (const { type } of messages) {
    for (const field of type.fieldsArray) {
      if (OPTIONAL_CONTRACT_FIELDS.has(lowerCamel(field.name)) && !field.hasPresence && field.resolvedType === null) {
        warnings.push(
          `${type.name}.${field.name} has no presence (proto3 without \`optional\`): an unset value reads as ${field.type === "string" ? '""' : "0"}, not as none`,
        );
      }
    }
  }
  return warnings;
}

/** protoc's JSON name of a field: event_id → eventId. */
export function lowerCamel(name: string): string {
  return name.replace(/_+([a-zA-Z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** Why a field's value is not one the contract can read. */
class Failure {
  constructor(readonly failure: string) {}
}
/** A decoded field's value as the contract reads it, or why it cannot be one. */
type ReadValue = (value: unknown) => unknown;

/** How one contract field of a writer's message is read from a decoded message. */
interface FieldPlan {
  /** the field's name in the message */
  readonly key: string;
  /** its contract name */
  readonly name: string;
  /** set for a field without presence: unset on the wire, it reads as this default */
  readonly implicitDefault: unknown;
  readonly read: ReadValue;
}

const plans = new WeakMap<Protobuf.Type, readonly FieldPlan[]>();

function planOf(type: Protobuf.Type): readonly FieldPlan[] {
  let plan = plans.get(type);
  if (plan === undefined) {
    plan = type.fieldsArray
      .filter((field) => CONTRACT_FIELDS.has(lowerCamel(field.name)))
      .map((field) => {
        const name = lowerCamel(field.name);
        const implicit = !field.hasPresence && !field.repeated && !field.map && field.resolvedType === null;
        return {
          key: field.name,
          name,
          implicitDefault: implicit ? plainScalar(field.typeDefault) : undefined,
          read: readerOf(field, name),
        };
      });
    plans.set(type, plan);
  }
  return plan;
}

/** The decoded message's contract fields by contract name; a field without presence unset on the wire reads as its default. */
function contractFields(type: Protobuf.Type, message: Protobuf.Message): ProtobufRecord {
  const fields: Record<string, unknown> = {};
  const values = message as unknown as Record<string, unknown>;
  for (const plan of planOf(type)) {
    // a decoded message has an own property for each field on the wire; the prototype holds the defaults
    if (!Object.hasOwn(values, plan.key)) {
      if (plan.implicitDefault !== undefined) fields[plan.name] = plan.implicitDefault;
      continue;
    }
    const value = plan.read(values[plan.key]);
    if (isFailure(value)) return { ok: false, reason: "schema_violation", message: `${plan.name}: ${value.failure}`, field: plan.name };
    if (value !== undefined) fields[plan.name] = value;
  }
  return { ok: true, fields };
}

const TIMESTAMP = ".google.protobuf.Timestamp";
const STRUCT = ".google.protobuf.Struct";
const WRAPPERS = new Set(
  ["Double", "Float", "Int64", "UInt64", "Int32", "UInt32", "Bool", "String"].map((kind) => `.google.protobuf.${kind}Value`),
);

function readerOf(field: Protobuf.Field, name: string): ReadValue {
  const pb = protobuf();
  const resolved = field.resolvedType;
  if (field.map || (field.repeated && resolved instanceof pb.Type && resolved.getOption("map_entry") === true)) {
    const values = field.map ? valueReader(resolved, field.type) : entryValueReader(resolved as Protobuf.Type);
    return field.map
      ? (map) => readMap(map as Record<string, unknown>, values)
      : (entries) => readEntries(entries as Protobuf.Message[], values);
  }
  if (field.repeated) return () => new Failure("a repeated field is not a contract value");
  if (name === "features" && resolved instanceof pb.Type && resolved.fullName === STRUCT) {
    const fieldsReader = readerOf(resolved.fields.fields, "features");
    return (struct) => (Object.hasOwn(struct as object, "fields") ? fieldsReader((struct as Record<string, unknown>).fields) : {});
  }
  return valueReader(resolved, field.type);
}

/** A reader of one value of the type: scalars as they are, int64 as a number, an enum by name, known messages by content. */
function valueReader(resolved: Protobuf.Type | Protobuf.Enum | null, scalarType: string): ReadValue {
  const pb = protobuf();
  if (resolved instanceof pb.Enum) return (n) => resolved.valuesById[n as number] ?? n;
  if (resolved instanceof pb.Type) {
    if (resolved.fullName === TIMESTAMP) return (t) => timestampMillis((t ?? {}) as Record<string, unknown>);
    if (WRAPPERS.has(resolved.fullName)) {
      const inner = valueReader(null, resolved.fields.value.type);
      return (w) => inner((w as Record<string, unknown> | null)?.value ?? null);
    }
    return (m) => scalarOfMessage(m as Record<string, unknown> | null, resolved);
  }
  return scalarType.endsWith("64") ? plainScalar : identity;
}

/** The reader of a map entry message's value ({key, value}, from a descriptor). */
function entryValueReader(entry: Protobuf.Type): ReadValue {
  const value = entry.fields.value;
  return valueReader(value.resolvedType, value.type);
}

/** A map as an object; an empty one (what protobufjs decodes an absent map to) as none. */
function readMap(map: Record<string, unknown>, read: ReadValue): Record<string, unknown> | Failure | undefined {
  const keys = Object.keys(map);
  if (keys.length === 0) return undefined;
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const value = read(map[key]);
    if (isFailure(value)) return new Failure(`${key}: ${value.failure}`);
    out[key] = value;
  }
  return out;
}

function readEntries(entries: Protobuf.Message[], read: ReadValue): Record<string, unknown> | Failure | undefined {
  if (entries.length === 0) return undefined;
  const out: Record<string, unknown> = {};
  for (const entry of entries) {
    const { key, value } = entry as unknown as { key: unknown; value: unknown };
    const read_ = read(value);
    if (isFailure(read_)) return new Failure(`${String(key)}: ${read_.failure}`);
    out[String(key)] = read_;
  }
  return out;
}

// the value fields of a feature value message: the detector's FeatureValue and google.protobuf.Value
const SCALAR_KINDS = ["number_value", "string_value", "bool_value", "numberValue", "stringValue", "boolValue"];
const NULL_KINDS = ["null_value", "nullValue"];

/** A feature value message (FeatureValue, google.protobuf.Value, or any with one such field set): its scalar; none set is null. */
function scalarOfMessage(message: Record<string, unknown> | null | undefined, type: Protobuf.Type): unknown {
  // a map entry without its value has the empty message
  if (message === null || message === undefined) return null;
  let value: unknown = null;
  let set = 0;
  for (const key of Object.keys(message)) {
    if (message[key] === undefined || message[key] === null) continue;
    set++;
    if (SCALAR_KINDS.includes(key)) value = message[key];
    else if (!NULL_KINDS.includes(key)) return new Failure(`a ${type.name} with ${key} set is not a number, string, boolean or null`);
  }
  return set > 1 ? new Failure(`a ${type.name} with more than one value set`) : value;
}

/** Epoch millis of a google.protobuf.Timestamp {seconds, nanos}. */
function timestampMillis(value: Record<string, unknown>): number | Failure {
  const seconds = plainScalar(value.seconds ?? 0);
  const nanos = value.nanos ?? 0;
  const millis = typeof seconds === "number" && typeof nanos === "number" ? seconds * 1000 + Math.floor(nanos / 1e6) : Number.NaN;
  return Number.isSafeInteger(millis) ? millis : new Failure("a google.protobuf.Timestamp out of range");
}

/** A 64-bit integer as a number (protobufjs gives a Long when the long package is present). */
function plainScalar(value: unknown): unknown {
  if (typeof value === "object" && value !== null && "toNumber" in value && typeof value.toNumber === "function")
    return value.toNumber() as number;
  return value;
}

const identity: ReadValue = (value) => value;

function isFailure(value: unknown): value is Failure {
  return value instanceof Failure;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
