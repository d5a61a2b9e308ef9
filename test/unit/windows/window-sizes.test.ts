import { describe, expect, it } from "vitest";
import {
  closesFarBelowMaxEvents,
  formatDuration,
  looksLikeEpochSeconds,
  median,
  RECENT_WINDOWS,
  WindowSizes,
} from "../../../src/windows/window-sizes.ts";

const win = (count: number, durationMs: number) => ({ count, start: 1_000, end: 1_000 + durationMs });

describe("window sizes per model", () => {
  it("reports count, median and range of events and duration over a hand-made list", () => {
    const sizes = new WindowSizes();
    for (const [count, d] of [
      [1000, 200_000],
      [412, 62_000],
      [1000, 150_000],
      [700, 180_000],
      [1000, 90_000],
    ])
      sizes.add("fraud-scorer", win(count, d), 1000);
    expect(sizes.sizesOf("fraud-scorer")).toEqual({
      modelId: "fraud-scorer",
      maxEvents: 1000,
      windows: 5,
      closedAtMaxEvents: 3,
      events: { median: 1000, min: 412, max: 1000 },
      durationMs: { median: 150_000, min: 62_000, max: 200_000 },
      eventTimeMs: { first: 1_000, last: 201_000 },
    });
    expect(sizes.sizesOf("other")).toBeUndefined();
  });

  it("event times in 1970-01-12 … 1970-04-26 (epoch seconds read as millis) look like epoch seconds; others do not", () => {
    const spanning = (start: number, end: number) => {
      const sizes = new WindowSizes();
      sizes.add("m", { count: 10, start, end: start + 1 }, 1000);
      sizes.add("m", { count: 10, start: end - 1, end }, 1000);
      return looksLikeEpochSeconds(sizes.sizesOf("m")!);
    };
    // 2026-01-01T00:00:00Z in seconds, an hour of it
    expect(spanning(1_767_225_600, 1_767_229_200)).toBe(true);
    expect(spanning(1_000_000_000, 9_999_999_999)).toBe(true);
    // the same time in milliseconds; small test clocks; a stream starting before 2001 in seconds
    expect(spanning(1_767_225_600_000, 1_767_229_200_000)).toBe(false);
    expect(spanning(1, 5_000)).toBe(false);
    expect(spanning(999_999_999, 1_000_100_000)).toBe(false);
  });

  it("takes the mean of the two middle values for an even count", () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it("keeps the medians over the last 101 windows while min, max and count cover all", () => {
    const sizes = new WindowSizes();
    for (let i = 0; i < 50; i++) sizes.add("m", win(1, 10), 1000);
    for (let i = 0; i < RECENT_WINDOWS; i++) sizes.add("m", win(500, 20), 1000);
    expect(sizes.sizesOf("m")).toMatchObject({
      windows: 151,
      events: { median: 500, min: 1, max: 500 },
      durationMs: { median: 20, min: 10 },
    });
  });

  it("flags a model whose median window is under 10 % of maxEvents, only after 3 windows", () => {
    const sizes = new WindowSizes();
    sizes.add("m", win(99, 1), 1000);
    sizes.add("m", win(40, 1), 1000);
    expect(closesFarBelowMaxEvents(sizes.sizesOf("m")!)).toBe(false);
    sizes.add("m", win(60, 1), 1000);
    expect(closesFarBelowMaxEvents(sizes.sizesOf("m")!)).toBe(true);
    sizes.add("m", win(100, 1), 1000);
    sizes.add("m", win(100, 1), 1000);
    // median 99 of [40, 60, 99, 100, 100]: still under 100
    expect(closesFarBelowMaxEvents(sizes.sizesOf("m")!)).toBe(true);
    sizes.add("m", win(100, 1), 1000);
    sizes.add("m", win(100, 1), 1000);
    // median 100 of [40, 60, 99, 100, 100, 100, 100]
    expect(closesFarBelowMaxEvents(sizes.sizesOf("m")!)).toBe(false);
  });

  it("formats durations as the replay summary prints them", () => {
    expect([850, 42_000, 62_000, 200_000, 7_500_000, 2 * 86_400_000 + 4 * 3_600_000].map(formatDuration)).toEqual([
      "850ms",
      "42s",
      "1m02s",
      "3m20s",
      "2h05m",
      "2d04h",
    ]);
  });
});
