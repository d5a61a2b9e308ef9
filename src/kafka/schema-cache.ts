// Writer schemas of Confluent-framed messages (Avro and Protobuf, each with what it uses from other subjects,
// fetched through the schema's references; JSON Schema as a marker: its messages are JSON after the frame),
// fetched from the registry by id and cached for the life of the process (Confluent schema ids are immutable);
// an Apicurio id from its serdes' headers is fetched from Apicurio's core API beside the configured ccompat one.
// A schema that does not parse is cached as unreadable, so its messages are refused saying why. Decoding stays
// synchronous: the codec asks `schemaForId`, and on "unknown_schema_id" the pipeline awaits `fetch(id)` and decodes again.
// An id the registry does not know is remembered for a while (the message goes to the DLQ); a registry
// that does not answer is an outage (SchemaRegistryUnavailableError: pause and retry).
import type { ResolvedConfig } from "../config/load.ts";
import { readSecret, type Env } from "../config/secrets.ts";
import { DetectorError } from "../errors/detector-error.ts";
import { avroTypeForSchema } from "../events/schema-files.ts";
import { JSON_SCHEMA_WRITER, UnreadableSchema, type SchemaKey, type WriterSchema } from "../events/confluent-framing.ts";
import { ProtobufSchemaError, ProtobufWriter } from "../events/protobuf-writer.ts";
import { apicurioIdOf, describeSchemaKey, type ApicurioIdKind } from "../events/schema-id-headers.ts";

export class SchemaRegistryUnavailableError extends DetectorError<{ schemaId: SchemaKey; status?: number }> {
  constructor(message: string, context: { schemaId: SchemaKey; status?: number }, options?: { cause?: unknown }) {
    super(message, context, { ...options, retriable: true, dependency: "registry" });
  }
}

export type SchemaLookup = "found" | "missing";

export interface SchemaCacheOptions {
  /** registry base URL; undefined = no registry (every framed message has an unknown schema id) */
  url: string | undefined;
  /** how long an id the registry answered 404 for stays "missing" before it is asked again */
  missingTtlMs?: number;
  fetchImpl?: typeof fetch;
  now?: () => number;
  timeoutMs?: number;
  /** a schema that reads, with something its producers should know (a Protobuf field without presence) */
  onSchemaWarning?: (message: string, schemaId: SchemaKey) => void;
}

/** A registry's reference from a schema to one of another subject that it uses (an Avro named type, an imported .proto). */
interface SchemaReference {
  name: string;
  subject: string;
  version: number;
}

/** A referenced schema: the name the referencing schema uses it by, and its text. */
interface ReferencedSchema {
  readonly name: string;
  readonly schema: string;
}

// a schema's references, transitively, fetched at most so many (a registry cannot make this loop forever)
const MAX_REFERENCED_SCHEMAS = 64;

/**
 * The registry URL with the configured basic-auth credentials as its userinfo (what registryRequest and
 * the Confluent client take); only built when a client is created, never stored in the config.
 */
export function registryUrlWithCredentials(config: ResolvedConfig, env: Env = process.env): string | undefined {
  const { url, username, password } = config.schemaRegistry;
  if (url === undefined || username === undefined) return url;
  const parsed = new URL(url);
  parsed.username = encodeURIComponent(username);
  parsed.password = password === undefined ? "" : encodeURIComponent(readSecret(password, "schemaRegistry.password", env));
  return parsed.toString();
}

/** fetch() refuses URLs with credentials: move them into a Basic Authorization header. */
export function registryRequest(baseUrl: string, path: string): { url: string; headers: Record<string, string> } {
  const parsed = new URL(baseUrl);
  const headers: Record<string, string> = { accept: "application/vnd.schemaregistry.v1+json, application/json" };
  if (parsed.username !== "" || parsed.password !== "") {
    const user = decodeURIComponent(parsed.username);
    const pass = decodeURIComponent(parsed.password);
    headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;
    parsed.username = "";
    parsed.password = "";
  }
  const base = parsed.toString().replace(/\/+$/, "");
  return { url: `${base}${path}`, headers };
}

export class SchemaCache {
  // by registry id, or by GUID (a schema-id header's): the same schema under both is cached twice
  private readonly types = new Map<SchemaKey, WriterSchema>();
  private readonly missingUntil = new Map<SchemaKey, number>();
  private readonly inFlight = new Map<SchemaKey, Promise<SchemaLookup>>();
  private readonly missingTtlMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => number;
  private readonly timeoutMs: number;

  constructor(private readonly options: SchemaCacheOptions) {
    this.missingTtlMs = options.missingTtlMs ?? 60_000;
    this.fetchImpl = options.fetchImpl ?? fetch;
    this.now = options.now ?? Date.now;
    this.timeoutMs = options.timeoutMs ?? 5_000;
  }

  /** Synchronous lookup for the codec. */
  readonly schemaForId = (id: SchemaKey): WriterSchema | undefined => this.types.get(id);

