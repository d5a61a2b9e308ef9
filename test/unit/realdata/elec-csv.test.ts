// CSV input on real data: the Elec2 events and outcomes as pandas writes them (test/fixtures/realdata/make_csv.py:
// json_normalize's features.<name> columns, tz-aware timestamps as "1996-07-02 00:00:00+00:00", the outcomes
// with every string quoted) replay to the drift events, performance windows and retrain requests of the JSON
// lines they were made from. Only the offsets differ, by the header line each file has.
import { describe, it } from "vitest";
import { expectElecReplaysAsJsonLines } from "../../support/realdata-replay.ts";

/** An output with every offset moved back by one line (the CSV header). */
const withoutHeaderLine = (output: object): unknown =>
  JSON.parse(JSON.stringify(output), (k, v: unknown) => (k.endsWith("Offset") && typeof v === "string" ? String(Number(v) - 1) : v));

describe("Elec2 as pandas-written CSV", () => {
  it("replays, with its outcomes, to the outputs of the JSON lines it was written from", async () => {
    await expectElecReplaysAsJsonLines("elec-ordered.csv.gz", "elec-outcomes.csv.gz", withoutHeaderLine);
  }, 180_000);
});
