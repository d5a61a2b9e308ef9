// Parquet input on real data: the Elec2 events as pandas writes them (test/fixtures/realdata/make_parquet.py:
// json_normalize's features.<name> columns, a datetime64[ns, UTC] timestamp, to_parquet's defaults: pyarrow,
// snappy) and its outcomes through pyarrow (zstd, row groups of 4 000) replay to the drift events, performance
// windows and retrain requests of the JSON lines they were made from, offsets included (a row's number is its
// line's).
import { describe, it } from "vitest";
import { expectElecReplaysAsJsonLines } from "../../support/realdata-replay.ts";

describe("Elec2 as pandas- and pyarrow-written Parquet", () => {
  it("replays, with its outcomes, to the outputs of the JSON lines it was written from", async () => {
    await expectElecReplaysAsJsonLines("elec-ordered.parquet", "elec-outcomes.parquet");
  }, 180_000);
});
