// Bundles the CLI (src/cli/main.ts and everything it imports from src/) into one CommonJS file,
// dist/cli/drift-detector.cjs, which src/cli/bin.js runs. Node 20 loads ~100 separate ES modules slowly
// (an async read, resolve and compile per file: ~110 ms of a 3-line `replay`); one CommonJS file loads in
// a fraction of that. Packages under node_modules stay external (required as Node resolves them), and a
// command's modules still load only when it runs: CommonJS output turns each `await import()` into a lazy
// initialiser, and the imports of a module into `require` calls run when that module initialises.
// Each module keeps its own import.meta.url, as the URL of its file in the tsc build (dist/<dir>/<file>.js),
// so files found relative to it (schemas/, dist/state/lua/) resolve as they do there.
// Then it writes V8's code cache of the bundle (<outfile>.cache: the bundle's SHA-256, then the cache), taken
// after a small replay so that replay's functions are in it; bin.js compiles the bundle with it, which saves
// most of the compile time, and without it (or with one of another bundle or Node version) compiles plainly.
// Run: node deploy/docker/build-cli.mjs [outfile]   (npm run build does, after tsc)
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import Module from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { Script } from "node:vm";
import { build } from "esbuild";

const self = fileURLToPath(import.meta.url);
const root = join(dirname(self), "..", "..");
const srcDir = join(root, "src");

/** Child of the build: runs the bundle with the given CLI arguments, then saves what V8 compiled meanwhile. */
function writeCodeCache(bundle, cacheFile, args) {
  const bytes = readFileSync(bundle);
  const script = new Script(Module.wrap(bytes.toString("utf8")), { filename: bundle });
  process.argv = [process.argv[0], bundle, ...args];
  process.on("exit", (code) => {
    if (code !== 0) return;
    const hash = createHash("sha256").update(bytes).digest();
    writeFileSync(cacheFile + ".tmp", Buffer.concat([hash, script.createCachedData()]));
    renameSync(cacheFile + ".tmp", cacheFile);
  });
  const module = { exports: {}, filename: bundle, id: bundle, loaded: false };
  script.runInThisContext().call(module.exports, module.exports, Module.createRequire(bundle), module, bundle, dirname(bundle));
}

/** import.meta.url → the URL of the module's file in the tsc build, relative to the bundle (dist/cli/). */
const moduleUrlPlugin = {
  name: "module-url",
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const text = await readFile(args.path, "utf8");
      if (!text.includes("import.meta.url")) return undefined;
      const distPath = relative(srcDir, args.path).replace(/\.ts$/, ".js");
      return { contents: text.replaceAll("import.meta.url", `__distModuleUrl(${JSON.stringify(distPath)})`), loader: "ts" };
    });
  },
};

// zod is bundled, and hyparquet (an ES module only, which a CommonJS bundle cannot require on Node 20); every
// other dependency is required from node_modules
const BUNDLED = new Set(["zod", "hyparquet"]);
const EXTERNAL = Object.keys(JSON.parse(readFileSync(join(root, "package.json"), "utf8")).dependencies).filter(
  (name) => !BUNDLED.has(name),
);

/** One entry and what it imports from src/ bundled into `outfile`, loadable as a one-byte string. */
async function bundle(entry, outfile) {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    external: EXTERNAL,
    // DetectorError names each error after its class (new.target.name): keep class names as written
    keepNames: true,
    sourcemap: "linked",
    banner: {
      js: 'const __distModuleUrl = (file) => require("node:url").pathToFileURL(require("node:path").join(__dirname, "..", file)).href;',
    },
    plugins: [moduleUrlPlugin],
    logLevel: "warning",
  });

  // esbuild escapes non-ASCII text in code (charset ascii), not in the comments it keeps: escape those too,
  // so the bundle loads as a one-byte string (no UTF-16 decoding of 700 kB at every start)
  const text = readFileSync(outfile, "utf8");
  writeFileSync(
    outfile,
    text.replace(/[\u0080-\u{10ffff}]/gu, (c) => `\\u{${c.codePointAt(0).toString(16)}}`),
  );
}

async function buildBundle(outfile) {
  await bundle(join(srcDir, "cli", "main.ts"), outfile);
  // replay's decoding thread (src/cli/decoding-thread.ts) runs its own bundle, beside the CLI's
  await bundle(join(srcDir, "cli", "decoding-thread.ts"), join(dirname(outfile), "decoding-thread.cjs"));

  // the code cache, from a replay of a small demo stream (the CLI's own output, so always valid input)
  const cacheFile = outfile + ".cache";
  rmSync(cacheFile, { force: true });
  const work = mkdtempSync(join(tmpdir(), "dd-code-cache-"));
  try {
    const events = join(work, "events.jsonl");
    const run = (args) => {
      const result = spawnSync(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
      if (result.status !== 0) throw new Error(`node ${args.join(" ")} failed (${result.status}): ${result.stderr}`);
    };
    run([outfile, "demo", "generate", "--events", "2000", "--drift-at", "1000", "--out", events]);
    run([self, "--write-code-cache", outfile, cacheFile, "replay", "--input", events]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--write-code-cache") writeCodeCache(process.argv[3], process.argv[4], process.argv.slice(5));
else await buildBundle(process.argv[2] ?? join(root, "dist", "cli", "drift-detector.cjs"));
