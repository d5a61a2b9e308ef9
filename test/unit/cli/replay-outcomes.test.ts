// `replay --outcomes` on the bundled example (test/fixtures/replay/outcomes, generate.ts): a classifier whose
// accuracy drops from 0.90 to 0.75 halfway through 4 000 predictions with unchanged inputs. The labels are
// what the generator drew, so the join's counts are known exactly; the output is pinned byte for byte.
import { readFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/cli/config-file.ts";
import { runReplay } from "../../../src/cli/replay.ts";
import type { DriftEvent, RetrainRequest } from "../../../src/events/types.ts";

const DIR = new URL("../../fixtures/replay/outcomes/", import.meta.url).pathname;
const PREDICTIONS = `${DIR}predictions.jsonl`;
const OUTCOMES = `${DIR}outcomes.jsonl`;
const config = loadConfig(`${DIR}config.yaml`, {});

async function replay(outcomes: string | undefined) {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on("data", (c: Buffer) => chunks.push(c));
  const summary = await runReplay({ input: PREDICTIONS, outcomes, config, strict: false, stdin: new PassThrough(), stdout });
  const bytes = Buffer.concat(chunks);
  const events = bytes
    .toString()
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as DriftEvent | RetrainRequest);
  return { bytes, summary, events };
}

describe("replay --outcomes joins labels to predictions on the bundled example", () => {
  it("joins all 4 000 outcomes, raises one critical performance incident and exactly one RetrainRequest with reason performance", async () => {
    const { bytes, summary, events } = await replay(OUTCOMES);
    expect(summary.outcomes).toEqual({
      linesRead: 4000,
      accepted: 4000,
      rejected: {},
      join: expect.objectContaining({ matched: 4000, duplicateOutcomes: 0, tooLate: 0, expired: 0, unknown: 0 }),
      waiting: { predictions: 0, outcomes: 0 },
    });
    const drift = events.filter((e): e is DriftEvent => e.type === "drift");
    const retrain = events.filter((e): e is RetrainRequest => e.type === "retrain");
    expect(drift.map((e) => [e.status, e.signals.map((s) => s.signal)])).toEqual([["critical", ["performance"]]]);
    // performance windows of 250 joined outcomes: the drop at prediction 2 000 is in window 8; 9 confirms it
    expect(drift[0].window.id).toBe("clf/v1/performance/9");
    expect(retrain.map((r) => r.reason)).toEqual(["performance"]);
    expect(bytes.equals(readFileSync(`${DIR}expected.jsonl`))).toBe(true);
  });

  it("without --outcomes the same predictions raise nothing: the inputs did not move (pure concept drift)", async () => {
    const { summary, events } = await replay(undefined);
    expect(summary.outcomes).toBeUndefined();
    expect(summary.windowsClosed).toBe(8);
    expect(events).toEqual([]);
  });

  it("bad outcome lines are counted by reason with their line numbers in the outcomes file, the rest still join", async () => {
    const lines = readFileSync(OUTCOMES, "utf8").split("\n");
    lines[9] = "{not json";
    lines[19] = JSON.stringify({ modelId: "clf", timestamp: 1_763_769_600_000 });
    const path = join(mkdtempSync(join(tmpdir(), "replay-outcomes-")), "outcomes.jsonl");
    writeFileSync(path, lines.join("\n"));
    const { summary } = await replay(path);
    expect(summary.outcomes?.rejected).toEqual({
      invalid_json: { count: 1, firstLines: [10] },
      schema_violation: { count: 1, firstLines: [20] },
    });
    expect(summary.outcomes?.join.matched).toBe(3998);
    // the two predictions whose outcomes were lost still wait at the end
    expect(summary.outcomes?.waiting).toEqual({ predictions: 2, outcomes: 0 });
  });
});