  /** True when the registry recently said it does not know this id: do not ask again, dead-letter the message. */
  isKnownMissing(id: SchemaKey): boolean {
    const until = this.missingUntil.get(id);
    return until !== undefined && until > this.now();
  }

  /** Fetches and caches the writer schema of `id` (an id or a GUID); concurrent calls for one share one request. */
  fetch(id: SchemaKey): Promise<SchemaLookup> {
    if (this.types.has(id)) return Promise.resolve("found");
    if (this.isKnownMissing(id)) return Promise.resolve("missing");
    let pending = this.inFlight.get(id);
    if (pending === undefined) {
      pending = this.load(id).finally(() => this.inFlight.delete(id));
      this.inFlight.set(id, pending);
    }
    return pending;
  }

  private async load(id: SchemaKey): Promise<SchemaLookup> {
    if (this.options.url === undefined) return this.markMissing(id);
    const apicurio = apicurioIdOf(id);
    if (apicurio !== undefined) return this.loadApicurio(id, apicurio, this.options.url);
    const body = await this.get(id, schemaPath(id));
    if (body === undefined) return this.markMissing(id);
    // the registry omits schemaType for Avro; the JSON Schema itself is not needed: the contract check reads the event
    if (body.schemaType === "JSON") return this.found(id, JSON_SCHEMA_WRITER);
    if (body.schemaType === "PROTOBUF") return this.found(id, await this.protobufWriter(id, body.schema, body.references));
    if (typeof body.schema !== "string" || (body.schemaType !== undefined && body.schemaType !== "AVRO")) return this.markMissing(id);
    return this.found(id, await this.avroWriter(id, body.schema, body.references));
  }

  /**
   * An id from Apicurio's own serdes' headers, looked up in Apicurio's core API beside the Confluent-compatible
   * one configured (`…/apis/ccompat/v7` → `…/apis/registry/v2/ids/globalIds/{id}`), which answers the schema's
   * text (2.4.2 without its type: apicurioArtifactType tells). Avro, Protobuf and JSON Schema are read; references
   * (Avro named types of other artifacts, imported .proto files) are not fetched.
   */
  private async loadApicurio(key: SchemaKey, apicurio: { kind: ApicurioIdKind; id: number }, registryUrl: string): Promise<SchemaLookup> {
    const base = apicurioApiUrl(registryUrl);
    if (base === undefined) {
      this.options.onSchemaWarning?.(
        `${describeSchemaKey(key)} cannot be looked up: schemaRegistry.url is not Apicurio's Confluent-compatible API (…/apis/ccompat/v7), beside which its own API lies`,
        key,
      );
      return this.markMissing(key);
    }
    // the core API answers the schema's own text, of its own media type
    const response = await this.request(key, base, `/ids/${apicurio.kind}s/${apicurio.id}`, "*/*");
    if (response === undefined) return this.markMissing(key);
    const text = await response.text();
    const type = response.headers.get("x-registry-artifacttype") ?? apicurioArtifactType(text);
    if (type === "JSON") return this.found(key, JSON_SCHEMA_WRITER);
    // the .proto text Apicurio's serializer registered (map fields as map_entry messages); imports are not fetched
    if (type === "PROTOBUF") return this.found(key, await this.protobufWriter(key, text, []));
    if (type !== "AVRO") return this.found(key, new UnreadableSchema("AVRO", `Apicurio holds it as ${type}, not as AVRO or JSON`));
    return this.found(key, await this.avroWriter(key, text, []));
  }

  /** The Avro writer type, with the named types its references define, or what makes it unreadable. */
  private async avroWriter(id: SchemaKey, schema: string, references: unknown): Promise<WriterSchema> {
    const files = await this.referencedSchemas(id, references);
    if (typeof files === "string") return new UnreadableSchema("AVRO", files);
    try {
      return avroTypeForSchema(
        JSON.parse(schema),
        files.map((f) => JSON.parse(f.schema) as unknown),
      );
    } catch (e) {
      return new UnreadableSchema("AVRO", e instanceof Error ? e.message : String(e));
    }
  }

