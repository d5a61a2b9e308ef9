// The compiled CLI (dist/cli/drift-detector.cjs, deploy/docker/build-cli.mjs) answers as the sources do: it
// is built into a throwaway image-shaped directory (dist/ and schemas/, no sources) and run through bin.js,
// as the image and a fresh `npm ci` run it; the other CLI tests run the sources.
import { isAscii } from "node:buffer";
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import Module from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Script } from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commandUsage } from "../../../src/cli/args.ts";
import { COMMANDS, topUsage } from "../../../src/cli/commands.ts";
import { sourceMappedStack } from "../../../src/cli/source-mapped-stack.ts";

const execFileAsync = promisify(execFile);
const REPO = new URL("../../..", import.meta.url).pathname;
const DEMO = join(REPO, "test", "fixtures", "demo", "predictions.jsonl");
const root = mkdtempSync(join(tmpdir(), "dd-compiled-"));
const bundle = join(root, "dist", "cli", "drift-detector.cjs");

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(bin: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [bin, ...args], {
      env: { ...process.env, ...env },
      maxBuffer: 64 << 20,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const compiled = (...args: string[]) => run(join(root, "src", "cli", "bin.js"), args);
const sources = (...args: string[]) => run(join(REPO, "src", "cli", "bin.js"), args, { DRIFT_DETECTOR_SOURCES: "1" });

beforeAll(async () => {
  mkdirSync(join(root, "src", "cli"), { recursive: true });
  mkdirSync(join(root, "dist", "state"), { recursive: true });
  for (const dir of ["node_modules", "schemas"]) symlinkSync(join(REPO, dir), join(root, dir));
  symlinkSync(join(REPO, "src", "state", "lua"), join(root, "dist", "state", "lua"));
  copyFileSync(join(REPO, "package.json"), join(root, "package.json"));
  copyFileSync(join(REPO, "src", "cli", "bin.js"), join(root, "src", "cli", "bin.js"));
  await execFileAsync(process.execPath, [join(REPO, "deploy", "docker", "build-cli.mjs"), bundle]);
}, 60_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("the compiled CLI", () => {
  it("replays the demo stream to the committed capture, byte for byte, with the same summary", async () => {
    const { code, stdout, stderr } = await compiled("replay", "--input", DEMO);
    expect(code).toBe(0);
    expect(stdout).toBe(readFileSync(join(REPO, "test", "fixtures", "replay", "demo-defaults.jsonl"), "utf8"));
    expect(stderr.split("\n").slice(0, 2)).toEqual([
      "replay: 36000 lines read, 36000 events accepted, 0 rejected, 0 late",
      "replay: 36 windows closed, 1 drift events, 1 retrain requests",
    ]);
  });

  it("prints the usage texts of the command table", async () => {
    expect(await compiled("--help")).toEqual({ code: 0, stdout: topUsage() + "\n", stderr: "" });
    const replay = COMMANDS.find((c) => c.name === "replay")!;
    expect(await compiled("replay")).toEqual({
      code: 2,
      stdout: "",
      stderr: `drift-detector: replay: missing --input <file|->\n\n${commandUsage(replay)}\n`,
    });
  });

  it("reports a missing input file and an invalid YAML config as the sources do (exit 2)", async () => {
    const config = join(root, "bad.yaml");
    writeFileSync(config, "defaults:\n  window:\n    maxEvents: -1\n");
    for (const args of [
      ["replay", "--input", join(root, "missing.jsonl")],
      ["replay", "--input", DEMO, "--config", config],
    ]) {
      const [fromBundle, fromSources] = await Promise.all([compiled(...args), sources(...args)]);
      expect(fromBundle.code).toBe(2);
      expect(fromBundle).toEqual(fromSources);
    }
  });

  it("under node --disallow-code-generation-from-strings it replays the demo capture; run exits 2 naming the flag", async () => {
    const hardened = (...args: string[]) => run("--disallow-code-generation-from-strings", [join(root, "src", "cli", "bin.js"), ...args]);
    const replayed = await hardened("replay", "--input", DEMO);
    expect(replayed.code).toBe(0);
    expect(replayed.stdout).toBe(readFileSync(join(REPO, "test", "fixtures", "replay", "demo-defaults.jsonl"), "utf8"));
    // avsc generates its Avro readers as it loads: the service cannot start, and says why in one line
    expect(await hardened("run")).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "drift-detector: Code generation from strings disallowed for this context: this command needs Node without " +
        "--disallow-code-generation-from-strings (the Avro library, avsc, generates code as it loads); replay of JSON lines runs with it\n",
    });
  });

  it("prints a crash's stack at the TypeScript sources, through the bundle's source map", () => {
    const lines = readFileSync(bundle, "utf8").split("\n");
    const at = lines.findIndex((l) => l.startsWith("function scanJsonPrediction("));
    const sourceLine = readFileSync(join(REPO, "src", "events", "json-prediction-scanner.ts"), "utf8")
      .split("\n")
      .findIndex((l) => l.startsWith("export function scanJsonPrediction("));
    expect(at).toBeGreaterThan(0);
    const stack = [
      "Error: boom",
      `    at scanJsonPrediction (${bundle}:${at + 1}:10)`,
      `    at ${join(REPO, "node_modules", "avsc", "lib", "types.js")}:732:17`,
      "    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)",
    ].join("\n");
    // the bundle was built from this checkout's sources: the map names them relative to the bundle
    const mapped = sourceMappedStack(stack, REPO).split("\n");
    expect(mapped[1]).toMatch(
      new RegExp(`^    at scanJsonPrediction \\(src/events/json-prediction-scanner\\.ts:${sourceLine + 1}:\\d+\\)$`),
    );
    expect([mapped[0], ...mapped.slice(2)]).toEqual([stack.split("\n")[0], ...stack.split("\n").slice(2)]);
  });

  it("decodes on its decoding thread (dist/cli/decoding-thread.cjs) to the same capture, also with code generation disallowed", async () => {
    const capture = readFileSync(join(REPO, "test", "fixtures", "replay", "demo-defaults.jsonl"), "utf8");
    const bin = join(root, "src", "cli", "bin.js");
    const threaded = await run(bin, ["replay", "--input", DEMO], { DRIFT_DETECTOR_DECODE_THREAD: "1" });
    expect(threaded.code).toBe(0);
    expect(threaded.stdout).toBe(capture);
    const hardened = await run("--disallow-code-generation-from-strings", [bin, "replay", "--input", DEMO], {
      DRIFT_DETECTOR_DECODE_THREAD: "1",
    });
    expect(hardened.code).toBe(0);
    expect(hardened.stdout).toBe(capture);
    expect(await run(bin, ["replay", "--input", DEMO], { DRIFT_DETECTOR_DECODE_THREAD: "yes" })).toMatchObject({
      code: 2,
      stderr: 'drift-detector: environment: DRIFT_DETECTOR_DECODE_THREAD must be 0 or 1, not "yes"\n',
    });
  });

  it("is ASCII (so it loads as a one-byte string) and built with a V8 code cache that this Node accepts", () => {
    const bytes = readFileSync(bundle);
    expect(isAscii(bytes)).toBe(true);
    const source = bytes.toString("utf8");
    const cache = readFileSync(bundle + ".cache");
    const script = new Script(Module.wrap(source), { filename: bundle, cachedData: cache.subarray(32) });
    expect(script.cachedDataRejected).toBe(false);
  });
});
