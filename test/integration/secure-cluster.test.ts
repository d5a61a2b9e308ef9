// The service on a secured cluster (deploy/local/secure-stack.sh): Kafka over SASL_SSL with
// SCRAM-SHA-512 and a client certificate (mutual TLS), Redis over TLS (rediss://) with an ACL user and
// password. Secrets reach the service only as references (an environment variable, a file); it
// authenticates, runs the drifting stream end to end, and no secret appears in its logs, on /metrics or
// in the error of a failed login.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Kafka, logLevel } from "kafkajs";
import { resolveConfig } from "../../src/config/load.ts";
import { kafkaConnectionOptions } from "../../src/kafka/clients.ts";
import { retrainRequestSchema } from "../../src/events/schemas.ts";
import { createTopics, uniqueName } from "../support/infra.ts";
import {
  driftingStream,
  DRIFTING_MODEL as MODEL,
  freePort,
  predictionMessages,
  produceRaw,
  readAllMessages,
  serviceRawConfig,
  startServiceProcess,
  waitFor,
  type ServiceProcess,
} from "../support/service-harness.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const SCRIPT = join(ROOT, "deploy/local/secure-stack.sh");
const base = Number(process.env.TEST_KAFKA_PORT ?? 29092);
const stackEnv = {
  ...process.env,
  STACK_DIR: join(ROOT, ".stack", "secure-test"),
  SECURE_KAFKA_PORT: process.env.TEST_SECURE_KAFKA_PORT ?? String(base + 100),
  SECURE_REDIS_PORT: process.env.TEST_SECURE_REDIS_PORT ?? String(Number(process.env.TEST_REDIS_PORT ?? 26379) + 100),
};

function secureStack(command: "start" | "stop"): Record<string, string> {
  const res = spawnSync("bash", [SCRIPT, command], { env: stackEnv, encoding: "utf8", timeout: 300_000 });
  if (res.status !== 0) throw new Error(`secure-stack.sh ${command} failed (${res.status}):\n${res.stderr}`);
  return Object.fromEntries([...res.stdout.matchAll(/^export ([A-Z_]+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
}

describe("a secured cluster: Kafka SASL_SSL (SCRAM-SHA-512 + mutual TLS), Redis TLS + ACL password", () => {
  let stack: Record<string, string>;
  let secrets: { kafka: string; redis: string; keystore: string };
  let raw: Record<string, unknown>;
  let kafka: Kafka;
  const children: ServiceProcess[] = [];
  const passwordEnv = "DD_TEST_KAFKA_PASSWORD";

  beforeAll(async () => {
    stack = secureStack("start");
    const dir = stack.SECURE_SECRETS_DIR;
    secrets = {
      kafka: readFileSync(join(dir, "kafka-password"), "utf8").trim(),
      redis: readFileSync(join(dir, "redis-password"), "utf8").trim(),
      keystore: readFileSync(join(dir, "keystore-password"), "utf8").trim(),
    };
    const tls = stack.SECURE_TLS_DIR;
    raw = serviceRawConfig("secure", {
      kafka: {
        brokers: [stack.SECURE_KAFKA_BROKERS],
        ssl: { caFile: join(tls, "ca.pem"), certFile: join(tls, "client.pem"), keyFile: join(tls, "client.key") },
        sasl: { mechanism: "scram-sha-512", username: stack.SECURE_KAFKA_USER, password: { env: passwordEnv } },
      },
      redis: {
        url: stack.SECURE_REDIS_URL,
        username: stack.SECURE_REDIS_USER,
        password: { file: join(dir, "redis-password") },
        tls: { caFile: join(tls, "ca.pem") },
      },
      defaults: {
        window: { maxEvents: 200, minEvents: 50 },
        baseline: { warmupWindows: 3 },
        detection: { consecutiveWindows: 2 },
        retrain: { consecutiveWindows: 2 },
      },
    });
    const config = resolveConfig(raw, {}, "secure");
    kafka = new Kafka({
      clientId: uniqueName("secure-harness"),
      ...kafkaConnectionOptions(config, { [passwordEnv]: secrets.kafka }),
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    await createTopics(admin, [config.kafka.topics.predictions]);
    await admin.disconnect();
    await produceRaw(kafka, config.kafka.topics.predictions, predictionMessages(driftingStream()));
  }, 400_000);

  afterAll(async () => {
    for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.kill("SIGKILL");
    secureStack("stop");
  });

  function service(env: Record<string, string>, metricsPort: number): ServiceProcess {
    const cfg = raw as { kafka: { brokers: string[] }; redis: { url: string } };
    // the well-known variables must point at the secured cluster too (the harness sets the plain one)
    const child = startServiceProcess(raw, {
      metricsPort,
      env: { KAFKA_BROKERS: cfg.kafka.brokers.join(","), REDIS_URL: cfg.redis.url, ...env },
    });
    children.push(child);
    return child;
  }

  it("the service authenticates to both, runs the drifting stream end to end, and no secret shows in logs or /metrics", async () => {
    const metricsPort = await freePort();
    const svc = service({ [passwordEnv]: secrets.kafka }, metricsPort);
    const topics = (raw as { kafka: { topics: { retrain: string; drift: string } } }).kafka.topics;
    const retrain = await waitFor(
      "the retrain request on the secured cluster",
      async () => {
        const messages = await readAllMessages(kafka, topics.retrain).catch(() => []);
        return messages.length > 0 ? messages : undefined;
      },
      120_000,
      1_000,
    );
    expect(retrain).toHaveLength(1);
    const request = retrainRequestSchema.parse(JSON.parse(retrain[0].value?.toString("utf8") ?? ""));
    expect(request).toMatchObject({ modelId: MODEL, reason: "drift" });
    expect(request.evidence.signals).toContain("feature:amount");
    expect((await readAllMessages(kafka, topics.drift)).length).toBeGreaterThan(0);

    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/drift_signal_status\{[^}]*signal="feature:amount"[^}]*\} 2/);
    svc.kill("SIGTERM");
    expect(await svc.exited).toBe(0);
    const everything = svc.output.join("\n") + metrics;
    for (const secret of Object.values(secrets)) expect(everything).not.toContain(secret);
    // the logged start-up config names where the secrets come from, not what they are
    expect(everything).toContain('"redis":"rediss://127.0.0.1:');
  }, 180_000);

  it("a wrong Kafka password: the service does not start, says authentication failed, and does not echo the password", async () => {
    const wrong = `wrong-${secrets.kafka.slice(0, 8)}-password`;
    const svc = service({ [passwordEnv]: wrong }, await freePort());
    const code = await Promise.race([svc.exited, new Promise((r) => setTimeout(() => r("still running"), 90_000))]);
    if (code === "still running") svc.kill("SIGKILL");
    const output = svc.output.join("\n");
    expect(code).toBe(1);
    expect(output).toMatch(/SASL SCRAM SHA512 authentication failed|Authentication failed/i);
    expect(output).not.toContain(wrong);
    for (const secret of Object.values(secrets)) expect(output).not.toContain(secret);
  }, 120_000);

  it("a secret that is not there is a clear config error naming the variable, before anything connects", async () => {
    const svc = service({}, await freePort());
    expect(await svc.exited).not.toBe(0);
    expect(svc.output.join("\n")).toContain(`kafka.sasl.password: environment variable ${passwordEnv} is not set`);
  }, 60_000);
});
