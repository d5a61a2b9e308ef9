// Parquet input on real data: the Elec2 events as pandas writes them (test/fixtures/realdata/make_parquet.py:
// json_normalize's features.<name> columns, a datetime64[ns, UTC] timestamp, to_parquet's defaults: pyarrow,
// snappy) and its outcomes through pyarrow (zstd, row groups of 4 000) replay to the drift events, performance
// windows and retrain requests of the JSON lines they were made from, offsets included (a row's number is its
// line's).
import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../../src/config/load.ts";
import { replayRealData } from "../../support/realdata-replay.ts";

describe("Elec2 as pandas- and pyarrow-written Parquet", () => {
  it("replays, with its outcomes, to the outputs of the JSON lines it was written from", async () => {
    const config = resolveConfig({
      defaults: { performance: { enabled: true, labelDelayMs: 86_400_000, maxDurationMs: 14 * 86_400_000 } },
    });
    const jsonl = await replayRealData("elec-ordered.jsonl.gz", config, "elec-outcomes.jsonl.gz");
    const parquet = await replayRealData("elec-ordered.parquet", config, "elec-outcomes.parquet");
    expect(parquet.summary.accepted).toBe(jsonl.summary.accepted);
    expect(parquet.summary.rejected).toEqual({});
    expect(parquet.summary.outcomes?.accepted).toBe(jsonl.summary.outcomes?.accepted);
    expect(parquet.summary.outcomes?.rejected).toEqual({});
    expect(parquet.drift.length).toBeGreaterThan(100);
    expect(parquet.drift.some((e) => e.window.id.includes("/performance/"))).toBe(true);
    expect(parquet.retrain.length).toBeGreaterThan(0);
    expect(parquet.drift).toEqual(jsonl.drift);
    expect(parquet.retrain).toEqual(jsonl.retrain);
  }, 180_000);
});
