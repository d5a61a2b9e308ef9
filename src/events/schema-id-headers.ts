// Which header names the schema of a message whose value is a bare body (no frame in its first bytes):
// - `__value_schema_id`: Confluent Platform 8's and Redpanda's schema ID in headers (confluent-framing.ts);
// - `apicurio.value.globalId` or `apicurio.value.contentId`: Apicurio Registry's own serdes, whose default
//   (apicurio.registry.headers.enabled=true) puts the artifact version's id there as an 8-byte big-endian long.
//   Its Avro serializer adds `apicurio.value.encoding`: BINARY, or JSON (Avro's JSON encoding, not read here); its
//   Protobuf serializer `apicurio.protobuf.type`, the message's name (the body is then the bare message).
import {
  readSchemaIdHeader,
  VALUE_SCHEMA_ID_HEADER,
  type MessageHeaders,
  type SchemaIdHeader,
  type SchemaKey,
} from "./confluent-framing.ts";

export const APICURIO_GLOBAL_ID_HEADER = "apicurio.value.globalId";
export const APICURIO_CONTENT_ID_HEADER = "apicurio.value.contentId";
export const APICURIO_ENCODING_HEADER = "apicurio.value.encoding";
/** the Protobuf serializer's: the message's name (Descriptor.getName()) */
export const APICURIO_PROTOBUF_TYPE_HEADER = "apicurio.protobuf.type";
const APICURIO_ID_BYTES = 8;
const MAX_ENCODING_BYTES = 64;
const MAX_TYPE_NAME_BYTES = 1024;

/** The headers that say which schema a message's body is in, by name (the ones a dead letter keeps). */
export const SCHEMA_NAMING_HEADERS = [
  VALUE_SCHEMA_ID_HEADER,
  APICURIO_GLOBAL_ID_HEADER,
  APICURIO_CONTENT_ID_HEADER,
  APICURIO_ENCODING_HEADER,
  APICURIO_PROTOBUF_TYPE_HEADER,
];

/**
 * The header naming a message's schema: its name and bytes (and, from Apicurio, the text of the encoding header
 * and of the Protobuf message's name).
 */
export interface SchemaNamingHeader {
  readonly name: typeof VALUE_SCHEMA_ID_HEADER | typeof APICURIO_GLOBAL_ID_HEADER | typeof APICURIO_CONTENT_ID_HEADER;
  readonly value: Uint8Array;
  readonly encoding?: string;
  readonly protobufType?: string;
}

/** The bytes of header `name` (the first, when repeated), or undefined without one. */
export function headerBytes(headers: MessageHeaders | undefined, name: string): Uint8Array | undefined {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined) return undefined;
  // a header given as text (a test, a tool) holds one byte per character
  return typeof first === "string" ? Uint8Array.from(first, (c) => c.charCodeAt(0) & 0xff) : first;
}

/** The first `maxBytes` of header `name` as text (one character per byte; the names are ASCII), or undefined. */
function headerText(headers: MessageHeaders, name: string, maxBytes: number): string | undefined {
  const bytes = headerBytes(headers, name);
  return bytes === undefined ? undefined : String.fromCharCode(...bytes.subarray(0, maxBytes));
}

/** The header that names the message's schema: Confluent's first, then Apicurio's globalId, then its contentId. */
export function schemaNamingHeaderOf(headers: MessageHeaders | undefined): SchemaNamingHeader | undefined {
  if (headers === undefined) return undefined;
  const confluent = headerBytes(headers, VALUE_SCHEMA_ID_HEADER);
  if (confluent !== undefined) return { name: VALUE_SCHEMA_ID_HEADER, value: confluent };
  for (const name of [APICURIO_GLOBAL_ID_HEADER, APICURIO_CONTENT_ID_HEADER] as const) {
    const value = headerBytes(headers, name);
    if (value === undefined) continue;
    // short texts; any header may be as long as the message, so only their start is read
    const encoding = headerText(headers, APICURIO_ENCODING_HEADER, MAX_ENCODING_BYTES);
    const protobufType = headerText(headers, APICURIO_PROTOBUF_TYPE_HEADER, MAX_TYPE_NAME_BYTES);
    return {
      name,
      value,
      ...(encoding === undefined ? {} : { encoding }),
      ...(protobufType === undefined ? {} : { protobufType }),
    };
  }
  return undefined;
}

/** The schema a naming header names (and what follows it), or what is wrong with it. Never throws. */
export function readSchemaNamingHeader(header: SchemaNamingHeader): SchemaIdHeader | string {
  if (header.name === VALUE_SCHEMA_ID_HEADER) return readSchemaIdHeader(header.value);
  if (header.encoding !== undefined && header.encoding !== "BINARY") {
    return `header ${APICURIO_ENCODING_HEADER} is ${JSON.stringify(header.encoding.slice(0, 40))}: only BINARY (the Apicurio Avro serializer's default) is read, not Avro's JSON encoding`;
  }
  if (header.value.length !== APICURIO_ID_BYTES) {
    return `header ${header.name} has ${header.value.length} bytes, not ${APICURIO_ID_BYTES} (a big-endian long)`;
  }
  const id = new DataView(header.value.buffer, header.value.byteOffset, APICURIO_ID_BYTES).getBigInt64(0, false);
  if (id < 0n || id > BigInt(Number.MAX_SAFE_INTEGER)) return `header ${header.name} holds ${id}, not an id the registry gives`;
  const kind = header.name === APICURIO_GLOBAL_ID_HEADER ? "globalId" : "contentId";
  const schema = apicurioSchemaKey(kind, Number(id));
  return header.protobufType === undefined
    ? { schema, rest: new Uint8Array(0) }
    : { schema, rest: new Uint8Array(0), protobufType: header.protobufType };
}

export type ApicurioIdKind = "globalId" | "contentId";

/** The cache key of an Apicurio id: `globalId:7`, never equal to a registry id (a number) or a GUID. */
export function apicurioSchemaKey(kind: ApicurioIdKind, id: number): string {
  return `${kind}:${id}`;
}

/** An Apicurio id's kind and number, or undefined when the key is a registry id or a GUID. */
export function apicurioIdOf(key: SchemaKey): { kind: ApicurioIdKind; id: number } | undefined {
  if (typeof key === "number") return undefined;
  const match = /^(globalId|contentId):(\d+)$/u.exec(key);
  return match === null ? undefined : { kind: match[1] as ApicurioIdKind, id: Number(match[2]) };
}

/** How a message names a schema key: "schema id 7", "schema GUID …", "Apicurio globalId 7". */
export function describeSchemaKey(key: SchemaKey): string {
  if (typeof key === "number") return `schema id ${key}`;
  const apicurio = apicurioIdOf(key);
  return apicurio === undefined ? `schema GUID ${key}` : `Apicurio ${apicurio.kind} ${apicurio.id}`;
}
