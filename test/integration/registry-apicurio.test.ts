// A real schema registry instead of the test stack's stand-in: Apicurio Registry 2.4.2.Final (built from
// Maven Central by deploy/local/apicurio.sh, in-memory storage) through its Confluent-compatible API
// (/apis/ccompat/v7). The Python producer example registers and frames with confluent-kafka's serializers
// (Avro, JSON Schema, Protobuf) against it, the service resolves the ids there; the service's own Avro outputs register there too.
// Apicurio's own Java Avro serializer, at its defaults, names the schema in headers (apicurio.value.globalId) instead.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { SchemaRegistry } from "@kafkajs/confluent-schema-registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { driftEventSchema, retrainRequestSchema } from "../../src/events/schemas.ts";
import { ensureExampleTool, expectExampleDrift, REPO_ROOT } from "../support/producer-example.ts";
import {
  createPredictionsTopic,
  driftingServiceConfig,
  driftingStream,
  expectAmountShiftDetected,
  harnessKafka,
  predictionMessages,
  produceRaw,
  readAllMessages,
  startServiceInProcess,
  waitForCommittedEnd,
} from "../support/service-harness.ts";

const SCRIPT = `${REPO_ROOT}deploy/local/apicurio.sh`;
const APICURIO_ENV = {
  ...process.env,
  APICURIO_PORT: process.env.TEST_APICURIO_PORT ?? "28181",
  STACK_DIR: process.env.TEST_STACK_DIR ?? `${REPO_ROOT}.stack/test`,
};

interface SubjectVersion {
  subject: string;
  version: number;
  id: number;
  schema: string;
  schemaType?: string;
}

