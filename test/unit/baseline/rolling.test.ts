import { describe, expect, it } from "vitest";
import { createRollingBaseline, pushRollingWindow, restoreRollingBaseline, rollingBaselineOf } from "../../../src/baseline/rolling.ts";
import { createSignalSketches, type SignalSketches } from "../../../src/windows/signals.ts";
import { addNumeric, createNumericSketch, encodeNumericSketch } from "../../../src/sketch/numeric-sketch.ts";
import type { ClosedWindow } from "../../../src/windows/window.ts";
import { seededRandom } from "../../support/random.ts";

const limits = { maxFeaturesPerModel: 100, maxCategories: 50 };

function window(seq: number, values: number[]): ClosedWindow {
  const signals: SignalSketches = createSignalSketches();
  const s = createNumericSketch();
  for (const v of values) addNumeric(s, v);
  signals.numeric.set("x", s);
  return {
    id: `m@v/p0/w${seq}`,
    seq,
    start: seq * 100,
    end: seq * 100 + 99,
    count: values.length,
    partition: 0,
    firstOffset: "0",
    lastOffset: "0",
    firstEventId: `e${seq}-0`,
    lastEventId: `e${seq}-last`,
    late: 0,
    signals,
  };
}

describe("rolling baseline (two-stack sliding aggregate)", () => {
  const r = seededRandom(3);
  const windows = Array.from({ length: 60 }, (_, seq) =>
    window(
      seq,
      Array.from({ length: 300 }, () => r.normal(seq, 1)),
    ),
  );

  it("always covers exactly the last `size` windows", () => {
    const rolling = createRollingBaseline();
    for (const w of windows) {
      pushRollingWindow(rolling, w, 24, limits);
      const b = rollingBaselineOf(rolling, "m", "v", limits)!;
      const first = Math.max(0, w.seq - 23);
      expect(b.id).toBe(`m@v/rolling/w${first}-w${w.seq}`);
      expect(b.count).toBe((w.seq - first + 1) * 300);
      expect(b.signals.numeric.get("x")?.moments.count).toBe((w.seq - first + 1) * 300);
      // the mean of the merged moments is the mean of the covered windows' data
      const expected =
        windows.slice(first, w.seq + 1).reduce((sum, x) => sum + (x.signals.numeric.get("x")?.moments.mean ?? 0), 0) / (w.seq - first + 1);
      expect(b.signals.numeric.get("x")?.moments.mean).toBeCloseTo(expected, 9);
    }
  });

  it("restored from its stored windows and split, it gives the same baseline bytes as the live aggregate", () => {
    const rolling = createRollingBaseline();
    for (const w of windows.slice(0, 41)) pushRollingWindow(rolling, w, 24, limits);
    const restored = restoreRollingBaseline([...rolling.windows], rolling.frontCount, limits);
    for (const w of windows.slice(41)) {
      pushRollingWindow(rolling, w, 24, limits);
      pushRollingWindow(restored, w, 24, limits);
      const a = rollingBaselineOf(rolling, "m", "v", limits)!.signals.numeric.get("x")!;
      const b = rollingBaselineOf(restored, "m", "v", limits)!.signals.numeric.get("x")!;
      expect(Buffer.from(encodeNumericSketch(b)).equals(Buffer.from(encodeNumericSketch(a)))).toBe(true);
    }
  });

  it("an empty rolling baseline is null", () => {
    expect(rollingBaselineOf(createRollingBaseline(), "m", "v", limits)).toBeNull();
  });
});
