// Replay over the real-data suite's streams (test/fixtures/realdata/), where windows are small: 40 years of
// daily weather in 30-day windows (483 windows of 30 events, the suite's config) and Elec2's half-hours in the
// default config's windows (426 of 100). A backtest of daily or hourly data closes a window every few dozen
// events, so the window close, not the per-event path, sets the pace (the demo stream closes one per 1 000).
// Against the plain readline + JSON.parse loop over the same decompressed file in the same run: in process
// once the JIT has settled (interleaved rounds), and as the compiled CLI (child processes, interleaved).
// Run: npx tsx test/bench/replay-realdata.bench.ts   — prints one JSON object per line.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import { gunzipSync } from "node:zlib";
import { runReplay } from "../../src/cli/replay.ts";
import { resolveConfig } from "../../src/config/load.ts";
import { WEATHER_MODEL_CONFIG } from "../support/realdata-config.ts";
import { childNode, medianOf, parseLoop, parseLoopScript, timed, type Timing } from "./replay-timing.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const BIN = join(ROOT, "src/cli/bin.js");
const WARMUPS = 10;
const ROUNDS = 7;
const CLI_ROUNDS = 5;

const STREAMS = [
  { name: "weather in order, 30-day windows (the suite's config)", file: "weather-ordered.jsonl.gz", defaults: WEATHER_MODEL_CONFIG },
  { name: "Elec2 in order, the default config", file: "elec-ordered.jsonl.gz", defaults: {} },
];

const sink = () => new Writable({ write: (_chunk, _enc, done) => done() });

function printLine(name: string, events: number, windows: number, rep: Timing[], loop: Timing[], rounds: number): void {
  const m = medianOf;
  console.log(
    JSON.stringify({
      bench: "replay-realdata",
      name,
      events,
      windows,
      rounds,
      replayWallMs: Math.round(m(rep, "wallMs")),
      replayCpuMs: Math.round(m(rep, "cpuMs")),
      parseLoopWallMs: Math.round(m(loop, "wallMs")),
      replayEventsPerSecond: Math.round(events / (m(rep, "wallMs") / 1000)),
      replayUsPerWindow: Math.round((m(rep, "wallMs") * 1000) / windows),
      cpuRatio: Number((m(rep, "cpuMs") / m(loop, "cpuMs")).toFixed(2)),
      wallRatio: Number((m(rep, "wallMs") / m(loop, "wallMs")).toFixed(2)),
    }),
  );
}

// the compiled CLI, as `npm ci` (prepare) leaves it; bin.js runs it once it is newer than every source
execFileSync("npm", ["run", "--silent", "build"], { cwd: ROOT, stdio: "ignore" });
const dir = mkdtempSync(join(tmpdir(), "replay-realdata-"));
try {
  for (const stream of STREAMS) {
    const file = join(dir, stream.file.replace(/\.gz$/, ""));
    writeFileSync(file, gunzipSync(readFileSync(join(ROOT, "test/fixtures/realdata", stream.file))));
    const configFile = join(dir, "config.json");
    writeFileSync(configFile, JSON.stringify({ defaults: stream.defaults }));
    const config = resolveConfig({ defaults: stream.defaults });
    let windows = 0;
    let events = 0;
    const replay = async () => {
      const summary = await runReplay({ input: file, config, strict: false, stdin: new PassThrough(), stdout: sink() });
      windows = summary.windowsClosed;
      events = summary.accepted;
    };
    for (let r = 0; r < WARMUPS; r++) await replay();
    const rep: Timing[] = [];
    const loop: Timing[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      loop.push(await timed(() => parseLoop(file)));
      rep.push(await timed(replay));
    }
    printLine(`in process, JIT settled: ${stream.name}`, events, windows, rep, loop, ROUNDS);
    const cli: Timing[] = [];
    const cliLoop: Timing[] = [];
    for (let r = 0; r < CLI_ROUNDS; r++) {
      cliLoop.push(childNode(["-e", parseLoopScript(file)]));
      cli.push(childNode([BIN, "replay", "--input", file, "--config", configFile], { DRIFT_DETECTOR_SOURCES: "0" }));
    }
    printLine(`CLI (compiled dist/), child processes: ${stream.name}`, events, windows, cli, cliLoop, CLI_ROUNDS);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
