import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../../src/logging/logger.ts";
import { createDetectorMetrics } from "../../../src/metrics/detector-metrics.ts";
import { classifyDependencyError, DependencyHealth } from "../../../src/pipeline/dependency-health.ts";
import { StateStoreUnavailableError } from "../../../src/state/errors.ts";
import { SchemaCache } from "../../../src/kafka/schema-cache.ts";

const unavailable = (cause: string) =>
  new StateStoreUnavailableError(`commitPartition: Redis failed: ${cause}`, { operation: "commitPartition" }, { cause: new Error(cause) });

describe("classifyDependencyError", () => {
  it("names auth, timeout and connection causes through the cause chain, auth first", () => {
    expect(classifyDependencyError(unavailable("WRONGPASS invalid username-password pair or user is disabled."))).toBe("auth");
    expect(classifyDependencyError(unavailable("NOAUTH Authentication required."))).toBe("auth");
    expect(classifyDependencyError(new Error("Reached the max retries per request limit (connection: WRONGPASS invalid password)"))).toBe(
      "auth",
    );
    expect(
      classifyDependencyError(
        Object.assign(new Error("SASL PLAIN authentication failed: invalid credentials"), { name: "KafkaJSSASLAuthenticationError" }),
      ),
    ).toBe("auth");
    expect(classifyDependencyError(unavailable("Command timed out"))).toBe("timeout");
    expect(classifyDependencyError(unavailable("connect ECONNREFUSED 127.0.0.1:6379"))).toBe("connection");
    expect(classifyDependencyError(new Error("something else"))).toBe("other");
  });

  it("classifies a schema registry 401 or 403 as auth, another status as other", async () => {
    const failureFor = (status: number) =>
      new SchemaCache({ url: "http://user:pw@registry:8081", fetchImpl: () => Promise.resolve(new Response("{}", { status })) })
        .fetch(7)
        .then(
          () => undefined,
          (error: unknown) => error,
        );
    expect(classifyDependencyError(await failureFor(401))).toBe("auth");
    expect(classifyDependencyError(await failureFor(403))).toBe("auth");
    expect(classifyDependencyError(await failureFor(500))).toBe("other");
  });
});

describe("DependencyHealth", () => {
  it("is down from the first failure to the next success, logs each transition once and counts every failure", async () => {
    const lines: string[] = [];
    const log = createLogger({
      level: "info",
      destination: new Writable({ write: (c: Buffer, _e, done) => (lines.push(c.toString()), done()) }),
    });
    const metrics = createDetectorMetrics({ defaultMetrics: false });
    let now = 1_000;
    const health = new DependencyHealth(metrics, log, () => now);
    expect(health.downReason()).toBeUndefined();

    for (let i = 0; i < 3; i++) health.failed("redis", "commitPartition", unavailable("Command timed out"));
    now += 12_000;
    expect(health.downReason()).toMatch(/^redis unavailable for 12 s \(timeout, 3 failures, last in commitPartition: .*Command timed out/);
    const text = await metrics.registry.metrics();
    expect(text).toContain('drift_dependency_up{dependency="redis"} 0');
    expect(text).toContain('drift_dependency_up{dependency="kafka"} 1');
    expect(text).toContain('drift_dependency_errors_total{dependency="redis",reason="timeout"} 3');

    health.succeeded("redis");
    health.succeeded("redis");
    expect(health.downReason()).toBeUndefined();
    expect(await metrics.registry.metrics()).toContain('drift_dependency_up{dependency="redis"} 1');
    const msgs = lines.map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(msgs).toEqual(["redis unavailable (timeout): pausing and retrying; not ready until it answers", "redis answers again"]);
  });
});
