import { describe, expect, it } from "vitest";
import { acceptedEventTimes, describeEventTimeRefusal, isEventTimeAccepted } from "../../../src/windows/event-time.ts";
import { closeOrMergeForward, createOpenWindow } from "../../../src/windows/window.ts";

const bounds = { maxFutureSkewMs: 3_600_000, maxPastSkewMs: 86_400_000, maxForwardJumpMs: 86_400_000, forwardJumpConfirmations: 3 };
const NOW = Date.UTC(2026, 11, 1);

describe("accepted event times", () => {
  it("accepts from the watermark minus maxPastSkewMs to the wall clock plus maxFutureSkewMs, both ends included", () => {
    const watermark = NOW - 10_000;
    const range = acceptedEventTimes(watermark, NOW, bounds);
    expect(range).toEqual({ min: watermark - 86_400_000, max: NOW + 3_600_000 });
    expect([range.min - 1, range.min, range.max, range.max + 1].map((t) => isEventTimeAccepted(t, range))).toEqual([
      false,
      true,
      true,
      false,
    ]);
  });

  it("before the partition's first event only the future side applies: any past time, negative epoch millis included", () => {
    const range = acceptedEventTimes(Number.NEGATIVE_INFINITY, NOW, bounds);
    expect(isEventTimeAccepted(-(2 ** 52), range)).toBe(true);
    expect(isEventTimeAccepted(2 ** 52, range)).toBe(false);
  });

  it("a stream that resumes after a long pause is not refused: the future side is measured against the wall clock", () => {
    const watermark = NOW - 30 * 86_400_000;
    expect(isEventTimeAccepted(NOW, acceptedEventTimes(watermark, NOW, bounds))).toBe(true);
  });

  it("names the side that was missed and the bound in the refusal", () => {
    const range = acceptedEventTimes(NOW, NOW, bounds);
    expect(describeEventTimeRefusal(2 ** 52, range)).toBe(
      "event time 4503599627370496 (+144683-05-23T16:29:30.496Z) is later than the wall clock plus maxFutureSkewMs (2026-12-01T01:00:00.000Z)",
    );
    expect(describeEventTimeRefusal(NOW - 2 * 86_400_000, range)).toBe(
      "event time 1795910400000 (2026-11-29T00:00:00.000Z) is older than the partition's watermark minus maxPastSkewMs (2026-11-30T00:00:00.000Z)",
    );
  });
});

describe("window deadline arithmetic", () => {
  const settings = { maxEvents: 1000, maxDurationMs: 60_000, minEvents: 10 };
  const openWindow = (deadline: number, count: number) => ({ ...createOpenWindow(0), start: deadline - 60_000, deadline, count });

  it("a window under minEvents moves its deadline by the smallest whole number of durations past the event time", () => {
    const w = openWindow(60_000, 5);
    expect(closeOrMergeForward(w, 60_000, settings)).toBe("merged");
    expect(w).toMatchObject({ deadline: 120_000, mergedForward: 1 });
    expect(closeOrMergeForward(w, 299_999, settings)).toBe("merged");
    expect(w).toMatchObject({ deadline: 300_000, mergedForward: 4 });
  });

  it("an event 2^52 ms later moves the deadline in one step, exactly (no loop over 7.5e10 durations)", () => {
    const w = openWindow(60_000, 5);
    const eventTime = 2 ** 52;
    const started = performance.now();
    closeOrMergeForward(w, eventTime, settings);
    expect(performance.now() - started).toBeLessThan(50);
    // 2^52 = 75 059 993 789 × 60 000 + 30 496: the next multiple of 60 000 above it
    expect(w.deadline).toBe(75_059_993_790 * 60_000);
    expect(w.mergedForward).toBe(75_059_993_789);
    expect(w.deadline > eventTime && w.deadline - 60_000 <= eventTime).toBe(true);
  });

  it("a window with minEvents is closed, its deadline untouched", () => {
    const w = openWindow(60_000, 10);
    expect(closeOrMergeForward(w, 2 ** 52, settings)).toBe("close");
    expect(w.deadline).toBe(60_000);
  });
});
