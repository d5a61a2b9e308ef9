#!/usr/bin/env node
// Entry point. Runs the compiled CLI (dist/, from `npm run build`, which `npm ci` runs through `prepare`)
// when it was built after the last change under src/ — compiled JS starts in a fraction of the time the
// TypeScript sources take through tsx. Otherwise, in a checkout (src/cli/main.ts present), it runs the
// sources through tsx, so an edit takes effect at once and a stale dist/ never shadows the sources;
// DRIFT_DETECTOR_SOURCES=1 forces the sources (the test suite sets it). In the image only dist/ ships.
import { existsSync, readdirSync, statSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const source = join(root, "src", "cli", "main.ts");
const compiled = join(root, "dist", "cli", "main.js");
// written by `npm run build` before tsc starts, renamed into place once the build succeeded
const BUILD_STAMP = join(root, "dist", ".built-from-src");

/** The build is current when no file under src/ changed after the build started. */
function buildIsCurrent() {
  let built;
  try {
    built = statSync(BUILD_STAMP).mtimeMs;
  } catch {
    return false;
  }
  const src = join(root, "src");
  for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && statSync(join(entry.parentPath ?? entry.path, entry.name)).mtimeMs > built) return false;
  }
  return true;
}

if (!existsSync(source) || (process.env.DRIFT_DETECTOR_SOURCES !== "1" && existsSync(compiled) && buildIsCurrent())) {
  await import(pathToFileURL(compiled).href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import(pathToFileURL(source).href);
}
