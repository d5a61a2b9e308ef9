import { execFile, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../../src/config/load.ts";
import { InputFileError } from "../../../src/cli/event-lines.ts";
import { formatReplaySummary, referencesFromFile, runReplay } from "../../../src/cli/replay.ts";
import type { DriftEvent, RetrainRequest } from "../../../src/events/types.ts";
import { predictionStream } from "../../support/engine-streams.ts";

const run = promisify(execFile);
const BIN = new URL("../../../src/cli/bin.js", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "replay-test-"));

function writeLines(name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, lines.join("\n") + "\n");
  return path;
}

const config = resolveConfig({ defaults: { window: { maxEvents: 200, minEvents: 50 }, baseline: { warmupWindows: 3 } } });
const shifted = [...predictionStream(200 * 12, { seed: 21, shiftSigma: (i) => (i >= 200 * 6 ? 1 : 0) })].map((e) => JSON.stringify(e));

async function replay(
  input: string,
  opts: { strict?: boolean; references?: Awaited<ReturnType<typeof referencesFromFile>>; config?: typeof config } = {},
) {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on("data", (c: Buffer) => chunks.push(c));
  const summary = await runReplay({
    input,
    config: opts.config ?? config,
    strict: opts.strict ?? false,
    references: opts.references,
    stdin: new PassThrough(),
    stdout,
  });
  const outputs = Buffer.concat(chunks)
    .toString("utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as DriftEvent | RetrainRequest);
  return { summary, outputs };
}

describe("replay", () => {
  it("writes drift events and the retrain request as JSON lines in emission order, offsets are line numbers", async () => {
    const { summary, outputs } = await replay(writeLines("shifted.jsonl", shifted));
    expect(summary).toMatchObject({ linesRead: 2400, accepted: 2400, windowsClosed: 12, rejected: {} });
    const drift = outputs.filter((o): o is DriftEvent => o.type === "drift");
    const retrain = outputs.filter((o): o is RetrainRequest => o.type === "retrain");
    expect(summary.driftEvents).toBe(drift.length);
    expect(summary.retrainRequests).toBe(1);
    expect(retrain).toHaveLength(1);
    expect(drift[0].window).toMatchObject({ id: "m@v1/p0/w7", partition: 0, firstOffset: "1400", lastOffset: "1599", count: 200 });
    // one incident: the raise is reported, unchanged windows are not; the retrain request names the incident
    expect(drift).toHaveLength(1);
    expect(drift[0].incident).toMatchObject({ startWindow: "m@v1/p0/w6", windows: 2, peakStatus: "critical", ended: false });
    expect(retrain[0].incidentId).toBe(drift[0].incident?.id);
    expect(retrain[0].evidence.windows).toEqual(["m@v1/p0/w7", "m@v1/p0/w8", "m@v1/p0/w9"]);
  });

  it("the summary reports per model the window sizes used, without a warning when windows fill to maxEvents", async () => {
    const { summary } = await replay(writeLines("sizes.jsonl", shifted));
    expect(summary.windowSizes).toEqual([
      {
        modelId: "m",
        maxEvents: 200,
        windows: 12,
        closedAtMaxEvents: 12,
        events: { median: 200, min: 200, max: 200 },
        durationMs: { median: 19_900, min: 19_900, max: 19_900 },
        // 12 windows of 200 events 100 ms apart from the stream's start (2025-11-22T00:00:00Z)
        eventTimeMs: { first: 1_763_769_600_000, last: 1_763_769_600_000 + (12 * 200 - 1) * 100 },
      },
    ]);
    const lines = formatReplaySummary(summary).split("\n");
    expect(lines).toContain("replay: m: 12 windows, events median 200 (range 200\u2013200), duration median 20s (range 20s\u201320s)");
    expect(lines.filter((l) => l.includes("close by time"))).toEqual([]);
  });

  it("warns when a model's event times look like epoch seconds (1970 when read as the contract's milliseconds)", async () => {
    const inSeconds = shifted.map((l) => {
      const e = JSON.parse(l) as { timestamp: number };
      return JSON.stringify({ ...e, timestamp: Math.floor(e.timestamp / 1000) });
    });
    const warning = (lines: string[]) => lines.filter((l) => l.includes("look like epoch seconds"));
    const { summary } = await replay(writeLines("seconds.jsonl", inSeconds));
    expect(warning(formatReplaySummary(summary).split("\n"))).toEqual([
      "replay: warning: event times of m are in 1970 (from 1970-01-21T09:56:09.600Z): timestamp is epoch milliseconds, " +
        "and these look like epoch seconds (send them × 1000)",
    ]);
    const inMillis = await replay(writeLines("millis.jsonl", shifted));
    expect(warning(formatReplaySummary(inMillis.summary).split("\n"))).toEqual([]);
  });

  it("warns when more than 1 % of the events were late (input out of event-time order), not otherwise", async () => {
    // the stream twice over, the copy's event ids made unique: its whole second half is late
    const twice = [...shifted, ...shifted.map((l) => l.replace(/"eventId":"/, '"eventId":"again-'))];
    const warning = (lines: string[]) => lines.filter((l) => l.includes("were late"));
    const { summary } = await replay(writeLines("twice.jsonl", twice));
    expect(summary.late).toBeGreaterThan(1000);
    expect(warning(formatReplaySummary(summary).split("\n"))).toEqual([
      `replay: warning: ${summary.late} of 4800 events (${Math.round((100 * summary.late) / 4800)} %) were late (older than the largest ` +
        "event time read minus window.allowedLatenessMs): replay takes events in the order of the input, so history out of event-time " +
        "order lands in the wrong windows; sort it by timestamp (jq -s -c 'sort_by(.timestamp)[]') or raise allowedLatenessMs",
    ]);
    const sorted = await replay(writeLines("sorted.jsonl", shifted));
    expect(sorted.summary.late).toBe(0);
    expect(warning(formatReplaySummary(sorted.summary).split("\n"))).toEqual([]);
  });

  it("warns when a reference is captured from fewer than 5 windows (its dependence factors cannot be measured)", async () => {
    const { summary } = await replay(writeLines("few.jsonl", shifted));
    expect(summary.unmeasuredDependence).toEqual([{ modelId: "m", modelVersion: "v1", referenceId: "m@v1/reference/w0-w2", windows: 3 }]);
    expect(formatReplaySummary(summary).split("\n")).toContain(
      "replay: warning: the reference of m@v1 (m@v1/reference/w0-w2) was captured from 3 windows, too few to measure " +
        "dependence (at least 5): every dependence factor is 1, so its tests assume independent events; " +
        "raise baseline.warmupWindows or referenceDurationMs",
    );
    const five = resolveConfig({ defaults: { window: { maxEvents: 200, minEvents: 50 }, baseline: { warmupWindows: 5 } } });
    const { summary: enough } = await replay(writeLines("five.jsonl", shifted), { config: five });
    expect(enough.unmeasuredDependence).toEqual([]);
    expect(formatReplaySummary(enough)).not.toContain("too few to measure dependence");
  });

  it("warns when a model's windows close by time with a median under 10 % of maxEvents", async () => {
    const byTime = resolveConfig({ defaults: { window: { maxEvents: 2000, maxDurationMs: 10_000, minEvents: 10 } } });
    const stream = [...predictionStream(2000, { seed: 5, modelId: "fraud-scorer" })].map((e) => JSON.stringify(e));
    const { summary } = await replay(writeLines("by-time.jsonl", stream), { config: byTime });
    // 100 ms between events: each 10 s window holds 100 events spanning 9.9 s
    expect(summary.windowSizes[0]).toMatchObject({ windows: 20, closedAtMaxEvents: 0, events: { median: 100, min: 100, max: 100 } });
    const lines = formatReplaySummary(summary).split("\n");
    expect(lines).toContain(
      "replay: fraud-scorer: 20 windows, events median 100 (range 100\u2013100), duration median 10s (range 10s\u201310s)",
    );
    expect(lines).toContain(
      "replay: warning: windows of fraud-scorer close by time with a median of 100 events (maxEvents 2000): " +
        "set window.maxDurationMs higher or maxEvents lower",
    );
  });

  it("a replay is reproducible byte for byte", async () => {
    const path = writeLines("again.jsonl", shifted);
    const a = await replay(path);
    const b = await replay(path);
    expect(JSON.stringify(b.outputs)).toBe(JSON.stringify(a.outputs));
  });

  it("skips bad lines and reports them by reason with their line numbers", async () => {
    const lines = [...shifted.slice(0, 300)];
    lines.splice(4, 0, "{not json");
    lines.splice(10, 0, JSON.stringify({ eventId: "x", modelId: "bad model", modelVersion: "v", timestamp: 1 }));
    lines.splice(20, 0, "garbage");
    const { summary } = await replay(writeLines("bad.jsonl", lines));
    expect(summary.accepted).toBe(300);
    expect(summary.rejected).toEqual({
      invalid_json: { count: 1, firstLines: [5] },
      schema_violation: { count: 1, firstLines: [11] },
      unknown_format: { count: 1, firstLines: [21] },
    });
  });

  it("--strict stops at the first bad line with its number", async () => {
    const lines = [...shifted.slice(0, 10), "{nope", ...shifted.slice(10, 20)];
    await expect(replay(writeLines("strict.jsonl", lines), { strict: true })).rejects.toThrowError(/line 11: invalid_json/);
  });

  it("an unreadable input is one InputFileError naming the file", async () => {
    await expect(replay(join(dir, "missing.jsonl"))).rejects.toThrowError(InputFileError);
    await expect(replay(join(dir, "missing.jsonl"))).rejects.toThrowError(/cannot read input .*missing\.jsonl: ENOENT/);
  });

  it("with --reference the first windows are compared with the imported reference, without warmup", async () => {
    const referenceFile = writeLines("reference.jsonl", shifted.slice(0, 1200));
    const references = await referencesFromFile(referenceFile, config, new PassThrough());
    const onlyShifted = writeLines("only-shifted.jsonl", shifted.slice(1200));
    const { outputs } = await replay(onlyShifted, { references });
    const drift = outputs.filter((o): o is DriftEvent => o.type === "drift");
    expect(drift[0].window.id).toBe("m@v1/p0/w1");
    expect(drift[0].baseline).toMatchObject({ kind: "reference", id: "m@v1/reference/import:reference.jsonl", count: 1200 });
  });

  it("the CLI exits 2 with one clear message for a missing input or an invalid config", async () => {
    const missing = await run("node", [BIN, "replay", "--input", join(dir, "nope.jsonl")]).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(missing).toMatchObject({ code: 2 });
    expect((missing as { stderr: string }).stderr.trim()).toMatch(/^drift-detector: cannot read input .*nope\.jsonl: ENOENT$/);
    const badConfig = writeLines("bad-config.yaml", ["defaults:", "  window:", "    maxEvents: zero"]);
    const invalid = await run("node", [BIN, "replay", "--input", join(dir, "shifted.jsonl"), "--config", badConfig]).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(invalid).toMatchObject({ code: 2 });
    expect((invalid as { stderr: string }).stderr).toMatch(/defaults\.window\.maxEvents: Expected number, received string/);
  }, 60_000);

  it("the CLI replays a file: outputs on stdout, the summary on stderr", async () => {
    const cfg = writeLines("small.yaml", ["defaults:", "  window: {maxEvents: 200, minEvents: 50}", "  baseline: {warmupWindows: 3}"]);
    const { stdout, stderr } = await run("node", [BIN, "replay", "--input", join(dir, "shifted.jsonl"), "--config", cfg]);
    const lines = stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string });
    expect(lines.filter((l) => l.type === "retrain")).toHaveLength(1);
    expect(stderr).toMatch(/replay: 2400 lines read, 2400 events accepted, 0 rejected, 0 late/);
    expect(stderr).toMatch(/replay: 12 windows closed, \d+ drift events, 1 retrain requests/);
    expect(stderr).toMatch(/events\/s/);
  }, 60_000);

  it("under node --disallow-code-generation-from-strings the CLI gives the same outputs and rejects the same lines", async () => {
    const lines = [...shifted];
    const escaped = JSON.parse(shifted[30]) as { eventId: string; attributes?: Record<string, string> };
    lines.splice(30, 1, JSON.stringify({ ...escaped, eventId: `${escaped.eventId}-\u00e9`, attributes: { note: 'a "quoted" é' } }));
    lines.splice(4, 0, "{not json");
    lines.splice(10, 0, JSON.stringify({ eventId: "x", modelId: "bad model", modelVersion: "v", timestamp: 1 }));
    lines.splice(20, 0, "garbage");
    const input = writeLines("mixed.jsonl", lines);
    const cfg = writeLines("small-cg.yaml", ["defaults:", "  window: {maxEvents: 200, minEvents: 50}", "  baseline: {warmupWindows: 3}"]);
    const args = [BIN, "replay", "--input", input, "--config", cfg, "--now", "1767225600000"];
    const withoutTiming = (stderr: string) => stderr.replace(/^replay: [\d.]+ s, \d+ events\/s$/m, "");
    const normal = await run("node", args);
    const hardened = await run("node", ["--disallow-code-generation-from-strings", ...args]);
    expect(normal.stderr).toMatch(/2403 lines read, 2400 events accepted, 3 rejected/);
    expect(hardened.stderr).toMatch(/2403 lines read, 2400 events accepted, 3 rejected/);
    expect(hardened.stdout).toBe(normal.stdout);
    expect(withoutTiming(hardened.stderr)).toBe(withoutTiming(normal.stderr));
  }, 60_000);

  it("a command whose reader stops early (`| head`) exits 0 quietly, not on an unhandled EPIPE", async () => {
    // demo generate writes ~14 MB, far past what the pipe holds once its reader is gone (main.ts does this for
    // every command but run)
    const child = spawn("node", [BIN, "demo", "generate"], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    // like `head -c 1`: the first bytes, then the reader is gone
    child.stdout.once("data", () => child.stdout.destroy());
    const code = await new Promise<number | null>((done) => child.on("close", done));
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
  }, 60_000);

  it("an event stamped 2^52 ms is refused as timestamp_out_of_range and the rest replays as without it", async () => {
    const withOdd = [...shifted];
    const odd = JSON.parse(shifted[700]) as Record<string, unknown>;
    withOdd.splice(700, 0, JSON.stringify({ ...odd, eventId: "odd", timestamp: 2 ** 52 }));
    const clean = await replay(writeLines("clean-2.jsonl", shifted));
    const poisoned = await replay(writeLines("odd.jsonl", withOdd));
    expect(poisoned.summary).toMatchObject({
      linesRead: 2401,
      accepted: 2400,
      rejected: { timestamp_out_of_range: { count: 1, firstLines: [701] } },
    });
    // outputs name offsets (line numbers), which the extra line shifts: compare what was decided
    const decided = (outputs: (DriftEvent | RetrainRequest)[]) =>
      outputs.map((o) => (o.type === "drift" ? `${o.window.count}:${o.status}` : o.reason));
    expect(decided(poisoned.outputs)).toEqual(decided(clean.outputs));
    expect(poisoned.summary.windowsClosed).toBe(clean.summary.windowsClosed);
  });

  it("--now pins the wall clock the event-time bound is measured against", async () => {
    const last = JSON.parse(shifted[shifted.length - 1]) as { timestamp: number };
    const input = writeLines("now.jsonl", shifted);
    const pinned = (now: number) => run("node", [BIN, "replay", "--input", input, "--now", String(now)]);
    // the last event is 2 h after --now: outside the default 1 h future skew
    const early = await pinned(last.timestamp - 7_200_000);
    expect(early.stderr).toMatch(/rejected timestamp_out_of_range: \d+ \(first lines: /);
    expect(early.stderr).toContain(
      `bounded against the wall clock ${new Date(last.timestamp - 7_200_000).toISOString()}; pin it with --now`,
    );
    const late = await pinned(last.timestamp);
    expect(late.stderr).toMatch(/2400 events accepted, 0 rejected/);
    const bad = await run("node", [BIN, "replay", "--input", input, "--now", "yesterday"]).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(bad).toMatchObject({ code: 2 });
    expect((bad as { stderr: string }).stderr).toMatch(
      /--now: expected epoch millis or an ISO-8601 date-time with offset, got "yesterday"/,
    );
  }, 60_000);
});
