// The schema cache against a fake registry: what each registry schema type of an id becomes for the codec.
import { describe, expect, it } from "vitest";
import { decodePredictionMessage, encodeAvroEvent } from "../../../src/events/codec.ts";
import {
  CONFLUENT_HEADER_BYTES,
  frameConfluent,
  JSON_SCHEMA_WRITER,
  schemaGuidHeader,
  UnreadableSchema,
} from "../../../src/events/confluent-framing.ts";
import { ProtobufWriter } from "../../../src/events/protobuf-writer.ts";
import { schemaNamingHeaderOf } from "../../../src/events/schema-id-headers.ts";
import { readAvroSchemaText } from "../../../src/events/schema-files.ts";
import { apicurioApiUrl, apicurioArtifactType, SchemaCache, SchemaRegistryUnavailableError } from "../../../src/kafka/schema-cache.ts";

/**
 * A registry answering GET /schemas/ids/{id} from `bodies` and GET /subjects/{subject}/versions/{v} from
 * `versions` (404 otherwise), counting requests and collecting schema warnings.
 */
function registry(
  bodies: Record<number, object>,
  versions: Record<string, object | "down"> = {},
): { cache: SchemaCache; requests: string[]; warnings: string[] } {
  const requests: string[] = [];
  const warnings: string[] = [];
  const fetchImpl = (input: string | URL | Request): Promise<Response> => {
    const url = String(input);
    requests.push(url);
    const path = new URL(url).pathname;
    if (path.startsWith("/subjects/")) {
      const body = versions[path];
      if (body === "down") return Promise.reject(new Error("ECONNREFUSED"));
      return Promise.resolve(body === undefined ? new Response("{}", { status: 404 }) : Response.json(body));
    }
    const id = Number(url.split("/").pop());
    const body = bodies[id];
    return Promise.resolve(body === undefined ? new Response("{}", { status: 404 }) : Response.json(body));
  };
  const onSchemaWarning = (message: string) => warnings.push(message);
  return {
    cache: new SchemaCache({ url: "http://registry:8081", fetchImpl: fetchImpl as typeof fetch, onSchemaWarning }),
    requests,
    warnings,
  };
}

/** What the codec makes of `body` framed under schema `id`, with the cache's writers. */
function decodeFramed(cache: SchemaCache, id: number, body: Uint8Array) {
  return decodePredictionMessage(frameConfluent(id, body), { schemaForId: cache.schemaForId, maxMessageBytes: 1024 });
}

