// Replay now against replay at an earlier commit, in the same run on the same files: the direct measure of
// "how much faster did it get". Issue 9 asked for replay 3× faster than at its filing (commit 387b8df, when
// replay ran ~4× the time of a readline + JSON.parse loop); a ratio to the loop moves with the machine, the
// two trees side by side do not. The earlier tree is exported from git (`git archive`) into a temporary
// directory, installed with `npm ci --ignore-scripts` and compiled with its own build script. Measured:
//  - in process, each tree in its own child (so both start cold), alternating: the first replay, then
//    replays after that warm-up interleaved with the loop (each side's loop ratio from its own rounds);
//  - the compiled CLI of each over the demo file and over the demo stream ten times over (child processes,
//    interleaved with a child running the loop);
//  - the CLI as a checkout ran it: then through tsx (src/cli/bin.js had no compiled path), now bin.js
//    running the build.
// The outputs differ (the trees detect differently: incidents, dependence, seasonality came later), so
// this measures time only; the current tree's output is pinned byte for byte by the replay tests.
// Run: npx tsx test/bench/replay-history.bench.ts [--base <commit>] [file]   — one JSON object per line.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import { parseArgs } from "node:util";
import { childNode, medianOf, parseLoop, longStream, parseLoopScript, timed, type Timing } from "./replay-timing.ts";

/** The commit issue 9 was filed against: the last one before its work began. */
const ISSUE_9_FILED_AT = "387b8df";
const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const SELF = new URL(import.meta.url).pathname;
const DEMO = join(ROOT, "test/fixtures/demo/predictions.jsonl");
const IN_PROCESS_CHILDREN = 2; // per tree, alternating
const IN_PROCESS_ROUNDS = 5; // per child, after the warm-up
const CLI_ROUNDS = 5;
const LONG_COPIES = 10;
const LONG_ROUNDS = 3;

interface DriveResult {
  cold: Timing;
  replay: Timing[];
  loop: Timing[];
}

/** In a child: one tree's runReplay over `file`, cold once, then interleaved with the loop. */
async function drive(root: string, file: string): Promise<void> {
  const { resolveConfig } = (await import(join(root, "src/config/load.ts"))) as { resolveConfig: (raw: object) => unknown };
  const { runReplay } = (await import(join(root, "src/cli/replay.ts"))) as { runReplay: (o: object) => Promise<unknown> };
  const config = resolveConfig({});
  const sink = () => new Writable({ write: (_chunk, _enc, done) => done() });
  const replay = () => runReplay({ input: file, config, strict: false, stdin: new PassThrough(), stdout: sink() });
  const cold = await timed(replay);
  await parseLoop(file);
  const result: DriveResult = { cold, replay: [], loop: [] };
  for (let r = 0; r < IN_PROCESS_ROUNDS; r++) {
    result.loop.push(await timed(() => parseLoop(file)));
    result.replay.push(await timed(replay));
  }
  console.log(JSON.stringify(result));
}

function driveChild(root: string, file: string): DriveResult {
  const out = execFileSync("npx", ["tsx", SELF, "--drive", root, file], { cwd: ROOT, encoding: "utf8" });
  return JSON.parse(out.trim().split("\n").pop()!) as DriveResult;
}

/** The earlier tree, installed and built in a temporary directory. */
function prepareBase(commit: string, dir: string): { compiledArgs: string[]; compiledEnv: Record<string, string> } {
  const archive = spawnSync("bash", ["-c", `git -C '${ROOT}' archive --format=tar '${commit}' | tar -x -C '${dir}'`], { encoding: "utf8" });
  if (archive.status !== 0)
    throw new Error(`cannot export commit ${commit} (a git checkout with its history is needed): ${archive.stderr.trim()}`);
  execFileSync("npm", ["ci", "--ignore-scripts", "--no-audit", "--no-fund", "--silent"], {
    cwd: dir,
    stdio: ["ignore", "ignore", "inherit"],
  });
  execFileSync("npm", ["run", "--silent", "build"], { cwd: dir, stdio: ["ignore", "ignore", "inherit"] });
  // the bundled CLI (later trees) runs through bin.js; before it, tsc's output ran as dist/cli/main.js
  if (existsSync(join(dir, "dist/cli/drift-detector.cjs")))
    return { compiledArgs: [join(dir, "src/cli/bin.js")], compiledEnv: { DRIFT_DETECTOR_SOURCES: "0" } };
  return { compiledArgs: [join(dir, "dist/cli/main.js")], compiledEnv: {} };
}

