// Replays one committed real-data stream (test/fixtures/realdata/*.jsonl.gz) through runReplay — the
// service's partition processor over the in-memory store, as `drift-detector replay` — and returns its
// summary with the drift events and retrain requests it printed.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { gunzipSync } from "node:zlib";
import { runReplay } from "../../src/cli/replay.ts";
import type { ResolvedConfig } from "../../src/config/load.ts";
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
