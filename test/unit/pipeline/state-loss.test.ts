// Telling a move to another owner from lost state, and where a rebuild starts (src/pipeline/state-loss.ts).
import { describe, expect, it } from "vitest";
import { fenceConflict, lossAtLoad, rebuildPlan, replacedLog } from "../../../src/pipeline/state-loss.ts";

describe("fenceConflict", () => {
  it("a stored offset past the one this writer loaded is another owner's write", () => {
    expect(fenceConflict("9", "29")).toBe("moved");
    expect(fenceConflict(null, "29")).toBe("moved");
  });
  it("no stored offset where this writer had one is an emptied Redis", () => {
    expect(fenceConflict("9", null)).toEqual({ cause: "emptied", storedOffset: null, reachedOffset: "9" });
  });
  it("a stored offset below this writer's is a rollback (offsets only move forward between owners)", () => {
    expect(fenceConflict("9", "4")).toEqual({ cause: "rolled_back", storedOffset: "4", reachedOffset: "9" });
    expect(fenceConflict("10", "9")).toEqual({ cause: "rolled_back", storedOffset: "9", reachedOffset: "10" });
  });
});

describe("lossAtLoad (Kafka's committed offset is the witness after a restart)", () => {
  it("no committed offset, or one at most the stored offset + 1, is no loss", () => {
    expect(lossAtLoad(null, null, "0")).toBeNull();
    expect(lossAtLoad("99", "100", "0")).toBeNull();
    expect(lossAtLoad("99", "60", "0")).toBeNull(); // Kafka behind Redis: a crash between the two commits
  });
  it("nothing stored and a committed offset at the log start is a fresh start (or a rebuild just begun)", () => {
    expect(lossAtLoad(null, "0", "0")).toBeNull();
    expect(lossAtLoad(null, "500", "500")).toBeNull();
  });
  it("nothing stored behind a committed offset past the log start is an emptied Redis", () => {
    expect(lossAtLoad(null, "250", "0")).toEqual({ cause: "emptied", storedOffset: null, reachedOffset: "249" });
  });
  it("a stored offset more than one behind the committed one is a rollback", () => {
    expect(lossAtLoad("99", "250", "0")).toEqual({ cause: "rolled_back", storedOffset: "99", reachedOffset: "249" });
  });
});

describe("rebuildPlan", () => {
  it("emptied: from offset 0 while the log still starts there (exact)", () => {
    expect(rebuildPlan({ cause: "emptied", storedOffset: null, reachedOffset: "249" }, "0", "199", null)).toEqual({
      from: "0",
      until: "249",
      exact: true,
      publishedThrough: "199",
    });
  });
  it("rolled back: from the offset after the one Redis still holds", () => {
    expect(rebuildPlan({ cause: "rolled_back", storedOffset: "99", reachedOffset: "249" }, "0", null, "250")).toEqual({
      from: "100",
      until: "249",
      exact: true,
      publishedThrough: "249",
    });
  });
  it("past retention: from the log start, inexact", () => {
    const plan = rebuildPlan({ cause: "emptied", storedOffset: null, reachedOffset: "249" }, "100", null, null);
    expect(plan).toEqual({ from: "100", until: "249", exact: false, publishedThrough: null });
  });
  it("what was published is the later of what this replica drained and what Kafka's committed offset implies", () => {
    const loss = { cause: "emptied", storedOffset: null, reachedOffset: "249" } as const;
    expect(rebuildPlan(loss, "0", "149", "200").publishedThrough).toBe("199");
    expect(rebuildPlan(loss, "0", "239", "200").publishedThrough).toBe("239");
    expect(rebuildPlan(loss, "0", null, "0").publishedThrough).toBeNull();
  });
});

describe("replacedLog (a log rewritten under the stored offset)", () => {
  it("a log that ends past the stored offset is the same log, whatever the committed offset (offsets expired, a fresh group)", () => {
    expect(replacedLog("4999", null, "5000")).toBeNull();
    expect(replacedLog("4999", "5000", "5000")).toBeNull();
    expect(replacedLog(null, null, "0")).toBeNull();
  });
  it("a log that ends at or before it is new when the group has no committed offset (the topic recreated), truncated when it has one", () => {
    expect(replacedLog("4999", null, "120")).toBe("replaced");
    expect(replacedLog("4999", null, "4999")).toBe("replaced");
    expect(replacedLog("4999", null, "0")).toBe("replaced");
    expect(replacedLog("4999", "5000", "4990")).toBe("truncated");
  });
});
