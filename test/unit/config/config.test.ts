import { describe, expect, it } from "vitest";
import { ConfigError, parseConfigText, resolveConfig } from "../../../src/config/load.ts";

describe("config", () => {
  it("an empty file gives the documented defaults", () => {
    const c = resolveConfig(parseConfigText("", "empty.yaml"));
    expect(c.defaults.window).toEqual({ maxEvents: 1000, maxDurationMs: 300000, minEvents: 100, allowedLatenessMs: 60000 });
    expect(c.defaults.baseline).toEqual({
      warmupWindows: 5,
      rollingWindows: 24,
      seasonality: "none",
      seasonOffsetMs: 0,
      minSlotWindows: 3,
    });
    expect(c.defaults.detection.falseAlarmRate).toBe(0.001);
    expect(c.defaults.detection.consecutiveWindows).toBe(2);
    expect(c.defaults.retrain.consecutiveWindows).toBe(3);
    expect(c.defaults.retrain.cooldownMs).toBe(43200000);
    expect(c.kafka.topics).toEqual({
      predictions: "ml.predictions",
      outcomes: "ml.outcomes",
      drift: "ml.drift-events",
      retrain: "ml.retrain-requests",
      baseline: "ml.baseline-events",
      deadLetter: "ml.predictions.dlq",
    });
    expect(c.metrics.port).toBe(9464);
  });

  it("models.<id> overrides only the keys it names and keeps the other defaults", () => {
    const c = resolveConfig(
      parseConfigText("defaults:\n  window:\n    maxEvents: 2000\nmodels:\n  fraud-scorer:\n    window:\n      minEvents: 50\n", "c.yaml"),
    );
    expect(c.settingsFor("fraud-scorer").window).toEqual({
      maxEvents: 2000,
      maxDurationMs: 300000,
      minEvents: 50,
      allowedLatenessMs: 60000,
    });
    expect(c.settingsFor("other").window.minEvents).toBe(100);
    expect(c.settingsFor("other").window.maxEvents).toBe(2000);
  });

  it("a bad value names the key and what was expected", () => {
    expect(() => resolveConfig(parseConfigText("defaults:\n  window:\n    maxEvents: -5\n", "bad.yaml"), {}, "bad.yaml")).toThrowError(
      /bad\.yaml: invalid config: defaults\.window\.maxEvents: Number must be greater than 0/,
    );
    expect(() => resolveConfig({ defaults: { detection: { falseAlarmRate: 2 } } }, {}, "x")).toThrowError(
      /defaults\.detection\.falseAlarmRate/,
    );
  });

  it("an unknown key is rejected with its path", () => {
    expect(() => resolveConfig({ defaults: { window: { maxEvent: 5 } } }, {}, "typo.yaml")).toThrowError(
      /defaults\.window: Unrecognized key\(s\) in object: 'maxEvent'/,
    );
  });

  it("a bad per-model override names models.<id>.<key>", () => {
    expect(() => resolveConfig({ models: { "m-1": { retrain: { cooldownMs: "soon" } } } }, {}, "c")).toThrowError(
      /models\.m-1\.retrain\.cooldownMs: Expected number, received string/,
    );
  });

  it("minEvents above maxEvents is rejected", () => {
    expect(() => resolveConfig({ defaults: { window: { maxEvents: 50 } } }, {}, "c")).toThrowError(
      /defaults\.window\.minEvents: must be <= window\.maxEvents \(50\)/,
    );
  });

  it("environment variables override the file", () => {
    const c = resolveConfig(
      { kafka: { brokers: ["file:9092"] } },
      {
        KAFKA_BROKERS: "a:1, b:2",
        REDIS_URL: "redis://r:6379",
        SCHEMA_REGISTRY_URL: "http://sr:8081",
        METRICS_PORT: "9999",
        DRIFT_DETECTOR__defaults__window__maxEvents: "500",
        DRIFT_DETECTOR__kafka__groupId: "g2",
      },
    );
    expect(c.kafka.brokers).toEqual(["a:1", "b:2"]);
    expect(c.redis.url).toBe("redis://r:6379");
    expect(c.schemaRegistry.url).toBe("http://sr:8081");
    expect(c.metrics.port).toBe(9999);
    expect(c.defaults.window.maxEvents).toBe(500);
    expect(c.kafka.groupId).toBe("g2");
  });

  it("REDIS_CLUSTER=true or false sets redis.cluster; any other value is refused naming the key", () => {
    expect(resolveConfig({}, {}).redis.cluster).toBe(false);
    expect(resolveConfig({}, { REDIS_CLUSTER: "true" }).redis.cluster).toBe(true);
    expect(resolveConfig({ redis: { cluster: true } }, { REDIS_CLUSTER: "false" }).redis.cluster).toBe(false);
    expect(() => resolveConfig({}, { REDIS_CLUSTER: "yes" }, "c")).toThrowError(/redis\.cluster: Expected boolean, received string/);
  });

  it("REDIS_SENTINEL_MASTER sets redis.sentinel.masterName; cluster and sentinel together are refused", () => {
    expect(resolveConfig({}, {}).redis.sentinel).toBeUndefined();
    expect(resolveConfig({}, { REDIS_SENTINEL_MASTER: "mymaster" }).redis.sentinel).toEqual({ masterName: "mymaster", sentinels: [] });
    const both = { redis: { cluster: true, sentinel: { masterName: "m", sentinels: ["s2:26379"] } } };
    expect(() => resolveConfig(both, {}, "c")).toThrowError(/redis\.sentinel: cluster and sentinel exclude each other/);
    expect(() => resolveConfig({ redis: { sentinel: { masterName: "m", sentinels: ["s2"] } } }, {}, "c")).toThrowError(
      /redis\.sentinel\.sentinels\.0: host:port/,
    );
  });

  it("text that is neither YAML nor JSON is a ConfigError naming the file", () => {
    expect(() => parseConfigText("a: [1, 2", "broken.yaml")).toThrowError(ConfigError);
    expect(() => parseConfigText("a: [1, 2", "broken.yaml")).toThrowError(/broken\.yaml: not valid YAML\/JSON/);
  });
});
