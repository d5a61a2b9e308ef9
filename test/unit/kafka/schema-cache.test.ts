// The schema cache against a fake registry: what each registry schema type of an id becomes for the codec.
import { describe, expect, it } from "vitest";
import { decodePredictionMessage, encodeAvroEvent } from "../../../src/events/codec.ts";
import { JSON_SCHEMA_WRITER, PROTOBUF_WRITER } from "../../../src/events/confluent-framing.ts";
import { readAvroSchemaText } from "../../../src/events/schema-files.ts";
import { SchemaCache } from "../../../src/kafka/schema-cache.ts";

/** A registry answering GET /schemas/ids/{id} from `bodies` (404 for other ids), counting requests. */
function registry(bodies: Record<number, object>): { cache: SchemaCache; requests: string[] } {
  const requests: string[] = [];
  const fetchImpl = (input: string | URL | Request): Promise<Response> => {
    const url = String(input);
    requests.push(url);
    const id = Number(url.split("/").pop());
    const body = bodies[id];
    return Promise.resolve(body === undefined ? new Response("{}", { status: 404 }) : Response.json(body));
  };
  return { cache: new SchemaCache({ url: "http://registry:8081", fetchImpl: fetchImpl as typeof fetch }), requests };
}

describe("schema cache: registry schema types", () => {
  const avro = readAvroSchemaText("prediction-event");

  it("an Avro schema (schemaType omitted, as the registry answers) becomes the writer type its messages decode with", async () => {
    const { cache } = registry({ 1: { schema: avro } });
    expect(await cache.fetch(1)).toBe("found");
    const event = { eventId: "e", modelId: "m", modelVersion: "v1", timestamp: 5 };
    const ctx = { schemaForId: cache.schemaForId, maxMessageBytes: 1024 };
    expect(decodePredictionMessage(encodeAvroEvent("prediction-event", 1, event), ctx)).toEqual({
      ok: true,
      format: "avro",
      schemaId: 1,
      event,
    });
  });

  it("a JSON Schema id is found as framed JSON, whatever its schema says; a Protobuf id as Protobuf", async () => {
    const { cache, requests } = registry({
      2: { schemaType: "JSON", schema: '{"type":"object"}' },
      3: { schemaType: "PROTOBUF", schema: 'syntax = "proto3"; message P { string eventId = 1; }' },
    });
    expect(await cache.fetch(2)).toBe("found");
    expect(cache.schemaForId(2)).toBe(JSON_SCHEMA_WRITER);
    expect(await cache.fetch(3)).toBe("found");
    expect(cache.schemaForId(3)).toBe(PROTOBUF_WRITER);
    // cached for the process: schema ids are immutable
    expect(await cache.fetch(2)).toBe("found");
    expect(requests).toHaveLength(2);
  });

  it("an unknown id, another schema type or an Avro schema that does not parse is missing, and not asked again at once", async () => {
    const { cache, requests } = registry({ 5: { schemaType: "XML", schema: "<x/>" }, 6: { schema: "{not avro" } });
    for (const id of [4, 5, 6]) {
      expect(await cache.fetch(id)).toBe("missing");
      expect(cache.schemaForId(id)).toBeUndefined();
      expect(cache.isKnownMissing(id)).toBe(true);
      expect(await cache.fetch(id)).toBe("missing");
    }
    expect(requests).toHaveLength(3);
  });
});
