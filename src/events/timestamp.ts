// Event time on the wire is epoch millis; JSON producers may send an RFC 3339 / ISO-8601 date-time
// instead. Only the full form with an explicit offset is accepted: a local time without offset is
// ambiguous, and Date.parse's lenient extras ("Tue, 1 Jan", "2026-11-01") would accept typos.
// Fractions beyond millis are truncated (floor), as Java's Instant.toEpochMilli does.

/** Same pattern as "timestamp" in schemas/*.schema.json. */
export const ISO_TIMESTAMP_PATTERN =
  "^([0-9]{4})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9])(\\.[0-9]{1,9})?([Zz]|([+-])([01][0-9]|2[0-3]):([0-5][0-9]))$";

const ISO_TIMESTAMP = new RegExp(ISO_TIMESTAMP_PATTERN);

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Epoch millis of an ISO-8601 date-time with offset, or undefined when it is not one (or not a real date). */
export function parseIsoTimestamp(text: string): number | undefined {
  if (text.length > 40) return undefined;
  const m = ISO_TIMESTAMP.exec(text);
  if (m === null) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (m[9] !== undefined) {
    const offsetHours = Number(m[10]);
    const offsetMins = Number(m[11]);
    if (offsetHours > 23 || offsetMins > 59) return undefined;
    offsetMinutes = (m[9] === "-" ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const millis = m[7] === undefined ? 0 : Math.floor(Number(m[7]) * 1000);
  // Date.UTC maps years 0..99 to 1900..1999; setUTCFullYear does not
  const date = new Date(Date.UTC(2000, month - 1, day, hour, minute, second, millis));
  date.setUTCFullYear(year);
  return date.getTime() - offsetMinutes * 60_000;
}
