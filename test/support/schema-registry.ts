// A small Confluent-compatible schema registry — a DEVELOPMENT STAND-IN, not a product.
//
// No Confluent Schema Registry can be installed on the development and CI machines (no Docker,
// no Confluent packages), so the local stack and the integration tests use this instead;
// docker-compose.yml runs the real one. It implements the subset of the REST API that
// producers and @kafkajs/confluent-schema-registry use:
//
//   POST   /subjects/{subject}/versions          register {schema, schemaType?, references?} -> {id, guid}
//                                                (references are stored and returned, not resolved)
//   POST   /subjects/{subject}                   look up a schema under a subject -> {subject, id, version, schema}
//   GET    /subjects                             -> ["subject", ...]
//   GET    /subjects/{subject}/versions          -> [1, 2, ...]
//   GET    /subjects/{subject}/versions/{v|latest} -> {subject, version, id, schema, schemaType?, references?}
//   DELETE /subjects/{subject}                   -> [versions]  (hard delete; ids stay resolvable)
//   GET    /schemas/ids/{id}                     -> {schema, schemaType?, references?, guid}
//   GET    /schemas/guids/{guid}                 -> {schema, schemaType?, references?, guid}  (Confluent Platform 8:
//                                                the GUID a schema-id header names; here derived from the content)
//   GET    /schemas/ids/{id}/versions            -> [{subject, version}, ...]
//   GET    /schemas/ids/{id}/subjects            -> ["subject", ...]
//   GET    /config, PUT /config, GET|PUT /config/{subject}   compatibility level, stored only
//
// Deliberately missing: compatibility checking (levels are stored, never enforced), checking that
// references exist, modes, contexts, ACLs. Optional HTTP basic auth (`basicAuth`, or --basic-auth user:pass):
// every request without the right Authorization header gets 401 with `WWW-Authenticate: Basic`. Schema identity: AVRO and JSON schemas are compared
// after JSON re-serialisation (whitespace-insensitive), so the same schema gets the same global id
// under every subject, as in Confluent's registry.
//
// Run:    npx tsx test/support/schema-registry.ts --port 18081 [--host 127.0.0.1] [--data-file path.json] [--basic-auth user:pass]
// Import: const registry = await startSchemaRegistry({ port: 0 }); registry.url; await registry.close();
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { readFileSync, writeFileSync, renameSync, existsSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { createHash, timingSafeEqual } from "node:crypto";
import { pathToFileURL } from "node:url";

const CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
const MAX_BODY_BYTES = 16 * 1024 * 1024;
const COMPATIBILITY_LEVELS = new Set([
  "NONE",
  "BACKWARD",
  "BACKWARD_TRANSITIVE",
  "FORWARD",
  "FORWARD_TRANSITIVE",
  "FULL",
  "FULL_TRANSITIVE",
]);

type SchemaType = "AVRO" | "JSON" | "PROTOBUF";

interface SchemaReference {
  name: string;
  subject: string;
  version: number;
}

interface StoredSchema {
  id: number;
  schemaType: SchemaType;
  schema: string;
  /** the schemas of other subjects it uses (named Avro types, imported .proto files); absent when none */
  references?: SchemaReference[];
  /** identity key: type + canonical text + references */
  key: string;
}

interface SubjectVersion {
  version: number;
  id: number;
}

interface RegistryState {
  nextId: number;
  schemas: StoredSchema[];
  subjects: Record<string, SubjectVersion[]>;
  globalCompatibility: string;
  subjectCompatibility: Record<string, string>;
}

export interface SchemaRegistryOptions {
  /** 0 picks a free port */
  port?: number;
  host?: string;
  /** persist the registry to this JSON file so ids survive a restart of the stand-in */
  dataFile?: string;
  /** require HTTP basic auth with these credentials on every request */
  basicAuth?: { username: string; password: string };
}

export interface RunningSchemaRegistry {
  url: string;
  port: number;
  close(): Promise<void>;
}

class RegistryError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
    this.name = "RegistryError";
  }
}

function emptyState(): RegistryState {
  return { nextId: 1, schemas: [], subjects: {}, globalCompatibility: "BACKWARD", subjectCompatibility: {} };
}

function canonicalText(schemaType: SchemaType, schema: string): string {
  if (schemaType === "PROTOBUF") return schema.trim();
  try {
    return JSON.stringify(JSON.parse(schema));
  } catch {
    throw new RegistryError(422, 42201, `Invalid schema: not valid JSON for schemaType ${schemaType}`);
  }
}