describe("schema cache: registry schema types", () => {
  const avro = readAvroSchemaText("prediction-event");

  it("an Avro schema (schemaType omitted, as the registry answers) becomes the writer type its messages decode with", async () => {
    const { cache } = registry({ 1: { schema: avro } });
    expect(await cache.fetch(1)).toBe("found");
    const event = { eventId: "e", modelId: "m", modelVersion: "v1", timestamp: 5 };
    expect(
      decodePredictionMessage(encodeAvroEvent("prediction-event", 1, event), { schemaForId: cache.schemaForId, maxMessageBytes: 1024 }),
    ).toEqual({
      ok: true,
      format: "avro",
      schemaId: 1,
      event,
    });
  });

  it("a JSON Schema id is found as framed JSON, whatever its schema says; a Protobuf id as its parsed schema", async () => {
    const { cache, requests } = registry({
      2: { schemaType: "JSON", schema: '{"type":"object"}' },
      3: { schemaType: "PROTOBUF", schema: 'syntax = "proto3"; message P { string eventId = 1; }' },
    });
    expect(await cache.fetch(2)).toBe("found");
    expect(cache.schemaForId(2)).toBe(JSON_SCHEMA_WRITER);
    expect(await cache.fetch(3)).toBe("found");
    expect(cache.schemaForId(3)).toBeInstanceOf(ProtobufWriter);
    // cached for the process: schema ids are immutable
    expect(await cache.fetch(2)).toBe("found");
    expect(requests).toHaveLength(2);
  });

  it("an unknown id or another schema type is missing, and not asked again at once", async () => {
    const { cache, requests } = registry({ 5: { schemaType: "XML", schema: "<x/>" } });
    for (const id of [4, 5]) {
      expect(await cache.fetch(id)).toBe("missing");
      expect(cache.schemaForId(id)).toBeUndefined();
      expect(cache.isKnownMissing(id)).toBe(true);
      expect(await cache.fetch(id)).toBe("missing");
    }
    expect(requests).toHaveLength(2);
  });

  it("a schema GUID (schema ID in headers) is fetched from /schemas/guids/{guid}, cached, and its messages decode; an unknown GUID is missing", async () => {
    const guid = "0f8a2b4c-1d3e-4f50-8a6b-7c8d9e0f1a2b";
    const requests: string[] = [];
    const fetchImpl = (input: string | URL | Request): Promise<Response> => {
      const url = String(input);
      requests.push(new URL(url).pathname);
      if (url.endsWith(`/schemas/guids/${guid}`)) return Promise.resolve(Response.json({ schema: avro }));
      return Promise.resolve(new Response("{}", { status: 404 }));
    };
    const cache = new SchemaCache({ url: "http://registry:8081", fetchImpl: fetchImpl as typeof fetch });
    expect(await cache.fetch(guid)).toBe("found");
    expect(await cache.fetch(guid)).toBe("found");
    const event = { eventId: "e", modelId: "m", modelVersion: "v1", timestamp: 5 };
    const body = encodeAvroEvent("prediction-event", 1, event).subarray(CONFLUENT_HEADER_BYTES);
    expect(
      decodePredictionMessage(
        body,
        { schemaForId: cache.schemaForId, maxMessageBytes: 1024 },
        schemaNamingHeaderOf({ __value_schema_id: schemaGuidHeader(guid) }),
      ),
    ).toEqual({
      ok: true,
      format: "avro",
      schemaId: guid,
      event,
    });
    const unknown = "00000000-0000-4000-8000-000000000000";
    expect(await cache.fetch(unknown)).toBe("missing");
    expect(cache.isKnownMissing(unknown)).toBe(true);
    expect(await cache.fetch(unknown)).toBe("missing");
    expect(requests).toEqual([`/schemas/guids/${guid}`, `/schemas/guids/${unknown}`]);
  });

  it("an Avro schema that does not parse is unreadable: its messages say why, and it is not asked again", async () => {
    const { cache, requests } = registry({
      6: { schema: "{not avro" },
      7: { schema: '{"type":"record","name":"P","fields":[{"name":"x","type":"com.acme.Missing"}]}' },
    });
    for (const id of [6, 7]) {
      expect(await cache.fetch(id)).toBe("found");
      expect(cache.schemaForId(id)).toBeInstanceOf(UnreadableSchema);
      expect(await cache.fetch(id)).toBe("found");
    }
    expect(requests).toHaveLength(2);
    expect(decodeFramed(cache, 7, Uint8Array.of(0))).toEqual({
      ok: false,
      reason: "unknown_format",
      schemaId: 7,
      message: "schema 7 is an Avro schema the detector cannot read: undefined type name: com.acme.Missing",
    });
  });

  it("an Avro schema's references (named types of other subjects, transitively) are fetched first, and its messages decode", async () => {
    const label = { type: "enum", name: "Label", namespace: "com.acme", symbols: ["LEGIT", "FRAUD"] };
    const scored = { type: "record", name: "Scored", namespace: "com.acme", fields: [{ name: "label", type: "com.acme.Label" }] };
    const main = {
      type: "record",
      name: "ScoredPrediction",
      namespace: "com.shop",
      fields: [
        { name: "eventId", type: "string" },
        { name: "modelId", type: "string" },
        { name: "modelVersion", type: "string" },
        { name: "timestamp", type: "long" },
        { name: "predictedClass", type: "com.acme.Label" },
        { name: "scored", type: "com.acme.Scored" },
      ],
    };
    const { cache, requests } = registry(
      { 12: { schema: JSON.stringify(main), references: [{ name: "com.acme.Scored", subject: "scored", version: 3 }] } },
      {
        "/subjects/scored/versions/3": {
          schema: JSON.stringify(scored),
          references: [{ name: "com.acme.Label", subject: "label", version: 1 }],
        },
        "/subjects/label/versions/1": { schema: JSON.stringify(label) },
      },
    );
    expect(await cache.fetch(12)).toBe("found");
    expect(requests.map((u) => new URL(u).pathname)).toEqual([
      "/schemas/ids/12",
      "/subjects/scored/versions/3",
      "/subjects/label/versions/1",
    ]);
    // eventId "e", modelId "m", modelVersion "v", timestamp 5, predictedClass FRAUD (1), scored.label LEGIT (0): zigzag varints
    const body = Uint8Array.of(0x02, 0x65, 0x02, 0x6d, 0x02, 0x76, 0x0a, 0x02, 0x00);
    expect(decodeFramed(cache, 12, body)).toEqual({
      ok: true,
      format: "avro",
      schemaId: 12,
      event: { eventId: "e", modelId: "m", modelVersion: "v", timestamp: 5, predictedClass: "FRAUD" },
    });
  });

  it("a Protobuf schema's references are fetched, transitively, and its messages decode; a field without presence is warned of", async () => {
    const { cache, requests, warnings } = registry(
      {
        8: {
          schemaType: "PROTOBUF",
          schema:
            'syntax = "proto3"; import "ids.proto"; message P { ids.Ids ids = 1; string event_id = 2; string model_id = 3; string model_version = 4; int64 timestamp = 5; double confidence = 6; }',
          references: [{ name: "ids.proto", subject: "ids", version: 2 }],
        },
      },
      {
        "/subjects/ids/versions/2": {
          schema: 'syntax = "proto3"; package ids; import "more.proto"; message Ids { more.Tag tag = 1; }',
          references: [{ name: "more.proto", subject: "more", version: 1 }],
        },
        "/subjects/more/versions/1": { schema: 'syntax = "proto3"; package more; message Tag { string value = 1; }' },
      },
    );
    expect(await cache.fetch(8)).toBe("found");
    expect(requests.map((u) => new URL(u).pathname)).toEqual(["/schemas/ids/8", "/subjects/ids/versions/2", "/subjects/more/versions/1"]);
    expect(warnings).toEqual([
      "schema 8: P.confidence has no presence (proto3 without `optional`): an unset value reads as 0, not as none",
    ]);
    // P { event_id: "e", model_id: "m", model_version: "v", timestamp: 5, confidence: 0.5 }, index [0]
    const body = Uint8Array.of(0x00, 0x12, 0x01, 0x65, 0x1a, 0x01, 0x6d, 0x22, 0x01, 0x76, 0x28, 0x05, 0x31, 0, 0, 0, 0, 0, 0, 0xe0, 0x3f);
    expect(decodeFramed(cache, 8, body)).toEqual({
      ok: true,
      format: "protobuf",
      schemaId: 8,
      event: { eventId: "e", modelId: "m", modelVersion: "v", timestamp: 5, confidence: 0.5 },
    });
  });

  it("a Protobuf schema whose reference is not in the registry, or that does not parse, is found as unreadable: its messages say why", async () => {
    const { cache } = registry({
      9: {
        schemaType: "PROTOBUF",
        schema: 'syntax = "proto3"; import "gone.proto"; message P { gone.X x = 1; }',
        references: [{ name: "gone.proto", subject: "gone", version: 1 }],
      },
      10: { schemaType: "PROTOBUF", schema: "message {" },
    });
    expect(await cache.fetch(9)).toBe("found");
    expect(cache.schemaForId(9)).toEqual(
      new UnreadableSchema("PROTOBUF", "its reference gone.proto (gone version 1) is not in the registry"),
    );
    expect(await cache.fetch(10)).toBe("found");
    expect(cache.schemaForId(10)).toBeInstanceOf(UnreadableSchema);
    expect(decodeFramed(cache, 9, Uint8Array.of(0))).toEqual({
      ok: false,
      reason: "unknown_format",
      schemaId: 9,
      message: "schema 9 is a Protobuf schema the detector cannot read: its reference gone.proto (gone version 1) is not in the registry",
    });
  });

  it("a registry that stops answering while references are fetched is an outage, and nothing is cached", async () => {
    const { cache } = registry(
      {
        11: {
          schemaType: "PROTOBUF",
          schema: 'syntax = "proto3"; import "a.proto"; message P {}',
          references: [{ name: "a.proto", subject: "a", version: 1 }],
        },
      },
      { "/subjects/a/versions/1": "down" },
    );
    await expect(cache.fetch(11)).rejects.toBeInstanceOf(SchemaRegistryUnavailableError);
    expect(cache.schemaForId(11)).toBeUndefined();
    expect(cache.isKnownMissing(11)).toBe(false);
  });
});

