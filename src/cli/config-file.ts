// Reads the config file (shell side: file I/O) and resolves it with the environment.
import { readFileSync } from "node:fs";
import { ConfigError, parseConfigText, resolveConfig, type ResolvedConfig } from "../config/load.ts";

export function loadConfig(path: string | undefined, env: Record<string, string | undefined> = process.env): ResolvedConfig {
  if (path === undefined) return resolveConfig({}, env, "defaults");
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      source: path,
      issues: [],
    });
  }
  return resolveConfig(parseConfigText(text, path), env, path);
}
