// CSV input on real data: the Elec2 events and outcomes as pandas writes them (test/fixtures/realdata/make_csv.py:
// json_normalize's features.<name> columns, tz-aware timestamps as "1996-07-02 00:00:00+00:00", the outcomes
// with every string quoted) replay to the drift events, performance windows and retrain requests of the JSON
// lines they were made from. Only the offsets differ, by the header line each file has.
import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../../src/config/load.ts";
import { replayRealData } from "../../support/realdata-replay.ts";

/** An output with every offset moved back by one line (the CSV header). */
const withoutHeaderLine = (output: object): unknown =>
  JSON.parse(JSON.stringify(output), (k, v: unknown) => (k.endsWith("Offset") && typeof v === "string" ? String(Number(v) - 1) : v));

describe("Elec2 as pandas-written CSV", () => {
  it("replays, with its outcomes, to the outputs of the JSON lines it was written from", async () => {
    const config = resolveConfig({
      defaults: { performance: { enabled: true, labelDelayMs: 86_400_000, maxDurationMs: 14 * 86_400_000 } },
    });
    const jsonl = await replayRealData("elec-ordered.jsonl.gz", config, "elec-outcomes.jsonl.gz");
    const csv = await replayRealData("elec-ordered.csv.gz", config, "elec-outcomes.csv.gz");
    expect(csv.summary.accepted).toBe(jsonl.summary.accepted);
    expect(csv.summary.rejected).toEqual({});
    expect(csv.summary.outcomes?.accepted).toBe(jsonl.summary.outcomes?.accepted);
    expect(csv.summary.outcomes?.rejected).toEqual({});
    expect(csv.drift.length).toBeGreaterThan(100);
    expect(csv.drift.some((e) => e.window.id.includes("/performance/"))).toBe(true);
    expect(csv.retrain.length).toBeGreaterThan(0);
    expect(csv.drift.map(withoutHeaderLine)).toEqual(jsonl.drift);
    expect(csv.retrain.map(withoutHeaderLine)).toEqual(jsonl.retrain);
  }, 180_000);
});
