import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { parseConfigText, resolveConfig } from "../../../src/config/load.ts";

const path = fileURLToPath(new URL("../../../deploy/config.example.yaml", import.meta.url));
const text = readFileSync(path, "utf8");

describe("deploy/config.example.yaml", () => {
  it("loads and carries the documented defaults", () => {
    const config = resolveConfig(parseConfigText(text, path), {}, path);
    const d = config.defaults;
    expect(d.window.maxEvents).toBe(1000);
    expect(d.window.maxDurationMs).toBe(300_000);
    expect(d.window.minEvents).toBe(100);
    expect(d.baseline.warmupWindows).toBe(5);
    expect(d.baseline.rollingWindows).toBe(24);
    expect(d.detection.falseAlarmRate).toBe(0.001);
    expect(d.detection.consecutiveWindows).toBe(2);
    expect(d.retrain.consecutiveWindows).toBe(3);
    expect(d.retrain.cooldownMs).toBe(43_200_000);
    expect(config.metrics.port).toBe(9464);
    expect(config.kafka.topics.predictions).toBe("ml.predictions");
  });

  it("states the schema defaults: apart from the models block it equals an empty config", () => {
    const { models: _models, ...rest } = parseYaml(text) as Record<string, unknown>;
    const fromExample = resolveConfig(rest);
    const fromEmpty = resolveConfig({});
    expect(JSON.parse(JSON.stringify(fromExample))).toEqual(JSON.parse(JSON.stringify(fromEmpty)));
  });

  it("documents every key of the schema", () => {
    const leafPaths = (value: unknown, prefix = ""): string[] =>
      typeof value === "object" && value !== null && !Array.isArray(value)
        ? Object.entries(value).flatMap(([k, v]) => (typeof v === "function" ? [] : leafPaths(v, prefix === "" ? k : `${prefix}.${k}`)))
        : [prefix];
    const { models: _models, ...rest } = parseYaml(text) as Record<string, unknown>;
    const { models: _none, ...defaults } = JSON.parse(JSON.stringify(resolveConfig({}))) as Record<string, unknown>;
    // schemaRegistry.url has no default; the example shows it in a comment
    expect(leafPaths(rest).sort()).toEqual(
      leafPaths({ ...defaults, schemaRegistry: { apicurioUseId: "globalId" } })
        .sort()
        .filter((p) => p !== ""),
    );
  });

  it("the fraud-scorer override changes only what it names", () => {
    const config = resolveConfig(parseConfigText(text, path), {}, path);
    const fraud = config.settingsFor("fraud-scorer");
    expect(fraud.window.maxEvents).toBe(5000);
    expect(fraud.window.minEvents).toBe(100);
    expect(fraud.detection.falseAlarmRate).toBe(0.0005);
    expect(fraud.detection.consecutiveWindows).toBe(2);
    expect(fraud.retrain.signals).toEqual(["feature:amount", "feature:country"]);
    expect(fraud.retrain.cooldownMs).toBe(43_200_000);
    expect(config.settingsFor("another-model").window.maxEvents).toBe(1000);
  });
});