function parseSchemaType(value: unknown): SchemaType {
  if (value === undefined || value === null) return "AVRO";
  if (value === "AVRO" || value === "JSON" || value === "PROTOBUF") return value;
  throw new RegistryError(422, 42201, `Invalid schemaType ${String(value)}`);
}

function readReferences(value: unknown): SchemaReference[] | undefined {
  if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) return undefined;
  const valid =
    Array.isArray(value) &&
    value.every(
      (r: Partial<SchemaReference>) => typeof r.name === "string" && typeof r.subject === "string" && Number.isInteger(r.version),
    );
  if (!valid) throw new RegistryError(422, 42201, "Invalid schema: references must be [{name, subject, version}]");
  return (value as SchemaReference[]).map(({ name, subject, version }) => ({ name, subject, version }));
}

function readSchemaBody(body: unknown): { schemaType: SchemaType; schema: string; references?: SchemaReference[]; key: string } {
  if (typeof body !== "object" || body === null || typeof (body as { schema?: unknown }).schema !== "string") {
    throw new RegistryError(422, 42201, 'Invalid schema: body must be {"schema": "<schema text>"}');
  }
  const { schema, schemaType: rawType, references: rawReferences } = body as { schema: string; schemaType?: unknown; references?: unknown };
  const schemaType = parseSchemaType(rawType);
  const references = readReferences(rawReferences);
  const key = `${schemaType}:${canonicalText(schemaType, schema)}${references === undefined ? "" : `:${JSON.stringify(references)}`}`;
  return references === undefined ? { schemaType, schema, key } : { schemaType, schema, references, key };
}

