import { describe, expect, it } from "vitest";
import { renderBenchmarks } from "../../bench/report.ts";

describe("benchmark report", () => {
  it("renders one table per bench with one column per key, numbers formatted, other lines ignored", () => {
    const md = renderBenchmarks(
      [
        '{"bench":"decode","name":"json","eventsPerSecond":123456,"nsPerEvent":8.1}',
        "[bench] progress line",
        '{"bench":"decode","name":"avro","eventsPerSecond":234567}',
        '{"bench":"sketch","bytes":1941}',
      ],
      "machine line",
    );
    expect(md).toContain("machine line");
    expect(md).toContain(
      "## decode\n\n| name | eventsPerSecond | nsPerEvent |\n|---|---|---|\n| json | 123,456 | 8.1 |\n| avro | 234,567 |  |",
    );
    expect(md).toContain("## sketch\n\n| bytes |\n|---|\n| 1,941 |");
    expect(md).not.toContain("progress line");
  });
});
