// Replay against its peers on the same file in the same run. Issue 9 found replay slower than River's ADWIN and
// alibi-detect's K-S test evaluating the same windows; this measures both, as a Python user runs them over a
// file of PredictionEvent JSON lines (test/bench/peers/, pinned from PyPI, installed by
// `deploy/local/examples.sh ensure peer-river|peer-alibi`):
//  - River 0.26.1's ADWIN, one detector per (model, numeric signal), updated with every value (River has no
//    detector for categorical signals: they are left out);
//  - alibi-detect 0.13.0's TabularDrift (K-S per numeric signal, chi-squared per categorical, Bonferroni), per
//    model over windows of 1 000 events (drift-detector's default), each against the model's first window;
// beside the compiled `drift-detector replay` (every signal: PSI, K-S, W1, JS, chi-squared, rolling and
// reference baselines, decisions) and the plain node readline + JSON.parse loop the replay benchmarks use.
// Each is a child process, the tools alternating within each round; medians of wall and CPU time (CPU from
// bash's `time`, every thread). The Python tools also report their import time, which every run pays once:
// `wallMsWithoutImport` is the wall time less it. What each tool detected is printed for context only: the
// tools answer different questions (ADWIN: did this signal's mean change; TabularDrift: does this window
// differ from the first).
// On the demo stream (36 000 events, 3 models) and on it ten times over (360 000 events, 141 MB).
// Run: npx tsx test/bench/peers.bench.ts   — prints one JSON object per line.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PEER_SCRIPTS as PEERS, peerPython, peerReport } from "./peer-tools.ts";
import { childTimed, longStream, median, medianOf, parseLoopScript, type Timing } from "./replay-timing.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const DEMO = join(ROOT, "test/fixtures/demo/predictions.jsonl");
const BIN = join(ROOT, "src/cli/bin.js");
const ROUNDS = 3;
const LONG_COPIES = 10;

interface Tool {
  tool: string;
  run: (file: string) => Timing & { stdout: string };
  /** what the run detected, and the import time a Python tool reports, from its stdout */
  read: (stdout: string) => { detected: unknown; importMs?: number };
}

function tools(): Tool[] {
  const river = peerPython("river");
  const alibi = peerPython("alibi");
  const fromDist = { DRIFT_DETECTOR_SOURCES: "0" };
  return [
    {
      tool: "drift-detector replay (compiled CLI)",
      run: (file) => childTimed("node", [BIN, "replay", "--input", file], fromDist, undefined, true),
      read: (stdout) => {
        const outputs = stdout
          .split("\n")
          .filter((l) => l !== "")
          .map((l) => JSON.parse(l) as { type: string });
        return {
          detected: {
            driftEvents: outputs.filter((o) => o.type === "drift").length,
            retrainRequests: outputs.filter((o) => o.type === "retrain").length,
          },
        };
      },
    },
    {
      tool: "River ADWIN (Python)",
      run: (file) => childTimed(river, [join(PEERS, "river_adwin.py"), file], {}, undefined, true),
      read: (stdout) => {
        const r = peerReport(stdout);
        return { detected: { detections: r.detections, detectors: r.detectors, updates: r.updates }, importMs: Number(r.importMs) };
      },
    },
    {
      tool: "alibi-detect TabularDrift (Python)",
      // alibi-detect's import warns on stderr that no deep-learning backend is installed: none is needed here
      run: (file) => childTimed(alibi, [join(PEERS, "alibi_tabular.py"), file], {}, undefined, true),
      read: (stdout) => {
        const r = peerReport(stdout);
        return { detected: { windowsDrifted: r.drifted, windowsTested: r.windows }, importMs: Number(r.importMs) };
      },
    },
    {
      tool: "node readline + JSON.parse loop (the replay benchmarks' baseline)",
      run: (file) => childTimed("node", ["-e", parseLoopScript(file)]),
      read: () => ({ detected: undefined }),
    },
  ];
}

function measure(label: string, file: string, events: number, all: Tool[]): void {
  const timings = all.map(() => [] as (Timing & { stdout: string })[]);
  for (let r = 0; r < ROUNDS; r++) all.forEach((t, i) => timings[i].push(t.run(file)));
  const ours = medianOf(timings[0], "wallMs");
  all.forEach((t, i) => {
    const wallMs = medianOf(timings[i], "wallMs");
    const report = t.read(timings[i][0].stdout);
    const imports = timings[i].map((x) => t.read(x.stdout).importMs);
    const importMs = imports.every((x) => x !== undefined) ? median(imports) : undefined;
    console.log(
      JSON.stringify({
        bench: "peers",
        file: label,
        tool: t.tool,
        events,
        rounds: ROUNDS,
        wallMs: Math.round(wallMs),
        cpuMs: Math.round(medianOf(timings[i], "cpuMs")),
        eventsPerSecond: Math.round(events / (wallMs / 1000)),
        importMs,
        wallMsWithoutImport: importMs === undefined ? undefined : Math.round(wallMs - importMs),
        wallVsDriftDetector: Number((wallMs / ours).toFixed(2)),
        detected: report.detected,
      }),
    );
  });
}

const all = tools();
// the compiled CLI, as `npm ci` (prepare) leaves it; bin.js runs it once it is newer than every source
execFileSync("npm", ["run", "--silent", "build"], { cwd: ROOT, stdio: "ignore" });
const demoEvents = readFileSync(DEMO, "utf8")
  .split("\n")
  .filter((l) => l !== "").length;
measure("demo stream", DEMO, demoEvents, all);
const dir = mkdtempSync(join(tmpdir(), "peers-bench-"));
try {
  const long = join(dir, "long.jsonl");
  longStream(DEMO, LONG_COPIES, long);
  measure(`demo stream ${LONG_COPIES} times over`, long, LONG_COPIES * demoEvents, all);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
