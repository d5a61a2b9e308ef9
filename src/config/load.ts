// Loading and resolving the config: file (YAML or JSON) → environment overrides → zod validation →
// per-model settings resolved by deep-merging `models.<id>` over `defaults`.
import { createRequire } from "node:module";
import { z } from "zod";
import type { ModelSettings } from "../detect/settings.ts";
import { modelSettingsFrom } from "./model-settings.ts";
import { configSchema, modelSettingsSchema, type DetectorConfig, type ModelSettingsConfig } from "./schema.ts";
import { DetectorError } from "../errors/detector-error.ts";

/** Invalid config: names the key and what was expected. */
export class ConfigError extends DetectorError<{ source: string; issues: string[] }> {
  constructor(message: string, context: { source: string; issues: string[] }) {
    super(message, context);
  }
}

// yaml (~60 ms to load) only when a config file is YAML: a JSON file or none never loads it
const requireYaml = () => createRequire(import.meta.url)("yaml") as typeof import("yaml");

type Plain = Record<string, unknown>;

function isPlainObject(v: unknown): v is Plain {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function deepMerge(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) return override === undefined ? base : override;
  const out: Plain = { ...base };
  for (const [k, v] of Object.entries(override)) out[k] = deepMerge(base[k], v);
  return out;
}

function formatIssues(error: z.ZodError, prefix: string): string[] {
  return error.issues.map((i) => {
    const path = [prefix, ...i.path.map(String)].filter((s) => s !== "").join(".");
    return `${path || "(root)"}: ${i.message}`;
  });
}

/** Parse config text; `source` names the file in error messages. */
export function parseConfigText(text: string, source: string): unknown {
  try {
    const trimmed = text.trim();
    if (trimmed === "") return {};
    return trimmed.startsWith("{") ? JSON.parse(trimmed) : requireYaml().parse(trimmed);
  } catch (err) {
    throw new ConfigError(`${source}: not valid YAML/JSON: ${(err as Error).message}`, { source, issues: [] });
  }
}

/**
 * Environment overrides. The four well-known variables, plus `DRIFT_DETECTOR__a__b__c=value` for any
 * key path (value parsed as JSON when it parses, else taken as a string).
 */
export function environmentOverrides(env: Record<string, string | undefined>): Plain {
  const out: Plain = {};
  const set = (path: string[], value: unknown) => {
    let node = out;
    for (const key of path.slice(0, -1)) {
      if (!isPlainObject(node[key])) node[key] = {};
      node = node[key] as Plain;
    }
    node[path[path.length - 1]] = value;
  };
  if (env.KAFKA_BROKERS)
    set(
      ["kafka", "brokers"],
      env.KAFKA_BROKERS.split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    );
  if (env.REDIS_URL) set(["redis", "url"], env.REDIS_URL);
  if (env.REDIS_SENTINEL_MASTER) set(["redis", "sentinel", "masterName"], env.REDIS_SENTINEL_MASTER);
  // anything but "true"/"false" reaches the schema as a string and is refused there, naming redis.cluster
  if (env.REDIS_CLUSTER)
    set(["redis", "cluster"], env.REDIS_CLUSTER === "true" ? true : env.REDIS_CLUSTER === "false" ? false : env.REDIS_CLUSTER);
  if (env.SCHEMA_REGISTRY_URL) set(["schemaRegistry", "url"], env.SCHEMA_REGISTRY_URL);
  if (env.METRICS_PORT) set(["metrics", "port"], Number(env.METRICS_PORT));
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith("DRIFT_DETECTOR__") || raw === undefined) continue;
    const path = name.slice("DRIFT_DETECTOR__".length).split("__").filter(Boolean);
    if (path.length === 0) continue;
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw;
    }
    set(path, value);
  }
  return out;
}

export interface ResolvedConfig extends DetectorConfig {
  /** settings for one model: defaults with its overrides applied */
  settingsFor(modelId: string): ModelSettings;
}

export function resolveConfig(raw: unknown, env: Record<string, string | undefined> = {}, source = "config"): ResolvedConfig {
  const merged = deepMerge(raw ?? {}, environmentOverrides(env));
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const issues = formatIssues(parsed.error, "");
    throw new ConfigError(`${source}: invalid config: ${issues.join("; ")}`, { source, issues });
  }
  const config = parsed.data;
  const perModel = new Map<string, ModelSettingsConfig>();
  for (const [modelId, override] of Object.entries(config.models)) {
    const rawDefaults = isPlainObject(raw) && isPlainObject((merged as Plain).defaults) ? (merged as Plain).defaults : {};
    const result = modelSettingsSchema.safeParse(deepMerge(rawDefaults, override));
    if (!result.success) {
      const issues = formatIssues(result.error, `models.${modelId}`);
      throw new ConfigError(`${source}: invalid config: ${issues.join("; ")}`, { source, issues });
    }
    perModel.set(modelId, result.data);
  }
  for (const [modelId, settings] of [["defaults", config.defaults] as const, ...perModel]) {
    if (settings.window.minEvents > settings.window.maxEvents) {
      const issue = `${modelId === "defaults" ? "defaults" : `models.${modelId}`}.window.minEvents: must be <= window.maxEvents (${settings.window.maxEvents})`;
      throw new ConfigError(`${source}: invalid config: ${issue}`, { source, issues: [issue] });
    }
  }
  const defaults = modelSettingsFrom(config.defaults);
  const settings = new Map([...perModel].map(([modelId, c]) => [modelId, modelSettingsFrom(c)]));
  return {
    ...config,
    settingsFor: (modelId: string) => settings.get(modelId) ?? defaults,
  };
}
