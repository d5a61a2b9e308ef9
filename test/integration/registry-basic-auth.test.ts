// Schema registry with HTTP basic auth: the service reads the registry username and the password (an
// `{env: NAME}` secret reference) and decodes Confluent-framed Avro predictions and registers its Avro outputs;
// with a wrong password the registry is reported down for "auth" on /readyz and /metrics, password never shown.
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Kafka } from "kafkajs";
import { driftEventSchema } from "../../src/events/schemas.ts";
import { readAvroSchemaText } from "../../src/events/schema-files.ts";
import type { ResolvedConfig } from "../../src/config/load.ts";
import { startSchemaRegistry, type RunningSchemaRegistry } from "../support/schema-registry.ts";
import {
  createPredictionsTopic,
  driftingServiceConfig,
  driftingStream,
  DRIFTING_MODEL,
  harnessKafka,
  predictionMessages,
  produceRaw,
  readAllMessages,
  startServiceInProcess,
  waitFor,
  waitForCommittedEnd,
  type InProcessService,
} from "../support/service-harness.ts";

const USERNAME = "drift-detector";
const PASSWORD = "s3cret-registry-pw-7f1c";
const WRONG_PASSWORD = "wrong-registry-pw-9d2e";
const PASSWORD_ENV = "REGAUTH_TEST_SR_PASSWORD";
const WRONG_PASSWORD_ENV = "REGAUTH_TEST_SR_WRONG_PASSWORD";

function withRegistry(config: ResolvedConfig, url: string, passwordEnv: string): ResolvedConfig {
  return { ...config, schemaRegistry: { ...config.schemaRegistry, url, username: USERNAME, password: { env: passwordEnv } } };
}

describe("schema registry with basic auth", () => {
  let registry: RunningSchemaRegistry;
  let client: SchemaRegistry;
  let kafka: Kafka;
  const services: InProcessService[] = [];
  const events = driftingStream();

  beforeAll(async () => {
    process.env[PASSWORD_ENV] = PASSWORD;
    process.env[WRONG_PASSWORD_ENV] = WRONG_PASSWORD;
    registry = await startSchemaRegistry({ port: 0, basicAuth: { username: USERNAME, password: PASSWORD } });
    client = new SchemaRegistry({ host: registry.url, auth: { username: USERNAME, password: PASSWORD } });
    kafka = harnessKafka();
  });

  afterAll(async () => {
    for (const s of services) await s.stop().catch(() => undefined);
    await registry?.close();
    delete process.env[PASSWORD_ENV];
    delete process.env[WRONG_PASSWORD_ENV];
  });

  async function producePredictions(config: ResolvedConfig): Promise<number> {
    const topic = config.kafka.topics.predictions;
    const { id } = await client.register(
      { type: SchemaType.AVRO, schema: readAvroSchemaText("prediction-event") },
      { subject: `${topic}-value` },
    );
    await createPredictionsTopic(kafka, config);
    await produceRaw(kafka, topic, predictionMessages(events, id));
    return id;
  }

  it("answers 401 with WWW-Authenticate: Basic without or with wrong credentials", async () => {
    const anonymous = await fetch(`${registry.url}/subjects`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toMatch(/^Basic /);
    const wrong = await fetch(`${registry.url}/subjects`, {
      headers: { authorization: `Basic ${Buffer.from(`${USERNAME}:${WRONG_PASSWORD}`).toString("base64")}` },
    });
    expect(wrong.status).toBe(401);
  });

  it("decodes Avro predictions, raises drift and registers its Avro outputs with the configured credentials", async () => {
    const config = withRegistry(driftingServiceConfig("regauth-ok", { outputFormat: "avro" }), registry.url, PASSWORD_ENV);
    const topics = config.kafka.topics;
    await producePredictions(config);
    const service = await startServiceInProcess(config);
    services.push(service);
    await service.pipeline.ready;
    await waitForCommittedEnd(kafka, config.kafka.groupId, topics.predictions, events.length);

    const metrics = await service.metricsText();
    const consumed = new RegExp(`^drift_events_consumed_total\\{[^}]*topic="${topics.predictions}"[^}]*\\} (\\d+)$`, "m").exec(metrics);
    expect(Number(consumed?.[1])).toBe(events.length);
    expect(metrics).toMatch(/^drift_dependency_up\{dependency="registry"\} 1$/m);

    const driftSchemaId = await client.getLatestSchemaId(`${topics.drift}-value`);
    const drift = await readAllMessages(kafka, topics.drift);
    expect(drift.length).toBeGreaterThan(0);
    for (const m of drift) {
      const value = m.value ?? Buffer.alloc(0);
      expect(value.readUInt32BE(1)).toBe(driftSchemaId);
      expect(driftEventSchema.parse(await client.decode(value)).modelId).toBe(DRIFTING_MODEL);
    }
    expect(await readAllMessages(kafka, topics.retrain)).toHaveLength(1);
    expect(service.logLines.join("")).not.toContain(PASSWORD);
  });

  it("with a wrong registry password reports the registry down for auth, without showing the password", async () => {
    // JSON outputs: the service starts, and the failure shows when it fetches the writer schema of the first message
    const config = withRegistry(driftingServiceConfig("regauth-wrong"), registry.url, WRONG_PASSWORD_ENV);
    await producePredictions(config);
    const service = await startServiceInProcess(config);
    services.push(service);

    const reason = await waitFor(
      "registry reported down",
      () => {
        const why = service.pipeline.notReadyReason();
        return why.includes("registry unavailable") ? why : undefined;
      },
      30_000,
    );
    expect(reason).toContain("(auth,");
    expect(reason).toContain("401");
    expect(service.pipeline.isReady()).toBe(false);
    const readyz = await fetch(`http://127.0.0.1:${service.server.port}/readyz`);
    expect(readyz.status).toBe(503);
    const readyzText = await readyz.text();

    const metrics = await service.metricsText();
    expect(metrics).toMatch(/^drift_dependency_up\{dependency="registry"\} 0$/m);
    const authErrors = /^drift_dependency_errors_total\{dependency="registry",reason="auth"\} (\d+)$/m.exec(metrics);
    expect(Number(authErrors?.[1])).toBeGreaterThanOrEqual(1);
    expect(metrics).not.toMatch(/^drift_events_consumed_total\{[^}]*\} [1-9]/m);

    const logs = service.logLines.join("");
    expect(logs).toMatch(/registry unavailable \(auth\)/);
    for (const text of [logs, metrics, readyzText, reason]) {
      expect(text).not.toContain(WRONG_PASSWORD);
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(Buffer.from(`${USERNAME}:${WRONG_PASSWORD}`).toString("base64"));
    }
  });
});
