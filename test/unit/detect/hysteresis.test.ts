import { describe, expect, it } from "vitest";
import type { Status } from "../../../src/events/types.ts";
import { createHysteresis, nextHysteresis } from "../../../src/detect/hysteresis.ts";

function run(levels: Status[], n: number): Status[] {
  let h = createHysteresis();
  return levels.map((l) => (h = nextHysteresis(h, l, n)).status);
}

describe("hysteresis", () => {
  it("one critical window does not raise the status at consecutiveWindows 2", () => {
    expect(run(["critical", "ok", "ok"], 2)).toEqual(["ok", "ok", "ok"]);
  });
  it("two consecutive critical windows raise it to critical on the second", () => {
    expect(run(["critical", "critical"], 2)).toEqual(["ok", "critical"]);
  });
  it("a warning then a critical window raise it to warning (the sustained level)", () => {
    expect(run(["warning", "critical", "critical"], 2)).toEqual(["ok", "warning", "warning"]);
    expect(run(["warning", "critical", "critical", "critical"], 2)).toEqual(["ok", "warning", "warning", "critical"]);
  });
  it("clearing needs as many consecutive windows below the status", () => {
    expect(run(["critical", "critical", "ok", "critical", "ok", "ok"], 2)).toEqual([
      "ok",
      "critical",
      "critical",
      "critical",
      "critical",
      "ok",
    ]);
  });
  it("consecutiveWindows 1 follows the level directly", () => {
    expect(run(["warning", "ok", "critical"], 1)).toEqual(["warning", "ok", "critical"]);
  });
  it("clearing from critical through warning windows lands on warning", () => {
    expect(run(["critical", "critical", "warning", "warning"], 2)).toEqual(["ok", "critical", "critical", "warning"]);
  });
});
