// Bounds on event time (design §4 "Bad input"): one event stamped far in the future would otherwise move
// its partition's watermark for good, so every later event is "late" and windows never close by time.
// An event is accepted when
//   watermark − maxPastSkewMs  ≤  timestamp  ≤  wallClock + maxFutureSkewMs
// The future side is measured against the wall clock, not the watermark, so a stream that pauses for days
// and resumes is not refused; the past side is measured against the partition's watermark (the largest
// event time accepted so far), so replaying history of any age works. Before the first event there is no
// watermark and only the future side applies.
//
//
// A jump ahead of the watermark by more than maxForwardJumpMs needs confirmation. Such a jump inside the
// wall-clock bound (a corrupted or mis-set timestamp in a stream behind the wall clock: backfill, replay,
// a lagging consumer) would otherwise move the watermark so far that every later on-time event falls
// below watermark − maxPastSkewMs and is refused: the partition is poisoned by one event. So the jumping
// event is refused, and the partition remembers it; only when forwardJumpConfirmations events in a row
// jump to about the same time (within maxForwardJumpMs of the first) is the last one accepted and the
// watermark moves — that is a stream that really resumed after a pause. A jump that lands within
// maxForwardJumpMs of the wall clock is a live stream resuming and is accepted at once. Any event within the bounds
// breaks the streak, so outliers among on-time traffic never confirm each other. The events refused
// while a jump is being confirmed go to the dead-letter topic like other refusals, with their reason.
//
// The wall clock is a value the shell passes per batch: the engine never reads a clock. Exactly-once is
// unaffected: an event's verdict is persisted with its offset in the same atomic write, so it is decided
// once; a chunk redone after a crash before that write is decided afresh, like the first time.

export interface EventTimeBounds {
  /** events later than the wall clock plus this are refused */
  maxFutureSkewMs: number;
  /** events older than the partition's watermark minus this are refused */
  maxPastSkewMs: number;
  /** a jump ahead of the watermark by more than this needs confirmation */
  maxForwardJumpMs: number;
  /** events in a row that confirm such a jump (the last of them is accepted); 1 accepts at once */
  forwardJumpConfirmations: number;
}

/** A jump ahead of the watermark being confirmed: the first jumping event's time and how many jumped. */
export interface PendingForwardJump {
  firstTime: number;
  count: number;
}

export type EventTimeVerdict =
  { accepted: true; pendingJump: null } | { accepted: false; message: string; pendingJump: PendingForwardJump | null };

export interface EventTimeRange {
  /** -Infinity before the partition's first event */
  min: number;
  max: number;
}

/** The event times a partition accepts now. `watermark` is -Infinity before its first event. */
export function acceptedEventTimes(
  watermark: number,
  wallClockMs: number,
  bounds: Pick<EventTimeBounds, "maxFutureSkewMs" | "maxPastSkewMs">,
): EventTimeRange {
  return { min: watermark - bounds.maxPastSkewMs, max: wallClockMs + bounds.maxFutureSkewMs };
}

export function isEventTimeAccepted(timestamp: number, range: EventTimeRange): boolean {
  return timestamp >= range.min && timestamp <= range.max;
}

/** For the dead letter's message: what was refused and the range it missed. */
export function describeEventTimeRefusal(timestamp: number, range: EventTimeRange): string {
  const iso = (ms: number) => (Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms));
  return timestamp > range.max
    ? `event time ${timestamp} (${iso(timestamp)}) is later than the wall clock plus maxFutureSkewMs (${iso(range.max)})`
    : `event time ${timestamp} (${iso(timestamp)}) is older than the partition's watermark minus maxPastSkewMs (${iso(range.min)})`;
}

const ACCEPTED: EventTimeVerdict = Object.freeze({ accepted: true, pendingJump: null });
const NO_JUMP = Object.freeze({ confirmed: true, pendingJump: null } as const);

/**
 * Whether a partition accepts an event time now, and the pending forward jump after it. `watermark` is
 * -Infinity before the partition's first event; `pendingJump` is the partition's pending jump (or null).
 */
export function judgeEventTime(
  timestamp: number,
  watermark: number,
  wallClockMs: number,
  bounds: EventTimeBounds,
  pendingJump: PendingForwardJump | null,
): EventTimeVerdict {
  // the range of acceptedEventTimes, checked without building it (this runs for every event)
  if (!(timestamp >= watermark - bounds.maxPastSkewMs && timestamp <= wallClockMs + bounds.maxFutureSkewMs)) {
    const range = acceptedEventTimes(watermark, wallClockMs, bounds);
    return { accepted: false, message: describeEventTimeRefusal(timestamp, range), pendingJump };
  }
  if (timestamp >= wallClockMs - bounds.maxForwardJumpMs) return ACCEPTED;
  const jump = confirmForwardJump(timestamp, watermark, bounds, pendingJump);
  if (jump.confirmed) return ACCEPTED;
  const next = jump.pendingJump;
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    accepted: false,
    message:
      `event time ${timestamp} (${iso(timestamp)}) jumps more than maxForwardJumpMs ahead of the partition's watermark ` +
      `(${iso(watermark)}); ${next.count} of ${bounds.forwardJumpConfirmations} events in a row confirm the jump`,
    pendingJump: next,
  };
}

/**
 * The confirmation step alone, without the wall clock: whether `timestamp` may move `watermark` now (no jump,
 * or the last of forwardJumpConfirmations jumps in a row), and the pending jump after it. The outcome join uses
 * it for its outcome watermark (outcomes/join.ts), where a jump near the wall clock needs confirming too.
 */
export function confirmForwardJump(
  timestamp: number,
  watermark: number,
  bounds: Pick<EventTimeBounds, "maxForwardJumpMs" | "forwardJumpConfirmations">,
  pendingJump: PendingForwardJump | null,
): { confirmed: true; pendingJump: null } | { confirmed: false; pendingJump: PendingForwardJump } {
  const jumps = Number.isFinite(watermark) && timestamp - watermark > bounds.maxForwardJumpMs;
  if (!jumps) return NO_JUMP;
  const continues = pendingJump !== null && Math.abs(timestamp - pendingJump.firstTime) <= bounds.maxForwardJumpMs;
  const next: PendingForwardJump = continues
    ? { firstTime: pendingJump.firstTime, count: pendingJump.count + 1 }
    : { firstTime: timestamp, count: 1 };
  if (next.count >= bounds.forwardJumpConfirmations) return { confirmed: true, pendingJump: null };
  return { confirmed: false, pendingJump: next };
}
