// Replay output is pinned byte for byte on the bundled demo stream (captured before replay was moved onto
// the partition processor), so reshaping the shell cannot change what users backtest. Recaptured once for
// incidents (issue 10): drift events on status / drifting-set changes and every 12 windows, not per window;
// for point masses kept exactly (t-digest atoms): the same events, statistics changed in the 4th digit; and
// for the DriftEvent fields dataQuality and estimatedAccuracy (issue 11): the same events plus dataQuality.
import { readFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { resolveConfig, type ResolvedConfig } from "../../../src/config/load.ts";
import { runReplay } from "../../../src/cli/replay.ts";

const DEMO = new URL("../../fixtures/demo/predictions.jsonl", import.meta.url).pathname;
const expected = (name: string) => readFileSync(new URL(`../../fixtures/replay/${name}.jsonl`, import.meta.url));

async function replay(input: string, config: ResolvedConfig) {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on("data", (c: Buffer) => chunks.push(c));
  const {
    elapsedMs: _elapsed,
    eventsPerSecond: _rate,
    wallClockMs: _now,
    windowSizes: _sizes,
    ...summary
  } = await runReplay({ input, config, strict: false, stdin: new PassThrough(), stdout });
  return { bytes: Buffer.concat(chunks), summary };
}

/** With 3 warmup windows each model's reference is captured from too few windows to measure dependence. */
const THREE_WINDOW_REFERENCES = [
  { modelId: "fraud-scorer", modelVersion: "2026-01-15", referenceId: "fraud-scorer@2026-01-15/reference/w0-w2", windows: 3 },
  { modelId: "churn-model", modelVersion: "v3.2.0", referenceId: "churn-model@v3.2.0/reference/w0-w2", windows: 3 },
  { modelId: "eta-regressor", modelVersion: "2026.02.1", referenceId: "eta-regressor@2026.02.1/reference/w0-w2", windows: 3 },
];

/** The demo stream with every 997th line garbled and every 1 009th event moved an hour back (late). */
function perturbedDemo(): string {
  const lines = readFileSync(DEMO, "utf8").split("\n");
  const out = lines.map((line, i) => {
    if (line === "") return line;
    if (i % 997 === 996) return line.slice(0, 40);
    if (i % 1009 === 1008) {
      const event = JSON.parse(line) as { timestamp: number };
      event.timestamp -= 3_600_000;
      return JSON.stringify(event);
    }
    return line;
  });
  const path = join(mkdtempSync(join(tmpdir(), "replay-golden-")), "perturbed.jsonl");
  writeFileSync(path, out.join("\n"));
  return path;
}

describe("replay output on the demo stream is byte-identical to the committed capture", () => {
  it("with the default config: 36 windows, 1 drift event, 1 retrain request", async () => {
    const { bytes, summary } = await replay(DEMO, resolveConfig({}));
    expect(summary).toEqual({
      linesRead: 36000,
      accepted: 36000,
      rejected: {},
      late: 0,
      windowsClosed: 36,
      driftEvents: 1,
      retrainRequests: 1,
      unmeasuredDependence: [],
    });
    expect(bytes.equals(expected("demo-defaults"))).toBe(true);
  });

  it("with 200-event windows and 3 warmup windows: 180 windows, 9 drift events, 1 retrain request", async () => {
    const config = resolveConfig({ defaults: { window: { maxEvents: 200, minEvents: 50 }, baseline: { warmupWindows: 3 } } });
    const { bytes, summary } = await replay(DEMO, config);
    expect(summary).toEqual({
      linesRead: 36000,
      accepted: 36000,
      rejected: {},
      late: 0,
      windowsClosed: 180,
      driftEvents: 9,
      retrainRequests: 1,
      unmeasuredDependence: THREE_WINDOW_REFERENCES,
    });
    expect(bytes.equals(expected("demo-small-windows"))).toBe(true);
  });

  it("with garbled lines and late events: 36 rejected, 35 late, 14 drift events", async () => {
    const config = resolveConfig({ defaults: { window: { maxEvents: 200, minEvents: 50 }, baseline: { warmupWindows: 3 } } });
    const { bytes, summary } = await replay(perturbedDemo(), config);
    expect(summary).toEqual({
      linesRead: 36000,
      accepted: 35964,
      rejected: { invalid_json: { count: 36, firstLines: [997, 1994, 2991, 3988, 4985] } },
      late: 35,
      windowsClosed: 180,
      driftEvents: 14,
      retrainRequests: 1,
      // in the order the references were pinned in this stream
      unmeasuredDependence: [1, 2, 0].map((k) => THREE_WINDOW_REFERENCES[k]),
    });
    expect(bytes.equals(expected("demo-perturbed"))).toBe(true);
  });
});