/** A schema's GUID: one per content, as Confluent's (here a version-4-shaped UUID of the identity key's SHA-256). */
function guidOf(stored: StoredSchema): string {
  const hex = createHash("sha256").update(stored.key).digest("hex");
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

interface SchemaView {
  schema: string;
  schemaType?: SchemaType;
  references?: SchemaReference[];
  guid: string;
}

function schemaView(stored: StoredSchema): SchemaView {
  // Confluent omits schemaType for AVRO, the default, and references when there are none.
  const view: SchemaView = { schema: stored.schema, guid: guidOf(stored) };
  if (stored.schemaType !== "AVRO") view.schemaType = stored.schemaType;
  if (stored.references !== undefined) view.references = stored.references;
  return view;
}

/** The registry's behaviour over plain state; the HTTP layer below only routes and serialises. */
class Registry {
  constructor(private state: RegistryState) {}

  snapshot(): RegistryState {
    return this.state;
  }

  register(subject: string, body: unknown): { id: number; guid: string } {
    const { schemaType, schema, references, key } = readSchemaBody(body);
    let stored = this.state.schemas.find((s) => s.key === key);
    const versions = this.state.subjects[subject] ?? [];
    if (stored && versions.some((v) => v.id === stored!.id)) return { id: stored.id, guid: guidOf(stored) };
    if (!stored) {
      stored = { id: this.state.nextId++, schemaType, schema, key };
      if (references !== undefined) stored.references = references;
      this.state.schemas.push(stored);
    }
    const nextVersion = versions.reduce((max, v) => Math.max(max, v.version), 0) + 1;
    this.state.subjects[subject] = [...versions, { version: nextVersion, id: stored.id }];
    return { id: stored.id, guid: guidOf(stored) };
  }

  lookup(subject: string, body: unknown): { subject: string; id: number; version: number; schema: string; schemaType?: SchemaType } {
    const versions = this.requireSubject(subject);
    const { key } = readSchemaBody(body);
    const stored = this.state.schemas.find((s) => s.key === key);
    const version = stored && versions.find((v) => v.id === stored.id);
    if (!stored || !version) throw new RegistryError(404, 40403, "Schema not found");
    return { subject, id: stored.id, version: version.version, ...schemaView(stored) };
  }

  schemaById(id: number): SchemaView {
    const stored = this.state.schemas.find((s) => s.id === id);
    if (!stored) throw new RegistryError(404, 40403, "Schema not found");
    return schemaView(stored);
  }

  schemaByGuid(guid: string): SchemaView {
    const stored = this.state.schemas.find((s) => guidOf(s) === guid.toLowerCase());
    if (!stored) throw new RegistryError(404, 40403, "Schema not found");
    return schemaView(stored);
  }

  /** Every subject version registered with schema `id` (Confluent: GET /schemas/ids/{id}/versions). */
  usagesOf(id: number): { subject: string; version: number }[] {
    this.schemaById(id); // 404 40403 for an unknown id
    return Object.entries(this.state.subjects)
      .flatMap(([subject, versions]) => versions.filter((v) => v.id === id).map((v) => ({ subject, version: v.version })))
      .sort((a, b) => a.subject.localeCompare(b.subject) || a.version - b.version);
  }

  subjects(): string[] {
    return Object.keys(this.state.subjects).sort();
  }

  versions(subject: string): number[] {
    return this.requireSubject(subject).map((v) => v.version);
  }

  version(
    subject: string,
    versionParam: string,
  ): { subject: string; version: number; id: number; schema: string; schemaType?: SchemaType } {
    const versions = this.requireSubject(subject);
    let found: SubjectVersion | undefined;
    if (versionParam === "latest" || versionParam === "-1") {
      found = versions[versions.length - 1];
    } else {
      const wanted = Number(versionParam);
      if (!Number.isInteger(wanted) || wanted < 1) {
        throw new RegistryError(
          422,
          42202,
          `The specified version '${versionParam}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`,
        );
      }
      found = versions.find((v) => v.version === wanted);
    }
    if (!found) throw new RegistryError(404, 40402, `Version ${versionParam} not found.`);
    const stored = this.state.schemas.find((s) => s.id === found.id)!;
    return { subject, version: found.version, id: found.id, ...schemaView(stored) };
  }

  deleteSubject(subject: string): number[] {
    const versions = this.versions(subject);
    delete this.state.subjects[subject];
    delete this.state.subjectCompatibility[subject];
    return versions;
  }

  globalConfig(): { compatibilityLevel: string } {
    return { compatibilityLevel: this.state.globalCompatibility };
  }

  subjectConfig(subject: string): { compatibilityLevel: string } {
    const level = this.state.subjectCompatibility[subject];
    // Like Confluent: no subject-level config is a 404, which clients treat as "first registration".
    if (!level) throw new RegistryError(404, 40408, `Subject '${subject}' does not have subject-level compatibility configured`);
    return { compatibilityLevel: level };
  }

  setConfig(subject: string | undefined, body: unknown): { compatibility: string } {
    const level = typeof body === "object" && body !== null ? (body as { compatibility?: unknown }).compatibility : undefined;
    if (typeof level !== "string" || !COMPATIBILITY_LEVELS.has(level.toUpperCase())) {
      throw new RegistryError(422, 42203, `Invalid compatibility level ${String(level)}`);
    }
    const normalised = level.toUpperCase();
    if (subject === undefined) this.state.globalCompatibility = normalised;
    else this.state.subjectCompatibility[subject] = normalised;
    return { compatibility: normalised };
  }

  private requireSubject(subject: string): SubjectVersion[] {
    const versions = this.state.subjects[subject];
    if (!versions || versions.length === 0) throw new RegistryError(404, 40401, `Subject '${subject}' not found.`);
    return versions;
  }
}

interface Route {
  method: string;
  pattern: RegExp;
  mutates: boolean;
  handle(registry: Registry, params: string[], body: unknown): unknown;
}

const routes: Route[] = [
  { method: "POST", pattern: /^\/subjects\/([^/]+)\/versions$/, mutates: true, handle: (r, [s], b) => r.register(s, b) },
  { method: "POST", pattern: /^\/subjects\/([^/]+)$/, mutates: false, handle: (r, [s], b) => r.lookup(s, b) },
  { method: "GET", pattern: /^\/subjects$/, mutates: false, handle: (r) => r.subjects() },
  { method: "GET", pattern: /^\/subjects\/([^/]+)\/versions$/, mutates: false, handle: (r, [s]) => r.versions(s) },
  { method: "GET", pattern: /^\/subjects\/([^/]+)\/versions\/([^/]+)$/, mutates: false, handle: (r, [s, v]) => r.version(s, v) },
  {
    method: "GET",
    pattern: /^\/subjects\/([^/]+)\/versions\/([^/]+)\/schema$/,
    mutates: false,
    handle: (r, [s, v]) => r.version(s, v).schema,
  },
  { method: "DELETE", pattern: /^\/subjects\/([^/]+)$/, mutates: true, handle: (r, [s]) => r.deleteSubject(s) },
  { method: "GET", pattern: /^\/schemas\/ids\/(\d+)$/, mutates: false, handle: (r, [id]) => r.schemaById(Number(id)) },
  { method: "GET", pattern: /^\/schemas\/guids\/([^/]+)$/, mutates: false, handle: (r, [guid]) => r.schemaByGuid(guid) },
  // franz-go's sr client reads these after registering (CreateSchema)
  { method: "GET", pattern: /^\/schemas\/ids\/(\d+)\/versions$/, mutates: false, handle: (r, [id]) => r.usagesOf(Number(id)) },
  {
    method: "GET",
    pattern: /^\/schemas\/ids\/(\d+)\/subjects$/,
    mutates: false,
    handle: (r, [id]) => [...new Set(r.usagesOf(Number(id)).map((u) => u.subject))],
  },
  { method: "GET", pattern: /^\/config$/, mutates: false, handle: (r) => r.globalConfig() },
  { method: "PUT", pattern: /^\/config$/, mutates: true, handle: (r, _p, b) => r.setConfig(undefined, b) },
  { method: "GET", pattern: /^\/config\/([^/]+)$/, mutates: false, handle: (r, [s]) => r.subjectConfig(s) },
  { method: "PUT", pattern: /^\/config\/([^/]+)$/, mutates: true, handle: (r, [s], b) => r.setConfig(s, b) },
  { method: "GET", pattern: /^\/$/, mutates: false, handle: () => ({}) },
];

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new RegistryError(413, 41301, "Request body too large");
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new RegistryError(400, 40001, "Unrecognized request body: not valid JSON");
  }
}