describe("Apicurio Registry 2.4.2.Final (ccompat v7) as the schema registry", () => {
  let python = "";
  let javaApicurio = "";
  let registryUrl = "";

  async function latest(subject: string): Promise<SubjectVersion> {
    const res = await fetch(`${registryUrl}/subjects/${encodeURIComponent(subject)}/versions/latest`);
    expect(res.status, `${subject} in Apicurio`).toBe(200);
    return (await res.json()) as SubjectVersion;
  }

  beforeAll(() => {
    python = ensureExampleTool("python");
    javaApicurio = ensureExampleTool("java-apicurio");
    // builds once into deploy/local/.cache (Maven Central), then starts; a failure fails the suite
    const res = spawnSync("bash", [SCRIPT, "start"], { env: APICURIO_ENV, encoding: "utf8", timeout: 600_000 });
    const url = /^export SCHEMA_REGISTRY_URL=(\S+)$/m.exec(res.stdout ?? "")?.[1];
    if (res.status !== 0 || url === undefined) throw new Error(`deploy/local/apicurio.sh start failed (${res.status}):\n${res.stderr}`);
    registryUrl = url;
  }, 900_000);

  afterAll(() => {
    spawnSync("bash", [SCRIPT, "stop"], { env: APICURIO_ENV, encoding: "utf8", timeout: 60_000 });
  });

  it("answers as a Confluent-compatible registry at the URL start printed", async () => {
    expect(registryUrl).toBe(`http://127.0.0.1:${APICURIO_ENV.APICURIO_PORT}/apis/ccompat/v7`);
    const res = await fetch(`${registryUrl}/schemas/ids/999999`);
    expect(res.status).toBe(404);
    // Confluent's code for an unknown schema id, which the service reads as a missing schema
    expect(((await res.json()) as { error_code: number }).error_code).toBe(40403);
  });

  it("Python confluent-kafka AvroSerializer: registered in Apicurio, every event counted, the shift detected", async () => {
    const { config } = await expectExampleDrift(
      "apicurio-python-avro",
      { command: python, args: [`${REPO_ROOT}deploy/examples/python/produce.py`] },
      { format: "avro", schemaRegistryUrl: registryUrl },
    );
    const topic = config.kafka.topics.predictions;
    const registered = await latest(`${topic}-value`);
    // Avro is the default type: Apicurio leaves schemaType out, as Confluent does
    expect(registered.schemaType).toBeUndefined();
    expect(JSON.parse(registered.schema).name).toBe("PredictionEvent");
    const [first] = await readAllMessages(harnessKafka(), topic);
    expect(first.value?.readUInt32BE(1)).toBe(registered.id);
  });

  it("Python confluent-kafka AvroSerializer with a schema reference: Apicurio lists the reference, the events are counted and the shift detected", async () => {
    const { config } = await expectExampleDrift(
      "apicurio-python-avro-references",
      { command: python, args: [`${REPO_ROOT}deploy/examples/python/produce.py`], env: { SERIALIZER: "avro-references" } },
      { format: "avro", schemaRegistryUrl: registryUrl },
    );
    const topic = config.kafka.topics.predictions;
    const byId = (await (await fetch(`${registryUrl}/schemas/ids/${(await latest(`${topic}-value`)).id}`)).json()) as {
      references?: { name: string; subject: string }[];
    };
    expect(byId.references).toMatchObject([{ name: "com.shop.Label", subject: `${topic}-label` }]);
  });

  it("Python confluent-kafka JSONSerializer: a JSON schema in Apicurio, framed JSON counted, the shift detected", async () => {
    const { config } = await expectExampleDrift(
      "apicurio-python-json-schema",
      { command: python, args: [`${REPO_ROOT}deploy/examples/python/produce.py`], env: { SERIALIZER: "json-schema" } },
      { format: "json-schema", schemaRegistryUrl: registryUrl },
    );
    const topic = config.kafka.topics.predictions;
    const registered = await latest(`${topic}-value`);
    expect(registered.schemaType).toBe("JSON");
    const [first] = await readAllMessages(harnessKafka(), topic);
    expect(first.value?.readUInt32BE(1)).toBe(registered.id);
    const byId = (await (await fetch(`${registryUrl}/schemas/ids/${registered.id}`)).json()) as { schemaType?: string };
    expect(byId.schemaType).toBe("JSON");
  });

  it("Python confluent-kafka ProtobufSerializer: a Protobuf schema in Apicurio, framed Protobuf counted, the shift detected", async () => {
    const { config } = await expectExampleDrift(
      "apicurio-python-protobuf",
      { command: python, args: [`${REPO_ROOT}deploy/examples/python/produce.py`], env: { SERIALIZER: "protobuf" } },
      { format: "protobuf", schemaRegistryUrl: registryUrl },
    );
    const topic = config.kafka.topics.predictions;
    const registered = await latest(`${topic}-value`);
    expect(registered.schemaType).toBe("PROTOBUF");
    const [first] = await readAllMessages(harnessKafka(), topic);
    expect(first.value?.readUInt32BE(1)).toBe(registered.id);
  });

  const serdeCases = [
    { serializer: "avro", kind: "globalId" },
    { serializer: "avro", kind: "contentId" },
    { serializer: "protobuf", kind: "globalId" },
    { serializer: "json-schema", kind: "globalId" },
  ] as const;
  for (const { serializer, kind } of serdeCases) {
    it(`Java, Apicurio's own ${serializer} serializer (2.4.2.Final, ${kind} in headers): every bare body counted, the shift detected`, async () => {
      const { config } = await expectExampleDrift(
        `apicurio-java-${serializer}-${kind}`,
        {
          command: "java",
          args: ["-cp", javaApicurio, `${REPO_ROOT}deploy/examples/java/ApicurioProducer.java`],
          // the serdes speak Apicurio's core API; the detector is given the Confluent-compatible one beside it
          env: { APICURIO_URL: registryUrl.replace(/\/apis\/ccompat\/v7$/, "/apis/registry/v2"), USE_ID: kind, SERIALIZER: serializer },
        },
        { format: serializer, schemaRegistryUrl: registryUrl, apicurioIdHeader: kind, timeoutMs: 240_000 },
      );
      const [first] = await readAllMessages(harnessKafka(), config.kafka.topics.predictions);
      const id = (first.rawHeaders?.[`apicurio.value.${kind}`] as Buffer).readBigInt64BE(0);
      const core = registryUrl.replace(/\/apis\/ccompat\/v7$/, "/apis/registry/v2");
      const schema = await (await fetch(`${core}/ids/${kind}s/${id}`)).text();
      if (serializer === "avro") expect((JSON.parse(schema) as { name: string }).name).toBe("PredictionEvent");
      // the contract's JSON Schema, which the example registered (the serializer does not)
      else if (serializer === "json-schema") expect((JSON.parse(schema) as { title: string }).title).toBe("PredictionEvent");
      else {
        // the .proto text the serializer registered, with the message named in a header of its own
        expect(schema).toMatch(/message PredictionEvent \{/);
        expect(first.headers["apicurio.protobuf.type"]).toBe("PredictionEvent");
      }
    }, 300_000);
  }

  const withoutHeadersCases = [
    { serializer: "avro", kind: "globalId" },
    { serializer: "avro", kind: "contentId" },
    { serializer: "protobuf", kind: "globalId" },
    { serializer: "json-schema", kind: "globalId" },
  ] as const;
  for (const { serializer, kind } of withoutHeadersCases) {
    it(`Java, Apicurio's own ${serializer} serializer with headers off (${kind} as 8 bytes in the value, schemaRegistry.apicurioUseId ${kind}): every event counted, the shift detected`, async () => {
      const core = registryUrl.replace(/\/apis\/ccompat\/v7$/, "/apis/registry/v2");
      const { config } = await expectExampleDrift(
        `apicurio-java-${serializer}-${kind}-no-headers`,
        {
          command: "java",
          args: ["-cp", javaApicurio, `${REPO_ROOT}deploy/examples/java/ApicurioProducer.java`],
          env: { APICURIO_URL: core, USE_ID: kind, SERIALIZER: serializer, HEADERS: "0" },
        },
        { format: serializer, schemaRegistryUrl: registryUrl, apicurioIdInValue: kind, timeoutMs: 240_000 },
      );
      const [first] = await readAllMessages(harnessKafka(), config.kafka.topics.predictions);
      const schema = await (await fetch(`${core}/ids/${kind}s/${first.value!.readBigUInt64BE(1)}`)).text();
      if (serializer === "avro") expect((JSON.parse(schema) as { name: string }).name).toBe("PredictionEvent");
      // the contract's JSON Schema, which the example registered (the serializer does not)
      else if (serializer === "json-schema") expect((JSON.parse(schema) as { title: string }).title).toBe("PredictionEvent");
      else {
        expect(schema).toMatch(/message PredictionEvent \{/);
        // a delimited Ref naming the message, then the message
        expect(first.value!.subarray(9, 27).toString("latin1")).toBe("\x11\x0a\x0fPredictionEvent");
      }
    }, 300_000);
  }

  it("a JSON Schema artifact named by apicurio.value.globalId (as Apicurio's JSON Schema serde sends it): plain JSON counted, the shift detected; JSON under a Protobuf artifact dead-lettered, its header kept", async () => {
    const config = driftingServiceConfig("apicurio-json-header", {}, {}, registryUrl);
    const topic = config.kafka.topics.predictions;
    const core = registryUrl.replace(/\/apis\/ccompat\/v7$/, "/apis/registry/v2");
    const register = async (artifactId: string, type: string, content: string): Promise<bigint> => {
      const res = await fetch(`${core}/groups/default/artifacts`, {
        method: "POST",
        headers: { "content-type": "application/json", "X-Registry-ArtifactId": artifactId, "X-Registry-ArtifactType": type },
        body: content,
      });
      expect(res.status, await res.clone().text()).toBe(200);
      return BigInt(((await res.json()) as { globalId: number }).globalId);
    };
    const jsonId = await register(`${topic}-value`, "JSON", readFileSync(`${REPO_ROOT}schemas/prediction-event.schema.json`, "utf8"));
    const protoId = await register(`${topic}-proto`, "PROTOBUF", readFileSync(`${REPO_ROOT}schemas/prediction-event.proto`, "utf8"));
    const idHeader = (id: bigint) => {
      const b = Buffer.alloc(8);
      b.writeBigInt64BE(id);
      return b;
    };
    const events = driftingStream();
    const kafka = harnessKafka();
    await createPredictionsTopic(kafka, config);
    const messages = predictionMessages(events).map((m) => ({ ...m, headers: { "apicurio.value.globalId": idHeader(jsonId) } }));
    // one more: a JSON body under the Protobuf artifact's id
    messages.push({ ...messages[0], headers: { "apicurio.value.globalId": idHeader(protoId) } });
    await produceRaw(kafka, topic, messages);
    const service = await startServiceInProcess(config);
    try {
      await service.pipeline.ready;
      await waitForCommittedEnd(kafka, config.kafka.groupId, topic, messages.length);
      const consumed = (await service.metricsText()).split("\n").find((l) => l.startsWith("drift_events_consumed_total{"));
      expect(consumed?.endsWith(` ${events.length}`), consumed).toBe(true);
      const dead = await readAllMessages(kafka, config.kafka.topics.deadLetter);
      expect(dead.map((m) => [m.headers.reason, m.headers["schema-id"]])).toEqual([["protobuf_decode_error", `globalId:${protoId}`]]);
      expect(dead[0].headers["source-header-apicurio.value.globalId"]).toBe(idHeader(protoId).toString("base64"));
      await expectAmountShiftDetected(kafka, config.kafka.topics.drift);
    } finally {
      await service.stop();
    }
  });

  it("kafka.outputFormat avro: drift events and the retrain request register in Apicurio and decode with it", async () => {
    const config = driftingServiceConfig("apicurio-avro-out", { outputFormat: "avro" }, {}, registryUrl);
    const topics = config.kafka.topics;
    const events = driftingStream();
    const kafka = harnessKafka();
    await createPredictionsTopic(kafka, config);
    await produceRaw(kafka, topics.predictions, predictionMessages(events));
    const service = await startServiceInProcess(config);
    try {
      await service.pipeline.ready;
      await waitForCommittedEnd(kafka, config.kafka.groupId, topics.predictions, events.length);
      const registry = new SchemaRegistry({ host: registryUrl });
      const driftId = (await latest(`${topics.drift}-value`)).id;
      const retrainId = (await latest(`${topics.retrain}-value`)).id;
      const drift = await readAllMessages(kafka, topics.drift);
      expect(drift.length).toBeGreaterThan(0);
      for (const m of drift) {
        const value = m.value ?? Buffer.alloc(0);
        expect(value.readUInt32BE(1)).toBe(driftId);
        const event = driftEventSchema.parse(await registry.decode(value));
        expect(m.headers["event-id"]).toBe(event.eventId);
      }
      const retrain = await readAllMessages(kafka, topics.retrain);
      expect(retrain).toHaveLength(1);
      const value = retrain[0].value ?? Buffer.alloc(0);
      expect(value.readUInt32BE(1)).toBe(retrainId);
      const request = retrainRequestSchema.parse(await registry.decode(value));
      expect(retrain[0].headers["request-id"]).toBe(request.requestId);
      expect(await readAllMessages(kafka, topics.deadLetter)).toHaveLength(0);
    } finally {
      await service.stop();
    }
  });
});
