// What each tool raises on the real streams of the real-data suite (test/fixtures/realdata/: 40 years of
// daily weather and two years of Elec2 half-hours, in time order, shuffled in time, and with one input
// shifted), each at its defaults on the same windows: the compiled `drift-detector replay` with the suite's
// model configs, River 0.26.1's ADWIN (one detector per numeric signal, every value) and alibi-detect
// 0.13.0's TabularDrift (K-S / chi-squared per signal, Bonferroni, p 0.05) over the same windows against the
// same reference events (test/bench/peers/, pinned from PyPI). peers.bench.ts times the same tools; this
// one counts their alarms against what is known of each stream:
//  - shuffled: no drift by construction, so every alarm is false;
//  - weather shift: seaLevelPressure reads 25 hPa high from 1965-01-01, and nothing else changes;
//  - weather in order: the station's reported visibility changes in 1971 (its cap moves from 11.4 to 19.9
//    miles); before that the seasons, which the one-year reference holds;
//  - Elec2 in order: the three Victorian inputs hold one fill value until 1997-05-05.
// The common unit is the window: the events after the reference cut into windows of the suite's size (30
// daily events; 100 half-hours), each counted once when a tool raises anything in it (an ADWIN detection
// falls into the window of its event). drift-detector's alarms are the windows its model's status is not `ok`
// in (warning or critical, after its hysteresis of 2 windows), with critical windows and retrain requests
// beside them; ADWIN and TabularDrift have one level.
// A detection is the first alarm after the change that names a changed signal; its delay runs from the change
// to the last event the tool had read (a window's last event; ADWIN's event).
// Run: npx tsx test/bench/peers-alarms.bench.ts   — prints one JSON object per line.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { WEATHER_MODEL_CONFIG } from "../support/realdata-config.ts";
import { PEER_SCRIPTS, peerPython, peerReport } from "./peer-tools.ts";
import { childTimed } from "./replay-timing.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const BIN = join(ROOT, "src/cli/bin.js");
const fixture = (name: string) => join(ROOT, "test/fixtures/realdata", name);
const DAY_MS = 86_400_000;

interface Change {
  what: string;
  fromMs: number;
  /** the signals a detection must name (drift-detector's names) */
  signals: string[];
}

interface RealStream {
  file: string;
  /** events per window and in the reference: drift-detector's windows on this stream */
  window: number;
  reference: number;
  /** the drift-detector config file's `defaults` */
  defaults: object;
  /** undefined: no drift by construction */
  change?: Change;
}

const weatherShift = JSON.parse(readFileSync(fixture("manifest.json"), "utf8")) as {
  shift: { fromMs: number; feature: string; by: number };
};
const VICTORIA = ["feature:transfer", "feature:vicDemand", "feature:vicPrice"];
// weather: 30-day windows of daily events, a reference of the first 13 (one year); Elec2: the defaults,
// windows of 100 events (minEvents; the half-hours outrun maxDurationMs) and a reference of the first 5
const WEATHER = { window: 30, reference: 390, defaults: WEATHER_MODEL_CONFIG };
const ELEC = { window: 100, reference: 500, defaults: {} };
const STREAMS: RealStream[] = [
  { file: "weather-shuffled.jsonl.gz", ...WEATHER },
  {
    file: "weather-shift.jsonl.gz",
    ...WEATHER,
    change: {
      what: `${weatherShift.shift.feature} +${weatherShift.shift.by} hPa from 1965-01-01`,
      fromMs: weatherShift.shift.fromMs,
      signals: [`feature:${weatherShift.shift.feature}`],
    },
  },
  {
    file: "weather-ordered.jsonl.gz",
    ...WEATHER,
    change: { what: "reported visibility's cap moves in 1971", fromMs: Date.UTC(1971, 0, 1), signals: ["feature:visibility"] },
  },
  { file: "elec-shuffled.jsonl.gz", ...ELEC },
  {
    file: "elec-ordered.jsonl.gz",
    ...ELEC,
    change: { what: "Victorian inputs' fill value ends 1997-05-05", fromMs: Date.UTC(1997, 4, 5), signals: VICTORIA },
  },
];

/** One alarm: when the tool raised it (the last event it had read) and the signals it named. */
interface Alarm {
  atMs: number;
  /** first event of the window it was raised in (ADWIN: its event) */
  fromMs: number;
  signals: string[];
  critical?: boolean;
}

interface ToolRun {
  tool: string;
  wallMs: number;
  alarms: Alarm[];
  retrainRequests?: number;
}

interface EvaluatedWindow {
  fromMs: number;
  toMs: number;
}

interface DriftOutput {
  type: string;
  status: string;
  window: { start: number; end: number };
  signals: { signal: string; status: string }[];
}