describe("Apicurio ids from its serdes' headers", () => {
  const ccompat = "http://user:pa%20ss@registry:8080/apis/ccompat/v7";
  /** Apicurio 2.4.2's core API: GET /apis/registry/v2/ids/{globalIds|contentIds}/{id} answers the schema text, no type */
  function apicurio(texts: Record<string, string>): {
    cache: SchemaCache;
    requests: { path: string; init?: RequestInit }[];
    warnings: string[];
  } {
    const requests: { path: string; init?: RequestInit }[] = [];
    const warnings: string[] = [];
    const fetchImpl = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const path = new URL(String(input)).pathname;
      requests.push({ path, init });
      const text = texts[path];
      return Promise.resolve(
        text === undefined
          ? Response.json({ error_code: 404, message: "No artifact" }, { status: 404 })
          : new Response(text, { headers: { "content-type": "application/json" } }),
      );
    };
    const cache = new SchemaCache({ url: ccompat, fetchImpl: fetchImpl as typeof fetch, onSchemaWarning: (m) => warnings.push(m) });
    return { cache, requests, warnings };
  }

  it("the core API beside the Confluent-compatible one is derived from the configured URL, credentials kept", () => {
    expect(apicurioApiUrl(ccompat)).toBe("http://user:pa%20ss@registry:8080/apis/registry/v2");
    expect(apicurioApiUrl("http://registry:8080/prefix/apis/ccompat/v6/")).toBe("http://registry:8080/prefix/apis/registry/v2");
    expect(apicurioApiUrl("http://registry:8081")).toBeUndefined();
  });

  it("a global id's Avro schema is fetched from the core API (basic auth in a header) and decodes the bare body", async () => {
    const { cache, requests } = apicurio({ "/apis/registry/v2/ids/globalIds/3": readAvroSchemaText("prediction-event") });
    expect(await cache.fetch("globalId:3")).toBe("found");
    expect(requests.map((r) => r.path)).toEqual(["/apis/registry/v2/ids/globalIds/3"]);
    const headers = requests[0].init?.headers as Record<string, string>;
    expect(headers.authorization).toBe(`Basic ${Buffer.from("user:pa ss").toString("base64")}`);
    expect(headers.accept).toBe("*/*");
    const event = { eventId: "e", modelId: "m", modelVersion: "v1", timestamp: 5 };
    const body = encodeAvroEvent("prediction-event", 1, event).subarray(CONFLUENT_HEADER_BYTES);
    const id = Buffer.alloc(8);
    id.writeBigInt64BE(3n);
    const header = schemaNamingHeaderOf({ "apicurio.value.globalId": id, "apicurio.value.encoding": "BINARY" });
    expect(decodePredictionMessage(body, { schemaForId: cache.schemaForId, maxMessageBytes: 1024 }, header)).toEqual({
      ok: true,
      format: "avro",
      schemaId: "globalId:3",
      event,
    });
  });

  it("a content id, a JSON Schema, Protobuf text (read as a .proto file) and an unknown id", async () => {
    const { cache } = apicurio({
      "/apis/registry/v2/ids/contentIds/4": readAvroSchemaText("prediction-event"),
      "/apis/registry/v2/ids/globalIds/5": JSON.stringify({ $schema: "http://json-schema.org/draft-07/schema#", type: "object" }),
      "/apis/registry/v2/ids/globalIds/6": 'syntax = "proto3"; message P {}',
    });
    expect(await cache.fetch("contentId:4")).toBe("found");
    expect(cache.schemaForId("contentId:4")).not.toBeInstanceOf(UnreadableSchema);
    expect(await cache.fetch("globalId:5")).toBe("found");
    expect(cache.schemaForId("globalId:5")).toBe(JSON_SCHEMA_WRITER);
    expect(await cache.fetch("globalId:6")).toBe("found");
    expect(cache.schemaForId("globalId:6")).toBeInstanceOf(ProtobufWriter);
    expect(await cache.fetch("globalId:7")).toBe("missing");
    expect(cache.isKnownMissing("globalId:7")).toBe(true);
  });

  it("apicurioArtifactType: $schema or an object type is JSON Schema, other JSON Avro, text Protobuf", () => {
    expect(apicurioArtifactType('{"type":"object","properties":{}}')).toBe("JSON");
    expect(apicurioArtifactType('{"type":"record","name":"P","fields":[]}')).toBe("AVRO");
    expect(apicurioArtifactType('"string"')).toBe("AVRO");
    expect(apicurioArtifactType('syntax = "proto3";')).toBe("PROTOBUF");
  });

  it("with a registry URL that is not Apicurio's ccompat API the id is missing, with a warning saying why", async () => {
    const warnings: string[] = [];
    const cache = new SchemaCache({
      url: "http://registry:8081",
      fetchImpl: (() => Promise.reject(new Error("not called"))) as typeof fetch,
      onSchemaWarning: (m) => warnings.push(m),
    });
    expect(await cache.fetch("globalId:3")).toBe("missing");
    expect(warnings).toEqual([
      "Apicurio globalId 3 cannot be looked up: schemaRegistry.url is not Apicurio's Confluent-compatible API (…/apis/ccompat/v7), beside which its own API lies",
    ]);
  });
});
