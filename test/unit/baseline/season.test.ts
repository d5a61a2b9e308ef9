// Seasonal slots (src/baseline/season.ts): UTC plus an offset, taken at a window's midpoint.
import { describe, expect, it } from "vitest";
import { slotAt, slotLabel, windowSlot } from "../../../src/baseline/season.ts";
import { seededRandom } from "../../support/random.ts";

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

describe("monthOfYear slots", () => {
  const month = { seasonality: "monthOfYear", offsetMs: 0 } as const;

  it("is Date's UTC month (January 0) for any event time, before 1970, across leap days and far from it", () => {
    const rnd = seededRandom(41);
    for (let i = 0; i < 4000; i++) {
      // ±2⁵² ms: every event time the schema allows (about ±142 700 years)
      const t = Math.round((rnd.uniform() * 2 - 1) * 2 ** 52 * (i % 2 === 0 ? 1 : 1e-4));
      expect(slotAt(t, month)).toBe(new Date(t).getUTCMonth());
    }
    expect(slotAt(Date.UTC(2024, 1, 29, 23, 59, 59, 999), month)).toBe(1);
    expect(slotAt(Date.UTC(2024, 2, 1), month)).toBe(2);
    expect(slotAt(Date.UTC(1900, 1, 28, 23), month)).toBe(1);
    expect(slotAt(Date.UTC(1900, 2, 1), month)).toBe(2);
    expect(slotAt(Date.UTC(1969, 11, 31, 23, 59, 59, 999), month)).toBe(11);
    expect(slotAt(Date.UTC(1970, 0, 1), month)).toBe(0);
  });

  it("an offset shifts the calendar (UTC+1: 23:30 on 31 December UTC is January) and slots are labelled by month", () => {
    const t = Date.UTC(2026, 11, 31, 23, 30);
    expect(slotAt(t, { seasonality: "monthOfYear", offsetMs: HOUR })).toBe(0);
    expect(slotAt(t, month)).toBe(11);
    expect([0, 6, 11].map((m) => slotLabel(m, month))).toEqual(["Jan", "Jul", "Dec"]);
  });

  it("a window's month is taken at its midpoint (20 January – 25 February is February)", () => {
    expect(windowSlot({ start: Date.UTC(2026, 0, 20), end: Date.UTC(2026, 1, 25) }, month)).toBe(1);
  });
});
