// Replay throughput on the bundled demo stream (36 000 events, 15 signals) against a plain
// read-lines-and-JSON.parse loop over the same file in the same run: in process (runReplay) and as the
// CLI a user runs (`drift-detector replay`, a child process, against a child `node` running the loop) —
// once from the compiled dist/ (built first, as `npm ci` does; what src/cli/bin.js runs) and once from
// the TypeScript sources through tsx (DRIFT_DETECTOR_SOURCES=1, what it ran before there was a build).
// Wall time and CPU time (user + system) both: on a shared machine CPU time is the stable one. A further
// line is the compiled CLI's startup: `replay` of a 3-line file against a child `node -e 0`, and the share of
// the whole-file CLI run that startup is. Two lines separate the code's speed from V8's warm-up: in process
// once the JIT has settled (after STEADY_WARMUPS more replays: the window-close code runs ~540 times per
// replay, so it is optimised only after several), and the compiled CLI over the demo stream repeated ten
// times (360 000 events, timestamps shifted by the stream's span per copy, event ids made unique), the
// length of history a backtest covers. The CLI decodes a file on a second thread when it has two cores
// (src/cli/decoding-thread.ts); each CLI line is measured with it and, in the same rounds, without it
// (DRIFT_DETECTOR_DECODE_THREAD=0). In process, runReplay decodes on its own thread.
// Run: npx tsx test/bench/replay.bench.ts [file]   — prints one JSON object per line.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import { resolveConfig } from "../../src/config/load.ts";
import { runReplay } from "../../src/cli/replay.ts";
import { childNode, medianOf, parseLoop as parseLoopOf, longStream, parseLoopScript, timed, type Timing } from "./replay-timing.ts";

const FILE = process.argv[2] ?? new URL("../fixtures/demo/predictions.jsonl", import.meta.url).pathname;
const BIN = new URL("../../src/cli/bin.js", import.meta.url).pathname;
const ROUNDS = 5;
const STARTUP_ROUNDS = 15;
const STEADY_WARMUPS = 15;
const LONG_COPIES = 10;
const LONG_ROUNDS = 3;
// the CLI decodes a file on a second thread when it has two cores (src/cli/decoding-thread.ts); this turns it off
const WITHOUT_DECODING_THREAD = { DRIFT_DETECTOR_DECODE_THREAD: "0" };

/** One result line: replay's median wall and CPU time against the loop's, in the same run. */
function printRatioLine(name: string, rep: Timing[], loop: Timing[], events?: number): void {
  const m = medianOf;
  console.log(
    JSON.stringify({
      bench: "replay",
      name,
      events,
      rounds: rep.length,
      replayWallMs: Math.round(m(rep, "wallMs")),
      replayCpuMs: Math.round(m(rep, "cpuMs")),
      parseLoopWallMs: Math.round(m(loop, "wallMs")),
      parseLoopCpuMs: Math.round(m(loop, "cpuMs")),
      replayEventsPerSecond: events === undefined ? undefined : Math.round(events / (m(rep, "wallMs") / 1000)),
      cpuRatio: Number((m(rep, "cpuMs") / m(loop, "cpuMs")).toFixed(2)),
      wallRatio: Number((m(rep, "wallMs") / m(loop, "wallMs")).toFixed(2)),
    }),
  );
}

const parseLoop = () => parseLoopOf(FILE);

const sink = () => new Writable({ write: (_chunk, _enc, done) => done() });
const config = resolveConfig({});
const replay = () => runReplay({ input: FILE, config, strict: false, stdin: new PassThrough(), stdout: sink() });

async function inProcessLine(name: string): Promise<void> {
  const loop: Timing[] = [];
  const rep: Timing[] = [];
  let events = 0;
  for (let r = 0; r < ROUNDS; r++) {
    loop.push(await timed(async () => (events = await parseLoop())));
    rep.push(await timed(replay));
  }
  printRatioLine(name, rep, loop, events);
}

async function inProcess(): Promise<void> {
  await parseLoop();
  await replay(); // warm-up
  await inProcessLine("in process: runReplay vs readline + JSON.parse");
  for (let r = 0; r < STEADY_WARMUPS; r++) await replay();
  await inProcessLine(`in process, JIT settled (after ${STEADY_WARMUPS} more replays): runReplay vs readline + JSON.parse`);
}