const round = (x: number) => Math.round(x);
const ratio = (a: number, b: number) => Number((a / b).toFixed(2));

/** One result line: the base tree's and this tree's median times, how many times faster, and each against the loop. */
function printLine(
  name: string,
  base: string,
  before: Timing[],
  now: Timing[],
  loopBefore: Timing[],
  loopNow: Timing[] = loopBefore,
): void {
  const m = medianOf;
  console.log(
    JSON.stringify({
      bench: "replay-history",
      name,
      base,
      rounds: now.length,
      baseWallMs: round(m(before, "wallMs")),
      headWallMs: round(m(now, "wallMs")),
      baseCpuMs: round(m(before, "cpuMs")),
      headCpuMs: round(m(now, "cpuMs")),
      timesFasterWall: ratio(m(before, "wallMs"), m(now, "wallMs")),
      timesFasterCpu: ratio(m(before, "cpuMs"), m(now, "cpuMs")),
      baseLoopWallRatio: ratio(m(before, "wallMs"), m(loopBefore, "wallMs")),
      headLoopWallRatio: ratio(m(now, "wallMs"), m(loopNow, "wallMs")),
      baseLoopCpuRatio: ratio(m(before, "cpuMs"), m(loopBefore, "cpuMs")),
      headLoopCpuRatio: ratio(m(now, "cpuMs"), m(loopNow, "cpuMs")),
    }),
  );
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ options: { base: { type: "string" }, drive: { type: "string" } }, allowPositionals: true });
  if (values.drive !== undefined) return drive(values.drive, positionals[0]);
  const base = values.base ?? ISSUE_9_FILED_AT;
  const file = positionals[0] ?? DEMO;
  const dir = mkdtempSync(join(tmpdir(), "replay-history-"));
  try {
    const tree = join(dir, "tree");
    execFileSync("mkdir", [tree]);
    const { compiledArgs, compiledEnv } = prepareBase(base, tree);
    execFileSync("npm", ["run", "--silent", "build"], { cwd: ROOT, stdio: "ignore" });
    const headCompiled = { DRIFT_DETECTOR_SOURCES: "0" };
    const bin = join(ROOT, "src/cli/bin.js");

    // in process, each tree in fresh children, alternating
    const runs: { base: DriveResult[]; head: DriveResult[] } = { base: [], head: [] };
    for (let c = 0; c < IN_PROCESS_CHILDREN; c++) {
      runs.base.push(driveChild(tree, file));
      runs.head.push(driveChild(ROOT, file));
    }
    const all = (rs: DriveResult[], k: "replay" | "loop") => rs.flatMap((r) => r[k]);
    printLine(
      "in process, first replay (cold)",
      base,
      runs.base.map((r) => r.cold),
      runs.head.map((r) => r.cold),
      all(runs.base, "loop"),
      all(runs.head, "loop"),
    );
    printLine(
      "in process, after one warm-up replay",
      base,
      all(runs.base, "replay"),
      all(runs.head, "replay"),
      all(runs.base, "loop"),
      all(runs.head, "loop"),
    );

    // the CLIs as child processes, interleaved with the loop
    const cliRounds = (input: string, rounds: number) => {
      const t = {
        loop: [] as Timing[],
        base: [] as Timing[],
        head: [] as Timing[],
        baseCheckout: [] as Timing[],
        headCheckout: [] as Timing[],
      };
      for (let r = 0; r < rounds; r++) {
        t.loop.push(childNode(["-e", parseLoopScript(input)]));
        t.base.push(childNode([...compiledArgs, "replay", "--input", input], compiledEnv, tree));
        t.head.push(childNode([bin, "replay", "--input", input], headCompiled));
        if (input === file) {
          t.baseCheckout.push(childNode([join(tree, "src/cli/bin.js"), "replay", "--input", input], {}, tree));
          t.headCheckout.push(childNode([bin, "replay", "--input", input]));
        }
      }
      return t;
    };
    const demo = cliRounds(file, CLI_ROUNDS);
    printLine("compiled CLI (child processes)", base, demo.base, demo.head, demo.loop);
    printLine(
      "CLI as a checkout runs it: then through tsx, now bin.js on the build (child processes)",
      base,
      demo.baseCheckout,
      demo.headCheckout,
      demo.loop,
    );
    const long = join(dir, "long.jsonl");
    longStream(DEMO, LONG_COPIES, long);
    const longRuns = cliRounds(long, LONG_ROUNDS);
    printLine(
      `compiled CLI, the demo stream ${LONG_COPIES} times over (child processes)`,
      base,
      longRuns.base,
      longRuns.head,
      longRuns.loop,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