/** The stream's events after the reference, as windows of `window` events: each one's first and last timestamp. */
function evaluatedWindows(stream: RealStream): EvaluatedWindow[] {
  const stamps = gunzipSync(readFileSync(fixture(stream.file)))
    .toString("utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => (JSON.parse(l) as { timestamp: number }).timestamp);
  const windows: EvaluatedWindow[] = [];
  for (let i = stream.reference; i < stamps.length; i += stream.window)
    windows.push({ fromMs: stamps[i], toMs: stamps[Math.min(i + stream.window, stamps.length) - 1] });
  return windows;
}

const withoutModel = (signal: string) => signal.slice(signal.indexOf("/") + 1);

/**
 * drift-detector's alarms, one per evaluated window its model is not `ok` in. It emits a drift event when the
 * status or the drifting signals change (and periodically while unchanged), not one per window, so a window's
 * status is that of the last drift event of a window starting at or before it.
 */
function driftDetector(stream: RealStream, windows: EvaluatedWindow[], dir: string): ToolRun {
  const config = join(dir, "config.json");
  writeFileSync(config, JSON.stringify({ defaults: stream.defaults }));
  const args = [BIN, "replay", "--input", fixture(stream.file), "--config", config];
  const run = childTimed("node", args, { DRIFT_DETECTOR_SOURCES: "0" }, undefined, true);
  const outputs = run.stdout
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as DriftOutput);
  const drift = outputs.filter((o) => o.type === "drift");
  const alarms: Alarm[] = [];
  let last = -1;
  for (const w of windows) {
    while (last + 1 < drift.length && drift[last + 1].window.start <= w.fromMs) last++;
    const e = drift[last];
    if (e === undefined || e.status === "ok") continue;
    const signals = e.signals.filter((s) => s.status !== "ok").map((s) => s.signal);
    alarms.push({ atMs: w.toMs, fromMs: w.fromMs, signals, critical: e.status === "critical" });
  }
  return { tool: "drift-detector replay", wallMs: run.wallMs, alarms, retrainRequests: outputs.filter((o) => o.type === "retrain").length };
}

function riverAdwin(stream: RealStream, python: string): ToolRun {
  const run = childTimed(python, [join(PEER_SCRIPTS, "river_adwin.py"), fixture(stream.file)], {}, undefined, true);
  const alarms = (peerReport(run.stdout).alarms as [number, string][]).map(([at, signal]) => ({
    atMs: at,
    fromMs: at,
    signals: [withoutModel(signal)],
  }));
  return { tool: "River ADWIN", wallMs: run.wallMs, alarms };
}

function alibiTabular(stream: RealStream, python: string): ToolRun {
  const args = [join(PEER_SCRIPTS, "alibi_tabular.py"), fixture(stream.file), String(stream.window), String(stream.reference)];
  // alibi-detect's import warns on stderr that no deep-learning backend is installed: none is needed here
  const run = childTimed(python, args, {}, undefined, true);
  const alarms = (peerReport(run.stdout).alarms as [number, number, string[]][]).map(([from, at, signals]) => ({
    atMs: at,
    fromMs: from,
    signals: signals.map(withoutModel),
  }));
  return { tool: "alibi-detect TabularDrift", wallMs: run.wallMs, alarms };
}

/** The index of the evaluated window `ms` falls in, or -1 (in the reference). */
function windowOf(windows: EvaluatedWindow[], ms: number): number {
  if (ms < windows[0].fromMs) return -1;
  let lo = 0;
  let hi = windows.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (windows[mid].fromMs <= ms) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function report(stream: RealStream, windows: EvaluatedWindow[], run: ToolRun): object {
  const alarmed = (alarms: Alarm[]) => new Set(alarms.map((a) => windowOf(windows, a.fromMs)).filter((i) => i >= 0)).size;
  const change = stream.change;
  const before = change === undefined ? run.alarms : run.alarms.filter((a) => a.atMs < change.fromMs);
  const detection = change && run.alarms.find((a) => a.atMs >= change.fromMs && a.signals.some((s) => change.signals.includes(s)));
  const windowsBefore = change === undefined ? windows.length : windows.filter((w) => w.toMs < change.fromMs).length;
  return {
    bench: "alarms",
    stream: stream.file.replace(".jsonl.gz", ""),
    truth: change?.what ?? "no drift (shuffled in time)",
    tool: run.tool,
    windows: windows.length,
    windowsWithAlarm: alarmed(run.alarms),
    windowsCritical: run.alarms.some((a) => a.critical !== undefined) ? alarmed(run.alarms.filter((a) => a.critical)) : undefined,
    alarms: run.alarms.filter((a) => windowOf(windows, a.fromMs) >= 0).length,
    // shuffled: every alarm is false; in order: before the change, the seasons and the weather
    windowsBeforeChange: windowsBefore,
    windowsWithAlarmBeforeChange: alarmed(before),
    detectionDelayDays: detection === undefined ? undefined : Number(((detection.atMs - change!.fromMs) / DAY_MS).toFixed(1)),
    detectionNames: detection?.signals,
    retrainRequests: run.retrainRequests,
    wallMs: Math.round(run.wallMs),
  };
}

// the compiled CLI, as `npm ci` (prepare) leaves it; bin.js runs it once it is newer than every source
execFileSync("npm", ["run", "--silent", "build"], { cwd: ROOT, stdio: "ignore" });
const river = peerPython("river");
const alibi = peerPython("alibi");
const dir = mkdtempSync(join(tmpdir(), "peers-alarms-"));
try {
  for (const stream of STREAMS) {
    const windows = evaluatedWindows(stream);
    for (const run of [driftDetector(stream, windows, dir), riverAdwin(stream, river), alibiTabular(stream, alibi)])
      console.log(JSON.stringify(report(stream, windows, run)));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