function send(res: ServerResponse, status: number, payload: unknown): void {
  const text = typeof payload === "string" ? payload : JSON.stringify(payload);
  res.writeHead(status, { "content-type": CONTENT_TYPE, "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** Constant-time comparison of the Authorization header with the expected basic credentials. */
function authorized(req: IncomingMessage, basicAuth: { username: string; password: string }): boolean {
  const expected = Buffer.from(`Basic ${Buffer.from(`${basicAuth.username}:${basicAuth.password}`).toString("base64")}`);
  const given = Buffer.from(req.headers.authorization ?? "");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function loadState(dataFile: string | undefined): RegistryState {
  if (!dataFile || !existsSync(dataFile)) return emptyState();
  return { ...emptyState(), ...(JSON.parse(readFileSync(dataFile, "utf8")) as Partial<RegistryState>) };
}

function saveState(dataFile: string, state: RegistryState): void {
  const tmp = `${dataFile}.tmp`;
  writeFileSync(tmp, JSON.stringify(state));
  renameSync(tmp, dataFile);
}

export async function startSchemaRegistry(options: SchemaRegistryOptions = {}): Promise<RunningSchemaRegistry> {
  const host = options.host ?? "127.0.0.1";
  const registry = new Registry(loadState(options.dataFile));

  const server: Server = createServer((req, res) => {
    void (async () => {
      try {
        if (options.basicAuth && !authorized(req, options.basicAuth)) {
          res.setHeader("www-authenticate", 'Basic realm="schema-registry"');
          throw new RegistryError(401, 40101, "Unauthorized");
        }
        const path = new URL(req.url ?? "/", "http://registry").pathname.replace(/\/+$/, "") || "/";
        const method = req.method ?? "GET";
        const matching = routes.filter((r) => r.pattern.test(path));
        if (matching.length === 0) throw new RegistryError(404, 404, "HTTP 404 Not Found");
        const route = matching.find((r) => r.method === method);
        if (!route) throw new RegistryError(405, 405, "HTTP 405 Method Not Allowed");
        const params = (route.pattern.exec(path) ?? []).slice(1).map((p) => decodeURIComponent(p));
        const body = method === "GET" || method === "DELETE" ? undefined : await readJsonBody(req);
        const result = route.handle(registry, params, body);
        if (route.mutates && options.dataFile) saveState(options.dataFile, registry.snapshot());
        send(res, 200, result);
      } catch (error) {
        if (error instanceof RegistryError) {
          send(res, error.status, { error_code: error.errorCode, message: error.message });
        } else {
          send(res, 500, { error_code: 50001, message: error instanceof Error ? error.message : String(error) });
        }
      }
    })();
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function argValue(args: string[], name: string): string | undefined {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const args = process.argv.slice(2);
  const port = Number(argValue(args, "--port") ?? process.env.SCHEMA_REGISTRY_PORT ?? 18081);
  const host = argValue(args, "--host") ?? "127.0.0.1";
  const dataFile = argValue(args, "--data-file");
  const credentials = argValue(args, "--basic-auth");
  const separator = credentials?.indexOf(":") ?? -1;
  const basicAuth =
    credentials === undefined || separator < 0
      ? undefined
      : { username: credentials.slice(0, separator), password: credentials.slice(separator + 1) };
  const running = await startSchemaRegistry({ port, host, dataFile, ...(basicAuth ? { basicAuth } : {}) });
  process.stderr.write(`schema registry (development stand-in) listening on ${running.url}${dataFile ? `, data in ${dataFile}` : ""}\n`);
  const shutdown = (): void => {
    void running.close().then(() => process.exit(0));
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
}
