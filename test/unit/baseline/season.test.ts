// Seasonal slots (src/baseline/season.ts): UTC plus an offset, taken at a window's midpoint.
import { describe, expect, it } from "vitest";
import { slotAt, slotLabel, windowSlot } from "../../../src/baseline/season.ts";

const HOUR = 3_600_000;
// Monday 2026-11-30 00:00 UTC
const MONDAY = Date.UTC(2026, 10, 30);

describe("seasonal slots", () => {
  it("hourOfDay is the UTC hour; dayOfWeek counts from Sunday = 0 like getUTCDay; hourOfWeek = day · 24 + hour", () => {
    const t = MONDAY + 7 * HOUR + 59 * 60_000;
    expect(new Date(t).getUTCDay()).toBe(1);
    expect(slotAt(t, { seasonality: "hourOfDay", offsetMs: 0 })).toBe(7);
    expect(slotAt(t, { seasonality: "dayOfWeek", offsetMs: 0 })).toBe(1);
    expect(slotAt(t, { seasonality: "hourOfWeek", offsetMs: 0 })).toBe(31);
    expect(slotLabel(31, { seasonality: "hourOfWeek", offsetMs: 0 })).toBe("Mon-h07");
  });

  it("an offset shifts the clock (UTC+1: 23:30 Sunday UTC is hour 0 of Monday)", () => {
    const t = MONDAY - 30 * 60_000;
    expect(slotAt(t, { seasonality: "hourOfWeek", offsetMs: HOUR })).toBe(24);
    expect(slotAt(t, { seasonality: "hourOfWeek", offsetMs: 0 })).toBe(23);
  });

  it("event times before 1970 get the same slots as Date's UTC fields", () => {
    const t = Date.UTC(1955, 5, 15, 13, 20);
    expect(slotAt(t, { seasonality: "hourOfDay", offsetMs: 0 })).toBe(13);
    expect(slotAt(t, { seasonality: "dayOfWeek", offsetMs: 0 })).toBe(new Date(t).getUTCDay());
  });

  it("a window's slot is taken at the midpoint of its event times (06:50–07:50 is hour 7)", () => {
    const w = { start: MONDAY + 6 * HOUR + 50 * 60_000, end: MONDAY + 7 * HOUR + 50 * 60_000 };
    expect(windowSlot(w, { seasonality: "hourOfDay", offsetMs: 0 })).toBe(7);
  });
});
