#!/usr/bin/env node
// Entry point. In a checkout (src/cli/main.ts present) it runs the TypeScript sources through tsx, so a
// fresh clone needs no build step and a stale dist/ never shadows the sources; in the image, where only
// dist/ ships, it runs the compiled CLI.
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const source = join(root, "src", "cli", "main.ts");
if (existsSync(source)) {
  const { register } = await import("tsx/esm/api");
  register();
  await import(pathToFileURL(source).href);
} else {
  await import(pathToFileURL(join(root, "dist", "cli", "main.js")).href);
}
