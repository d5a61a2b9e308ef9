// Seasonal slots (design §4 "Baselines"; README "Seasonal references"). Real traffic has cycles: a window
// at 03:00 is compared with the reference windows captured at 03:00, not with the whole day. A window's
// slot is taken at the midpoint of its event times, in UTC shifted by `seasonOffsetMs` (a fixed time zone;
// no daylight-saving rules). dayOfWeek counts from Sunday = 0, as Date.getUTCDay; monthOfYear from January = 0,
// as Date.getUTCMonth (the proleptic Gregorian calendar, any event time the schema allows).
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export type Seasonality = "none" | "hourOfDay" | "dayOfWeek" | "hourOfWeek" | "monthOfYear";

export interface Season {
  seasonality: Exclude<Seasonality, "none">;
  offsetMs: number;
}

/** The season of the settings, or null when they ask for none. */
export function seasonOf(seasonality: Seasonality, offsetMs: number): Season | null {
  return seasonality === "none" ? null : { seasonality, offsetMs };
}

const floorMod = (a: number, b: number) => a - b * Math.floor(a / b);

/**
 * Month 0–11 of a day counted from 1970-01-01: the civil-from-days conversion (H. Hinnant, "chrono-compatible
 * low-level date algorithms") — eras of 400 years of 146 097 days, years starting in March.
 */
function monthOfDay(days: number): number {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const marchMonth = Math.floor((5 * dayOfYear + 2) / 153);
  return marchMonth < 10 ? marchMonth + 2 : marchMonth - 10;
}

/**
 * Slot of an event time: hourOfDay 0–23, dayOfWeek 0–6 (Sunday 0), hourOfWeek 0–167 (dayOfWeek·24 + hour),
 * monthOfYear 0–11 (January 0).
 */
export function slotAt(time: number, season: Season): number {
  const local = time + season.offsetMs;
  if (season.seasonality === "monthOfYear") return monthOfDay(Math.floor(local / DAY));
  const hour = Math.floor(floorMod(local, DAY) / HOUR);
  // 1970-01-01 was a Thursday (4)
  const day = floorMod(Math.floor(local / DAY) + 4, 7);
  if (season.seasonality === "hourOfDay") return hour;
  if (season.seasonality === "dayOfWeek") return day;
  return day * 24 + hour;
}

/** Slot of a window: at the midpoint of its first and last event time. */
export function windowSlot(w: { start: number; end: number }, season: Season): number {
  return slotAt(w.start + Math.floor((w.end - w.start) / 2), season);
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** A readable slot name for baseline ids: `h07`, `Mon`, `Mon-h07`, `Jul`. */
export function slotLabel(slot: number, season: Season): string {
  const hour = (h: number) => `h${String(h).padStart(2, "0")}`;
  if (season.seasonality === "monthOfYear") return MONTHS[slot] ?? String(slot);
  if (season.seasonality === "hourOfDay") return hour(slot);
  if (season.seasonality === "dayOfWeek") return DAYS[slot] ?? String(slot);
  return `${DAYS[Math.floor(slot / 24)] ?? "?"}-${hour(slot % 24)}`;
}

export function sameSeason(a: Season, b: Season): boolean {
  return a.seasonality === b.seasonality && a.offsetMs === b.offsetMs;
}