function cli(): void {
  const loopScript = parseLoopScript(FILE);
  // the compiled CLI, as `npm ci` (prepare) leaves it; bin.js runs it once it is newer than every source
  execFileSync("npm", ["run", "--silent", "build"], { cwd: new URL("../..", import.meta.url).pathname, stdio: "ignore" });
  const FROM_DIST = { DRIFT_DETECTOR_SOURCES: "0" };
  const FROM_SOURCES = { DRIFT_DETECTOR_SOURCES: "1" };
  execFileSync("node", [BIN, "replay", "--input", FILE], { stdio: "ignore", env: { ...process.env, ...FROM_SOURCES } }); // warm the tsx cache
  const loop: Timing[] = [];
  const compiled: Timing[] = [];
  const compiledOneThread: Timing[] = [];
  const sources: Timing[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    loop.push(childNode(["-e", loopScript]));
    compiled.push(childNode([BIN, "replay", "--input", FILE], FROM_DIST));
    compiledOneThread.push(childNode([BIN, "replay", "--input", FILE], { ...FROM_DIST, ...WITHOUT_DECODING_THREAD }));
    sources.push(childNode([BIN, "replay", "--input", FILE], FROM_SOURCES));
  }
  const m = medianOf;
  const tinyDir = mkdtempSync(join(tmpdir(), "replay-bench-"));
  const tiny = join(tinyDir, "three.jsonl");
  writeFileSync(tiny, readFileSync(FILE, "utf8").split("\n").slice(0, 3).join("\n") + "\n");
  const bare: Timing[] = [];
  const startup: Timing[] = [];
  for (let r = 0; r < STARTUP_ROUNDS; r++) {
    bare.push(childNode(["-e", "0"]));
    startup.push(childNode([BIN, "replay", "--input", tiny], FROM_DIST));
  }
  rmSync(tinyDir, { recursive: true, force: true });
  console.log(
    JSON.stringify({
      bench: "replay",
      name: "CLI startup (compiled dist/): drift-detector replay of a 3-line file vs node -e 0 (child processes)",
      rounds: STARTUP_ROUNDS,
      replayWallMs: Math.round(m(startup, "wallMs")),
      replayCpuMs: Math.round(m(startup, "cpuMs")),
      nodeWallMs: Math.round(m(bare, "wallMs")),
      nodeCpuMs: Math.round(m(bare, "cpuMs")),
      startupShareOfCliCpu: Number((m(startup, "cpuMs") / m(compiled, "cpuMs")).toFixed(2)),
    }),
  );
  printRatioLine("CLI (compiled dist/): drift-detector replay vs node readline + JSON.parse (child processes)", compiled, loop);
  printRatioLine(
    "CLI (compiled dist/) without its decoding thread: drift-detector replay vs node readline + JSON.parse (child processes)",
    compiledOneThread,
    loop,
  );
  printRatioLine("CLI (sources through tsx): drift-detector replay vs node readline + JSON.parse (child processes)", sources, loop);
}

/** The compiled CLI (cli() built it) over a long stream against the loop over the same file. */
function cliLong(): void {
  const dir = mkdtempSync(join(tmpdir(), "replay-bench-long-"));
  const file = join(dir, "long.jsonl");
  try {
    longStream(FILE, LONG_COPIES, file);
    const loop: Timing[] = [];
    const compiled: Timing[] = [];
    const compiledOneThread: Timing[] = [];
    for (let r = 0; r < LONG_ROUNDS; r++) {
      loop.push(childNode(["-e", parseLoopScript(file)]));
      compiled.push(childNode([BIN, "replay", "--input", file], { DRIFT_DETECTOR_SOURCES: "0" }));
      compiledOneThread.push(childNode([BIN, "replay", "--input", file], { DRIFT_DETECTOR_SOURCES: "0", ...WITHOUT_DECODING_THREAD }));
    }
    const events =
      LONG_COPIES *
      readFileSync(FILE, "utf8")
        .split("\n")
        .filter((l) => l !== "").length;
    const name = `CLI (compiled dist/), the demo stream ${LONG_COPIES} times over: drift-detector replay vs node readline + JSON.parse (child processes)`;
    printRatioLine(name, compiled, loop, events);
    printRatioLine(name.replace(" the demo stream", " without its decoding thread, the demo stream"), compiledOneThread, loop, events);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await inProcess();
cli();
cliLong();
