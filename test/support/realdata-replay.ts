// Replays one committed real-data stream (test/fixtures/realdata/*.jsonl.gz) through runReplay — the
// service's partition processor over the in-memory store, as `drift-detector replay` — and returns its
// summary with the drift events and retrain requests it printed.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { gunzipSync } from "node:zlib";
import { runReplay } from "../../src/cli/replay.ts";
import { expect } from "vitest";
import { resolveConfig, type ResolvedConfig } from "../../src/config/load.ts";
import type { DriftEvent, RetrainRequest } from "../../src/events/types.ts";

export const realDataFixture = (name: string) => new URL(`../fixtures/realdata/${name}`, import.meta.url);

/** A fixture's bytes, a .gz one decompressed (replay reads compressed input too; the tests keep to one reader). */
const fixtureBytes = (name: string): Buffer => {
  const bytes = readFileSync(realDataFixture(name));
  return name.endsWith(".gz") ? gunzipSync(bytes) : bytes;
};

export async function replayRealData(stream: string, config: ResolvedConfig, outcomesStream?: string) {
  const stdout = new PassThrough();
  const lines: string[] = [];
  let rest = "";
  stdout.on("data", (c: Buffer) => {
    const parts = (rest + c.toString("utf8")).split("\n");
    rest = parts.pop() ?? "";
    lines.push(...parts);
  });
  let outcomes: string | undefined;
  if (outcomesStream !== undefined) {
    // replay reads outcomes from a file
    outcomes = join(mkdtempSync(join(tmpdir(), "realdata-")), "outcomes");
    writeFileSync(outcomes, fixtureBytes(outcomesStream));
  }
  const stdin = Readable.from([fixtureBytes(stream)]);
  const summary = await runReplay({ input: "-", outcomes, config, strict: false, stdin, stdout, wallClockMs: Date.UTC(2026, 0, 1) });
  const outputs = lines.filter((l) => l !== "").map((l) => JSON.parse(l) as DriftEvent | RetrainRequest);
  return {
    summary,
    drift: outputs.filter((o): o is DriftEvent => o.type === "drift"),
    retrain: outputs.filter((o): o is RetrainRequest => o.type === "retrain"),
  };
}

/**
 * Elec2 with its outcomes (performance on) from another format replays to the outputs of the JSON lines it was
 * written from: the same accepted counts, nothing rejected, and the same drift events (performance windows among
 * them) and retrain requests, each output first passed through `asJsonLines` (e.g. to move offsets by a header).
 */
export async function expectElecReplaysAsJsonLines(
  stream: string,
  outcomesStream: string,
  asJsonLines: (output: object) => unknown = (o) => o,
) {
  const config = resolveConfig({
    defaults: { performance: { enabled: true, labelDelayMs: 86_400_000, maxDurationMs: 14 * 86_400_000 } },
  });
  const jsonl = await replayRealData("elec-ordered.jsonl.gz", config, "elec-outcomes.jsonl.gz");
  const other = await replayRealData(stream, config, outcomesStream);
  expect(other.summary.accepted).toBe(jsonl.summary.accepted);
  expect(other.summary.rejected).toEqual({});
  expect(other.summary.outcomes?.accepted).toBe(jsonl.summary.outcomes?.accepted);
  expect(other.summary.outcomes?.rejected).toEqual({});
  expect(other.drift.length).toBeGreaterThan(100);
  expect(other.drift.some((e) => e.window.id.includes("/performance/"))).toBe(true);
  expect(other.retrain.length).toBeGreaterThan(0);
  expect(other.drift.map(asJsonLines)).toEqual(jsonl.drift);
  expect(other.retrain.map(asJsonLines)).toEqual(jsonl.retrain);
}