  /** The Protobuf schema with its imported files, or what makes it unreadable. */
  private async protobufWriter(id: SchemaKey, schema: unknown, references: unknown): Promise<WriterSchema> {
    if (typeof schema !== "string") return new UnreadableSchema("PROTOBUF", "the registry's answer has no schema text");
    const files = await this.referencedSchemas(id, references);
    if (typeof files === "string") return new UnreadableSchema("PROTOBUF", files);
    try {
      const writer = new ProtobufWriter(schema, files);
      for (const warning of writer.warnings) this.options.onSchemaWarning?.(`schema ${id}: ${warning}`, id);
      return writer;
    } catch (e) {
      // a ProtobufSchemaError, or protobufjs failing otherwise (an EvalError where code generation is disallowed):
      // the same schema fails the same way
      return new UnreadableSchema(
        "PROTOBUF",
        e instanceof ProtobufSchemaError ? e.message : `protobufjs: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  }

  /**
   * The schemas a schema's references name, transitively, each after the ones it references itself, or why
   * they cannot all be had. Each reference is `GET /subjects/{subject}/versions/{version}`.
   */
  private async referencedSchemas(id: SchemaKey, references: unknown): Promise<ReferencedSchema[] | string> {
    const files: ReferencedSchema[] = [];
    const seen = new Set<string>();
    const visit = async (refs: SchemaReference[]): Promise<string | undefined> => {
      for (const ref of refs) {
        if (seen.has(ref.name)) continue;
        if (seen.size >= MAX_REFERENCED_SCHEMAS) return `it references more than ${MAX_REFERENCED_SCHEMAS} schemas`;
        seen.add(ref.name);
        const answer = await this.get(id, `/subjects/${encodeURIComponent(ref.subject)}/versions/${ref.version}`);
        if (answer === undefined) return `its reference ${ref.name} (${ref.subject} version ${ref.version}) is not in the registry`;
        if (typeof answer.schema !== "string") return `its reference ${ref.name} has no schema text`;
        const failure = await visit(referencesOf(answer.references));
        if (failure !== undefined) return failure;
        files.push({ name: ref.name, schema: answer.schema });
      }
      return undefined;
    };
    const failure = await visit(referencesOf(references));
    return failure ?? files;
  }

  /** GET of a registry path: the JSON body, undefined on 404; an outage otherwise. */
  private async get(id: SchemaKey, path: string): Promise<{ schema?: unknown; schemaType?: unknown; references?: unknown } | undefined> {
    const response = await this.request(id, this.options.url as string, path);
    return response === undefined
      ? undefined
      : ((await response.json()) as { schema?: unknown; schemaType?: unknown; references?: unknown });
  }

  /** GET of a path under `base`: the response, undefined on 404; an outage otherwise. */
  private async request(id: SchemaKey, base: string, path: string, accept?: string): Promise<Response | undefined> {
    const { url, headers } = registryRequest(base, path);
    if (accept !== undefined) headers.accept = accept;
    const named = describeSchemaKey(id);
    const what = path === schemaPath(id) ? named : `${path} (${named})`;
    let response: Response;
    try {
      response = await this.fetchImpl(url, { headers, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (cause) {
      throw new SchemaRegistryUnavailableError(`schema registry did not answer for ${what}`, { schemaId: id }, { cause });
    }
    if (response.status === 404) return undefined;
    if (!response.ok) {
      // named so DependencyHealth classifies a wrong or missing registry password as "auth"
      const why = response.status === 401 ? " (authentication failed)" : response.status === 403 ? " (not authorized)" : "";
      throw new SchemaRegistryUnavailableError(`schema registry answered ${response.status}${why} for ${what}`, {
        schemaId: id,
        status: response.status,
      });
    }
    return response;
  }

  private found(id: SchemaKey, writer: WriterSchema): SchemaLookup {
    this.types.set(id, writer);
    return "found";
  }

  private markMissing(id: SchemaKey): SchemaLookup {
    this.missingUntil.set(id, this.now() + this.missingTtlMs);
    return "missing";
  }
}

/**
 * Apicurio's core API (v2, which 2.x serves) beside its Confluent-compatible one at `…/apis/ccompat/vN`; undefined
 * for any other URL. Credentials in the URL stay (registryRequest moves them into a header).
 */
export function apicurioApiUrl(registryUrl: string): string | undefined {
  const parsed = new URL(registryUrl);
  const ccompat = /^(.*)\/apis\/ccompat\/v\d+\/?$/u.exec(parsed.pathname);
  if (ccompat === null) return undefined;
  parsed.pathname = `${ccompat[1]}/apis/registry/v2`;
  return parsed.toString();
}

/**
 * The artifact type of a schema Apicurio 2.x answered by id without saying its type: JSON Schema when it declares
 * `$schema` or an object type, Avro for any other JSON, and text that is not JSON Protobuf (the other type its
 * serdes write).
 */
export function apicurioArtifactType(text: string): "AVRO" | "JSON" | "PROTOBUF" {
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch {
    return "PROTOBUF";
  }
  if (typeof schema === "object" && schema !== null && !Array.isArray(schema)) {
    const declared = schema as { $schema?: unknown; type?: unknown };
    if (declared.$schema !== undefined || declared.type === "object") return "JSON";
  }
  return "AVRO";
}

/** Confluent's GET of a schema by id, or by GUID (Confluent Platform 8, Redpanda 26.3). */
function schemaPath(id: SchemaKey): string {
  return typeof id === "number" ? `/schemas/ids/${id}` : `/schemas/guids/${encodeURIComponent(id)}`;
}

function referencesOf(value: unknown): SchemaReference[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (r): r is SchemaReference =>
      typeof r === "object" && r !== null && typeof r.name === "string" && typeof r.subject === "string" && Number.isInteger(r.version),
  );
}
